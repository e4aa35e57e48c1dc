import numpy as np
import pytest

from nmfsep.errors import ParameterError
from nmfsep.spectral import STFTConfig, default_n_fft, istft, mixture_spectrogram, stft


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
