"""The experts beside the factorization: each source's share of the spectrum."""

from dataclasses import replace

import numpy as np
from mixtures import SR, three_voices

import nmfsep
from nmfsep import grouping, longform, priors, synth
from nmfsep.masks import MaskPrior, PercussivePrior, share_weights, soft_masks, source_models
from nmfsep.metrics import evaluate
from nmfsep.separate import rebuild_sources


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
    assert PercussivePrior is MaskPrior  # the former name still works


def test_source_profiles_are_the_masks_times_the_spectrogram_over_frames():
    sources = three_voices(seed=0, seconds=3.0)
    sep = nmfsep.separate(sources.sum(axis=0), SR, n_sources=3, n_runs=3, max_iter=40)
    V = sep.spectrogram
    expected = (replace(sep, prior=None).masks() * V).sum(axis=-1)
    profiles = priors.source_profiles(V, sep.W, sep.H, sep.labels, 3, runs=sep.runs,
                                      config=sep.stft, block=7)  # many blocks
    np.testing.assert_allclose(profiles, expected, rtol=1e-4)
    squared = priors.source_profiles(V**2, sep.W, sep.H, sep.labels, 3, runs=sep.runs,
                                     config=sep.stft, spectrogram_power=2.0)
    np.testing.assert_allclose(squared, expected, rtol=1e-4)


def test_the_default_grouping_of_three_voices_without_drums_gets_the_share_weights():
    sources = three_voices(seed=0, seconds=3.0)
    sep = nmfsep.separate(sources.sum(axis=0), SR, n_sources=3, n_runs=2, max_iter=40)
    assert sep.prior is not None and sep.prior.source is None
    profiles = priors.source_profiles(sep.spectrogram, sep.W, sep.H, sep.labels, 3,
                                      runs=sep.runs, config=sep.stft)
    np.testing.assert_allclose(sep.prior.register, share_weights(profiles), rtol=1e-5)
    assert sep.prior.describe() == {"hpss": None, "register": "shares", "consistent": False}
    assert sep.regroup(grouping="auto").prior.register is not None
    assert sep.regroup(grouping="timbre").prior is None
    assert sep.regroup(grouping="auto", percussive_prior=0).prior is None
    assert sep.regroup(grouping="auto", n_sources=2).prior is None  # two voices: no shares


def test_drums_and_one_other_source_get_hpss_and_the_share_weights(example):
    sep = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_runs=2, max_iter=40)
    assert sep.prior is not None and sep.prior.source == 0
    assert sep.prior.strength == priors.PERCUSSIVE_PRIOR * priors.HPSS_SCALE_BESIDE_SHARES
    assert priors.HPSS_SCALE_BESIDE_SHARES < 1  # weaker beside the shares
    assert sep.regroup(grouping="percussive").prior.strength == priors.PERCUSSIVE_PRIOR
    one_run = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_runs=1, max_iter=40)
    assert one_run.prior.strength == priors.PERCUSSIVE_PRIOR  # one run keeps the full strength
    hpss = replace(sep.prior, register=None)
    profiles = priors.source_profiles(sep.spectrogram, sep.W, sep.H, sep.labels, 2,
                                      runs=sep.runs, prior=hpss, config=sep.stft)
    np.testing.assert_allclose(sep.prior.register, share_weights(profiles), rtol=1e-5)
    assert sep.regroup(grouping="percussive").prior.register is None  # auto's alone


def test_drums_and_two_pitched_sources_get_no_share_weights(example):
    sep = nmfsep.separate(example.mixture, example.sr, n_sources=3, n_runs=1, max_iter=40)
    context = sep._grouping_context()
    assert grouping.percussive_source("auto", context) == 0
    assert sep.prior is not None and sep.prior.source == 0
    bass_line = grouping.low_register_weights(sep.W, sep.H, sep.labels, 0, sep.sr)
    if bass_line is None:
        assert sep.prior.register is None
    else:
        np.testing.assert_array_equal(sep.prior.register, bass_line)


def test_the_drums_and_the_guitar_gain_from_their_shares_of_the_spectrum():
    example = synth.drums_and_guitar(duration=8.0, sr=SR, seed=1)
    sep = nmfsep.separate(example.mixture, SR, n_sources=2)
    without = rebuild_sources(sep._mixture_stft(), sep.W, sep.H, sep.labels, 2, sep.mask_power,
                              sep.stft, sep.n_samples, replace(sep.prior, register=None),
                              sep.runs)
    with_shares = evaluate(example.sources, sep.sources).sdr
    without_shares = evaluate(example.sources, without).sdr
    # measured: 9.15 / 5.72 dB against 8.97 / 5.54 (drums / guitar)
    assert np.all(with_shares > without_shares)
    assert with_shares.mean() >= without_shares.mean() + 0.15


def test_streamed_separation_of_three_voices_equals_the_in_memory_one():
    y = three_voices(seed=0, seconds=3.0).sum(axis=0)
    whole = nmfsep.separate(y, SR, n_sources=3, n_runs=1, max_iter=40)
    out = np.zeros((3, *y.shape), dtype=np.float32)

    def write(source, start, samples):
        out[source, :, start : start + samples.shape[-1]] = samples

    longform.separate_streamed(lambda a, b: y[:, a:b], y.shape[1], 1, SR, write, n_sources=3,
                               max_iter=40, block_frames=50)
    assert whole.prior is not None and whole.prior.register is not None
    np.testing.assert_allclose(out, whole.sources, atol=1e-5)


def test_each_voice_gains_from_its_share_of_the_spectrum():
    sources = three_voices(seed=1)
    mixture = sources.sum(axis=0)
    sep = nmfsep.separate(mixture, SR, n_sources=3)
    np.testing.assert_allclose(sep.sources.sum(axis=0), mixture, atol=1e-4)
    without = rebuild_sources(sep._mixture_stft(), sep.W, sep.H, sep.labels, 3, sep.mask_power,
                              sep.stft, sep.n_samples, None, sep.runs)
    with_shares = evaluate(sources, sep.sources).sdr
    without_shares = evaluate(sources, without).sdr
    # measured: 4.35 / -0.66 / 1.94 dB against 3.33 / -1.24 / 1.06 (low / middle / high)
    assert np.all(with_shares > without_shares)
    assert with_shares.mean() >= without_shares.mean() + 0.4
