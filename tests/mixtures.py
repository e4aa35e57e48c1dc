"""Synthetic mixtures with known sources, for the tests of the mask experts."""

import numpy as np

from nmfsep import synth

SR = 22050


def held_note(f0: float, seconds: float, harmonics: list[tuple[int, float]]) -> np.ndarray:
    """A steady note of the given (harmonic, amplitude) pairs, with 50 ms fades."""
    t = np.arange(int(seconds * SR)) / SR
    tone = sum(amplitude * np.sin(2 * np.pi * h * f0 * t) for h, amplitude in harmonics)
    return tone * np.minimum(1, t / 0.05) * np.minimum(1, (seconds - t) / 0.05)


def three_voices(seed: int, seconds: float = 8.0) -> np.ndarray:
    """Sources (low, middle, high), each (1, samples), at equal loudness.

    Three held lines around G2, G3 and G4 in notes of 1, 0.75 and 0.5 s, with
    odd harmonics (a clarinet), all harmonics falling as 1 / h and a few
    harmonics falling fast (a flute): a small chorale whose voices keep to
    their ranges but share partials.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    timbres = [[(h, 1 / h) for h in range(1, 12, 2)], [(h, 1 / h) for h in range(1, 10)],
               [(h, 0.6**h) for h in range(1, 6)]]
    voices = []
    for base, note, timbre in zip((43, 55, 67), (1.0, 0.75, 0.5), timbres, strict=True):
        voice = np.zeros(n)
        for b in range(int(seconds / note)):
            f0 = synth._midi_hz(base + int(rng.integers(-3, 6)))
            synth._place(voice, held_note(f0, note, timbre), int(b * note * SR), 1.0)
        voices.append(voice / np.sqrt(np.mean(voice**2)))
    return 0.1 * np.stack(voices)[:, np.newaxis, :]


def bass_note(f0: float, seconds: float) -> np.ndarray:
    """A round bass note: five harmonics falling as 1 / h**2, a short attack, a decay."""
    t = np.arange(int(seconds * SR)) / SR
    tone = sum(np.sin(2 * np.pi * h * f0 * t) / h**2 for h in range(1, 6))
    return tone * np.exp(-t / 0.8) * np.minimum(1.0, t / 0.01)


def bass_drums_keys(seed: int, seconds: float = 8.0, bass_octave: int = 0) -> np.ndarray:
    """Sources (bass, drums, keys), each (1, samples), at equal loudness.

    A bass line in quarter notes (C2 to A2, moved by ``bass_octave`` octaves:
    -1 puts it where a bass guitar's low notes are, C1 to A1), kick and snare
    on alternate beats with a hi-hat between them, and plucked triads an
    octave and more above middle C every two beats.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    beat = 0.6
    bass, drums, keys = np.zeros(n), np.zeros(n), np.zeros(n)
    line = [40, 40, 43, 45, 38, 38, 43, 36]
    chords = [(64, 67, 72), (62, 67, 71), (64, 69, 72), (65, 69, 72)]
    for b in range(int(seconds / beat)):
        start = int(b * beat * SR)
        synth._place(bass, bass_note(synth._midi_hz(line[b % 8] + 12 * bass_octave), beat),
                     start, 1.0)
        if b % 2 == 0:
            for note in chords[(b // 4) % 4]:
                synth._place(keys, synth.pluck(synth._midi_hz(note), 2 * beat, SR, rng,
                                               decay=0.998), start, 0.5)
        hit = synth.kick(SR, rng) if b % 2 == 0 else synth.snare(SR, rng)
        synth._place(drums, hit, start, 1.0)
        synth._place(drums, synth.hihat(SR, rng), start + int(beat / 2 * SR), 0.7)
    sources = [x / np.sqrt(np.mean(x**2)) for x in (bass, drums, keys)]
    return 0.1 * np.stack(sources)[:, np.newaxis, :]


def drums_and_guitar_item(name: str = "drums+guitar-0", *, seed: int = 3,
                          duration: float = 4.0):
    """The built-in drums + guitar example as a benchmark item (sources drums, guitar)."""
    from benchmarks.quality.generate import Item

    example = synth.drums_and_guitar(duration=duration, seed=seed)
    sources = np.asarray(example.sources, dtype=np.float32)
    return Item(name=name, category="drums+guitar", sr=example.sr,
                mixture=sources.sum(axis=0), sources=sources, names=["drums", "guitar"],
                training={}, info={})
