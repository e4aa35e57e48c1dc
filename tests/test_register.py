"""The low register of a mixture with drums goes to its bass line (end to end)."""

from dataclasses import replace

import numpy as np

import nmfsep
from nmfsep import synth
from nmfsep.metrics import evaluate
from nmfsep.separate import rebuild_sources

SR = 22050


def bass_note(f0: float, seconds: float) -> np.ndarray:
    """A round bass note: five harmonics falling as 1 / h**2, a short attack, a decay."""
    t = np.arange(int(seconds * SR)) / SR
    tone = sum(np.sin(2 * np.pi * h * f0 * t) / h**2 for h in range(1, 6))
    return tone * np.exp(-t / 0.8) * np.minimum(1.0, t / 0.01)


def bass_drums_keys(seed: int, seconds: float = 8.0) -> np.ndarray:
    """Sources (bass, drums, keys), each (1, samples), at equal loudness.

    A bass line in quarter notes (E1 to A1), kick and snare on alternate beats
    with a hi-hat between them, and plucked triads an octave and more above
    middle C every two beats.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    beat = 0.6
    bass, drums, keys = np.zeros(n), np.zeros(n), np.zeros(n)
    line = [40, 40, 43, 45, 38, 38, 43, 36]
    chords = [(64, 67, 72), (62, 67, 71), (64, 69, 72), (65, 69, 72)]
    for b in range(int(seconds / beat)):
        start = int(b * beat * SR)
        synth._place(bass, bass_note(synth._midi_hz(line[b % 8]), beat), start, 1.0)
        if b % 2 == 0:
            for note in chords[(b // 4) % 4]:
                synth._place(keys, synth.pluck(synth._midi_hz(note), 2 * beat, SR, rng,
                                               decay=0.998), start, 0.5)
        hit = synth.kick(SR, rng) if b % 2 == 0 else synth.snare(SR, rng)
        synth._place(drums, hit, start, 1.0)
        synth._place(drums, synth.hihat(SR, rng), start + int(beat / 2 * SR), 0.7)
    sources = [x / np.sqrt(np.mean(x**2)) for x in (bass, drums, keys)]
    return 0.1 * np.stack(sources)[:, np.newaxis, :]


def test_the_bass_line_gets_the_low_register_and_the_keys_gain():
    sources = bass_drums_keys(seed=1)
    mixture = sources.sum(axis=0)
    sep = nmfsep.separate(mixture, SR, n_sources=3)
    assert sep.prior is not None and sep.prior.register is not None
    np.testing.assert_allclose(sep.sources.sum(axis=0), mixture, atol=1e-4)
    without = rebuild_sources(sep._mixture_stft(), sep.W, sep.H, sep.labels, 3, sep.mask_power,
                              sep.stft, sep.n_samples, replace(sep.prior, register=None),
                              sep.runs)
    with_register = evaluate(sources, sep.sources).sdr
    without_register = evaluate(sources, without).sdr
    # measured: 2.41 / 5.64 / 10.96 dB against 2.69 / 5.75 / 3.07 (bass / drums / keys)
    assert with_register.mean() >= without_register.mean() + 2.0
    assert with_register.min() >= 2.0
