"""The grouping study's learned affinity and selection criteria (benchmarks/quality)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from benchmarks.quality.grouping_affinity import affinity, fit, pair_features
from benchmarks.quality.grouping_select import independence, purity
from benchmarks.quality.grouping_study import half_of
from nmfsep.grouping import GroupingContext, spectral_clusters

SR, BINS, FRAMES, HOP = 22050, 513, 400, 512


def synthetic(seed: int, per_source: int = 4) -> tuple[SimpleNamespace, np.ndarray]:
    """A factorization of a bass line (low harmonic spectra, long notes) and a hi-hat
    (broadband high noise, short hits): the truth of every component is known."""
    rng = np.random.default_rng(seed)
    freqs = np.linspace(0, SR / 2, BINS)
    W, H, truth = [], [], []
    for _ in range(per_source):
        f0 = rng.uniform(40, 110)
        spectrum = sum(np.exp(-0.5 * ((freqs - h * f0) / 6.0) ** 2) / h for h in range(1, 8))
        W.append(spectrum + 1e-4)
        act = np.zeros(FRAMES)
        for start in rng.choice(FRAMES - 40, 4, replace=False):
            act[start:start + 40] += np.exp(-np.arange(40) / 60.0)
        H.append(act + 1e-3)
        truth.append(0)
    for _ in range(per_source):
        spectrum = (freqs > rng.uniform(4000, 7000)) * rng.uniform(0.5, 1.0, BINS)
        W.append(spectrum + 1e-3)
        act = np.zeros(FRAMES)
        hits = rng.choice(FRAMES - 3, 25, replace=False)
        for t in hits:
            act[t:t + 3] += np.array([1.0, 0.3, 0.05])
        H.append(act + 1e-3)
        truth.append(1)
    W, H = np.array(W).T, np.array(H)
    context = GroupingContext(sr=SR, V=W @ H, hop=HOP)
    return SimpleNamespace(W=W, H=H, sr=SR, context=context), np.array(truth)


def test_halves_follow_the_item_index():
    assert [half_of(i) for i in range(4)] == ["tuning", "reporting", "tuning", "reporting"]


def test_learned_affinity_groups_held_out_components_by_source():
    sep, truth = synthetic(0)
    feats = pair_features(sep)
    iu = np.triu_indices(len(truth), 1)
    same = (truth[:, None] == truth[None])[iu].astype(float)
    model = fit(feats[iu], same, np.ones(len(same)))
    held_out, truth2 = synthetic(1)
    a = affinity(pair_features(held_out), model)
    assert np.allclose(a, a.T) and np.all((a >= 0) & (a <= 1))
    labels = spectral_clusters(a, 2, random_state=0)
    assert len(set(labels[truth2 == 0])) == 1 and len(set(labels[truth2 == 1])) == 1
    assert labels[truth2 == 0][0] != labels[truth2 == 1][0]
    # the same-source pairs get a higher affinity than every cross-source pair
    inside = a[truth2[:, None] == truth2[None]]
    across = a[truth2[:, None] != truth2[None]]
    assert inside.min() > across.max()


def test_criteria_prefer_the_true_grouping_to_a_mixed_one():
    sep, truth = synthetic(2)
    mixed = np.arange(len(truth)) % 2  # each group holds half of each source
    assert purity(sep.W, sep.H, truth, 2) > purity(sep.W, sep.H, mixed, 2)
    assert independence(sep.W, sep.H, truth, 2) > independence(sep.W, sep.H, mixed, 2)
