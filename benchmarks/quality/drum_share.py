"""How many of a factorization's components ``auto`` gives the drums, against the oracle.

A diagnosis, not a method: for every item with a source named ``drums``, nmfsep's
factorization (defaults, one run, so that ``auto`` and the oracle group the same
components) is grouped by ``auto`` and by the oracle
(:func:`benchmarks.quality.methods.oracle_labels`: each component to the true source
whose power its soft mask captures most of).  For each item it prints the drum stem's
level against the mixture, the share of the spectrogram that the HPSS percussive mask
holds (what ``auto`` reads to decide that drums are heard) and whether it heard them, and
for ``auto`` and the oracle: the components given to the drums (for ``auto`` without drums
heard, those of the source that matches them best), their share of the model's energy,
and the drums' SDR.

    python -m benchmarks.quality.drum_share --real
    python -m benchmarks.quality.drum_share --categories drums+guitar,band-4 --items 0,2
    python -m benchmarks.quality.drum_share --categories drums+guitar --drum-gain 0.1

``--drum-gain`` scales the rendered items' drums (the mixture re-summed), to see the
rendered categories at the drum levels of real mixes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace

import numpy as np

import nmfsep
from nmfsep.metrics import evaluate

from ..arguments import positive_float
from .generate import Item, build
from .methods import oracle_labels

DRUMS = "drums"


@dataclass(frozen=True)
class DrumShare:
    """One item's drums as ``auto`` and the oracle group them."""

    item: str
    drums_heard: bool
    level_db: float
    percussive_share: float
    auto_components: int
    auto_energy: float
    auto_sdr: float
    oracle_components: int
    oracle_energy: float
    oracle_sdr: float
    n_components: int

    def row(self) -> str:
        """The item as a row of :data:`HEADER`'s table."""
        return (f"| {self.item} | {self.level_db:.1f} | {self.percussive_share:.2f} | "
                f"{'yes' if self.drums_heard else 'no'} | "
                f"{self.auto_components} of {self.n_components} | {self.auto_energy:.2f} | "
                f"{self.auto_sdr:.1f} | {self.oracle_components} | {self.oracle_energy:.2f} | "
                f"{self.oracle_sdr:.1f} |")


HEADER = ("| item | drums' level, dB | HPSS percussive share | drums heard | `auto`: drum "
          "components | their energy share | drums' SDR | oracle: drum components | their "
          "energy share | drums' SDR |\n|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")


def _energy_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(np.square(x, dtype=np.float64)) + 1e-20))


def drum_share(item: Item) -> DrumShare:
    """Measure one item (it must have a source named ``drums``).

    Raises
    ------
    ValueError
        If the item has no ``drums`` source.
    """
    if DRUMS not in item.names:
        raise ValueError(f"{item.name}: no source named {DRUMS!r} among {item.names}")
    truth = item.names.index(DRUMS)
    sep = nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names), n_runs=1)
    scores = evaluate(item.sources, sep.sources, permute=True)
    decision = sep.decision
    heard = decision is not None and decision.drum_source is not None
    # the source auto made for the drums; when it heard none, the one that matches them best
    auto_drums = decision.drum_source if heard else int(scores.permutation[truth])
    energy = sep.W.sum(axis=0, dtype=np.float64) * sep.H.sum(axis=1, dtype=np.float64)
    energy /= energy.sum()
    oracle = oracle_labels(sep.W, sep.H, item.sources, sep.stft)
    oracle_sources = sep.regroup(labels=oracle).sources
    auto_sdr = float(evaluate(item.sources[truth:truth + 1],
                              sep.sources[auto_drums:auto_drums + 1]).sdr[0])
    return DrumShare(
        item=item.name,
        drums_heard=heard,
        level_db=_energy_db(item.sources[truth]) - _energy_db(item.mixture),
        percussive_share=(float("nan") if sep.context is None
                          else float(sep.context.percussive_share)),
        auto_components=int(np.sum(sep.labels == auto_drums)),
        auto_energy=float(energy[sep.labels == auto_drums].sum()),
        auto_sdr=auto_sdr,
        oracle_components=int(np.sum(oracle == truth)),
        oracle_energy=float(energy[oracle == truth].sum()),
        oracle_sdr=float(evaluate(item.sources[truth:truth + 1],
                                  oracle_sources[truth:truth + 1]).sdr[0]),
        n_components=int(sep.W.shape[1]))


def with_drum_gain(item: Item, gain: float) -> Item:
    """``item`` with its drums scaled by ``gain`` and the mixture re-summed (named ``@gain``)."""
    if gain == 1 or DRUMS not in item.names:
        return item
    sources = item.sources.copy()
    sources[item.names.index(DRUMS)] *= np.float32(gain)
    return replace(item, name=f"{item.name}@{gain:g}", sources=sources,
                   mixture=sources.sum(axis=0))


def gain_group(item: Item) -> str:
    """The item's category, with its drum gain when scaled by :func:`with_drum_gain`."""
    _, _, gain = item.name.partition("@")
    return item.category + (f"@{gain}" if gain else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.drum_share",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", action="store_true",
                        help="the real recordings' drums+rest items (../shared/real-tuning)")
    parser.add_argument("--categories", default="",
                        help="rendered categories (comma-separated) with a drums source")
    parser.add_argument("--items", default="0,2", help="item indices of each rendered category")
    parser.add_argument("--duration", type=positive_float, default=10.0,
                        help="seconds per rendered item")
    parser.add_argument("--drum-gain", default="1",
                        help="gains (comma-separated) of the rendered items' drums")
    args = parser.parse_args(argv)
    items: list[Item] = []
    if args.real:
        from .real import items_or_say

        items += items_or_say(["real:drums+rest"])
    for category in filter(None, args.categories.split(",")):
        for index in args.items.split(","):
            item = build(category, int(index), args.duration)
            items += [with_drum_gain(item, float(g)) for g in args.drum_gain.split(",")]
    print(HEADER)
    for item in items:
        if DRUMS not in item.names:
            print(f"{item.name}: skipped, no source named {DRUMS!r}", file=sys.stderr)
            continue
        print(drum_share(item).row(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
