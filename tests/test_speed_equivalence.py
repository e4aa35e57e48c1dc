"""The faster computations give what the previous ones gave (issue 28).

Each is compared with the straightforward computation it replaced, written
out here independently.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import median_filter

from nmfsep.features import percussive_mask


def _reference_percussive_mask(V: np.ndarray, frames: int, bins: int) -> np.ndarray:
    """Fitzgerald's soft mask with the two-dimensional median filter, in float64."""
    V = np.asarray(V, dtype=np.float32)
    harmonic = median_filter(V, size=(1, frames), mode="nearest").astype(np.float64)
    percussive = median_filter(V, size=(bins, 1), mode="nearest").astype(np.float64)
    p2, h2 = percussive**2, harmonic**2
    return (p2 / np.maximum(p2 + h2, 1e-12)).astype(np.float32)


@pytest.mark.parametrize("shape, frames, bins", [((257, 400), 9, 17), ((64, 33), 17, 5),
                                                 ((5, 7), 9, 17), ((1, 50), 3, 3)])
def test_percussive_mask_equals_the_two_dimensional_filters(shape, frames, bins):
    rng = np.random.default_rng(sum(shape))
    V = rng.gamma(0.5, size=shape).astype(np.float32)
    V[:, ::7] *= 30  # onsets: percussive columns
    V[::5] *= 10  # partials: harmonic rows
    V[0, 0] = 0
    got = percussive_mask(V, frames, bins)
    want = _reference_percussive_mask(V, frames, bins)
    assert got.dtype == np.float32 and got.shape == V.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert 0.05 < got.mean() < 0.95  # both kinds of bins are there


def test_percussive_mask_of_huge_magnitudes_does_not_overflow():
    rng = np.random.default_rng(3)
    V = (rng.gamma(0.5, size=(40, 60)) * 1e25).astype(np.float32)
    got = percussive_mask(V, 9, 5)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, _reference_percussive_mask(V, 9, 5), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("n_fft, hop", [(512, 128), (256, 128), (400, 100), (512, 160)])
def test_overlap_add_equals_the_frame_by_frame_sum(n_fft, hop):
    from nmfsep.spectral import STFTConfig, overlap_add, stft

    config = STFTConfig(n_fft, hop)
    rng = np.random.default_rng(n_fft + hop)
    y = rng.standard_normal((2, 5000)).astype(np.float32)
    X = stft(y, config)
    transform = config.transform
    window = transform.dual_win.real.astype(np.float32)
    frames = np.fft.irfft(X, n=n_fft, axis=-2)  # frame by frame, then the dual window
    length = config.padded_length(y.shape[1])
    # column j is frame p_min + j, which begins at sample k_min + j * hop
    want = np.zeros((2, (X.shape[-1] - 1) * hop + transform.m_num), dtype=np.float64)
    for j in range(X.shape[-1]):
        frame = np.roll(frames[..., j], transform.m_num_mid, axis=-1)[..., : transform.m_num]
        at = j * hop
        want[..., at : at + transform.m_num] += frame * window
    want = want[..., -transform.k_min : length - transform.k_min]
    got = overlap_add(X, config, 0, length)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[..., : y.shape[1]], y, atol=1e-5)  # and it inverts


def test_sweeps_without_w_updates_leave_the_next_w_update_as_from_a_fresh_workspace():
    from nmfsep.sweeps import Workspace, mu_iteration

    rng = np.random.default_rng(5)
    V = rng.gamma(1.0, size=(60, 300)).astype(np.float32)
    W0 = rng.random((60, 6)).astype(np.float32) + 0.1
    H0 = rng.random((6, 300)).astype(np.float32) + 0.1
    for beta in (0.0, 1.0, 2.0):
        reused = Workspace(60, 6, 64, np.float32, threads=1)
        W, H = W0.copy(), H0.copy()
        W_fresh, H_fresh = W0.copy(), H0.copy()
        for update_W in (True, False, False, True, False, True):
            mu_iteration(V, W, H, beta, reused, 1e-12, update_W=update_W)
            fresh = Workspace(60, 6, 64, np.float32, threads=1)
            mu_iteration(V, W_fresh, H_fresh, beta, fresh, 1e-12, update_W=update_W)
        np.testing.assert_array_equal(W, W_fresh)
        np.testing.assert_array_equal(H, H_fresh)
        assert not np.array_equal(W, W0)  # W was updated
