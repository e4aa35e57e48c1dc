"""A learned drum test for the drum split, fitted at real mixes' drum levels (a study).

``auto`` splits the drums off by two two-means splits (:func:`nmfsep.grouping._drum_components`),
which assume that the drums hold a cluster of the components; with quiet drums, as in real
mixes, they do not (``notes.md``, sixteenth round).  This study replaces that test by a
logistic model of "this component belongs to the drums" on per-component features, some
absolute and some relative to the recording (z-scored within it), fitted on the tuning half
of the rendered categories with drums, each item rendered with its drums as made and
scaled by 0.3 and 0.1 (so that the model sees quiet kits).  The oracle grouping of the same
one-run factorization gives the labels.  The reporting half and the real recordings are
then regrouped by ``auto`` with the learned test in place of the two splits (the same
factorizations, the same mask stage) and scored against ``auto`` as it is, beside the
test's variants (the absolute or the within-recording features alone, a lower probability
threshold) and a cut without a fixed test (:func:`purest_cut`).

    python -m benchmarks.quality.drum_classifier
    python -m benchmarks.quality.drum_classifier --categories drums+guitar --items 4
    python -m benchmarks.quality.drum_classifier --drums-share 0.188

``--drums-share`` adds a column: the split as it is, with ``auto`` hearing drums from
that percussive share instead of ``Policy.drums_share`` (``notes.md``, nineteenth round).

The real recordings are used to reject, never to fit; without ``../shared/real-tuning`` the
study says so and runs the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import NamedTuple
from unittest import mock

import numpy as np

import nmfsep
from nmfsep import grouping
from nmfsep.features import component_features, low_frequency_ratio, tonalness
from nmfsep.metrics import evaluate
from nmfsep.policy import DEFAULT_POLICY, Policy

from ..arguments import positive_float, positive_int
from .drum_share import DRUMS, gain_group, with_drum_gain
from .generate import Item, build
from .grouping_affinity import fit
from .halves import select
from .methods import oracle_labels

CATEGORIES = ("drums+guitar", "bass+drums+piano", "band-4", "electronic-3")
REAL_CATEGORIES = ("real:drums+rest", "real:drums+bass+other+vocals")
GAINS = (1.0, 0.3, 0.1)
FEATURES = ("percussiveness", "spikiness", "tonalness", "low-frequency ratio",
            "percussiveness (z)", "spikiness (z)", "tonalness (z)", "log energy share")
ALL = tuple(range(len(FEATURES)))
#: The absolute features alone, and those relative to the recording (with the low ratio).
ABSOLUTE, RELATIVE = (0, 1, 2, 3), (4, 5, 6, 3, 7)


class DrumModel(NamedTuple):
    """A fitted logistic drum test: its feature columns, weights and standardization."""

    columns: tuple[int, ...]
    coef: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    bias: float


def drum_features(W: np.ndarray, H: np.ndarray, context) -> np.ndarray:
    """shape=(K, len(FEATURES)): each component's drum features (``context``: its grouping).

    The library's :func:`nmfsep.features.component_features` (percussiveness,
    spikiness, energy share), tonalness and the low-frequency ratio at the policy's
    bass band, and the first three z-scored within the recording.
    """
    policy = context.policy
    shared = component_features(W, H, context.sr, context.percussive,
                                context.filter_lengths.spike_frames)
    absolute = np.column_stack([shared["percussiveness"], shared["spikiness"],
                                tonalness(W, context.sr, policy.tonalness_median_hz)])
    return np.column_stack([absolute, low_frequency_ratio(W, context.sr, policy.bass_band_hz),
                            grouping._zscore(absolute),
                            np.log(shared["energy"] * len(shared["energy"]))])


def factorize(items: list[Item]) -> list[tuple[Item, object, np.ndarray]]:
    """Each item's one-run separation and its oracle labels."""
    out = []
    for item in items:
        sep = nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names), n_runs=1)
        out.append((item, sep, oracle_labels(sep.W, sep.H, item.sources, sep.stft)))
        print(f"  factorized {item.name}", file=sys.stderr, flush=True)
    return out


def fit_drum_model(cases, columns: Sequence[int] = ALL) -> DrumModel:
    """Weighted logistic model of "oracle drum component" on the features ``columns``.

    Each category and gain weigh the same.
    """
    per_group: dict[str, int] = {}
    for item, _, _ in cases:
        per_group[gain_group(item)] = per_group.get(gain_group(item), 0) + 1
    X, y, w = [], [], []
    for item, sep, oracle in cases:
        features = drum_features(sep.W, sep.H, sep.context)[:, columns]
        X.append(features)
        y.append((oracle == item.names.index(DRUMS)).astype(float))
        w.append(np.full(len(features), 1.0 / (len(features) * per_group[gain_group(item)])))
    return DrumModel(tuple(columns), *fit(np.vstack(X), np.concatenate(y), np.concatenate(w)))


def learned_drum_test(model: DrumModel, threshold: float = 0.5) -> Callable:
    """A stand-in for :func:`nmfsep.grouping._drum_components`: probability above ``threshold``."""
    def drums(W, H, context, settle):  # noqa: ARG001 - the signature it replaces
        features = drum_features(W, H, context)[:, model.columns]
        p = 1 / (1 + np.exp(-(((features - model.mean) / model.std) @ model.coef + model.bias)))
        chosen = p > threshold
        chosen[np.argmax(p)] = True  # drums are heard: at least one component is theirs
        return chosen
    return drums


def purest_cut(weighted: bool) -> Callable:
    """A stand-in for the drum split without a fixed test: the cut of greatest purity.

    The components ranked by percussiveness, the drums are the top ``m``, with ``m``
    the one that makes the drum group's model as percussive and the rest's as harmonic
    as they can be: the largest difference of their mean percussiveness (weighted by
    the components' energy when ``weighted``).
    """
    def drums(W, H, context, settle):  # noqa: ARG001 - the signature it replaces
        features = drum_features(W, H, context)
        perc = features[:, 0]
        weight = np.exp(features[:, -1]) if weighted else np.ones(len(perc))
        order = np.argsort(-perc)
        contrast = [np.average(perc[order[:m]], weights=weight[order[:m]])
                    - np.average(perc[order[m:]], weights=weight[order[m:]])
                    for m in range(1, len(perc))]
        chosen = np.zeros(len(perc), dtype=bool)
        chosen[order[:1 + int(np.argmax(contrast))]] = True
        return chosen
    return drums


def score(cases, drum_test: Callable | None, policy: Policy | None = None
          ) -> dict[str, tuple[list[float], list[float]]]:
    """Per category: every source's SDR and the drums' SDR of ``auto`` with ``drum_test``
    (and ``policy``, else the separation's)."""
    rows: dict[str, tuple[list[float], list[float]]] = {}
    patch = (mock.patch.object(grouping, "_drum_components", drum_test) if drum_test
             else contextlib.nullcontext())
    with patch:
        for item, sep, _ in cases:
            regrouped = sep.regroup(grouping="auto", policy=policy)
            sdr = evaluate(item.sources, regrouped.sources, permute=True).sdr
            every, drums = rows.setdefault(gain_group(item), ([], []))
            every.extend(sdr.tolist())
            drums.append(float(sdr[item.names.index(DRUMS)]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.drum_classifier",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--categories", default=",".join(CATEGORIES))
    parser.add_argument("--items", type=positive_int, default=8,
                        help="items per category (both halves)")
    parser.add_argument("--duration", type=positive_float, default=10.0, help="seconds per item")
    parser.add_argument("--drums-share", type=float, default=None,
                        help="also the split as it is with auto hearing drums from this "
                             "percussive share (Policy.drums_share; python -m "
                             "benchmarks.quality.drums_heard gives its tuning-half gap)")
    args = parser.parse_args(argv)
    halves: dict[str, list[Item]] = {"tuning": [], "reporting": []}
    for half, items in halves.items():
        for category in args.categories.split(","):
            for index in select(range(args.items), half):
                item = build(category, index, args.duration)
                items += [with_drum_gain(item, gain) for gain in GAINS]
    from .real import items_or_say

    real = items_or_say(list(REAL_CATEGORIES))
    tuning = factorize(halves["tuning"])
    models = {name: fit_drum_model(tuning, columns)
              for name, columns in (("learned", ALL), ("absolute features", ABSOLUTE),
                                    ("relative features", RELATIVE))}
    full = models["learned"]
    print("Learned drum test (standardized features): "
          + ", ".join(f"{FEATURES[c]} {w:+.2f}" for c, w in zip(full.columns, full.coef,
                                                                 strict=True))
          + f"; bias {full.bias:+.2f}\n")
    tests = {"learned": learned_drum_test(full),
             "absolute features": learned_drum_test(models["absolute features"]),
             "relative features": learned_drum_test(models["relative features"]),
             "learned, p > 0.3": learned_drum_test(full, threshold=0.3),
             "purest cut, weighted": purest_cut(weighted=True),
             "purest cut, unweighted": purest_cut(weighted=False)}
    cases = factorize(halves["reporting"]) + factorize(real)
    rows = {"as it is": score(cases, None)}
    if args.drums_share is not None:
        heard = replace(DEFAULT_POLICY, drums_share=args.drums_share)
        rows[f"as it is, drums heard from {args.drums_share:g}"] = score(cases, None, heard)
    rows.update((name, score(cases, test)) for name, test in tests.items())
    print("Median SDR over every source (dB); in brackets the drums' median SDR.\n")
    print("| category (reporting half; real: all) | " + " | ".join(rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for group in sorted(rows["as it is"]):
        print(f"| {group} | " + " | ".join(
            f"{np.median(r[group][0]):.2f} ({np.median(r[group][1]):.1f})" for r in rows.values())
            + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
