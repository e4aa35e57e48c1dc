"""Components' pans and the grouping refined by them (nmfsep.panning, auto in stereo)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from mixtures import SR, three_voices

import nmfsep
from benchmarks.quality.methods import oracle_labels
from nmfsep.errors import MemoryWarning, ParameterError
from nmfsep.panning import component_pans, pan_separation, refine_by_pan
from nmfsep.policy import decide
from nmfsep.recording import ArrayRecording, Frames

WITHOUT_PANS = replace(nmfsep.DEFAULT_POLICY, pan_ratio=math.inf)


def built_channels(rng, gains, frames=40):
    """W, H and a two-channel STFT in which component k has ``gains[k]`` (left, right)."""
    bins = 3 * len(gains)
    W = np.zeros((bins, len(gains)))
    for k in range(len(gains)):  # apart in frequency
        W[3 * k:3 * k + 3, k] = rng.random(3) + 0.5
    H = rng.random((len(gains), frames)) + 0.1
    parts = [np.outer(W[:, k], H[k]) for k in range(len(gains))]
    X = np.stack([sum(g[c] * p for g, p in zip(gains, parts, strict=True))
                  for c in range(2)]).astype(np.complex64)
    return W, H, X


def test_a_components_pan_is_its_share_of_the_right_channel_against_the_left(rng):
    gains = np.array([[0.9, 0.3], [0.2, 0.8], [0.5, 0.5]])
    W, H, X = built_channels(rng, gains)
    expected = (gains[:, 1] - gains[:, 0]) / gains.sum(axis=1)
    np.testing.assert_allclose(component_pans(W, H, X), expected, rtol=1e-5, atol=1e-6)
    # in blocks of frames, and from a function giving the frames, the same
    np.testing.assert_allclose(component_pans(W, H, lambda a, b: X[..., a:b], block=7),
                               expected, rtol=1e-5, atol=1e-6)


def test_a_silent_component_sits_in_the_centre(rng):
    W, H, X = built_channels(rng, np.array([[0.9, 0.3], [0.2, 0.8]]))
    H[1] = 0
    assert component_pans(W, H, X)[1] == 0


def test_component_pans_need_two_channels_that_match_the_factors(rng):
    with pytest.raises(ParameterError, match="two channels"):
        component_pans(rng.random((4, 2)), rng.random((2, 5)), np.ones((1, 4, 5)))
    with pytest.raises(ParameterError, match="4 bins and 5 frames"):
        component_pans(rng.random((4, 2)), rng.random((2, 5)), np.ones((2, 3, 5)))


def test_a_recording_read_block_by_block_gives_the_pans_of_the_held_one(rng):
    y = rng.standard_normal((2, 3 * SR)).astype(np.float32) * np.array([[1.0], [0.3]],
                                                                         dtype=np.float32)
    config = nmfsep.spectral.STFTConfig(n_fft=1024, hop=256)
    held = Frames(ArrayRecording(y, SR), config, hold=True)
    read = Frames(ArrayRecording(y, SR), config, hold=False)
    W = rng.random((config.n_bins, 3)) + 0.1
    H = rng.random((3, held.n_frames)) + 0.1
    np.testing.assert_allclose(component_pans(W, H, read.get),
                               component_pans(W, H, held.X), rtol=1e-5, atol=1e-6)


def test_the_separation_of_two_groups_is_the_distance_of_their_means_over_their_spread():
    pans = np.array([-0.6, -0.4, 0.3, 0.5])
    ratio, m1, m2 = pan_separation(pans, np.ones(4), np.array([1, 1, 0, 0], bool),
                                   np.array([0, 0, 1, 1], bool))
    assert (m1, m2) == pytest.approx((-0.5, 0.4))
    assert ratio == pytest.approx(0.9 / 0.1)
    # the energy weighs the means
    _, m1, _ = pan_separation(pans, np.array([3.0, 1, 1, 1]), pans < 0, pans > 0)
    assert m1 == pytest.approx(-0.55)


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


def test_with_a_margin_a_component_between_the_sources_stays():
    pans = np.array([-0.6, -0.5, -0.55, 0.1, 0.5, 0.6, 0.55])
    labels = np.array([0, 0, 0, 0, 1, 1, 1])  # component 3 sits between, a bit to the right
    energy = np.array([1, 1, 1, 0.1, 1, 1, 1])
    _, left, right = pan_separation(pans, energy, labels == 0, labels == 1)
    towards_right = (0.1 - left) / (right - left)  # about 0.6 of the way
    assert 0.5 < towards_right < 0.75
    assert refine_by_pan(labels, pans, energy, min_ratio=2.0)[3] == 1
    assert refine_by_pan(labels, pans, energy, min_ratio=2.0, margin=0.75)[3] == 0
    # one that sits beyond the other's mean moves at any margin below 1
    far = np.where(np.arange(7) == 3, 0.58, pans)
    assert refine_by_pan(labels, far, energy, min_ratio=2.0, margin=0.95)[3] == 1


def test_refinement_never_empties_a_source():
    pans = np.array([-0.5, -0.4, -0.45, 0.5])
    labels = np.array([0, 0, 1, 1])  # moving component 2 would leave source 1 one component
    refined = refine_by_pan(labels, pans, np.array([1, 1, 0.01, 1]), min_ratio=0.5)
    assert refined.tolist() == [0, 0, 0, 1]
    alone = np.array([0, 0, 0, 1])  # source 1 sits left of source 0: all would go to 0
    assert refine_by_pan(alone, np.array([0.5, 0.4, 0.45, -0.5]), np.ones(4),
                         min_ratio=0.5).tolist() == alone.tolist()


def hard_panned_voices(seed: int) -> np.ndarray:
    """Two of :func:`mixtures.three_voices`'s voices, one in each channel: (2, 2, samples)."""
    voices = three_voices(seed)[[0, 1], 0]
    return voices[:, None, :] * np.eye(2)[:, :, None]


def test_auto_groups_voices_panned_apart_as_the_oracle_does():
    sources = hard_panned_voices(seed=4)
    with_pans = nmfsep.separate(sources.sum(axis=0), SR, n_sources=2, n_runs=1,
                                random_state=0)
    without = nmfsep.separate(sources.sum(axis=0), SR, n_sources=2, n_runs=1,
                              random_state=0, policy=WITHOUT_PANS)
    np.testing.assert_array_equal(with_pans.W, without.W)  # one factorization
    oracle = oracle_labels(with_pans.W, with_pans.H, sources, with_pans.stft)
    # timbre alone misplaces components that the channels place
    assert not np.array_equal(without.labels, oracle)
    np.testing.assert_array_equal(with_pans.labels, oracle)
    assert with_pans.decision.by_pan
    assert "between the loudspeakers" in with_pans.decision.reasons[-1]
    assert "between the loudspeakers" not in " ".join(without.decision.reasons)
    assert with_pans.decision.describe()["by_pan"] is True


def test_every_run_of_the_ensemble_is_refined_as_the_first():
    sources = hard_panned_voices(seed=4)
    sep = nmfsep.separate(sources.sum(axis=0), SR, n_sources=2, random_state=0)
    assert len(sep.runs) == nmfsep.DEFAULT_POLICY.auto_runs - 1
    refined_runs = 0
    for run in sep.runs:
        context = run.context or sep.context
        timbre = nmfsep.grouping.group(run.W, run.H, 2, sep.decision.grouping, context=context)
        refined = refine_by_pan(timbre, component_pans(run.W, run.H, context.channels),
                                run.W.sum(axis=0) * run.H.sum(axis=1),
                                nmfsep.DEFAULT_POLICY.pan_ratio,
                                margin=nmfsep.DEFAULT_POLICY.pan_margin)
        refined_runs += not np.array_equal(refined, timbre)
        # the run's sources are matched to the first run's: its labels, maybe swapped
        assert np.array_equal(run.labels, refined) or np.array_equal(run.labels, 1 - refined)
    assert refined_runs  # the check is not idle


@pytest.mark.parametrize("channels", [1, 2])
def test_without_a_stereo_image_nothing_moves(channels):
    mono = three_voices(seed=0, seconds=4.0)[[0, 1], 0].sum(axis=0)
    y = np.repeat(mono[None], channels, axis=0)  # two equal channels: every pan is 0
    with_pans = nmfsep.separate(y, SR, n_sources=2, random_state=0)
    without = nmfsep.separate(y, SR, n_sources=2, random_state=0, policy=WITHOUT_PANS)
    np.testing.assert_array_equal(with_pans.sources, without.sources)
    assert with_pans.decision.reasons == without.decision.reasons


def test_the_drums_stay_where_the_drum_split_put_them():
    example = nmfsep.synth.drums_and_guitar(duration=6.0, seed=2, stereo=True)
    # a third source from the guitar's and the drums' components: the drums stay
    with_pans = nmfsep.separate(example.mixture, example.sr, n_sources=3, n_runs=1,
                                random_state=0, policy=replace(nmfsep.DEFAULT_POLICY,
                                                               pan_ratio=0.0))
    without = nmfsep.separate(example.mixture, example.sr, n_sources=3, n_runs=1,
                              random_state=0, policy=WITHOUT_PANS)
    drums = with_pans.decision.drum_source
    assert with_pans.decision.grouping == "percussive" and drums is not None
    np.testing.assert_array_equal(with_pans.labels == drums, without.labels == drums)


def test_only_auto_regroups_by_pan():
    assert decide("auto", n_sources=2, percussive_share=0.1, n_runs=5).by_pan
    assert decide("auto", n_sources=3, percussive_share=0.4, n_runs=5,
                  pitched_fraction=0.9).by_pan
    assert not decide("timbre+time", n_sources=2, percussive_share=0.1, n_runs=5).by_pan
    assert not decide("auto", n_sources=3, percussive_share=0.6, n_runs=1,
                      pitched_fraction=0.0).by_pan  # drums alone: the kit's pieces
    assert not decide("auto", n_sources=1, percussive_share=0.1, n_runs=1).by_pan


def test_a_stereo_file_read_block_by_block_is_refined_as_when_held(tmp_path):
    sources = hard_panned_voices(seed=4)
    path = tmp_path / "voices.wav"
    nmfsep.save(path, sources.sum(axis=0), SR)
    y, sr = nmfsep.load(path)
    held = nmfsep.separate(y, sr, n_sources=2, n_runs=1, random_state=0)
    outs = [tmp_path / "low.wav", tmp_path / "high.wav"]
    with pytest.warns(MemoryWarning):  # blocks smaller than the budget needs, on purpose
        read = nmfsep.separate_file(path, outs, n_sources=2, n_runs=1, random_state=0,
                                    max_memory=10_000_000)
    assert read.context.block is not None  # it went block by block
    assert "between the loudspeakers" in read.decision.reasons[-1]
    np.testing.assert_array_equal(read.labels, held.labels)
