"""The benchmark's inputs: music-like spectrograms and their common initialization.

V comes from nmfsep's own drums + guitar synthesis (different seeds, tempos
and chord progressions per 30-second section, so a 3-minute song does not
repeat), not white noise.  Arrays are cached under :func:`cache_dir`.

The end-to-end runs use :func:`render_band`: a stereo band mix (drums, bass,
guitar, piano and a sung melody) rendered from sampled instruments with the
quality benchmark's generator (fluidsynth and a General MIDI soundfont), a new
song every 30 seconds, cached in the quality benchmark's render cache.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nmfsep import synth
from nmfsep.nmf import initialize
from nmfsep.spectral import STFTConfig, mixture_spectrogram, stft

PROGRESSIONS = [
    ("C", "G", "Am", "F"), ("Am", "F", "C", "G"), ("Em", "C", "G", "D"),
    ("D", "G", "Em", "C"), ("F", "C", "G", "Am"), ("G", "D", "Em", "C"),
]


@dataclass(frozen=True)
class Workload:
    """One factorization problem of the benchmark."""

    name: str
    seconds: float
    sr: int
    n_components: int
    n_fft: int = 2048
    hop: int = 512


WORKLOADS = {
    "song": Workload("song", 180.0, 44100, 32),
    "clip": Workload("clip", 30.0, 22050, 16),
}


def cache_dir() -> Path:
    """Where rendered audio and spectrograms are kept (``$NMFSEP_BENCH_CACHE``)."""
    default = Path.home() / ".cache" / "nmfsep-bench"
    path = Path(os.environ.get("NMFSEP_BENCH_CACHE", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def render_music(seconds: float, sr: int, *, stereo: bool = True) -> np.ndarray:
    """Drums + guitar, a new seed, tempo and progression every 30 s; shape=(channels, samples)."""
    path = cache_dir() / f"music_{int(seconds)}s_{sr}_{'st' if stereo else 'mono'}.npy"
    if path.exists():
        return np.load(path)
    sections = []
    remaining, index = seconds, 0
    while remaining > 0:
        length = min(30.0, remaining)
        example = synth.drums_and_guitar(
            duration=length, sr=sr, seed=index, stereo=stereo,
            tempo=90.0 + 6.0 * (index % 6), progression=PROGRESSIONS[index % len(PROGRESSIONS)],
        )
        sections.append(example.mixture * (0.7 + 0.3 * ((index * 7) % 4) / 3))
        remaining -= length
        index += 1
    y = np.concatenate(sections, axis=1).astype(np.float32)
    np.save(path, y)
    return y


#: Version of :func:`render_band`'s material; part of its cache key.
BAND_VERSION = 1
#: Stereo position of each part of the band (0 = left, 1 = right).
BAND_PAN = {"drums": 0.5, "bass": 0.5, "guitar": 0.25, "piano": 0.7, "voice": 0.55}


def render_band(seconds: float = 180.0, sr: int = 44100) -> np.ndarray:
    """A stereo band mix from sampled instruments; shape=(2, samples), float32.

    Every 30-second section is a new song (tempo, key, progression, groove,
    patches) of drums, bass, guitar, piano and a sung melody, each part
    rendered by :func:`benchmarks.quality.generate.render`, set to a level
    within a few dB of the others and panned by :data:`BAND_PAN`.
    """
    from benchmarks.quality import generate as gen

    path = gen.CACHE / f"speed-band-v{BAND_VERSION}-{int(seconds)}s-{sr}.npy"
    if path.exists():
        return np.load(path)
    sections = []
    remaining, index = seconds, 0
    while remaining > 0:
        length = min(30.0, remaining)
        rng = np.random.default_rng(1000 + index)
        song = gen.make_song(rng, length)
        parts = {
            "drums": gen.drum_part(song, rng, gen.GROOVES[index % len(gen.GROOVES)]),
            "bass": gen.bass_part(song, rng, gen.BASSES[index % len(gen.BASSES)][1],
                                  gen.BASS_STYLES[index % len(gen.BASS_STYLES)]),
            "guitar": gen.guitar_part(song, rng, gen.GUITARS[index % len(gen.GUITARS)][1],
                                      gen.GUITARS[index % len(gen.GUITARS)][2]),
            "piano": gen.piano_part(song, rng, gen.PIANO_STYLES[index % 3], low=48, high=72),
            "voice": gen.melody_part(song, rng, gen.VOICES[index % len(gen.VOICES)][1],
                                     low=60, high=79),
        }
        mix = np.zeros((2, int(round(length * sr))))
        for name, part in parts.items():
            stem = gen.render(part, length, sr)
            stem *= 10 ** (rng.uniform(-3.0, 3.0) / 20) / gen.rms(stem)
            pan = BAND_PAN[name]
            mix += np.stack([np.sqrt(1.0 - pan) * stem, np.sqrt(pan) * stem])
        sections.append(mix * (0.7 + 0.3 * ((index * 7) % 4) / 3))
        remaining -= length
        index += 1
    y = np.concatenate(sections, axis=1)
    y = (y * (0.9 / np.abs(y).max())).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.npy")
    np.save(tmp, y)
    tmp.replace(path)
    return y


def problem(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, Workload]:
    """``V`` (unit mean, floored at 1e-8 so every beta is defined) and the common ``W0, H0``.

    ``W0, H0`` are scikit-learn's "random" initialization
    (``sqrt(mean(V)/K) * |N(0, 1)|``, seed 0), float32.
    """
    workload = WORKLOADS[name]
    path = cache_dir() / f"problem_{name}.npz"
    if path.exists():
        data = np.load(path)
        return data["V"], data["W0"], data["H0"], workload
    y = render_music(workload.seconds, workload.sr)
    X = stft(y, STFTConfig(workload.n_fft, workload.hop))
    V = mixture_spectrogram(X, 1.0)
    V = (V / V.mean(dtype=np.float64)).astype(np.float32)
    np.maximum(V, np.float32(1e-8), out=V)
    W0, H0 = initialize(V, workload.n_components, method="random", random_state=0)
    np.savez(path, V=V, W0=W0, H0=H0)
    return V, W0, H0, workload
