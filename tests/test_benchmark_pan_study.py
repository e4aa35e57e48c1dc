"""The pan study (benchmarks/quality/pan_study.py): component pans and the refinement."""

from __future__ import annotations

import numpy as np
import pytest

import nmfsep
from benchmarks.quality.methods import oracle_labels
from benchmarks.quality.pan_study import component_pans, pan_ratio, refine_by_pan


def test_a_components_pan_is_its_share_of_the_right_channel_against_the_left(rng):
    bins, frames = 6, 40
    W = np.zeros((bins, 2))
    W[:3, 0], W[3:, 1] = rng.random(3) + 0.5, rng.random(3) + 0.5  # apart in frequency
    H = rng.random((2, frames)) + 0.1
    parts = [np.outer(W[:, k], H[k]) for k in range(2)]
    gains = np.array([[0.9, 0.3], [0.2, 0.8]])  # (component, channel): left, right
    X = np.stack([sum(g * p for g, p in zip(gains[:, c], parts, strict=True))
                  for c in range(2)]).astype(np.complex64)
    expected = (gains[:, 1] - gains[:, 0]) / gains.sum(axis=1)
    np.testing.assert_allclose(component_pans(W, H, X), expected, rtol=1e-5)


def test_component_pans_need_two_channels(rng):
    with pytest.raises(ValueError, match="two channels"):
        component_pans(rng.random((4, 2)), rng.random((2, 5)), np.ones((1, 4, 5)))


def test_the_guitars_components_sit_where_the_example_pans_the_guitar():
    example = nmfsep.synth.drums_and_guitar(duration=6.0, seed=2, stereo=True)
    sep = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_runs=1)
    pans = component_pans(sep.W, sep.H, sep.frames.X)
    truth = oracle_labels(sep.W, sep.H, example.sources, sep.stft)
    guitar = truth == example.names.index("guitar")
    energy = sep.W.sum(axis=0) * sep.H.sum(axis=1)
    left, right = 0.65, 0.45  # the example's guitar gains (nmfsep.synth.drums_and_guitar)
    mean = np.average(pans[guitar], weights=energy[guitar])
    assert mean == pytest.approx((right - left) / (right + left), abs=0.03)
    drums = ~guitar  # the hi-hat leans right, the kick and snare are in the centre
    assert np.average(pans[drums], weights=energy[drums]) > mean + 0.1


def test_pan_ratio_is_the_distance_of_the_means_over_the_pooled_spread():
    pans = np.array([-0.6, -0.4, 0.3, 0.5])
    energy = np.ones(4)
    ratio, m1, m2 = pan_ratio(pans, energy, np.array([1, 1, 0, 0], bool),
                              np.array([0, 0, 1, 1], bool))
    assert (m1, m2) == pytest.approx((-0.5, 0.4))
    assert ratio == pytest.approx(0.9 / 0.1)


def test_refinement_moves_a_component_to_the_source_that_sits_where_it_does():
    pans = np.array([-0.7, -0.6, -0.5, 0.5, 0.6, -0.65, 0.0, 0.1])
    energy = np.array([1, 1, 1, 1, 1, 0.2, 1, 1], dtype=float)
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2])  # component 5 sits with source 0
    refined = refine_by_pan(labels, pans, energy, min_ratio=2.0, fixed=2)
    assert refined.tolist() == [0, 0, 0, 1, 1, 0, 2, 2]
    # below the ratio nothing moves, and the fixed source (the drums) is never touched
    assert refine_by_pan(labels, pans, energy, min_ratio=100.0, fixed=2).tolist() == \
        labels.tolist()
    assert (refine_by_pan(labels, pans, energy, min_ratio=2.0, fixed=1)[3:6] == 1).all()
