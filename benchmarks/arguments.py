"""Argument types of the benchmarks' command lines: a bad value is one argparse error line.

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> _ = parser.add_argument("--items", type=positive_int)
>>> parser.parse_args(["--items", "3"]).items
3
"""

from __future__ import annotations

import argparse
import math

__all__ = ["positive_int", "non_negative_int", "positive_float"]


def positive_int(text: str) -> int:
    """An integer of at least 1 (a count of items, repeats, jobs)."""
    value = _number(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def non_negative_int(text: str) -> int:
    """An integer of at least 0 (an index)."""
    value = _number(text, int, "a whole number")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0 (seconds, minutes)."""
    value = _number(text, float, "a number")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _number(text: str, kind: type, what: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
