"""The experts beside the factorization: each source's share of the spectrum."""

from dataclasses import replace

import numpy as np
import pytest
from mixtures import SR, bass_drums_keys, three_voices

import nmfsep
from nmfsep import grouping, priors, synth
from nmfsep.errors import MemoryWarning
from nmfsep.masks import MaskPrior, share_weights, soft_masks, source_models
from nmfsep.metrics import evaluate
from nmfsep.policy import DEFAULT_POLICY


def test_share_weights_follow_the_formula_and_split_silence_evenly():
    profiles = np.array([[3.0, 0.0, 0.0], [1.0, 2.0, 0.0]])
    weights = share_weights(profiles, smooth_bins=1, strength=0.5)
    expected = np.array([[0.75, 0.0, 0.5], [0.25, 1.0, 0.5]]) + 1e-3
    np.testing.assert_allclose(weights, expected**0.5, rtol=1e-6)
    assert weights.dtype == np.float32


def test_share_weights_are_shares_of_the_profiles_smoothed_across_frequency(rng):
    profiles = rng.random((3, 40))
    weights = share_weights(profiles, smooth_bins=9, strength=1.0)
    kernel = np.ones(9) / 9
    smoothed = np.stack([np.convolve(p, kernel, mode="valid") for p in profiles])  # bins 4..35
    np.testing.assert_allclose(weights[:, 4:36], smoothed / smoothed.sum(axis=0) + 1e-3,
                               rtol=1e-5)


def test_a_prior_without_a_drum_source_weighs_by_its_register_alone(rng):
    W, H = rng.random((30, 6)), rng.random((6, 20))
    labels = np.array([0, 0, 1, 1, 2, 2])
    register = rng.random((3, 30)).astype(np.float32) + 0.1
    models = source_models(W, H, labels, 3)
    for power in (1.0, 2.0):
        weighed = soft_masks(MaskPrior(register=register).weigh(models.copy(), power), power)
        expected = models**power * register[:, :, np.newaxis]
        np.testing.assert_allclose(weighed, expected / expected.sum(axis=0), rtol=1e-4)


def test_source_profiles_are_the_masks_times_the_spectrogram_over_frames():
    sources = three_voices(seed=0, seconds=3.0)
    sep = nmfsep.separate(sources.sum(axis=0), SR, n_sources=3, n_runs=3, max_iter=40)
    V = sep.spectrogram
    factors = replace(sep.model, prior=None)
    expected = (factors.factor_masks(0, V.shape[1]) * V).sum(axis=-1)
    profiles = priors.source_profiles(V, factors, block=7)  # many blocks
    np.testing.assert_allclose(profiles, expected, rtol=1e-4)
    squared = priors.source_profiles(V**2, factors, spectrogram_power=2.0)
    np.testing.assert_allclose(squared, expected, rtol=1e-4)


def test_the_default_grouping_of_three_voices_without_drums_gets_the_share_weights():
    sources = three_voices(seed=0, seconds=3.0)
    sep = nmfsep.separate(sources.sum(axis=0), SR, n_sources=3, n_runs=2, max_iter=40)
    assert sep.prior is not None and sep.prior.source is None
    profiles = priors.source_profiles(sep.spectrogram, replace(sep.model, prior=None))
    np.testing.assert_allclose(sep.prior.register, share_weights(profiles), rtol=1e-5)
    assert sep.prior.describe() == {"hpss": None, "register": "shares", "consistent": False,
                                    "drum_templates": False}
    assert sep.regroup(grouping="auto").prior.register is not None
    assert sep.regroup(grouping="timbre").prior is None
    assert sep.regroup(grouping="auto", percussive_prior=0).prior is None
    assert sep.regroup(grouping="auto", n_sources=2).prior is None  # two voices: no shares


def test_drums_and_one_other_source_get_hpss_and_the_share_weights(example):
    sep = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_runs=2, max_iter=40)
    assert sep.prior is not None and sep.prior.source == 0
    full, scale = DEFAULT_POLICY.percussive_prior, DEFAULT_POLICY.hpss_scale_beside_shares
    assert sep.prior.strength == full * scale
    assert scale < 1  # weaker beside the shares
    assert sep.regroup(grouping="percussive").prior.strength == full
    one_run = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_runs=1, max_iter=40)
    assert one_run.prior.strength == full  # one run keeps the full strength
    hpss = replace(sep.prior, register=None)
    profiles = priors.source_profiles(sep.spectrogram, replace(sep.model, prior=hpss))
    np.testing.assert_allclose(sep.prior.register, share_weights(profiles), rtol=1e-5)
    assert sep.regroup(grouping="percussive").prior.register is None  # auto's alone


def test_drums_and_two_pitched_sources_get_no_share_weights(example):
    sep = nmfsep.separate(example.mixture, example.sr, n_sources=3, n_runs=1, max_iter=40)
    assert sep.decision.drum_source == 0 and sep.decision.register == "bass line"
    assert sep.prior is not None and sep.prior.source == 0
    bass_line = grouping.low_register_weights(sep.W, sep.H, sep.labels, 0, sep.sr)
    if bass_line is None:
        assert sep.prior.register is None
    else:
        np.testing.assert_array_equal(sep.prior.register, bass_line)


def test_the_drums_and_the_guitar_gain_from_their_shares_of_the_spectrum():
    example = synth.drums_and_guitar(duration=8.0, sr=SR, seed=1)
    sep = nmfsep.separate(example.mixture, SR, n_sources=2)
    without = replace(sep.model, prior=replace(sep.prior, register=None)).sources(sep.frames)
    with_shares = evaluate(example.sources, sep.sources).sdr
    without_shares = evaluate(example.sources, without).sdr
    assert np.all(with_shares > without_shares)
    assert with_shares.mean() >= without_shares.mean() + 0.15


def test_the_block_by_block_separation_of_three_voices_equals_the_in_memory_one():
    y = three_voices(seed=0, seconds=3.0).sum(axis=0)
    whole = nmfsep.separate(y, SR, n_sources=3, n_runs=1, max_iter=40)
    with pytest.warns(MemoryWarning):  # a byte is too little even block by block
        blocks = nmfsep.separate(y, SR, n_sources=3, n_runs=1, max_iter=40, max_memory=1)
    assert whole.frames.X is not None and blocks.frames.X is None
    assert whole.prior is not None and whole.prior.register is not None
    np.testing.assert_allclose(blocks.sources, whole.sources, atol=1e-5)


def test_each_voice_gains_from_its_share_of_the_spectrum():
    sources = three_voices(seed=1)
    mixture = sources.sum(axis=0)
    sep = nmfsep.separate(mixture, SR, n_sources=3)
    np.testing.assert_allclose(sep.sources.sum(axis=0), mixture, atol=1e-4)
    without = replace(sep.model, prior=None).sources(sep.frames)
    with_shares = evaluate(sources, sep.sources).sdr
    without_shares = evaluate(sources, without).sdr
    assert np.all(with_shares > without_shares)
    assert with_shares.mean() >= without_shares.mean() + 0.4


@pytest.fixture(scope="module")
def drums_beside_a_bass_line():
    """Drums against a bass line (C1 to A1) and keys: a band with a bass line, summed."""
    bass, drums, keys = bass_drums_keys(seed=0, bass_octave=-1)
    return np.stack([drums, bass + keys])


def test_beside_a_bass_line_the_drums_get_percussives_masks_and_no_shares(
        drums_beside_a_bass_line):
    sources = drums_beside_a_bass_line
    mixture = sources.sum(axis=0)
    sep = nmfsep.separate(mixture, SR, n_sources=2)
    assert sep.decision.register == "bass line"
    assert sep.decision.hpss_strength == DEFAULT_POLICY.percussive_prior  # full strength
    assert any("bass notes" in reason for reason in sep.decision.reasons)
    assert not any("each source on its share" in reason for reason in sep.decision.reasons)
    percussive = nmfsep.separate(mixture, SR, n_sources=2, grouping="percussive")
    np.testing.assert_array_equal(sep.sources, percussive.sources)
    drums = sep.decision.drum_source
    assert grouping.bass_note_components(sep.W, sep.labels, 1 - drums, SR).any()


def test_without_the_bass_notes_test_the_shares_stay_and_both_sources_lose(
        drums_beside_a_bass_line):
    sources = drums_beside_a_bass_line
    mixture = sources.sum(axis=0)
    sep = nmfsep.separate(mixture, SR, n_sources=2)
    deaf = replace(DEFAULT_POLICY, bass_notes_hz=(0.0, 0.0))  # no frequency is a bass note
    shares = nmfsep.separate(mixture, SR, n_sources=2, policy=deaf)
    assert shares.decision.register == "shares"
    with_bass_line = evaluate(sources, sep.sources).sdr
    with_shares = evaluate(sources, shares.sources).sdr
    assert np.all(with_bass_line > with_shares)
    assert with_bass_line.mean() >= with_shares.mean() + 0.1
    assert sep.regroup(grouping="auto", policy=deaf).decision.register == "shares"


def test_drums_beside_a_guitar_keep_their_shares():
    example = synth.drums_and_guitar(duration=8.0, sr=SR, seed=1)
    sep = nmfsep.separate(example.mixture, SR, n_sources=2, n_runs=1)
    assert sep.decision.register == "shares"
    assert not grouping.bass_note_components(sep.W, sep.labels,
                                             1 - sep.decision.drum_source, SR).any()
