"""Built-in example signals made by nmfsep's own synthesis.

A plucked-string guitar (Karplus-Strong) strumming a chord progression and a
drum kit (kick, snare, hi-hat) playing a groove: a drums + guitar mixture with
its true sources, for the demo, the tutorial and the tests.  Deterministic for
a given seed; nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ParameterError

__all__ = ["Example", "drums_and_guitar", "pluck", "kick", "snare", "hihat", "CHORDS"]

# Open-position guitar voicings as MIDI notes (low to high strings).
CHORDS = {
    "C": [48, 52, 55, 60, 64],
    "G": [43, 47, 50, 55, 59, 67],
    "Am": [45, 52, 57, 60, 64],
    "F": [41, 48, 53, 57, 60, 65],
    "Em": [40, 47, 52, 55, 59, 64],
    "D": [50, 57, 62, 66],
}


@dataclass
class Example:
    """A mixture with its true sources.

    Attributes
    ----------
    mixture : np.ndarray, shape=(channels, samples), float32
    sources : np.ndarray, shape=(n_sources, channels, samples); sums to ``mixture``
    names : list of str
    sr : int
    """

    mixture: np.ndarray
    sources: np.ndarray
    names: list[str]
    sr: int


def _midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def pluck(
    frequency: float, duration: float, sr: int, rng: np.random.Generator,
    *, decay: float = 0.996, brightness: float = 0.5,
) -> np.ndarray:
    """One plucked string by the Karplus-Strong algorithm.

    Parameters
    ----------
    frequency : float
        Fundamental in Hz.
    duration : float
        Seconds.
    decay : float
        Loop gain per period (closer to 1 rings longer).
    brightness : float in (0, 1)
        Weight of the current sample in the loop's two-point lowpass.

    Returns
    -------
    np.ndarray, shape=(samples,)
    """
    n = int(duration * sr)
    period = max(2, int(round(sr / frequency)))
    burst = rng.uniform(-1, 1, period)
    # A pick is softer than white noise: smooth the excitation a little.
    burst = np.convolve(burst, np.ones(3) / 3, mode="same")
    burst -= burst.mean()
    out = np.empty(n)
    buffer = burst.copy()
    # Process a whole period at a time: out[t] depends on out[t - period].
    for start in range(0, n, period):
        stop = min(start + period, n)
        chunk = buffer[: stop - start]
        out[start:stop] = chunk
        shifted = np.roll(buffer, -1)
        buffer = decay * (brightness * buffer + (1 - brightness) * shifted)
    attack = min(n, int(0.002 * sr))
    out[:attack] *= np.linspace(0, 1, attack, endpoint=False)
    return out


def kick(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A kick drum: a pitch-swept sine with a click."""
    t = np.arange(int(0.35 * sr)) / sr
    frequency = 45 + 90 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(frequency) / sr
    body = np.sin(phase) * np.exp(-t / 0.12)
    click = rng.standard_normal(t.size) * np.exp(-t / 0.003) * 0.3
    return body + click


def snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A snare drum: a damped tone and a burst of bright noise."""
    t = np.arange(int(0.25 * sr)) / sr
    tone = np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.04)
    noise = rng.standard_normal(t.size)
    noise = np.diff(noise, prepend=0.0)  # tilt towards high frequencies
    return 0.6 * tone + 0.5 * noise * np.exp(-t / 0.07)


def hihat(sr: int, rng: np.random.Generator, *, open_: bool = False) -> np.ndarray:
    """A hi-hat: high-passed noise, closed (short) or open (longer)."""
    t = np.arange(int((0.3 if open_ else 0.06) * sr)) / sr
    noise = rng.standard_normal(t.size)
    for _ in range(2):
        noise = np.diff(noise, prepend=0.0)
    return 0.25 * noise * np.exp(-t / (0.09 if open_ else 0.015))


def _place(track: np.ndarray, sound: np.ndarray, start: int, gain: float) -> None:
    stop = min(track.size, start + sound.size)
    if start < stop:
        track[start:stop] += gain * sound[: stop - start]


def drums_and_guitar(
    duration: float = 8.0, sr: int = 22050, *, tempo: float = 100.0, seed: int = 0,
    progression: tuple[str, ...] = ("C", "G", "Am", "F"),
    stereo: bool = False,
) -> Example:
    """The built-in drums + guitar example.

    Parameters
    ----------
    duration : float
        Seconds.
    sr : int
    tempo : float
        Beats per minute; one chord per bar of four beats.
    seed : int
        Seeds the string excitations, drum noise and small timing variations.
    progression : tuple of str
        Chord names from :data:`CHORDS`.
    stereo : bool
        Pan the guitar a little left and the hi-hat right.

    Returns
    -------
    Example
        ``names == ["drums", "guitar"]``; the drums and guitar are at equal
        loudness (RMS) and the mixture peaks at 0.9.

    Raises
    ------
    ParameterError
        For a duration or tempo that is not a positive number.
    """
    if not np.isfinite(duration) or duration <= 0:
        raise ParameterError(f"duration must be a positive number of seconds, got {duration}")
    if not np.isfinite(tempo) or tempo <= 0:
        raise ParameterError(f"tempo must be a positive number of beats per minute, got {tempo}")
    rng = np.random.default_rng(seed)
    n = int(duration * sr)
    beat = 60.0 / tempo
    eighth = beat / 2
    guitar = np.zeros(n)
    drums_low = np.zeros(n)
    drums_high = np.zeros(n)
    sounds = {
        "kick": [kick(sr, rng) for _ in range(3)],
        "snare": [snare(sr, rng) for _ in range(3)],
        "hat": [hihat(sr, rng) for _ in range(4)],
        "open": [hihat(sr, rng, open_=True)],
    }
    # Strumming pattern in eighths: down, -, down, up, -, up, down, up
    strums = [(0, 1), (2, 1), (3, -1), (5, -1), (6, 1), (7, -1)]
    n_bars = int(np.ceil(duration / (4 * beat)))
    for bar in range(n_bars):
        chord = CHORDS[progression[bar % len(progression)]]
        bar_start = bar * 4 * beat
        for slot, direction in strums:
            t0 = bar_start + slot * eighth + rng.normal(0, 0.004)
            notes = chord if direction > 0 else chord[::-1][:4]
            accent = 1.0 if slot in (0, 6) else 0.6
            for i, note in enumerate(notes):
                start = int(max(0.0, t0 + i * 0.012) * sr)
                ring = eighth * (4 if slot == 6 else 2)
                tone = pluck(_midi_hz(note), ring + 0.3, sr, rng, decay=0.997,
                             brightness=0.55)
                tone[-int(0.3 * sr):] *= np.linspace(1, 0, int(0.3 * sr))
                _place(guitar, tone, start, accent * rng.uniform(0.8, 1.0))
        for step in range(8):
            t0 = bar_start + step * eighth + rng.normal(0, 0.003)
            start = int(max(0.0, t0) * sr)
            if step in (0, 3, 5) or (step == 7 and bar % 2):
                _place(drums_low, sounds["kick"][rng.integers(3)], start, rng.uniform(0.8, 1.0))
            if step in (2, 6):
                _place(drums_low, sounds["snare"][rng.integers(3)], start, rng.uniform(0.85, 1.0))
            hat = sounds["open"][0] if (step == 7 and bar % 4 == 3) else sounds["hat"][step % 4]
            _place(drums_high, hat, start, 0.9 if step % 2 == 0 else 0.6)
    drums_mono = drums_low + drums_high
    guitar *= np.sqrt(np.mean(drums_mono**2) / max(np.mean(guitar**2), 1e-20))
    if stereo:
        guitar_st = np.stack([0.65 * guitar, 0.45 * guitar]) * np.sqrt(2)
        drums_st = np.stack([drums_low + 0.6 * drums_high, drums_low + 1.2 * drums_high])
        sources = np.stack([drums_st, guitar_st])
    else:
        sources = np.stack([drums_mono, guitar])[:, np.newaxis, :]
    mixture = sources.sum(axis=0)
    scale = 0.9 / max(np.abs(mixture).max(), 1e-12)
    sources = (sources * scale).astype(np.float32)
    return Example(mixture=sources.sum(axis=0), sources=sources, names=["drums", "guitar"], sr=sr)
