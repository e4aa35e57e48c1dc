"""Where each component sits between the loudspeakers, a second opinion on grouping (a study).

nmfsep factorizes the channels' summed spectrogram, so a stereo mix's panning is lost to
the grouping.  This study measured what it could give back, before ``auto`` used it
(:mod:`nmfsep.panning`, :attr:`nmfsep.policy.Policy.pan_ratio`).  Each component's **pan**
is read from the mixture's channels (:func:`nmfsep.panning.component_pans`); ``auto``'s
grouping without pans (``pan_ratio`` infinite) is then **refined by pan**
(:func:`nmfsep.panning.refine_by_pan`) at each of ``--ratios``; the drum source of a drum
split is left as it is (drums are spread across the stereo image: kick and snare in the
centre, cymbals to the sides).

Every grouping is scored with the masks of the factorization alone (``Separation.regroup
(labels=...)``), one run (so that ``auto``, the refinements and the oracle group the same
components), beside the oracle grouping (:func:`benchmarks.quality.methods.oracle_labels`);
median SDR over every source of the half's items of each category.

    python -m benchmarks.quality.pan_study --half tuning
    python -m benchmarks.quality.pan_study --half tuning --categories piano+voice-stereo --ratios 2
"""

from __future__ import annotations

import math
import sys
from dataclasses import replace

import numpy as np

import nmfsep
from nmfsep.metrics import evaluate
from nmfsep.panning import component_pans, refine_by_pan

from .generate import build
from .halves import select, study_parser
from .methods import oracle_labels
from .stereo import BASES

CATEGORIES = tuple(f"{base}-{form}" for form in ("stereo", "mastered") for base in BASES)
RATIOS = (1.0, 1.5, 2.0, 3.0)
#: ``auto`` as it was before it regrouped by pan (the study's starting point).
WITHOUT_PANS = replace(nmfsep.DEFAULT_POLICY, pan_ratio=math.inf)


def study(category: str, indices: list[int], ratios: tuple[float, ...],
          duration: float) -> dict[str, list[float]]:
    """Every source's SDR (dB) of ``category``'s items, grouped by ``auto``, refined, oracle."""
    scores: dict[str, list[float]] = {"auto": [], "oracle": []}
    scores.update({f"refined, ratio > {r:g}": [] for r in ratios})
    for index in indices:
        item = build(category, index, duration)
        sep = nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names), n_runs=1,
                              policy=WITHOUT_PANS)
        if sep.frames.X is None or sep.frames.X.shape[0] != 2:
            raise ValueError(f"{item.name}: a stereo recording held in memory is needed")
        pans = component_pans(sep.W, sep.H, sep.frames.X)
        energy = sep.W.sum(axis=0, dtype=np.float64) * sep.H.sum(axis=1, dtype=np.float64)
        groupings = {"auto": sep.labels,
                     "oracle": oracle_labels(sep.W, sep.H, item.sources, sep.stft)}
        for ratio in ratios:
            groupings[f"refined, ratio > {ratio:g}"] = refine_by_pan(
                sep.labels, pans, energy, ratio, fixed=sep.decision.drum_source)
        for name, labels in groupings.items():
            scores[name] += evaluate(item.sources, sep.regroup(labels=labels).sources
                                     ).sdr.tolist()
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = study_parser("python -m benchmarks.quality.pan_study", __doc__, CATEGORIES)
    parser.add_argument("--ratios", default=",".join(f"{r:g}" for r in RATIOS),
                        help="Fisher ratios above which two sources are refined by pan")
    args = parser.parse_args(argv)
    ratios = tuple(float(r) for r in args.ratios.split(","))
    rows = []
    for category in filter(None, args.categories.split(",")):
        scores = study(category, list(select(range(args.items), args.half)), ratios,
                       args.duration)
        rows.append((category, {name: float(np.median(v)) for name, v in scores.items()}))
        print(f"{category}: " + ", ".join(f"{k} {v:.2f}" for k, v in rows[-1][1].items()),
              file=sys.stderr, flush=True)
    methods = list(rows[0][1]) if rows else []
    print("| category | " + " | ".join(methods) + " |")
    print("|---|" + "---:|" * len(methods))
    for category, medians in sorted(rows, key=lambda row: row[1]["auto"]):
        print(f"| {category} | " + " | ".join(f"{medians[m]:.2f}" for m in methods) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
