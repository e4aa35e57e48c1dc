"""Does another measure of the percussive part tell drums from pitched-only music better?

A diagnosis for issues 24 and 31, not a method.  ``auto`` hears drums when the
HPSS percussive mask holds at least ``Policy.drums_share`` of the magnitude
spectrogram (:attr:`nmfsep.grouping.GroupingContext.percussive_share`); quiet kits
fall below it.  This computes that share and two reweightings of the same mask
for one half (the tuning half, items 0, 2, 4, 6, unless ``--half reporting``) of
every rendered category, the ones with
a ``drums`` source also with their drums scaled by 0.3 and 0.1 (real drum levels,
:func:`benchmarks.quality.drum_share.with_drum_gain`), and for the real
recordings of ``real:drums+rest`` (only to reject).  A measure serves when every
recording with drums scores above every pitched-only one; the table gives, per
measure and drum gain, the lowest score with drums, the highest without, and how
many recordings with drums score at or below that highest.

    python -m benchmarks.quality.drums_heard
    python -m benchmarks.quality.drums_heard --half reporting
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import numpy as np

from nmfsep.config import SeparationConfig
from nmfsep.grouping import GroupingContext
from nmfsep.recording import ArrayRecording, Frames, unit_spectrogram

from ..arguments import positive_float
from . import real
from .drum_share import DRUMS, with_drum_gain
from .generate import CATEGORIES, Item, build
from .halves import select

#: Categories of pitched instruments alone (every other one has a drum part).
PITCHED_ONLY = ("piano+voice", "chorale")
#: The band above which ``above 4 kHz`` measures (cymbals and hi-hats live there).
HIGH_HZ = 4000.0
GAINS = (1.0, 0.3, 0.1)


def _whole(V: np.ndarray, P: np.ndarray, freqs: np.ndarray) -> float:
    return float(np.vdot(V, P) / max(float(V.sum(dtype=np.float64)), 1e-30))


def _above(V: np.ndarray, P: np.ndarray, freqs: np.ndarray) -> float:
    high = freqs > HIGH_HZ
    return _whole(V[high], P[high], freqs[high])


def _root(V: np.ndarray, P: np.ndarray, freqs: np.ndarray) -> float:
    return _whole(np.sqrt(V), P, freqs)


#: Each measure: the percussive mask's share of the spectrogram, weighted as it says.
MEASURES: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], float]] = {
    "whole spectrogram (auto's)": _whole,
    f"above {HIGH_HZ / 1000:g} kHz": _above,
    "square root of the magnitude": _root,
}


def pitched_only(category: str) -> bool:
    """Whether a rendered category has no drum part."""
    return category.split("-")[0] in PITCHED_ONLY


def item_measures(item: Item) -> dict[str, float]:
    """Every measure of :data:`MEASURES` for one item, on ``auto``'s spectrogram and mask
    (the default plan's STFT, the spectrogram scaled as the pipeline scales it)."""
    recording = ArrayRecording(item.mixture, item.sr)
    config = SeparationConfig().resolve(sr=item.sr, n_samples=recording.n_samples).stft
    V, _ = unit_spectrogram(Frames(recording, config, hold=True))
    context = GroupingContext(sr=item.sr, V=V, hop=config.hop)
    freqs = np.linspace(0.0, item.sr / 2, V.shape[0])
    return {name: measure(V, context.percussive, freqs) for name, measure in MEASURES.items()}


def collect(duration: float, real_folder: str | None, half: str = "tuning",
            items: int = 8) -> list[dict]:
    """One record per recording of ``half``: category, item, drum gain, with drums or not,
    measures; and the real recordings."""
    records = []
    for category in CATEGORIES:
        for index in select(range(items), half):
            item = build(category, index, duration)
            gains = GAINS if DRUMS in item.names else (1.0,)
            for gain in gains:
                scaled = item if gain == 1 else with_drum_gain(item, gain)
                records.append(dict(category=category, item=item.name, gain=gain,
                                    drums=not pitched_only(category),
                                    **item_measures(scaled)))
                print(f"{item.name} x{gain:g}", file=sys.stderr, flush=True)
    try:
        folder = real.locate(real_folder)
    except real.RealFolderMissing as exc:
        print(f"real recordings left out: {exc}", file=sys.stderr)
        return records
    for item in real.build_category("real:drums+rest", folder):
        records.append(dict(category=item.category, item=item.name, gain=1.0, drums=True,
                            **item_measures(item)))
    return records


def table(records: list[dict]) -> list[str]:
    """Per measure and drum gain: lowest with drums, highest without, the overlap."""
    lines = ["| measure | drums | lowest with drums (item) | highest pitched-only (item) | "
             "with drums at or below it |", "|---|---|---|---|---:|"]
    without = [r for r in records if not r["drums"]]
    for name in MEASURES:
        top = max(without, key=lambda r: r[name])
        groups = [(f"rendered x{gain:g}", [r for r in records if r["drums"] and r["gain"] == gain
                                           and not r["category"].startswith("real:")])
                  for gain in GAINS]
        groups.append(("real:drums+rest", [r for r in records
                                           if r["category"].startswith("real:")]))
        for label, chosen in groups:
            if not chosen:
                continue
            low = min(chosen, key=lambda r: r[name])
            below = sum(r[name] <= top[name] for r in chosen)
            lines.append(f"| {name} | {label} | {low[name]:.3f} ({low['item']}) | "
                         f"{top[name]:.3f} ({top['item']}) | {below} of {len(chosen)} |")
    return lines


def gap_threshold(records: list[dict], gain: float = 0.3,
                  measure: str = "whole spectrogram (auto's)") -> float | None:
    """The midpoint between the highest pitched-only score and the lowest rendered score
    with drums at ``gain``; None when they overlap."""
    top = max(r[measure] for r in records if not r["drums"])
    low = min(r[measure] for r in records if r["drums"] and r["gain"] == gain
              and not r["category"].startswith("real:"))
    return (top + low) / 2 if low > top else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.drums_heard",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=positive_float, default=10.0, help="seconds per item")
    parser.add_argument("--real-dir", default=None, help="the real recordings' folder")
    parser.add_argument("--half", choices=("tuning", "reporting"), default="tuning",
                        help="the rendered items measured (the reporting half only checks)")
    args = parser.parse_args(argv)
    records = collect(args.duration, args.real_dir, args.half)
    print("\n".join(table(records)))
    threshold = gap_threshold(records)
    print("\nauto's share: the midpoint of its gap between pitched-only recordings and drums "
          "scaled by 0.3: " + ("none (they overlap)" if threshold is None
                               else f"{threshold:.3f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
