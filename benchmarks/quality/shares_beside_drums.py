"""The shares expert beside drums: what it does to rendered and to real drums (a study).

With drums and one other source, ``auto`` weighs each source's mask by its share of the
long-term spectrum (:func:`nmfsep.masks.share_weights`, the policy table's "each source's
share of the spectrum") and halves the HPSS weights beside it; ``grouping="percussive"``
groups the same components without the shares, with the full HPSS weights and the bass
line's register.  This regroups nmfsep's default separation (every run of its ensemble)
of each item both ways and prints, per item, the median SDR over the sources and the drums'
SDR, beside what could tell the two kinds of recording apart before separating: the HPSS
percussive share (``auto``'s drums-heard measure) and the drum group's share of the
model's energy.

Items: one half of every category asked for (``halves.select``), each as rendered and with
its drums scaled by 0.3 (``drum_share.with_drum_gain``), and the real recordings'
``real:drums+rest`` (all five: they reject, they do not fit).

    python -m benchmarks.quality.shares_beside_drums --half tuning
    python -m benchmarks.quality.shares_beside_drums --half reporting --no-real
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

import nmfsep
from nmfsep.metrics import evaluate

from .drum_share import DRUMS, with_drum_gain
from .generate import Item, build
from .halves import select

CATEGORIES = ("drums+guitar", "drums+guitar-stereo", "drums+guitar-mastered")
GAINS = (1.0, 0.3)
REAL_CATEGORY = "real:drums+rest"


class Row(NamedTuple):
    """One item regrouped with and without the shares."""

    item: str
    drums_heard: bool
    percussive_share: float
    drum_energy_share: float
    median_with: float
    drums_with: float
    median_without: float
    drums_without: float

    def line(self) -> str:
        """The row of the printed table."""
        if not self.drums_heard:
            return (f"| {self.item} | no | {self.percussive_share:.2f} | – | "
                    f"{self.median_with:.2f} ({self.drums_with:.1f}) | – | – |")
        return (f"| {self.item} | yes | {self.percussive_share:.2f} | "
                f"{self.drum_energy_share:.2f} | {self.median_with:.2f} "
                f"({self.drums_with:.1f}) | {self.median_without:.2f} "
                f"({self.drums_without:.1f}) | {self.median_without - self.median_with:+.2f} |")


HEADER = ("| item | drums heard | HPSS percussive share | drum group's energy share | "
          "`auto` (with the shares) | `percussive` (without) | change |\n"
          "|---|---|---:|---:|---:|---:|---:|")


def regrouped(item: Item, separation: nmfsep.Separation | None = None) -> Row:
    """``item`` separated with the defaults, then regrouped by ``percussive``.

    Parameters
    ----------
    item : Item
        It must have a source named ``drums``.
    separation : Separation, optional
        nmfsep's separation of ``item`` with ``n_sources`` its number of sources, when
        already made.

    Returns
    -------
    Row
        Median SDR over the sources and the drums' SDR (dB), both ways; without drums
        heard, ``auto`` has no drum split to take the shares from and only its side counts.

    Raises
    ------
    ValueError
        If the item has no ``drums`` source.
    """
    if DRUMS not in item.names:
        raise ValueError(f"{item.name}: no source named {DRUMS!r} among {item.names}")
    truth = item.names.index(DRUMS)
    sep = separation or nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names))
    with_shares = evaluate(item.sources, sep.sources).sdr
    drum_source = sep.decision.drum_source
    if drum_source is None:
        return Row(item.name, False, float(sep.context.percussive_share), float("nan"),
                   float(np.median(with_shares)), float(with_shares[truth]),
                   float("nan"), float("nan"))
    energy = sep.W.sum(axis=0, dtype=np.float64) * sep.H.sum(axis=1, dtype=np.float64)
    without = evaluate(item.sources, sep.regroup(grouping="percussive").sources).sdr
    return Row(item.name, True, float(sep.context.percussive_share),
               float(energy[sep.labels == drum_source].sum() / energy.sum()),
               float(np.median(with_shares)), float(with_shares[truth]),
               float(np.median(without)), float(without[truth]))


def rendered_items(categories: Iterable[str], half: str, items: int,
                   duration: float) -> list[Item]:
    """The half's items of every category, as rendered and at every drum gain."""
    out = []
    for category in categories:
        for index in select(range(items), half):
            item = build(category, index, duration)
            out += [with_drum_gain(item, gain) for gain in GAINS]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.shares_beside_drums",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--half", choices=("tuning", "reporting"), required=True)
    parser.add_argument("--categories", default=",".join(CATEGORIES))
    parser.add_argument("--items", type=int, default=8, help="items per category (both halves)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per item")
    parser.add_argument("--no-real", action="store_true", help="leave the real recordings out")
    args = parser.parse_args(argv)
    items = rendered_items(filter(None, args.categories.split(",")), args.half, args.items,
                           args.duration)
    if not args.no_real:
        from .real import RealFolderMissing, build_category, locate
        try:
            items += build_category(REAL_CATEGORY, locate())
        except RealFolderMissing as exc:
            print(f"real recordings skipped: {exc}", file=sys.stderr)
    print("Median SDR over the sources (dB); in brackets the drums' SDR.\n")
    print(HEADER)
    for item in items:
        print(regrouped(item).line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
