"""The shares expert beside drums: what it does to rendered and to real drums (a study).

With drums and one other source, ``auto`` weighs each source's mask by its share of the
long-term spectrum (:func:`nmfsep.masks.share_weights`, the policy table's "each source's
share of the spectrum") and halves the HPSS weights beside it, unless the other source
plays bass notes (:func:`nmfsep.grouping.bass_note_components`: a band with a bass line);
``grouping="percussive"`` groups the same components without the shares, with the full
HPSS weights and the bass line's register.  Beside ``auto`` and ``percussive``, two more
columns: ``auto`` before the bass-notes test (the shares always: the policy with an empty
:attr:`~nmfsep.policy.Policy.bass_notes_hz`), and a rule tried and rejected, the shares
unless the source beside the drums holds as much of the low register as the drums or more
(:func:`nmfsep.grouping.low_register_share` of the first run's sources).  This regroups
nmfsep's default separation (every run of its ensemble) of each item and prints, per item,
the median SDR over the sources and the drums' SDR, with what the recording says before
separating: the HPSS percussive share (``auto``'s drums-heard measure), the drum group's
share of the model's energy, the two sources' shares of the low register and the other
source's bass-note components; then the median per category, worst category first.

Items: one half of every category asked for (``halves.select``), those with drums also
with their drums scaled by 0.3 (``drum_share.with_drum_gain``), and the real recordings'
``real:drums+rest`` and ``real:vocals+accompaniment`` (all items: they reject, they do
not fit).

    python -m benchmarks.quality.shares_beside_drums --half tuning
    python -m benchmarks.quality.shares_beside_drums --half reporting --no-real
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import replace
from typing import NamedTuple

import numpy as np

import nmfsep
from nmfsep.grouping import bass_note_components, low_register_share
from nmfsep.metrics import evaluate

from .drum_share import DRUMS, gain_group, with_drum_gain
from .generate import Item, build
from .halves import median_table, select, study_parser

CATEGORIES = ("drums+guitar", "drums+guitar-stereo", "drums+guitar-mastered", "drums+rest",
              "lead+rest")
GAINS = (1.0, 0.3)
REAL_CATEGORIES = ("real:drums+rest", "real:vocals+accompaniment")
AS_IS, WITHOUT = "auto", "percussive"
SHARES_ALWAYS = "auto before the bass-notes test"
RULE = "auto, shares unless a bass line"
METHODS = (AS_IS, WITHOUT, SHARES_ALWAYS, RULE)


class Row(NamedTuple):
    """One item separated and regrouped every way of :data:`METHODS`."""

    item: str
    group: str
    drums_heard: bool
    percussive_share: float
    drum_energy_share: float
    low_drums: float
    low_other: float
    bass_notes: int
    every: dict[str, list[float]]
    drums: dict[str, float]

    def line(self) -> str:
        """The row of the printed table."""
        def cell(method: str) -> str:
            if method not in self.every:
                return "–"
            drums = self.drums.get(method, float("nan"))
            return f"{np.median(self.every[method]):.2f}" + (
                "" if np.isnan(drums) else f" ({drums:.1f})")
        measures = (" – | – | – | – |" if not self.drums_heard else
                    f" {self.drum_energy_share:.2f} | {self.low_drums:.2f} | "
                    f"{self.low_other:.2f} | {self.bass_notes} |")
        return (f"| {self.item} | {'yes' if self.drums_heard else 'no'} | "
                f"{self.percussive_share:.2f} |{measures} "
                + " | ".join(cell(m) for m in METHODS) + " |")


HEADER = ("| item | drums heard | HPSS percussive share | drum group's energy share | "
          "drums' low register | the other's low register | bass notes | "
          + " | ".join(f"`{m}`" if m in (AS_IS, WITHOUT) else m for m in METHODS)
          + " |\n"
          "|---|---|---:|---:|---:|---:|---:|" + "---:|" * len(METHODS))


def regrouped(item: Item, separation: nmfsep.Separation | None = None) -> Row:
    """``item`` separated with the defaults, then regrouped every way of :data:`METHODS`.

    Parameters
    ----------
    item : Item
        Two sources.
    separation : Separation, optional
        nmfsep's separation of ``item`` into its two sources, when already made.

    Returns
    -------
    Row
        Every source's SDR (dB) per method, and the drums' when the item has a ``drums``
        source; without drums heard there is no drum split to regroup and only ``auto``
        is scored.

    Raises
    ------
    ValueError
        If the item does not have two sources.
    """
    if len(item.names) != 2:
        raise ValueError(f"{item.name}: two sources needed, it has {item.names}")
    sep = separation or nmfsep.separate(item.mixture, item.sr, n_sources=2)
    outputs = {AS_IS: sep.sources}
    drum_source = sep.decision.drum_source
    energy_share = low_drums = low_other = float("nan")
    notes = 0
    if drum_source is not None:
        outputs[WITHOUT] = sep.regroup(grouping="percussive").sources
        energy = sep.W.sum(axis=0, dtype=np.float64) * sep.H.sum(axis=1, dtype=np.float64)
        energy_share = float(energy[sep.labels == drum_source].sum() / energy.sum())
        low_drums, low_other = low_register_share(sep.W, sep.H, sep.labels,
                                                  (drum_source, 1 - drum_source), item.sr)
        policy = sep.config.policy
        notes = int(bass_note_components(sep.W, sep.labels, 1 - drum_source, item.sr,
                                         policy).sum())
        shares = sep.regroup(grouping="auto", policy=replace(policy, bass_notes_hz=(0.0, 0.0)))
        outputs[SHARES_ALWAYS] = shares.sources
        outputs[RULE] = outputs[WITHOUT] if low_other >= low_drums else shares.sources
    truth = item.names.index(DRUMS) if DRUMS in item.names else None
    every, drums = {}, {}
    for method, sources in outputs.items():
        sdr = evaluate(item.sources, sources).sdr
        every[method] = sdr.tolist()
        if truth is not None:
            drums[method] = float(sdr[truth])
    return Row(item.name, gain_group(item), drum_source is not None,
               float(sep.context.percussive_share), energy_share, float(low_drums),
               float(low_other), notes, every, drums)


def summary(rows: Iterable[Row]) -> list[str]:
    """Median SDR over every source of each group's items, per method, worst first.

    A method that did not run on an item (no drums heard) counts ``auto``'s sources there:
    the three are the same separation when no drums are heard.
    """
    groups: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        scores = groups.setdefault(row.group, {m: [] for m in METHODS})
        for method in METHODS:
            scores[method].extend(row.every.get(method, row.every[AS_IS]))
    return median_table(groups, METHODS)


def rendered_items(categories: Iterable[str], half: str, items: int,
                   duration: float) -> list[Item]:
    """The half's items of every category, as rendered and, with drums, at every drum gain."""
    out = []
    for category in categories:
        for index in select(range(items), half):
            item = build(category, index, duration)
            gains = GAINS if DRUMS in item.names else (1.0,)
            out += [with_drum_gain(item, gain) for gain in gains]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = study_parser("python -m benchmarks.quality.shares_beside_drums", __doc__, CATEGORIES)
    parser.add_argument("--no-real", action="store_true", help="leave the real recordings out")
    args = parser.parse_args(argv)
    items = rendered_items(filter(None, args.categories.split(",")), args.half, args.items,
                           args.duration)
    if not args.no_real:
        from .real import items_or_say

        items += items_or_say(list(REAL_CATEGORIES))
    print("Median SDR over the item's sources (dB); in brackets the drums' SDR.\n")
    print(HEADER)
    rows = []
    for item in items:
        rows.append(regrouped(item))
        print(rows[-1].line(), flush=True)
    print("\nMedian SDR over every source of the category's items (dB), worst first.\n")
    print("\n".join(summary(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
