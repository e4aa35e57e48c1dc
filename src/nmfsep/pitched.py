"""How much of a recording sounds pitched: the test that tells a drum kit alone from a band.

A frame sounds pitched when its sustained spectrum (a median over
:data:`SUSTAIN_SECONDS`: drum hits fade out of it, held notes stay) holds at
least :data:`HARMONICS` narrow peaks between 30 Hz and 4 kHz that lie on one
harmonic series (multiples of one fundamental between 35 Hz and 1 kHz, within
1.5 % or 0.6 bins).  Drums ring with few peaks, and the modes of toms and
cymbals are not harmonic; a bass, keys or a voice fill the series.

:func:`pitched_fraction` is the share of such frames.  Three decisions read it
against one threshold, :attr:`nmfsep.policy.Policy.drums_alone_frames`:
``nmfsep drums`` keeps a ``rest`` stem only above it
(:func:`nmfsep.drums.separate_drums`), ``auto`` splits a recording at or
below it into drum pieces by timbre (:func:`nmfsep.policy.auto_grouping`), and
:func:`nmfsep.learn_dictionary` shifts the pitch of examples only above it.
"""

from __future__ import annotations

import numpy as np

from .features import median_along

__all__ = ["pitched_fraction"]

#: The sustained spectrum: a median over this long.
SUSTAIN_SECONDS = 0.3
#: A peak of the sustained spectrum stands this far above its median over 200 Hz …
PEAK_RATIO = 4.0
#: … and within this many dB of the frame's strongest.
PEAK_RANGE_DB = 40.0
#: A frame sounds pitched with at least this many peaks on one harmonic series.
HARMONICS = 5
#: At most this many active frames are tested (evenly spaced), so that an hour-long
#: recording costs no more than a few minutes of music; shorter ones test every frame.
MAX_TESTED_FRAMES = 4096
#: Tested frames whose windows are gathered at once (a few tens of MB at 44.1 kHz).
WINDOW_BLOCK = 256
#: Per tested frame, the median of its own window costs about as much as this many
#: frames of the running median over the whole recording.
WINDOW_COST = 5


def pitched_fraction(V: np.ndarray, sr: int, hop: int) -> float:
    """The fraction of a recording's active frames in which a pitched instrument sounds.

    Parameters
    ----------
    V : np.ndarray, shape=(bins, frames)
        Magnitude spectrogram (any scale), ``bins = n_fft // 2 + 1``.
    sr : int
        Sample rate.
    hop : int
        STFT hop in samples.

    Returns
    -------
    float in [0, 1]
        0 for a silent recording.
    """
    V = np.asarray(V, dtype=np.float32)
    n_fft = 2 * (V.shape[0] - 1)
    bin_hz = sr / n_fft
    freqs = np.arange(V.shape[0]) * bin_hz
    energy = V.sum(axis=0)
    if energy.size == 0 or energy.max() <= 0:
        return 0.0
    active = np.flatnonzero(energy > energy.max() * 1e-3)
    if active.size > MAX_TESTED_FRAMES:
        active = active[np.linspace(0, active.size - 1, MAX_TESTED_FRAMES).round().astype(int)]
    # here, not at the top: scipy.ndimage is slow to import and the stream
    # does without it
    from scipy.ndimage import maximum_filter

    frames = max(3, int(round(SUSTAIN_SECONDS * sr / hop)) | 1)
    sustained = _sustained(V, active, frames)
    floor = median_along(sustained, max(3, int(round(200 / bin_hz)) | 1), axis=0,
                         mode="reflect")
    peaks = ((sustained > PEAK_RATIO * floor)
             & (sustained >= maximum_filter(sustained, size=(3, 1)))
             & (sustained > sustained.max(axis=0, keepdims=True) * 10 ** (-PEAK_RANGE_DB / 20))
             & ((freqs > 30) & (freqs < 4000))[:, None])
    log = np.log(sustained + 1e-20)
    pitched = sum(_on_one_series(peaks[:, j], log[:, j], bin_hz) for j in range(active.size))
    return pitched / active.size


def _sustained(V: np.ndarray, columns: np.ndarray, length: int) -> np.ndarray:
    """The running median of ``length`` frames across time (edges reflected), at ``columns``.

    When the tested frames' own windows would cost more than one running median
    over the whole recording (:data:`WINDOW_COST`), or a window is longer than
    the recording, that running median; otherwise the median of each tested
    frame's own window, a block of frames at a time, with no copy of an
    hour-long spectrogram.
    Both select the same values as ``median_filter(V, (1, length), mode="reflect")``.
    """
    n_frames = V.shape[1]
    if WINDOW_COST * columns.size >= n_frames or n_frames <= length:
        return median_along(V, length, axis=1, mode="reflect")[:, columns]
    half = length // 2
    out = np.empty((V.shape[0], columns.size), dtype=V.dtype)
    for start in range(0, columns.size, WINDOW_BLOCK):
        chunk = columns[start : start + WINDOW_BLOCK]
        window = chunk[:, None] + np.arange(-half, half + 1)[None, :]
        window = np.where(window < 0, -window - 1, window)  # scipy's "reflect"
        window = np.where(window >= n_frames, 2 * n_frames - window - 1, window)
        out[:, start : start + chunk.size] = np.median(V[:, window], axis=2)
    return out


def _on_one_series(peaks: np.ndarray, log: np.ndarray, bin_hz: float) -> bool:
    """Whether at least :data:`HARMONICS` of one frame's peaks lie on one harmonic series."""
    bins = np.flatnonzero(peaks[1:-1]) + 1
    if bins.size < HARMONICS:
        return False
    a, b, c = log[bins - 1], log[bins], log[bins + 1]
    curvature = a - 2 * b + c
    offset = np.where(curvature < 0, 0.5 * (a - c) / np.where(curvature < 0, curvature, -1), 0.0)
    hz = (bins + np.clip(offset, -0.5, 0.5)) * bin_hz
    f0 = np.unique(np.concatenate([hz / k for k in (1, 2, 3)]))
    f0 = f0[(f0 >= 35) & (f0 <= 1000)]
    if f0.size == 0:
        return False
    ratio = hz[None, :] / f0[:, None]
    order = np.round(ratio)
    on_series = ((order >= 1) & (order <= 16)
                 & (np.abs(ratio - order) * f0[:, None]
                    < np.maximum(0.6 * bin_hz, 0.015 * hz[None, :])))
    return bool(on_series.sum(axis=1).max() >= HARMONICS)
