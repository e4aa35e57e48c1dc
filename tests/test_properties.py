"""Property-based tests of the public API: any input gives a finite answer or a documented error.

Random shapes, sample rates and values (zeros, tiny and huge values, exact
silence), parameters at their bounds.  Derandomized, with a modest number of
examples and no deadline, so CI is fast and never flakes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nmfsep
from nmfsep.errors import AudioError, ParameterError
from nmfsep.masks import apply_masks, soft_masks
from nmfsep.nmf import factorize
from nmfsep.spectral import STFTConfig, istft, stft

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

amplitudes = st.sampled_from([0.0, 1e-30, 1e-6, 1.0, 1e4])
sample_rates = st.sampled_from([8000, 11025, 16000, 22050, 44100, 96000, 192000]) | st.integers(
    1000, 200_000)


@st.composite
def signals(draw, max_samples: int = 3000):
    """(y, sr): a (channels, samples) float32 signal with exact zeros and runs of silence."""
    channels = draw(st.integers(1, 3))
    samples = draw(st.integers(1, max_samples))
    unit = draw(arrays(np.float32, (channels, samples),
                       elements=st.floats(-1, 1, width=32) | st.just(0.0)))
    y = (unit * np.float32(draw(amplitudes))).astype(np.float32)
    if draw(st.booleans()):  # a run of exact silence
        start = draw(st.integers(0, samples - 1))
        y[:, start : start + draw(st.integers(1, samples))] = 0
    return y, draw(sample_rates)


def assert_adds_up(sources: np.ndarray, y: np.ndarray) -> None:
    assert np.all(np.isfinite(sources))
    assert sources.shape[1:] == y.shape
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    error = float(np.max(np.abs(sources.sum(axis=0, dtype=np.float64) - y)))
    assert error <= 1e-5 * peak + 1e-35, (error, peak)


@pytest.mark.filterwarnings("ignore:signal. the recording is silent:nmfsep.errors.AudioWarning")
@SETTINGS
@given(signal=signals(), n_sources=st.integers(1, 3), extra=st.integers(0, 3),
       beta=st.sampled_from([0.0, 0.5, 1.0, 2.0]) | st.floats(0, 2),
       max_iter=st.integers(0, 3), mask_power=st.sampled_from([1.0, 2.0, 0.5]),
       grouping=st.sampled_from(["auto", "spectral", "timbre", "percussive"]))
def test_separate_gives_finite_sources_that_add_up_to_any_mixture(signal, n_sources, extra,
                                                                  beta, max_iter, mask_power,
                                                                  grouping):
    y, sr = signal
    sep = nmfsep.separate(y, sr, n_sources=n_sources, n_components=n_sources + extra,
                          beta=beta, max_iter=max_iter, mask_power=mask_power,
                          grouping=grouping)
    assert_adds_up(sep.sources, y)
    assert sep.sources.shape[0] == n_sources
    assert np.all(np.isfinite(sep.W)) and np.all(np.isfinite(sep.H))
    assert sep.W.min() >= 0 and sep.H.min() >= 0
    assert sorted(set(sep.labels.tolist())) == list(range(n_sources))


@pytest.mark.filterwarnings("ignore:signal. the recording is silent:nmfsep.errors.AudioWarning")
@SETTINGS
@given(signal=signals(max_samples=600), n_fft=st.sampled_from([16, 64, 256]),
       hop_fraction=st.sampled_from([1.0, 0.5, 0.25, 0.01]))
def test_separate_adds_up_at_the_stft_bounds(signal, n_fft, hop_fraction):
    y, sr = signal
    hop = max(1, int(n_fft // 2 * hop_fraction))  # hop = n_fft/2 is the largest allowed
    sep = nmfsep.separate(y, sr, n_sources=2, n_components=2, n_fft=n_fft, hop=hop,
                          max_iter=2)
    assert_adds_up(sep.sources, y)


@SETTINGS
@given(signal=signals(max_samples=500),
       bad=st.sampled_from(["n_sources", "n_components", "beta", "hop", "n_fft", "nan"]),
       value=st.integers(-3, 0))
def test_separate_raises_a_documented_error_for_parameters_out_of_range(signal, bad, value):
    y, sr = signal
    kwargs = dict(n_sources=2, n_components=2, max_iter=1)
    if bad == "n_sources":
        kwargs["n_sources"] = value
    elif bad == "n_components":
        kwargs["n_components"] = 1 + value  # fewer than the 2 sources
    elif bad == "beta":
        kwargs["beta"] = 2.0001 - value if value else -1e-9
    elif bad == "hop":
        kwargs.update(n_fft=64, hop=33 - value if value else 0)
    elif bad == "n_fft":
        kwargs["n_fft"] = 15 + value
    else:
        y = y.copy()
        y[0, -1] = np.nan
    error = AudioError if bad == "nan" else ParameterError
    with pytest.raises(error):
        nmfsep.separate(y, sr, **kwargs)


@SETTINGS
@given(V=arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 16)),
                elements=st.sampled_from([0.0, 1e-30, 1e-12, 1.0, 3.5, 1e6])
                | st.floats(0, 10)),
       n_components=st.integers(1, 5), beta=st.floats(0, 2),
       max_iter=st.integers(0, 6), init=st.sampled_from(["nndsvda", "nndsvd", "random"]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_factorize_gives_finite_non_negative_factors_for_any_non_negative_matrix(
        V, n_components, beta, max_iter, init, dtype):
    result = factorize(V, n_components, beta=beta, max_iter=max_iter, init=init,
                       random_state=0, dtype=dtype)
    assert result.W.shape == (V.shape[0], n_components)
    assert result.H.shape == (n_components, V.shape[1])
    for factor in (result.W, result.H):
        assert np.all(np.isfinite(factor)) and factor.min() >= 0
    assert all(np.isfinite(loss) for _, loss in result.loss_history)


@SETTINGS
@given(V=arrays(np.float64, (4, 5), elements=st.floats(-1, 1) | st.just(np.nan)),
       n_components=st.integers(-1, 3))
def test_factorize_refuses_negative_or_non_finite_matrices_with_a_parameter_error(
        V, n_components):
    if np.all(V >= 0) and n_components >= 1:
        return  # a valid input; the previous test covers it
    with pytest.raises(ParameterError):
        factorize(V, n_components, max_iter=1)


@SETTINGS
@given(models=arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6),
                                           st.integers(1, 6)),
                     elements=st.sampled_from([0.0, 1e-300, 1e-30, 1.0, 1e30]) | st.floats(0, 5)),
       power=st.sampled_from([0.5, 1.0, 2.0, 3.0]))
def test_soft_masks_are_in_zero_one_and_add_up_to_one_for_any_models(models, power):
    masks = soft_masks(models, power)
    assert masks.shape == models.shape
    assert np.all(np.isfinite(masks)) and masks.min() >= 0 and masks.max() <= 1 + 1e-6
    np.testing.assert_allclose(masks.sum(axis=0), 1.0, atol=1e-5)
    X = np.exp(1j * np.arange(models[0].size)).reshape(1, *models.shape[1:]).astype(np.complex64)
    np.testing.assert_allclose(apply_masks(X, masks).sum(axis=0), X, atol=1e-5)


@SETTINGS
@given(length=st.integers(1, 2000), n_fft=st.sampled_from([16, 33, 128, 512]),
       hop_fraction=st.floats(0.01, 1.0), channels=st.integers(1, 2))
def test_stft_round_trips_for_any_length_and_valid_hop(length, n_fft, hop_fraction, channels):
    config = STFTConfig(n_fft=n_fft, hop=max(1, int(n_fft // 2 * hop_fraction)))
    y = np.random.default_rng(length).standard_normal((channels, length)).astype(np.float32)
    np.testing.assert_allclose(istft(stft(y, config), config, length), y, atol=1e-5)


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(signal=signals(max_samples=500), suffix=st.sampled_from(["wav", "flac"]))
def test_save_then_load_gives_back_the_signal(tmp_path_factory, signal, suffix):
    y, sr = signal
    sr = min(sr, 655_350) if suffix == "flac" else sr  # FLAC's header limit
    path = tmp_path_factory.mktemp("io") / f"x.{suffix}"
    nmfsep.save(path, y, sr)
    back, rate = nmfsep.load(path)
    assert rate == sr and back.shape == y.shape
    tolerance = 0.0 if suffix == "wav" else 2.0**-22  # FLAC is 24-bit and clipped to ±1
    np.testing.assert_allclose(back, np.clip(y, -1, 1) if suffix == "flac" else y,
                               atol=tolerance)
