"""Masks estimated again from the sources they rebuild, when a drum source is weighed by HPSS."""

from dataclasses import replace

import numpy as np
import pytest
from mixtures import SR, bass_drums_keys, three_voices

import nmfsep
from nmfsep import synth
from nmfsep.masks import soft_masks
from nmfsep.metrics import evaluate
from nmfsep.spectral import istft, stft


def _without_consistency(sep: nmfsep.Separation) -> np.ndarray:
    return replace(sep.model, prior=replace(sep.prior, consistent=False)).sources(sep.frames)


@pytest.mark.parametrize("mask_power", [1.0, 2.0])
def test_consistent_masks_equal_the_whole_signal_computation(stereo_example, mask_power):
    y, sr = stereo_example.mixture, stereo_example.sr
    sep = nmfsep.separate(y, sr, n_runs=2, max_iter=40, mask_power=mask_power)
    assert sep.prior is not None and sep.prior.consistent
    X = sep.mixture_stft
    first = replace(sep.model, prior=replace(sep.prior, consistent=False)).factor_masks(
        0, X.shape[-1])
    rebuilt = [istft(X * mask, sep.stft, sep.n_samples) for mask in first]
    magnitudes = np.stack([np.abs(stft(source, sep.stft)).sum(axis=0) for source in rebuilt])
    expected = soft_masks(magnitudes, mask_power)
    # Where the mixture is silent a mask is a ratio of rounding errors: compare
    # the masks as they act, on the mixture's magnitudes.
    mixture = np.abs(X).sum(axis=0)
    np.testing.assert_allclose(sep.masks() * mixture, expected * mixture,
                               atol=1e-6 * mixture.max())
    whole = np.stack([istft(X * mask, sep.stft, sep.n_samples) for mask in expected])
    np.testing.assert_allclose(sep.sources, whole, atol=1e-5)
    for block in (3, 40):
        np.testing.assert_allclose(sep.model.sources(sep.frames, block), sep.sources, atol=1e-5)
    np.testing.assert_allclose(sep.sources.sum(axis=0), y, atol=1e-5)


def test_only_a_drum_source_makes_the_masks_consistent(example):
    sep = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_runs=1, max_iter=40)
    assert sep.prior.source == 0 and sep.prior.consistent
    assert sep.regroup(grouping="percussive").prior.consistent
    assert sep.regroup(grouping="auto", percussive_prior=0).prior is None
    voices = three_voices(seed=1, seconds=4.0)
    chorale = nmfsep.separate(voices.sum(axis=0), SR, n_sources=3, n_runs=1, max_iter=40)
    assert chorale.prior.source is None and not chorale.prior.consistent


def test_the_drums_and_the_guitar_gain_from_consistent_masks():
    example = synth.drums_and_guitar(duration=8.0, sr=SR, seed=1)
    sep = nmfsep.separate(example.mixture, SR, n_sources=2)
    consistent = evaluate(example.sources, sep.sources).sdr
    first = evaluate(example.sources, _without_consistency(sep)).sdr
    assert np.all(consistent > first)
    assert consistent.mean() >= first.mean() + 0.2


def test_bass_drums_and_keys_gain_from_consistent_masks():
    sources = bass_drums_keys(seed=1)
    sep = nmfsep.separate(sources.sum(axis=0), SR, n_sources=3)
    consistent = evaluate(sources, sep.sources).sdr
    first = evaluate(sources, _without_consistency(sep)).sdr
    assert np.all(consistent > first)
    assert consistent.mean() >= first.mean() + 0.15
