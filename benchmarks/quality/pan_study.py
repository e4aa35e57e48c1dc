"""Where each component sits between the loudspeakers, a second opinion on grouping (a study).

nmfsep factorizes the channels' summed spectrogram, so a stereo mix's panning is lost to
the grouping.  This study measures what it could give back.  Each component's **pan** is
read from the mixture's channels: its Wiener share ``W_k H_k / WH`` of each channel's
magnitude spectrogram, summed, as ``(right - left) / (right + left)`` (-1 left, +1 right;
:func:`component_pans`).  ``auto``'s grouping is then **refined by pan**
(:func:`refine_by_pan`): for each pair of sources whose pans stand apart (the distance
between their energy-weighted mean pans over their pooled spread, a Fisher ratio, above
``--ratios``), taken from the farthest apart, every component of the two goes to the one
whose mean pan is nearer; the drum source of a drum split is left as it is (drums are
spread across the stereo image: kick and snare in the centre, cymbals to the sides).

Every grouping is scored with the masks of the factorization alone (``Separation.regroup
(labels=...)``), one run (so that ``auto``, the refinements and the oracle group the same
components), beside the oracle grouping (:func:`benchmarks.quality.methods.oracle_labels`);
median SDR over every source of the half's items of each category.

    python -m benchmarks.quality.pan_study --half tuning
    python -m benchmarks.quality.pan_study --half tuning --categories piano+voice-stereo --ratios 2
"""

from __future__ import annotations

import sys

import numpy as np

import nmfsep
from nmfsep.metrics import evaluate

from .generate import build
from .halves import select, study_parser
from .methods import oracle_labels
from .stereo import BASES

CATEGORIES = tuple(f"{base}-{form}" for form in ("stereo", "mastered") for base in BASES)
RATIOS = (1.0, 1.5, 2.0, 3.0)


def component_pans(W: np.ndarray, H: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Each component's pan: its Wiener share of the right channel against the left.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    X : np.ndarray, shape=(2, bins, frames)
        The mixture's STFT, left and right channels.

    Returns
    -------
    np.ndarray, shape=(K,), in [-1, 1]
        ``(right - left) / (right + left)`` of the magnitude each component's share
        ``W_k H_k / WH`` takes from each channel.

    Raises
    ------
    ValueError
        Unless ``X`` holds two channels.
    """
    if X.ndim != 3 or X.shape[0] != 2:
        raise ValueError(f"two channels needed, the STFT has shape {X.shape}")
    W, H = np.asarray(W, dtype=np.float64), np.asarray(H, dtype=np.float64)
    inverse = 1.0 / np.maximum(W @ H, np.finfo(np.float64).tiny)
    left, right = (np.einsum("fk,kt,ft->k", W, H, np.abs(channel) * inverse)
                   for channel in X)
    return (right - left) / np.maximum(right + left, np.finfo(np.float64).tiny)


def pan_ratio(pans: np.ndarray, energy: np.ndarray, first: np.ndarray,
              second: np.ndarray) -> tuple[float, float, float]:
    """How far apart two groups of components sit: their mean pans and a Fisher ratio.

    Returns
    -------
    ratio : float
        ``|m1 - m2| / sqrt((s1**2 + s2**2) / 2)``, with each group's energy-weighted
        mean ``m`` and standard deviation ``s`` of its components' pans.
    m1, m2 : float
    """
    stats = []
    for members in (first, second):
        mean = float(np.average(pans[members], weights=energy[members]))
        spread = float(np.average((pans[members] - mean) ** 2, weights=energy[members]))
        stats.append((mean, spread))
    (m1, v1), (m2, v2) = stats
    pooled = np.sqrt((v1 + v2) / 2)
    return (abs(m1 - m2) / pooled if pooled > 0 else np.inf), m1, m2


def refine_by_pan(labels: np.ndarray, pans: np.ndarray, energy: np.ndarray,
                  min_ratio: float, fixed: int | None = None) -> np.ndarray:
    """``labels`` with the components of sources that stand apart regrouped by pan.

    Parameters
    ----------
    labels : np.ndarray, shape=(K,)
        Every source has a component.
    pans : np.ndarray, shape=(K,)
        :func:`component_pans`.
    energy : np.ndarray, shape=(K,)
        Each component's weight in its source's mean pan.
    min_ratio : float
        The pairs of sources whose :func:`pan_ratio` exceeds it are refined, farthest
        apart first; a pair that would leave a source empty is skipped.
    fixed : int, optional
        A source left out (the drums).

    Returns
    -------
    np.ndarray, shape=(K,)
    """
    labels = np.asarray(labels).copy()
    n_sources = int(labels.max()) + 1
    sources = [j for j in range(n_sources) if j != fixed]
    pairs = []
    for i, a in enumerate(sources):
        for b in sources[i + 1:]:
            ratio, _, _ = pan_ratio(pans, energy, labels == a, labels == b)
            pairs.append((ratio, a, b))
    for ratio, a, b in sorted(pairs, reverse=True):
        if ratio <= min_ratio:
            break
        _, mean_a, mean_b = pan_ratio(pans, energy, labels == a, labels == b)
        members = (labels == a) | (labels == b)
        nearer = np.where(np.abs(pans - mean_a) <= np.abs(pans - mean_b), a, b)
        trial = np.where(members, nearer, labels)
        if (trial == a).any() and (trial == b).any():
            labels = trial
    return labels


def study(category: str, indices: list[int], ratios: tuple[float, ...],
          duration: float) -> dict[str, list[float]]:
    """Every source's SDR (dB) of ``category``'s items, grouped by ``auto``, refined, oracle."""
    scores: dict[str, list[float]] = {"auto": [], "oracle": []}
    scores.update({f"refined, ratio > {r:g}": [] for r in ratios})
    for index in indices:
        item = build(category, index, duration)
        sep = nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names), n_runs=1)
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
