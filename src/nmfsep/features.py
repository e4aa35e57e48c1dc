"""Features of NMF components, for grouping them and for people to read.

Each function takes the factors ``W`` (bins, K) and/or ``H`` (K, frames) and
returns one value (or one vector) per component.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.fft import dct

from .policy import DEFAULT_POLICY, Policy
from .running_median import running_median

__all__ = [
    "bin_frequencies",
    "spectral_centroid",
    "low_frequency_ratio",
    "spectral_flatness",
    "mel_filterbank",
    "basis_mfcc",
    "MedianFilterLengths",
    "median_filter_lengths",
    "median_along",
    "percussive_mask",
    "blocked_percussive_mask",
    "percussiveness",
    "percussive_share",
    "spikiness",
    "tonalness",
    "coactivation",
    "component_features",
    "PAIR_FEATURES",
    "pair_features",
]

_TINY = 1e-12
#: Largest magnitude whose square float32 holds with room to add another.
_SQUARE_SAFE = 1e18

class MedianFilterLengths(NamedTuple):
    """Median-filter lengths, in frames and bins, for one STFT."""

    frames: int
    bins: int
    spike_frames: int


def _odd_at_least_3(x: float) -> int:
    """The odd integer nearest to ``x``, at least 3."""
    return max(3, 2 * int(round((x - 1) / 2)) + 1)


def median_filter_lengths(sr: int, hop: int, n_bins: int,
                          policy: Policy = DEFAULT_POLICY) -> MedianFilterLengths:
    """Filter lengths of the HPSS features in frames and bins, for an STFT.

    The features are defined in seconds and hertz (the policy's
    ``harmonic_filter_seconds``, ``percussive_filter_hz`` and
    ``spikiness_seconds``), so that they mean the same at every frame length
    and sample rate.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    hop : int
        STFT hop in samples.
    n_bins : int
        Frequency bins of the spectrogram (``n_fft // 2 + 1``).
    policy : Policy
        Where the lengths in seconds and hertz come from.

    Returns
    -------
    MedianFilterLengths
        Odd lengths of at least 3.
    """
    frame_seconds = hop / sr
    bin_hz = sr / 2 / max(n_bins - 1, 1)
    return MedianFilterLengths(
        frames=_odd_at_least_3(policy.harmonic_filter_seconds / frame_seconds),
        bins=_odd_at_least_3(policy.percussive_filter_hz / bin_hz),
        spike_frames=_odd_at_least_3(policy.spikiness_seconds / frame_seconds),
    )


def bin_frequencies(n_bins: int, sr: int) -> np.ndarray:
    """Centre frequency in Hz of each of the ``n_bins`` STFT bins."""
    return np.linspace(0.0, sr / 2, n_bins)


def _unit_columns(W: np.ndarray) -> np.ndarray:
    W = np.asarray(W, dtype=np.float64)
    return W / np.maximum(W.sum(axis=0, keepdims=True), _TINY)


def spectral_centroid(W: np.ndarray, sr: int) -> np.ndarray:
    """Magnitude-weighted mean frequency (Hz) of each basis spectrum, shape=(K,)."""
    return bin_frequencies(W.shape[0], sr) @ _unit_columns(W)


def low_frequency_ratio(W: np.ndarray, sr: int, cutoff: float = 200.0) -> np.ndarray:
    """Share of each basis spectrum's energy below ``cutoff`` Hz, shape=(K,)."""
    energy = np.asarray(W, dtype=np.float64) ** 2
    low = bin_frequencies(W.shape[0], sr) < cutoff
    return energy[low].sum(axis=0) / np.maximum(energy.sum(axis=0), _TINY)


def spectral_flatness(W: np.ndarray) -> np.ndarray:
    """Geometric over arithmetic mean of each basis spectrum, in (0, 1]; 1 is white noise."""
    W = np.asarray(W, dtype=np.float64) + _TINY
    return np.exp(np.mean(np.log(W), axis=0)) / np.mean(W, axis=0)


def mel_filterbank(n_bins: int, sr: int, n_mels: int = 40, fmin: float = 30.0) -> np.ndarray:
    """Triangular mel filters (HTK mel scale), shape=(n_mels, n_bins)."""
    def to_mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def to_hz(m):
        return 700.0 * (10 ** (np.asarray(m) / 2595.0) - 1.0)

    edges = to_hz(np.linspace(to_mel(fmin), to_mel(sr / 2), n_mels + 2))
    freqs = bin_frequencies(n_bins, sr)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


def basis_mfcc(W: np.ndarray, sr: int, n_mfcc: int = 13, n_mels: int = 40) -> np.ndarray:
    """MFCCs of each basis spectrum (without c0, the loudness), shape=(K, n_mfcc).

    The features of the NMF-MFCC grouping (Spiertz & Gnann 2009).
    """
    mel = mel_filterbank(W.shape[0], sr, n_mels) @ _unit_columns(W)
    log_mel = np.log(mel + 1e-6)
    return dct(log_mel, type=2, norm="ortho", axis=0)[1 : n_mfcc + 1].T


def percussive_mask(V: np.ndarray, frames: int = 17, bins: int = 17) -> np.ndarray:
    """Soft percussive mask of a spectrogram by median filtering (Fitzgerald 2010).

    Parameters
    ----------
    V : np.ndarray, shape=(bins, frames), non-negative
    frames, bins : int
        Median filter lengths across time (harmonic) and frequency (percussive);
        :func:`median_filter_lengths` gives them for an STFT.

    Returns
    -------
    np.ndarray, shape=V.shape, values in [0, 1]
    """
    V = np.asarray(V, dtype=np.float32)
    harmonic = median_along(V, frames, axis=1)
    percussive = median_along(V, bins, axis=0)
    if V.size and float(V.max()) > _SQUARE_SAFE:  # the squares would overflow float32
        p2, h2 = percussive.astype(np.float64) ** 2, harmonic.astype(np.float64) ** 2
        return (p2 / np.maximum(p2 + h2, _TINY)).astype(np.float32)
    np.square(percussive, out=percussive)  # p², then p² / max(p² + h², tiny), in place
    np.square(harmonic, out=harmonic)
    harmonic += percussive
    np.maximum(harmonic, np.float32(_TINY), out=harmonic)
    percussive /= harmonic
    return percussive


def blocked_percussive_mask(V: np.ndarray, block: int = 4096, halo: int = 32,
                            frames: int = 17, bins: int = 17) -> np.ndarray:
    """:func:`percussive_mask` of ``V``, computed by blocks of frames.

    Each block is filtered with at least ``halo`` frames of context on both
    sides (always more than half the median filter's length ``frames`` across
    time), so the result equals the whole computation; the float64
    temporaries stay block-sized.

    Returns
    -------
    np.ndarray, shape=V.shape, float32
    """
    n_frames = V.shape[1]
    halo = max(halo, frames // 2 + 1)
    out = np.empty(V.shape, dtype=np.float32)
    for first in range(0, n_frames, block):
        last = min(n_frames, first + block)
        lo, hi = max(0, first - halo), min(n_frames, last + halo)
        out[:, first:last] = percussive_mask(V[:, lo:hi], frames, bins)[:, first - lo : last - lo]
    return out


def median_along(V: np.ndarray, length: int, axis: int, mode: str = "nearest") -> np.ndarray:
    """Running median of ``length`` along ``axis`` of a 2-D array.

    By a selection network over blocks of rows, in threads
    (:func:`nmfsep.running_median.running_median`); a median selects one of
    the input values, so the result is identical to
    ``median_filter(V, size, mode=mode)`` with ``size`` ``(1, length)`` or
    ``(length, 1)``.

    Parameters
    ----------
    V : np.ndarray, shape=(rows, columns)
    length : int
    axis : {0, 1}
    mode : str
        How the edges are extended (scipy.ndimage's modes; "nearest" repeats them).

    Returns
    -------
    np.ndarray, shape=V.shape, dtype of V
    """
    return running_median(V, length, axis, mode)


def percussiveness(W: np.ndarray, H: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Share of each component's rebuilt spectrogram ``W_k H_k`` that lies in ``mask``.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    mask : np.ndarray, shape=(bins, frames), in [0, 1]
        Typically :func:`percussive_mask` of the mixture.

    Returns
    -------
    np.ndarray, shape=(K,), in [0, 1]
    """
    weighted = ((W.T @ mask) * H).sum(axis=1, dtype=np.float64)
    total = W.sum(axis=0, dtype=np.float64) * H.sum(axis=1, dtype=np.float64)
    return weighted / np.maximum(total, _TINY)


def percussive_share(V: np.ndarray, mask: np.ndarray) -> float:
    """Share of the spectrogram ``V`` that lies in the percussive ``mask``, in [0, 1].

    Parameters
    ----------
    V : np.ndarray, shape=(bins, frames), non-negative
    mask : np.ndarray, shape=(bins, frames), in [0, 1]
        Typically :func:`percussive_mask` of ``V``.

    Returns
    -------
    float
        0 for a silent ``V``.
    """
    V = np.ravel(V)
    total = float(np.sum(V, dtype=np.float64))
    if total <= 0:
        return 0.0
    return float(np.dot(V, np.ravel(mask).astype(V.dtype, copy=False))) / total


def tonalness(W: np.ndarray, sr: int,
              median_hz: float = DEFAULT_POLICY.tonalness_median_hz) -> np.ndarray:
    """Share of each basis spectrum that stands above its running median across frequency.

    Pitched instruments have line spectra: most of their energy lies in
    harmonic peaks well above the local median.  Drums, cymbals and noise are
    broadband: their spectrum stays near its median.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    sr : int
    median_hz : float
        Width of the running median across frequency, in Hz.

    Returns
    -------
    np.ndarray, shape=(K,), in [0, 1]
    """
    unit = _unit_columns(W)
    bin_hz = sr / 2 / max(W.shape[0] - 1, 1)
    width = _odd_at_least_3(median_hz / bin_hz)
    # here, not at the top: scipy.ndimage is slow to import and the stream
    # does without it
    from scipy.ndimage import median_filter

    floor = median_filter(unit, size=(width, 1), mode="nearest")
    return np.maximum(unit - floor, 0.0).sum(axis=0)


def spikiness(H: np.ndarray, frames: int = 21) -> np.ndarray:
    """How much of each activation is short bursts above its running median, in [0, 1].

    Drum hits rise and fall within a few frames over a silent floor; sustained
    notes keep the median high.

    Parameters
    ----------
    H : np.ndarray, shape=(K, frames)
    frames : int
        Running-median length in frames (21 frames ≈ 0.25 s at hop 256, 22.05 kHz;
        :func:`median_filter_lengths` gives it for an STFT).

    Returns
    -------
    np.ndarray, shape=(K,)
    """
    # here, not at the top: scipy.ndimage is slow to import and the stream
    # does without it
    from scipy.ndimage import median_filter

    H = np.asarray(H, dtype=np.float64)
    floor = median_filter(H, size=(1, frames), mode="nearest")
    bursts = np.maximum(H - floor, 0.0)
    return (bursts**2).sum(axis=1) / np.maximum((H**2).sum(axis=1), _TINY)


def coactivation(H: np.ndarray) -> np.ndarray:
    """How much two components sound at the same time: cosine of their activations.

    Parameters
    ----------
    H : np.ndarray, shape=(K, frames)

    Returns
    -------
    np.ndarray, shape=(K, K), in [0, 1]
        1 on the diagonal; 0 for components never active together.  A component
        that is silent throughout has 0 with every other.
    """
    H = np.asarray(H, dtype=np.float64)
    norms = np.linalg.norm(H, axis=1, keepdims=True)
    unit = H / np.maximum(norms, _TINY)
    overlap = np.clip(unit @ unit.T, 0.0, 1.0)
    np.fill_diagonal(overlap, 1.0)
    return overlap


def component_features(
    W: np.ndarray, H: np.ndarray, sr: int, percussive: np.ndarray | None = None,
    spike_frames: int = 21,
) -> dict[str, np.ndarray]:
    """The readable features of every component, as reported in ``separation.json``.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    sr : int
    percussive : np.ndarray, optional, shape=(bins, frames)
        A percussive mask (:func:`percussive_mask`) for ``percussiveness``.
    spike_frames : int
        Running-median length of :func:`spikiness`.

    Returns
    -------
    dict of str to np.ndarray, each shape=(K,)
        ``centroid_hz``, ``low_ratio``, ``flatness``, ``energy`` (share of the
        model's total), ``spikiness``, and ``percussiveness`` when a percussive
        mask is given.
    """
    energy = W.sum(axis=0, dtype=np.float64) * H.sum(axis=1, dtype=np.float64)
    features = {
        "centroid_hz": spectral_centroid(W, sr),
        "low_ratio": low_frequency_ratio(W, sr),
        "flatness": spectral_flatness(W),
        "energy": energy / max(energy.sum(), _TINY),
        "spikiness": spikiness(H, spike_frames),
    }
    if percussive is not None:
        features["percussiveness"] = percussiveness(W, H, percussive)
    return features


#: The names of :func:`pair_features`' last axis, in order.
PAIR_FEATURES = ("mfcc distance", "activation correlation", "delta log centroid",
                 "delta tonalness", "delta percussiveness", "delta log spikiness",
                 "W cosine", "delta low-frequency ratio")


def pair_features(W: np.ndarray, H: np.ndarray, sr: int, percussive: np.ndarray,
                  spike_frames: int = 21) -> np.ndarray:
    """Features of every pair of components, for a learned same-source affinity.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    sr : int
    percussive : np.ndarray, shape=(bins, frames)
        Soft percussive mask of the factorized spectrogram.
    spike_frames : int
        Running-median length of :func:`spikiness`.

    Returns
    -------
    np.ndarray, shape=(K, K, len(PAIR_FEATURES))
        Symmetric in its first two axes: the distance of the MFCCs (z-scored over the
        components), the correlation of the log activations, the absolute differences of
        log spectral centroid, tonalness, percussiveness, log spikiness and low-frequency
        ratio, and the cosine of the basis spectra.
    """
    mfcc = basis_mfcc(W, sr)
    mfcc = (mfcc - mfcc.mean(axis=0)) / (mfcc.std(axis=0) + 1e-9)
    d_mfcc = np.linalg.norm(mfcc[:, None] - mfcc[None], axis=-1) / np.sqrt(mfcc.shape[1])
    log_h = np.log(H + 1e-6 * max(float(H.max()), _TINY))
    corr = np.nan_to_num(np.corrcoef(log_h)) if H.shape[0] > 1 else np.ones((1, 1))
    unit = W / np.maximum(np.linalg.norm(W, axis=0, keepdims=True), _TINY)

    def delta(x: np.ndarray) -> np.ndarray:
        return np.abs(x[:, None] - x[None])

    return np.stack([
        d_mfcc, corr, delta(np.log(spectral_centroid(W, sr) + 20.0)),
        delta(tonalness(W, sr)), delta(percussiveness(W, H, percussive)),
        delta(np.log(spikiness(H, spike_frames) + 1e-6)), unit.T @ unit,
        delta(low_frequency_ratio(W, sr)),
    ], axis=-1)
