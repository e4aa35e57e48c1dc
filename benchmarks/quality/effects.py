"""Audio effects for the rendered benchmark categories: applied to stems, so stems still add up.

Reverb (a decaying-noise impulse response, mono or stereo), a feedback delay, a
soft-clipping distortion, constant-power panning, and a mastering chain (bus
compression and a peak limiter) computed on the mix and applied as one
time-varying gain to every stem: the mastered stems add up exactly to the
mastered mix.  Deterministic for a given ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d
from scipy.signal import fftconvolve, lfilter


def impulse_response(sr: int, rng: np.random.Generator, seconds: float,
                     channels: int = 1, pre_delay: float = 0.01) -> np.ndarray:
    """A room's impulse response: exponentially decaying noise reaching -60 dB at ``seconds``.

    Returns
    -------
    np.ndarray, shape=(channels, samples), unit energy per channel
    """
    n = int(seconds * sr)
    t = np.arange(n) / sr
    decay = np.exp(-6.91 * t / seconds)  # -60 dB at ``seconds``
    noise = rng.standard_normal((channels, n)) * decay
    # darker tail: a one-pole lowpass whose cutoff falls with time would be nicer; a fixed
    # lowpass keeps it cheap
    noise = lfilter([0.35], [1.0, -0.65], noise, axis=-1)
    ir = np.concatenate([np.zeros((channels, int(pre_delay * sr))), noise], axis=-1)
    return ir / np.sqrt((ir**2).sum(axis=-1, keepdims=True))


def reverb(x: np.ndarray, ir: np.ndarray, wet: float) -> np.ndarray:
    """``x`` (samples,) or (channels, samples) plus ``wet`` times its reverb, same length.

    With a stereo ``ir`` a mono ``x`` becomes stereo; a stereo ``x`` is reverberated per channel.
    """
    x, ir = np.atleast_2d(x), np.atleast_2d(ir)
    channels = max(x.shape[0], ir.shape[0])
    x = np.broadcast_to(x, (channels, x.shape[1]))
    ir = np.broadcast_to(ir, (channels, ir.shape[1]))
    tail = np.stack([fftconvolve(x[c], ir[c])[: x.shape[1]] for c in range(channels)])
    rms_in = np.sqrt(np.mean(x**2)) + 1e-12
    rms_tail = np.sqrt(np.mean(tail**2)) + 1e-12
    out = x + wet * tail * (rms_in / rms_tail)
    return out if channels > 1 else out[0]


def delay(x: np.ndarray, sr: int, seconds: float, feedback: float, wet: float) -> np.ndarray:
    """A feedback delay (echoes every ``seconds``, each ``feedback`` times the previous)."""
    d = max(1, int(round(seconds * sr)))
    out = np.array(x, dtype=np.float64, copy=True)
    gain, shift = wet, d
    while gain > 1e-3 and shift < x.shape[-1]:
        out[..., shift:] += gain * x[..., : x.shape[-1] - shift]
        gain *= feedback
        shift += d
    return out


def distortion(x: np.ndarray, drive_db: float) -> np.ndarray:
    """Soft clipping (tanh) after ``drive_db`` of gain, back to the input's RMS."""
    scale = np.abs(x).max() + 1e-12
    y = np.tanh(x / scale * 10 ** (drive_db / 20))
    return y * (np.sqrt(np.mean(x**2)) / (np.sqrt(np.mean(y**2)) + 1e-12))


def pan(x: np.ndarray, position: float) -> np.ndarray:
    """A mono signal to stereo by constant-power panning; ``position`` from -1 (left) to 1."""
    angle = (position + 1) * np.pi / 4
    return np.stack([np.cos(angle) * x, np.sin(angle) * x])


def _envelope(level: np.ndarray, sr: int, attack: float, release: float) -> np.ndarray:
    """An attack/release follower of a non-negative signal (one sample at a time, vectorized
    per block of equal direction would be faster; the signals here are short)."""
    a = np.exp(-1.0 / (attack * sr))
    r = np.exp(-1.0 / (release * sr))
    out = np.empty_like(level)
    state = 0.0
    for i, v in enumerate(level):
        coef = a if v > state else r
        state = coef * state + (1 - coef) * v
        out[i] = state
    return out


def mastering_gain(mix: np.ndarray, sr: int, *, threshold_db: float = -18.0,
                   ratio: float = 3.0, attack: float = 0.01, release: float = 0.15,
                   ceiling: float = 0.5, lookahead: float = 0.005) -> np.ndarray:
    """The gain curve of a bus compressor followed by a peak limiter, computed on ``mix``.

    The compressor works on the mix's level (in dB re. its peak, channels linked), with
    ``ratio`` above ``threshold_db``, smoothed by ``attack``/``release`` seconds; make-up
    gain then drives the mix into a limiter whose gain (the running minimum over
    ``lookahead``, smoothed) keeps every peak at or below ``ceiling`` times the peak.

    Returns
    -------
    np.ndarray, shape=(samples,)
        Multiply the mix and every stem by it.
    """
    mix = np.atleast_2d(mix)
    peak = np.abs(mix).max() + 1e-12
    hop = max(1, int(0.001 * sr))  # the follower at 1 kHz, then interpolated
    level = np.abs(mix).max(axis=0) / peak
    frames = maximum_filter1d(level, hop)[::hop]
    env = _envelope(frames, sr / hop, attack, release)
    env_db = 20 * np.log10(env + 1e-9)
    over = np.maximum(env_db - threshold_db, 0.0)
    gain_db = -over * (1 - 1 / ratio)
    makeup_db = -0.5 * gain_db.min()
    gain = 10 ** ((gain_db + makeup_db) / 20)
    gain = np.interp(np.arange(mix.shape[1]) / hop, np.arange(gain.size), gain)
    driven = level * gain
    window = max(1, int(lookahead * sr))
    needed = np.minimum(1.0, ceiling / np.maximum(maximum_filter1d(driven, 2 * window + 1),
                                                  1e-12))
    # smooth the limiter's gain without letting it rise above what a peak needs
    smooth = np.convolve(needed, np.hanning(2 * window + 1) / np.hanning(2 * window + 1).sum(),
                         mode="same")
    limiter = np.minimum(needed, smooth)
    return gain * limiter
