"""Argument types shared by the command lines' parsers: a bad value is one usage line.

>>> seed("7")
7
"""

from __future__ import annotations

import argparse

__all__ = ["seed"]


def seed(text: str) -> int:
    """A random seed: a whole number of 0 or more (numpy's generators refuse negatives)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a seed is 0 or more")
    return value
