"""The windows and frame grid of nmfsep.stft_grid equal scipy's ShortTimeFFT and get_window."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.signal import ShortTimeFFT, get_window

from nmfsep import stft_grid
from nmfsep.spectral import STFTConfig


@pytest.mark.parametrize("name", [*stft_grid.COSINE_WINDOWS, "hann_periodic", "cosine",
                                  ("tukey", 0.3)])
@pytest.mark.parametrize("length", [1, 2, 7, 16, 1000, 4096])
def test_windows_equal_scipys_get_window(name, length):
    np.testing.assert_array_equal(stft_grid.window(name, length),
                                  get_window(name, length, fftbins=True))


def test_an_unknown_window_raises_as_get_window_does():
    with pytest.raises(ValueError):
        stft_grid.window("no-such-window", 8)


@pytest.mark.parametrize("name", ["hann", "hamming", "blackman", "boxcar", ("tukey", 0.5)])
@pytest.mark.parametrize("n_fft, hop", [(16, 4), (512, 128), (1000, 300), (4096, 1024),
                                        (2048, 1024), (64, 1)])
def test_the_grid_equals_shorttimeffts(name, n_fft, hop):
    win = get_window(name, n_fft, fftbins=True)
    try:
        reference = ShortTimeFFT(win, hop=hop, fs=1.0, mfft=n_fft)
        reference.dual_win  # noqa: B018  (raises when not invertible)
    except ValueError:
        with pytest.raises(ValueError):
            stft_grid.FrameGrid(win, hop).dual_win  # noqa: B018
        return
    grid = stft_grid.FrameGrid(win, hop)
    assert (grid.m_num, grid.m_num_mid, grid.p_min, grid.k_min) == (
        reference.m_num, reference.m_num_mid, reference.p_min, reference.k_min)
    np.testing.assert_array_equal(grid.dual_win, reference.dual_win)
    for n in sorted({n_fft - n_fft // 2, n_fft, n_fft + 1, 3 * n_fft + 17, n_fft + 10 * hop + 3}):
        assert grid.p_max(n) == reference.p_max(n)
        assert grid.k_max(n) == reference.k_max(n)
    with pytest.raises(ValueError):
        grid.p_max(n_fft - n_fft // 2 - 1)


def test_the_command_line_starts_without_scipy_signal():
    done = subprocess.run([sys.executable, "-c", "import sys, nmfsep.cli; "
                           "print('scipy.signal' in sys.modules)"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_config_with_another_window_still_works():
    config = STFTConfig(512, 128, window="blackmanharris")
    np.testing.assert_array_equal(config.transform.win,
                                  get_window("blackmanharris", 512, fftbins=True))
