import numpy as np
import pytest
from scipy.signal import ShortTimeFFT, get_window

from nmfsep.errors import ParameterError
from nmfsep.spectral import (
    STFTConfig,
    default_n_fft,
    istft,
    mixture_spectrogram,
    overlap_add,
    stft,
    transform_frames,
)


@pytest.mark.parametrize("n_samples", [1, 100, 4097, 10_001, 22_050])
@pytest.mark.parametrize("config", [STFTConfig(2048, 512), STFTConfig(512, 128, "hamming"),
                                    STFTConfig(1024, 256, "blackman")])
def test_round_trip_reconstructs_float64_below_1e6(rng, n_samples, config):
    y = rng.standard_normal((2, n_samples))
    back = istft(stft(y, config), config, n_samples)
    assert back.shape == y.shape
    assert np.linalg.norm(back - y) / np.linalg.norm(y) < 1e-6


@pytest.mark.parametrize("n_samples", [777, 10_001])
def test_round_trip_reconstructs_float32_below_1e4(rng, n_samples):
    config = STFTConfig(1024, 256)
    y = rng.standard_normal((1, n_samples)).astype(np.float32)
    X = stft(y, config)
    assert X.dtype == np.complex64
    back = istft(X, config, n_samples)
    assert back.dtype == np.float32
    assert np.linalg.norm(back - y) / np.linalg.norm(y) < 1e-4


def test_frame_count_matches_the_transform(rng):
    config = STFTConfig(512, 128)
    X = stft(rng.standard_normal(5000), config)
    assert X.shape == (config.n_bins, config.n_frames(5000))


def test_hop_that_cannot_reconstruct_is_rejected():
    with pytest.raises(ParameterError, match="hop must be between"):
        STFTConfig(n_fft=1024, hop=1024)


def test_unknown_window_is_rejected():
    with pytest.raises(ParameterError, match="unknown window"):
        STFTConfig(window="no-such-window")


def test_default_n_fft_is_about_93_ms():
    assert default_n_fft(44100) == 4096
    assert default_n_fft(22050) == 2048
    assert default_n_fft(8000) == 1024


def test_stereo_spectrogram_sums_channel_power(rng):
    config = STFTConfig(256, 64)
    y = rng.standard_normal((2, 3000))
    X = stft(y, config)
    V = mixture_spectrogram(X, power=1.0)
    expected = np.sqrt(np.abs(X[0]) ** 2 + np.abs(X[1]) ** 2)
    np.testing.assert_allclose(V, expected, rtol=1e-10)
    # opposite-phase channels do not cancel
    anti = stft(np.stack([y[0], -y[0]]), config)
    assert mixture_spectrogram(anti).sum() > 0


@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_spectrogram_in_threads_matches_the_formula(rng, power):
    # enough frames for the rows to be split between threads; complex64 as the transforms give
    X = (rng.standard_normal((3, 257, 400)) + 1j * rng.standard_normal((3, 257, 400)))
    X = X.astype(np.complex64)
    energy = sum(np.abs(channel.astype(np.complex128)) ** 2 for channel in X)
    V = mixture_spectrogram(X, power=power)
    assert V.dtype == np.float32 and V.shape == (257, 400)
    np.testing.assert_allclose(V, energy ** (power / 2), rtol=2e-6)
    assert mixture_spectrogram(X[..., :0]).shape == (257, 0)


def _scipy_transform(config: STFTConfig) -> ShortTimeFFT:
    """scipy's own ShortTimeFFT for ``config``: the reference."""
    return ShortTimeFFT(get_window(config.window, config.n_fft, fftbins=True), hop=config.hop,
                        fs=1.0, mfft=config.n_fft)


@pytest.mark.parametrize("n_fft, hop, window", [(4096, 1024, "hann"), (512, 128, "hamming"),
                                                (1024, 300, "hann"), (256, 64, "blackman")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_frames_and_overlap_add_equal_scipys_short_time_fft(rng, n_fft, hop, window, dtype):
    config = STFTConfig(n_fft, hop, window)
    transform = _scipy_transform(config)
    y = rng.standard_normal((2, 3 * n_fft + 17)).astype(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    p_max = transform.p_max(y.shape[-1])
    for p0, p1 in [(transform.p_min, p_max), (transform.p_min + 3, p_max - 2), (0, 5)]:
        expected = transform.stft(y, p0=p0, p1=p1, axis=-1)
        got = transform_frames(y, config, p0, p1)
        assert got.dtype == (np.complex64 if dtype == np.float32 else np.complex128)
        np.testing.assert_allclose(got, expected, atol=tolerance * np.abs(expected).max())
    X = transform.stft(y, axis=-1).astype(got.dtype)
    k_max = (X.shape[-1] + transform.p_min - 1) * hop + transform.m_num - transform.m_num_mid
    for k0, k1 in [(0, y.shape[-1]), (0, k_max), (3 * hop, 3 * hop + n_fft)]:
        np.testing.assert_allclose(overlap_add(X, config, k0, k1),
                                   transform.istft(X, k0=k0, k1=k1), atol=tolerance)


@pytest.mark.parametrize("n_fft, hop", [(512, 128), (1024, 300), (255, 64)])
def test_frames_and_overlap_add_of_a_piece_equal_those_of_the_whole(rng, n_fft, hop):
    """A stream's buffer (``origin``) and batch (``first_frame``) give the whole signal's."""
    config = STFTConfig(n_fft, hop)
    transform = _scipy_transform(config)
    y = rng.standard_normal((2, 6 * n_fft + 5))
    X = transform.stft(y, axis=-1)
    for first, count in [(transform.p_min, 4), (7, 5), (11, 1)]:
        origin = first * hop - transform.m_num_mid  # where frame `first` begins
        piece = y[..., max(origin, 0) : origin + (count - 1) * hop + n_fft]
        got = transform_frames(piece, config, first, first + count, origin=max(origin, 0))
        columns = slice(first - transform.p_min, first - transform.p_min + count)
        np.testing.assert_allclose(got, X[..., columns], atol=1e-10)
        alone = np.zeros_like(X)
        alone[..., columns] = X[..., columns]  # the batch's frames, all others zero
        k0, k1 = origin, origin + (count - 1) * hop + n_fft
        expected = transform.istft(alone, k0=transform.k_min, k1=k1)[..., k0 - transform.k_min:]
        np.testing.assert_allclose(overlap_add(X[..., columns], config, k0, k1, first_frame=first),
                                   expected, atol=1e-10)
