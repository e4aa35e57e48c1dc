"""Choosing among candidate groupings of one factorization by a criterion (a study, issue 24).

Issue 24 suggests that ``auto`` choose among candidate groupings (several strategies) by a
criterion computed from the factorization, rather than by rules.  This study measures
what such a choice could gain and what four criteria give.  Each item is separated once
with nmfsep's defaults (the regroup harness's cache, :func:`benchmarks.quality.regroup.
cached_separation`) and regrouped by every strategy of :data:`CANDIDATES` (``auto``, then
the fixed ones, each with the experts the policy gives it).  Per category it prints the
median SDR over every source of its items for

- each candidate alone;
- the best candidate of each item (by the item's median SDR, from the true stems): what a
  perfect choice among the candidates would give, an oracle;
- the candidate that each criterion of :func:`criteria` ranks first (the lowest value),
  computed from the first run's factors and the candidate's labels alone.

The criteria measure how far apart the candidate's sources are, on the NMF model of each
source (``W[:, g] @ H[g]``): the time-frequency overlap of every pair of sources over the
whole model, the same over the smaller source of the pair, the correlation of the
sources' log energy over time, and the cosine similarity of their long-term spectra.

Items: one half of every category asked for (``halves.select``) and the real
recordings' two-source and four-source band categories (all items: they reject, they do
not fit).

    python -m benchmarks.quality.strategy_choice --half tuning
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

import nmfsep
from nmfsep.metrics import evaluate

from .generate import Item, build
from .halves import median_table, select, study_parser

CATEGORIES = ("electronic-3", "electronic-3+fx", "band-4", "bass+drums+piano", "drums+rest",
              "drums+guitar", "piano+voice", "chorale")
REAL_CATEGORIES = ("real:drums+rest", "real:drums+bass+other+vocals",
                   "real:vocals+accompaniment")
#: ``auto`` first: the defaults' own grouping.
CANDIDATES = ("auto", "percussive", "timbre+time", "timbre", "mfcc+drums", "learned",
              "spectral")
CRITERIA = ("overlap", "overlap of the smaller", "envelope correlation",
            "spectral similarity")
BEST = "best per item (oracle)"


def source_models(W: np.ndarray, H: np.ndarray, labels: np.ndarray,
                  n_sources: int) -> list[np.ndarray]:
    """Each source's NMF model ``W[:, g] @ H[g]`` (float64), ``g`` its components."""
    W64, H64 = W.astype(np.float64), H.astype(np.float64)
    return [W64[:, labels == s] @ H64[labels == s] for s in range(n_sources)]


def criteria(W: np.ndarray, H: np.ndarray, labels: np.ndarray,
             n_sources: int) -> dict[str, float]:
    """How far apart the sources of a grouping are, four ways; lower is further apart.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    labels : np.ndarray of int, shape=(K,)
        The source of each component.
    n_sources : int

    Returns
    -------
    dict
        Over every pair of sources ``(i, j)`` with models ``S_i`` and ``S_j``
        (:func:`source_models`): ``overlap``, the sum of ``sum(min(S_i, S_j))``
        over the model's total; ``overlap of the smaller``, the mean of
        ``sum(min(S_i, S_j)) / min(sum(S_i), sum(S_j))``; ``envelope
        correlation``, the mean Pearson correlation of the sources' log
        energies per frame (1 where one is constant); ``spectral
        similarity``, the mean cosine similarity of their long-term spectra.
        An empty source has a model of zeros.
    """
    models = source_models(W, H, labels, n_sources)
    energy = np.array([m.sum() for m in models])
    total = float(energy.sum()) or 1.0
    floor = 1e-9 * total
    overlap, smaller, envelopes, spectra = [], [], [], []
    for i in range(n_sources):
        for j in range(i + 1, n_sources):
            common = float(np.minimum(models[i], models[j]).sum())
            overlap.append(common / total)
            smaller.append(common / max(min(energy[i], energy[j]), floor))
            a = np.log(models[i].sum(axis=0) + floor)
            b = np.log(models[j].sum(axis=0) + floor)
            envelopes.append(float(np.corrcoef(a, b)[0, 1])
                             if np.ptp(a) > 0 and np.ptp(b) > 0 else 1.0)
            x, y = models[i].sum(axis=1), models[j].sum(axis=1)
            spectra.append(float(x @ y) / max(float(np.linalg.norm(x) * np.linalg.norm(y)),
                                              floor))
    return {"overlap": float(np.sum(overlap)), "overlap of the smaller": float(np.mean(smaller)),
            "envelope correlation": float(np.mean(envelopes)),
            "spectral similarity": float(np.mean(spectra))}


class Row(NamedTuple):
    """One item: every candidate's SDR per source and its criteria."""

    item: str
    category: str
    sdr: dict[str, list[float]]
    measures: dict[str, dict[str, float]]

    def best(self) -> str:
        """The candidate with the highest median SDR over the item's sources."""
        return max(self.sdr, key=lambda c: float(np.median(self.sdr[c])))

    def chosen(self, criterion: str) -> str:
        """The candidate that ``criterion`` ranks first (lowest; the first of a tie)."""
        return min(self.measures, key=lambda c: self.measures[c][criterion])


def candidates(item: Item, separation: nmfsep.Separation,
               strategies: Sequence[str] = CANDIDATES) -> Row:
    """``separation`` of ``item`` regrouped by every strategy, scored and measured.

    Parameters
    ----------
    item : Item
        With its true sources.
    separation : Separation
        nmfsep's separation of the item into its sources.
    strategies : sequence of str
        Strategy names for :meth:`nmfsep.Separation.regroup`.

    Returns
    -------
    Row
    """
    n_sources = len(item.names)
    sdr, measures = {}, {}
    for strategy in strategies:
        regrouped = separation.regroup(grouping=strategy)
        sdr[strategy] = evaluate(item.sources, regrouped.sources).sdr.tolist()
        measures[strategy] = criteria(regrouped.W, regrouped.H, np.asarray(regrouped.labels),
                                      n_sources)
    return Row(item.name, item.category, sdr, measures)


def summary(rows: Iterable[Row]) -> list[str]:
    """Median SDR over every source of each category's items: each candidate, the best of
    each item, and the candidate each criterion chooses; ``auto``'s lowest first."""
    methods = (*CANDIDATES, BEST, *(f"by {c}" for c in CRITERIA))
    groups: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        scores = groups.setdefault(row.category, {m: [] for m in methods})
        for strategy, values in row.sdr.items():
            scores[strategy].extend(values)
        scores[BEST].extend(row.sdr[row.best()])
        for criterion in CRITERIA:
            scores[f"by {criterion}"].extend(row.sdr[row.chosen(criterion)])
    return median_table(groups, methods)


def main(argv: list[str] | None = None) -> int:
    from .regroup import REAL_SET, cached_separation

    parser = study_parser("python -m benchmarks.quality.strategy_choice", __doc__, CATEGORIES)
    parser.add_argument("--no-real", action="store_true", help="leave the real recordings out")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # the items' clipping and memory notes
    jobs: list[tuple[Item, str | None]] = [
        (build(category, index, args.duration), None)
        for category in filter(None, args.categories.split(","))
        for index in select(range(args.items), args.half)]
    if not args.no_real:
        from .real import items_or_say

        jobs += [(item, REAL_SET) for item in items_or_say(list(REAL_CATEGORIES))]
    print("| item | " + " | ".join(CANDIDATES) + " | best | "
          + " | ".join(f"by {c}" for c in CRITERIA) + " |")
    print("|---|" + "---:|" * len(CANDIDATES) + "---|" + "---|" * len(CRITERIA))
    rows = []
    for item, cache_tag in jobs:
        rows.append(candidates(item, cached_separation(item, cache_tag)))
        row = rows[-1]
        print(f"| {row.item} | " + " | ".join(f"{np.median(row.sdr[c]):.2f}" for c in CANDIDATES)
              + f" | {row.best()} | " + " | ".join(row.chosen(c) for c in CRITERIA) + " |",
              flush=True)
    print("\nMedian SDR over every source of the category's items (dB), `auto`'s lowest "
          "first.\n")
    print("\n".join(summary(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
