"""A learned same-source affinity between NMF components (issue 24, design b).

For every pair of components of a cached factorization
(:mod:`benchmarks.quality.grouping_study`) eight pair features are computed from W and H
alone: MFCC distance (z-scored within the item), correlation of the log activations,
|Δ log spectral centroid|, |Δ tonalness|, |Δ percussiveness|, |Δ spikiness|, cosine of
the basis spectra and |Δ low-frequency ratio|.  A logistic model of "same oracle source"
is fitted on the tuning half's pairs (every category weighed equally); its probabilities
are the affinity that spectral clustering splits into n sources.  The reporting half
measures it against ``auto`` and the oracle of the same factorization.

    python -m benchmarks.quality.grouping_affinity
"""

from __future__ import annotations

import json
import pickle

import numpy as np

from nmfsep import features as F
from nmfsep.grouping import spectral_clusters
from nmfsep.metrics import evaluate

from .grouping_study import CACHE, half_of

FEATURES = F.PAIR_FEATURES


def pair_features(sep) -> np.ndarray:
    """shape=(K, K, len(FEATURES)): :func:`nmfsep.features.pair_features` of a separation."""
    ctx = sep.context
    return F.pair_features(sep.W, sep.H, sep.sr, ctx.percussive,
                           ctx.filter_lengths.spike_frames)


def fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1e-2,
        n_iter: int = 3000) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Weighted logistic regression by gradient descent on standardized features."""
    mean, std = X.mean(0), X.std(0) + 1e-9
    Z = (X - mean) / std
    coef, bias = np.zeros(Z.shape[1]), 0.0
    w = w / w.sum()
    for _ in range(n_iter):
        p = 1 / (1 + np.exp(-(Z @ coef + bias)))
        g = p - y
        coef -= 0.5 * (Z.T @ (w * g) + l2 * coef)
        bias -= 0.5 * float(np.sum(w * g))
    return coef, mean, std, bias


def affinity(feats: np.ndarray, model) -> np.ndarray:
    coef, mean, std, bias = model
    p = 1 / (1 + np.exp(-(((feats - mean) / std) @ coef + bias)))
    p = (p + p.T) / 2
    np.fill_diagonal(p, 1.0)
    return p


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.grouping_affinity",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fit-only", action="store_true",
                        help="print the fitted Policy fields and stop (no regrouping)")
    args = parser.parse_args(argv)
    records = []
    for path in sorted(CACHE.glob("*.pkl")):
        r = pickle.loads(path.read_bytes())
        records.append(dict(category=r["category"], index=r["index"], sep=r["separation"],
                            sources=r["sources"], oracle=r["oracle"], auto_sdr=r["auto_sdr"],
                            feats=pair_features(r["separation"])))
    X, y, w = [], [], []
    tuning = [r for r in records if half_of(r["index"]) == "tuning"]
    per_cat = {}
    for r in tuning:
        per_cat[r["category"]] = per_cat.get(r["category"], 0) + 1
    for r in tuning:
        K = len(r["oracle"])
        iu = np.triu_indices(K, 1)
        X.append(r["feats"][iu])
        y.append((r["oracle"][:, None] == r["oracle"][None])[iu].astype(float))
        w.append(np.full(len(iu[0]), 1.0 / (per_cat[r["category"]] * len(iu[0]))))
    model = fit(np.concatenate(X), np.concatenate(y), np.concatenate(w))
    weights = dict(zip(FEATURES, np.round(model[0], 3).tolist(), strict=True))
    print("weights (standardized):", weights, "bias", round(model[3], 3))
    print(f"    affinity_weights={tuple(round(float(x), 4) for x in model[0])},\n"
          f"    affinity_offsets={tuple(round(float(x), 4) for x in model[1])},\n"
          f"    affinity_scales={tuple(round(float(x), 4) for x in model[2])},\n"
          f"    affinity_bias={round(float(model[3]), 4)},")
    if args.fit_only:
        return 0
    rows = []
    for r in records:
        labels = spectral_clusters(affinity(r["feats"], model), r["sep"].n_sources,
                                   random_state=0)
        sdr = float(np.median(evaluate(r["sources"], r["sep"].regroup(labels=labels).sources).sdr))
        rows.append(dict(category=r["category"], index=r["index"], affinity=sdr,
                         auto=float(np.median(r["auto_sdr"]))))
    out = CACHE / "affinity.json"
    out.write_text(json.dumps(dict(features=FEATURES, coef=model[0].tolist(),
                                   mean=model[1].tolist(), std=model[2].tolist(),
                                   bias=model[3], rows=rows)))
    for half in ("tuning", "reporting"):
        print(half)
        for cat in sorted({r["category"] for r in rows}):
            rs = [r for r in rows if r["category"] == cat and half_of(r["index"]) == half]
            if rs:
                learned = np.median([r["affinity"] for r in rs])
                print(f"  {cat:32s} n={len(rs)} affinity {learned:6.2f}"
                      f"  auto {np.median([r['auto'] for r in rs]):6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
