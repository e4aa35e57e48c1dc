"""The studio's figures as data: the spectrogram picture and each component's curves.

Everything here reduces arrays for drawing (a log-frequency axis, the maximum
over the frames or bins that fall on one pixel, levels in decibels scaled to
``[0, 1]``); the page draws the curves on canvases, the spectrogram comes as a
PNG (:mod:`nmfsep.studio.png`).
"""

from __future__ import annotations

import numpy as np

from .png import colorize, png_bytes

__all__ = ["band_starts", "spectrogram_levels", "spectrogram_png", "spectrum_curves",
           "activation_curves", "LOWEST_HZ"]

#: Lowest frequency drawn, in Hz.
LOWEST_HZ = 30.0
_TINY = 1e-20


def band_starts(n_bins: int, sr: int, n_bands: int, lowest: float = LOWEST_HZ) -> np.ndarray:
    """First bin of each of ``n_bands`` log-spaced bands from ``lowest`` to Nyquist.

    Bands narrower than a bin repeat the bin below them.

    Returns
    -------
    np.ndarray of int, shape=(n_bands,), non-decreasing
    """
    nyquist = sr / 2
    edges = np.geomspace(min(lowest, nyquist / 2), nyquist, n_bands + 1)[:-1]
    return np.clip(np.floor(edges / nyquist * (n_bins - 1)).astype(int), 0, n_bins - 1)


def _pool(values: np.ndarray, starts: np.ndarray, axis: int) -> np.ndarray:
    """Maximum over ``values[starts[i]:starts[i + 1]]`` along ``axis`` (the last to the end)."""
    return np.maximum.reduceat(values, starts, axis=axis)


def _column_starts(n_columns: int, width: int) -> np.ndarray:
    width = max(1, min(width, n_columns))
    return np.linspace(0, n_columns, width, endpoint=False).astype(int)


def _decibel_levels(values: np.ndarray, reference: float, range_db: float) -> np.ndarray:
    level = 20 * np.log10(np.maximum(values, _TINY) / max(reference, _TINY))
    return np.clip((level + range_db) / range_db, 0.0, 1.0)


def spectrogram_levels(S: np.ndarray, sr: int, *, height: int = 256, width: int = 1024,
                       range_db: float = 80.0) -> np.ndarray:
    """A magnitude spectrogram as image levels: low frequencies at the bottom row.

    Parameters
    ----------
    S : np.ndarray, shape=(bins, frames), non-negative
        Magnitudes.
    sr : int
    height, width : int
        Pixels; the width is at most the number of frames.
    range_db : float
        Levels below the maximum by more than this are black.

    Returns
    -------
    np.ndarray, shape=(height, min(width, frames)), values in [0, 1]
    """
    S = np.asarray(S, dtype=np.float32)
    rows = _pool(S, band_starts(S.shape[0], sr, height), axis=0)
    image = _pool(rows, _column_starts(S.shape[1], width), axis=1)
    return _decibel_levels(image, float(S.max(initial=0.0)), range_db)[::-1]


def spectrogram_png(S: np.ndarray, sr: int, **kwargs) -> bytes:
    """:func:`spectrogram_levels` coloured and encoded as a PNG file."""
    return png_bytes(colorize(spectrogram_levels(S, sr, **kwargs)))


def spectrum_curves(W: np.ndarray, sr: int, *, n_points: int = 128,
                    range_db: float = 60.0) -> np.ndarray:
    """Each component's spectrum on a log-frequency axis, in decibels below its peak.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)

    Returns
    -------
    np.ndarray, shape=(K, n_points), values in [0, 1] (1 is the component's peak)
    """
    W = np.asarray(W, dtype=np.float32)
    pooled = _pool(W, band_starts(W.shape[0], sr, n_points), axis=0).T
    peaks = pooled.max(axis=1, keepdims=True)
    level = 20 * np.log10(np.maximum(pooled, _TINY) / np.maximum(peaks, _TINY))
    return np.clip((level + range_db) / range_db, 0.0, 1.0)


def activation_curves(H: np.ndarray, *, n_points: int = 256) -> np.ndarray:
    """Each component's activation over time, the square root of its share of its peak.

    Parameters
    ----------
    H : np.ndarray, shape=(K, frames)

    Returns
    -------
    np.ndarray, shape=(K, min(n_points, frames)), values in [0, 1]
    """
    H = np.asarray(H, dtype=np.float32)
    pooled = _pool(H, _column_starts(H.shape[1], n_points), axis=1)
    peaks = np.maximum(pooled.max(axis=1, keepdims=True), _TINY)
    return np.sqrt(np.clip(pooled / peaks, 0.0, 1.0))
