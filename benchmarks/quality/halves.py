"""The tuning half and the reporting half of every benchmark category.

Every category is split in two: constants are chosen on the **tuning half** and
results are reported on the **reporting half**.  The rule is one line for every
category, rendered or real: item index even (0, 2, 4, ...) is the tuning half,
odd the reporting half.  A rendered item's index is the one it was generated
with (``drums+guitar-5`` has index 5); a real category's index is the item's
position in the category's list of item names, sorted.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence

import numpy as np

from ..arguments import positive_float, positive_int

TUNING = "tuning"
REPORTING = "reporting"
HALVES = (TUNING, REPORTING)


def half_of(index: int) -> str:
    """``"tuning"`` for an even item index, ``"reporting"`` for an odd one.

    Parameters
    ----------
    index : int
        The item's index in its category (non-negative).

    Returns
    -------
    str
    """
    if index < 0:
        raise ValueError(f"an item index is non-negative, not {index}")
    return TUNING if index % 2 == 0 else REPORTING


def rendered_index(name: str) -> int:
    """The index of a rendered item from its name ``<category>-<index>``."""
    return int(name.rsplit("-", 1)[1])


def real_halves(names: Iterable[str]) -> dict[str, str]:
    """The half of each item of one real category: by its position among the sorted names."""
    return {name: half_of(position) for position, name in enumerate(sorted(set(names)))}


def select(indices: Iterable[int], half: str) -> list[int]:
    """The indices of ``half`` (``"tuning"``, ``"reporting"`` or ``"all"``), in order."""
    if half not in (*HALVES, "all"):
        raise ValueError(f"half must be tuning, reporting or all, not {half!r}")
    return [i for i in indices if half == "all" or half_of(i) == half]


def study_parser(prog: str, description: str | None,
                 categories: Iterable[str]) -> argparse.ArgumentParser:
    """A study's command line: ``--half`` (required), ``--categories``, ``--items``, ``--duration``.

    Parameters
    ----------
    prog : str
        ``python -m benchmarks.quality.<study>``.
    description : str or None
        The study's docstring.
    categories : iterable of str
        The default categories.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--half", choices=HALVES, required=True)
    parser.add_argument("--categories", default=",".join(categories))
    parser.add_argument("--items", type=positive_int, default=8,
                        help="items per category (both halves)")
    parser.add_argument("--duration", type=positive_float, default=10.0, help="seconds per item")
    return parser


def median_table(scores: dict[str, dict[str, list[float]]], methods: Sequence[str]) -> list[str]:
    """A study's table: each group's median score per method, the first method's lowest first.

    Parameters
    ----------
    scores : dict of group to (dict of method to scores)
        Every score of the group's items (SDR of every source), per method.
    methods : sequence of str
        The columns, in order; the rows are sorted by the first.

    Returns
    -------
    list of str
        Markdown lines: the header, its rule, one row per group.
    """
    medians = {group: {m: float(np.median(values[m])) for m in methods}
               for group, values in scores.items()}
    lines = ["| category | " + " | ".join(methods) + " |", "|---|" + "---:|" * len(methods)]
    for group in sorted(medians, key=lambda g: medians[g][methods[0]]):
        lines.append(f"| {group} | " + " | ".join(f"{medians[group][m]:.2f}"
                                                  for m in methods) + " |")
    return lines
