"""Deterministic generator of the benchmark's mixtures, true stems and training clips.

Every item is written as one MIDI file per source and rendered source by
source with fluidsynth and the FluidR3 General MIDI soundfont (sampled
instruments), so the true stems are known exactly.  The stems are mixed down to
mono, set to levels within ±3 dB of each other (so any two differ by at most
6 dB) and summed: the mixture is exactly the sum of its stems.

For every source there is also a *training clip*: the same instrument (same
General MIDI program, same soundfont) playing different material, for
supervised separation.

The generator is the source of truth; rendered audio is a cache
(``results/cache/``, git-ignored) keyed by :data:`GENERATOR_VERSION` and
the item's name.

Categories
----------
``drums+guitar``        a drum groove and a guitar part (strummed, picked or riffed)
``piano+voice``         piano comping and a sung melody (GM choir / voice patch)
                        in the same pitch range as the piano's right hand
``bass+drums+piano``    a rhythm section
``chorale``             a four-part Bach chorale from music21's bundled corpus on
                        violin, clarinet, tenor saxophone and bassoon

More categories register themselves (:func:`register`) from their own modules:
:mod:`~benchmarks.quality.drumkit` (drum kits by piece), :mod:`~benchmarks.quality.electronic`
(synth bass, drum machine, pad or lead, dry or with effects), :mod:`~benchmarks.quality.band`
(a lead over a band), :mod:`~benchmarks.quality.chamber` (a string quartet, a piano trio) and
:mod:`~benchmarks.quality.stereo` (the four above in stereo, with panning and reverb, dry or
mastered).  Each item's half (tuning or reporting) follows
:mod:`benchmarks.quality.halves`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

GENERATOR_VERSION = 1
SR = 22050
SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/MuseScore_General.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
)
CACHE = Path(__file__).resolve().parent / "results" / "cache"
#: Items per category of the full benchmark: 8, so that the guitar patches (a cycle
#: of 6), the bass patches and styles (4) and the voices and piano styles (3) all appear.
ITEMS_PER_CATEGORY = 8

# A note: (start s, duration s, MIDI pitch, velocity)
Note = tuple[float, float, int, int]


@dataclass
class Part:
    """One source's score: a GM program (or drums) and its notes."""

    name: str
    program: int
    notes: list[Note]
    drums: bool = False


@dataclass
class Item:
    """A rendered benchmark item.

    Attributes
    ----------
    name : str
    category : str
    sr : int
    mixture : np.ndarray, shape=(channels, samples), float32
    sources : np.ndarray, shape=(n_sources, channels, samples); sums to ``mixture``
        (one channel, except the stereo categories of :mod:`benchmarks.quality.stereo`)
    names : list of str
    training : dict of str to np.ndarray, shape=(1, samples)
        A clip of each source's instrument playing other material.
    info : dict
        Programs, tempo and material, for the record.
    """

    name: str
    category: str
    sr: int
    mixture: np.ndarray
    sources: np.ndarray
    names: list[str]
    training: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- music helpers

MAJOR = [0, 2, 4, 5, 7, 9, 11]
PROGRESSIONS = [
    [1, 5, 6, 4], [1, 6, 4, 5], [6, 4, 1, 5], [1, 4, 5, 4], [2, 5, 1, 6], [1, 3, 4, 5],
    [4, 1, 5, 6], [1, 5, 4, 4],
]
DRUM = dict(kick=36, stick=37, snare=38, clap=39, hat=42, pedal=44, open=46, crash=49,
            ride=51, tom_low=45, tom_mid=47, tom_high=50, floor=43)


def chord_pcs(key: int, degree: int) -> list[int]:
    """Pitch classes (root, third, fifth) of the diatonic triad on ``degree`` in ``key`` major."""
    return [(key + MAJOR[(degree - 1 + step) % 7]) % 12 for step in (0, 2, 4)]


def voice(pcs: list[int], low: int, high: int) -> list[int]:
    """Every pitch between ``low`` and ``high`` whose class is in ``pcs``."""
    return [p for p in range(low, high + 1) if p % 12 in pcs]


def humanize(rng: np.random.Generator, t: float, amount: float = 0.008) -> float:
    return max(0.0, t + rng.normal(0, amount))


def vel(rng: np.random.Generator, base: int, spread: int = 8) -> int:
    return int(np.clip(base + rng.integers(-spread, spread + 1), 1, 127))


@dataclass
class Song:
    """Shared frame of a generated item: tempo, key, progression, bars."""

    tempo: float
    key: int
    progression: list[int]
    n_bars: int

    @property
    def beat(self) -> float:
        return 60.0 / self.tempo

    def chord(self, bar: int) -> list[int]:
        return chord_pcs(self.key, self.progression[bar % len(self.progression)])


def make_song(rng: np.random.Generator, duration: float, tempo=(84, 128)) -> Song:
    tempo_bpm = float(rng.integers(tempo[0], tempo[1] + 1))
    n_bars = int(np.ceil(duration / (4 * 60.0 / tempo_bpm))) + 1
    progression = PROGRESSIONS[rng.integers(len(PROGRESSIONS))]
    return Song(tempo_bpm, int(rng.integers(12)), progression, n_bars)


# --------------------------------------------------------------------------- drums

GROOVES = ["rock", "pop16", "funk", "halftime", "shuffle", "ride"]


def drum_part(song: Song, rng: np.random.Generator, groove: str) -> Part:
    """A drum groove with accents, ghost notes, a crash on each phrase and a fill every 4 bars."""
    notes: list[Note] = []
    beat = song.beat

    def hit(t, name, base, dur=0.1):
        notes.append((humanize(rng, t, 0.005), dur, DRUM[name], vel(rng, base)))

    for bar in range(song.n_bars):
        t0 = bar * 4 * beat
        fill = bar % 4 == 3
        if bar % 4 == 0:
            hit(t0, "crash", 100, 1.0)
        if groove in ("rock", "pop16", "halftime"):
            div = 4 if groove == "pop16" else 2
            for i in range(4 * div):
                if fill and i >= 3 * div:
                    break
                hit(t0 + i * beat / div, "hat", 85 if i % div == 0 else 60)
            kicks = {"rock": [0, 2.5, 2.0 if bar % 2 else 0], "pop16": [0, 1.5, 2.5],
                     "halftime": [0, 0.75, 3.5]}[groove]
            snares = [2] if groove == "halftime" else [1, 3]
            for k in sorted(set(kicks)):
                hit(t0 + k * beat, "kick", 100)
            for s in snares:
                if not (fill and s == 3):
                    hit(t0 + s * beat, "snare", 105)
        elif groove == "funk":
            for i in range(16):
                if fill and i >= 12:
                    break
                hit(t0 + i * beat / 4, "hat", 80 if i % 2 == 0 else 50)
                if i in (5, 7, 11, 14) and rng.random() < 0.6:
                    hit(t0 + i * beat / 4, "snare", 35)  # ghost notes
            for k in (0, 0.75, 2.5, 2.75 if bar % 2 else 3.25):
                hit(t0 + k * beat, "kick", 100)
            hit(t0 + beat, "snare", 110)
            if not fill:
                hit(t0 + 3 * beat, "snare", 110)
        elif groove == "shuffle":
            for b in range(4):
                if fill and b == 3:
                    break
                hit(t0 + b * beat, "hat", 85)
                hit(t0 + (b + 2 / 3) * beat, "hat", 60)
            for k in (0, 2, 2 + 2 / 3):
                hit(t0 + k * beat, "kick", 100)
            hit(t0 + beat, "snare", 100)
            if not fill:
                hit(t0 + 3 * beat, "snare", 100)
        elif groove == "ride":
            for b in range(4):
                hit(t0 + b * beat, "ride", 80)
                if b % 2:
                    hit(t0 + (b + 2 / 3) * beat, "ride", 60)
                    hit(t0 + b * beat, "pedal", 70)
            hit(t0, "kick", 90)
            hit(t0 + 2.5 * beat, "kick", 80)
            if not fill:
                hit(t0 + 3 * beat, "stick", 90)
            hit(t0 + beat, "stick", 90)
        if fill:
            toms = ["snare", "tom_high", "tom_mid", "tom_low", "floor"]
            steps = 4 if groove != "funk" else 4
            for i in range(steps):
                hit(t0 + (3 + i / steps) * beat, toms[rng.integers(len(toms))], 95)
    return Part("drums", 0, notes, drums=True)


# --------------------------------------------------------------------------- pitched parts

GUITARS = [("steel", 25, "strum"), ("nylon", 24, "arpeggio"), ("clean", 27, "arpeggio"),
           ("overdrive", 29, "power"), ("jazz", 26, "strum"), ("muted", 28, "power")]


def guitar_part(song: Song, rng: np.random.Generator, program: int, style: str) -> Part:
    """Guitar: strummed chords, a picked arpeggio or an eighth-note power-chord riff."""
    notes: list[Note] = []
    beat = song.beat
    pattern = [(0, 1), (1, 1), (1.5, -1), (2.5, -1), (3, 1), (3.5, -1)]
    for bar in range(song.n_bars):
        t0 = bar * 4 * beat
        pcs = song.chord(bar)
        root = min(p for p in range(40, 52) if p % 12 == pcs[0])
        if style == "strum":
            shape = [root] + [p for p in voice(pcs, root + 1, 71)][:5]
            for slot, direction in pattern:
                order = shape if direction > 0 else shape[::-1][:4]
                base = 90 if slot in (0, 3) else 65
                for i, p in enumerate(order):
                    notes.append((humanize(rng, t0 + slot * beat + i * 0.012), 0.5 * beat + 0.2,
                                  p, vel(rng, base)))
        elif style == "arpeggio":
            shape = [root] + voice(pcs, root + 1, 76)[:5]
            order = [0, 2, 3, 4, 5, 4, 3, 2] if len(shape) > 5 else [0, 1, 2, 3, 2, 1, 2, 3]
            for i, j in enumerate(order):
                notes.append((humanize(rng, t0 + i * beat / 2), 1.2 * beat,
                              shape[j % len(shape)], vel(rng, 75 if i % 2 == 0 else 62)))
        else:  # power chords, palm-muted eighths with accents
            for i in range(8):
                accent = i in (0, 3, 6)
                for p in (root, root + 7, root + 12):
                    length = (0.45 if accent else 0.2) * beat
                    notes.append((humanize(rng, t0 + i * beat / 2, 0.004), length, p,
                                  vel(rng, 95 if accent else 70)))
    return Part("guitar", program, notes)


PIANO_STYLES = ["block", "arpeggio", "stride"]


def piano_part(song: Song, rng: np.random.Generator, style: str, *, low: int = 48,
               high: int = 76, program: int = 0) -> Part:
    """Piano comping: block chords, broken chords or bass-and-chord (stride-like)."""
    notes: list[Note] = []
    beat = song.beat
    for bar in range(song.n_bars):
        t0 = bar * 4 * beat
        pcs = song.chord(bar)
        upper = voice(pcs, max(low, 55), high)
        start = int(rng.integers(max(1, len(upper) - 3)))
        shape = upper[start:start + 4]
        bass = min(p for p in range(low - 12, low) if p % 12 == pcs[0])
        if style == "block":
            hits = [0, 1.5, 2, 3] if bar % 2 else [0, 1, 2, 2.5, 3.5]
            for h in hits:
                for p in shape:
                    notes.append((humanize(rng, t0 + h * beat, 0.006), 0.9 * beat, p,
                                  vel(rng, 78 if h == int(h) else 62)))
        elif style == "arpeggio":
            seq = [bass] + shape + shape[-2:0:-1]
            for i in range(8):
                notes.append((humanize(rng, t0 + i * beat / 2), 1.5 * beat, seq[i % len(seq)],
                              vel(rng, 70)))
        else:
            for b in range(4):
                if b % 2 == 0:
                    notes.append((humanize(rng, t0 + b * beat), 0.9 * beat, bass, vel(rng, 80)))
                else:
                    for p in shape:
                        notes.append((humanize(rng, t0 + b * beat), 0.7 * beat, p, vel(rng, 70)))
    return Part("piano", program, notes)


VOICES = [("choir", 52), ("oohs", 53), ("synth-voice", 54)]


def melody_part(song: Song, rng: np.random.Generator, program: int, *, low: int = 60,
                high: int = 76, name: str = "voice") -> Part:
    """A sung melody: chord tones on strong beats, steps between, phrases with rests."""
    notes: list[Note] = []
    beat = song.beat
    scale = [p for p in range(low, high + 1) if (p - song.key) % 12 in MAJOR]
    current = scale[len(scale) // 2]
    rhythms = [[2, 2], [1, 1, 2], [3, 1], [1, 1, 1, 1], [2, 1, 1], [4]]
    for bar in range(song.n_bars):
        t = bar * 4 * beat
        if bar % 4 == 3 and rng.random() < 0.7:
            continue  # breathe at the end of a phrase
        pcs = song.chord(bar)
        for i, length in enumerate(rhythms[rng.integers(len(rhythms))]):
            if i == 0:
                candidates = [p for p in scale if p % 12 in pcs]
                current = min(candidates, key=lambda p: abs(p - current) + rng.random() * 3)
            else:
                index = scale.index(current) if current in scale else len(scale) // 2
                index = int(np.clip(index + rng.choice([-2, -1, -1, 1, 1, 2]), 0, len(scale) - 1))
                current = scale[index]
            notes.append((humanize(rng, t, 0.01), length * beat * 0.95, current, vel(rng, 85)))
            t += length * beat
    return Part(name, program, notes)


BASSES = [("fingered", 33), ("picked", 34), ("acoustic", 32), ("fretless", 35)]
BASS_STYLES = ["roots", "root-fifth", "walking", "syncopated"]


def bass_part(song: Song, rng: np.random.Generator, program: int, style: str) -> Part:
    """Bass line: eighth-note roots, root-fifth, a walking line or a syncopated pattern."""
    notes: list[Note] = []
    beat = song.beat
    for bar in range(song.n_bars):
        t0 = bar * 4 * beat
        pcs = song.chord(bar)
        root = min(p for p in range(28, 40) if p % 12 == pcs[0])
        fifth = root + 7
        if style == "roots":
            seq = [(i / 2, root, 0.45) for i in range(8)]
        elif style == "root-fifth":
            seq = [(0, root, 1.5), (1.5, fifth, 0.5), (2, root + 12, 1), (3, fifth, 1)]
        elif style == "walking":
            nxt = chord_pcs(song.key, song.progression[(bar + 1) % len(song.progression)])[0]
            target = min(p for p in range(28, 40) if p % 12 == nxt)
            approach = target - 1 if target > root else target + 1
            seq = [(0, root, 1), (1, root + 4 if (root + 4) % 12 in pcs else root + 3, 1),
                   (2, fifth, 1), (3, approach, 1)]
        else:
            seq = [(0, root, 0.75), (0.75, root, 0.5), (1.5, root + 12, 0.5), (2.5, root, 0.5),
                   (3, fifth, 0.5), (3.5, root + 10, 0.5)]
        for offset, p, length in seq:
            notes.append((humanize(rng, t0 + offset * beat, 0.006), length * beat * 0.95, p,
                          vel(rng, 92)))
    return Part("bass", program, notes)


CHORALE_INSTRUMENTS = [("violin", 40), ("clarinet", 71), ("saxophone", 66), ("bassoon", 70)]


def _bench_module(name: str, why: str):
    """The ``bench`` extra's module ``name``, or a RuntimeError that says how to install it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        raise RuntimeError(f"{why} needs {name.split('.')[0]}, which is not installed; run "
                           "bash benchmarks/quality/setup.sh") from None


def chorale_parts(number: int, tempo: float, duration: float,
                  instruments: Sequence[tuple[str, int]] = CHORALE_INSTRUMENTS,
                  ) -> tuple[list[Part], str]:
    """The four voices of the ``number``-th Bach chorale of music21's corpus (sorted by name).

    Soprano, alto, tenor and bass on ``instruments`` (name and GM program of each):
    by default violin, clarinet, tenor saxophone and bassoon; fermatas get an
    extra beat; only notes starting within ``duration`` are kept.
    """
    corpus = _bench_module("music21.corpus", "the chorale category")
    paths = sorted(p for p in corpus.getComposer("bach") if p.suffix in (".mxl", ".xml"))
    fitting = []
    for path in paths:
        if len(fitting) > number:
            break
        score = corpus.parse(path)
        if len(score.parts) == 4:
            fitting.append((path, score))
    path, score = fitting[number]
    beat = 60.0 / tempo
    parts = []
    for (name, program), part in zip(instruments, score.parts, strict=True):
        notes = []
        for n in part.flatten().notes:
            start = float(n.offset) * beat
            if start >= duration:
                continue
            length = float(n.quarterLength) * beat
            pitches = [p.midi for p in getattr(n, "pitches", [n.pitch])]
            notes.append((start, length * 0.97, pitches[0], 80))
        parts.append(Part(name, program, notes))
    return parts, path.stem


# --------------------------------------------------------------------------- rendering

#: A soundfont to render with instead of the first of :data:`SOUNDFONTS` (for a
#: held-out check on other instruments: ``python -m benchmarks.quality --soundfont``).
SOUNDFONT_OVERRIDE: str | None = None


def soundfont() -> str:
    """The soundfont to render with: the override, else the first General MIDI one found."""
    if SOUNDFONT_OVERRIDE is not None:
        if not os.path.exists(SOUNDFONT_OVERRIDE):
            raise RuntimeError(f"no soundfont at {SOUNDFONT_OVERRIDE}")
        return SOUNDFONT_OVERRIDE
    for path in SOUNDFONTS:
        if os.path.exists(path):
            return path
    raise RuntimeError("no General MIDI soundfont found; run bash benchmarks/quality/setup.sh")


def write_midi(part: Part, path: Path) -> None:
    """One track at 120 bpm (1 beat = 0.5 s, 960 ticks per second)."""
    mido = _bench_module("mido", "rendering a category")
    ticks_per_second = 960
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    channel = 9 if part.drums else 0
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    if not part.drums or part.program:  # a drum program (e.g. 25, TR-808) picks the kit
        track.append(mido.Message("program_change", program=part.program, channel=channel))
    events = []
    for start, length, pitch, velocity in part.notes:
        on = int(round(start * ticks_per_second))
        off = on + max(1, int(round(length * ticks_per_second)))
        events.append((on, 1, pitch, velocity))
        events.append((off, 0, pitch, 0))
    events.sort()
    now = 0
    for tick, kind, pitch, velocity in events:
        message = "note_on" if kind else "note_off"
        track.append(mido.Message(message, note=pitch, velocity=velocity, channel=channel,
                                  time=tick - now))
        now = tick
    midi.save(path)


def render(part: Part, duration: float, sr: int = SR, *,
           soundfont_path: str | None = None) -> np.ndarray:
    """Render one part to mono float64 audio of exactly ``duration`` seconds.

    With :func:`soundfont` unless ``soundfont_path`` names another.
    """
    if shutil.which("fluidsynth") is None:
        raise RuntimeError("fluidsynth not found; run bash benchmarks/quality/setup.sh")
    with tempfile.TemporaryDirectory() as tmp:
        midi, wav = Path(tmp) / "part.mid", Path(tmp) / "part.wav"
        write_midi(part, midi)
        subprocess.run(
            ["fluidsynth", "-ni", "-q", "-F", str(wav), "-r", str(sr), "-O", "float", "-T",
             "wav", "-g", "0.5", soundfont_path or soundfont(), str(midi)],
            check=True, capture_output=True,
        )
        audio, rate = sf.read(wav, dtype="float64", always_2d=True)
    assert rate == sr
    mono = audio.mean(axis=1)
    n = int(round(duration * sr))
    out = np.zeros(n)
    out[: min(n, mono.size)] = mono[:n]
    fade = int(0.05 * sr)
    out[-fade:] *= np.linspace(1.0, 0.0, fade)
    return out


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)) + 1e-20))


# --------------------------------------------------------------------------- items

@dataclass
class Spec:
    """What to render for one item: its parts, its training parts and a description.

    A category that renders its own audio (drum kits played by a sampler, see
    :mod:`benchmarks.quality.drumkit`) gives ``rendered(duration, sr) -> (names,
    stems, training clips)`` instead of parts, its stems already at their levels,
    of shape (n_sources, samples) or, in stereo, (n_sources, channels, samples).
    """

    parts: list[Part]
    training: list[Part]
    info: dict
    rendered: Callable[[float, int], tuple[list[str], np.ndarray, dict[str, np.ndarray]]] | None \
        = None


def _seed(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def spec_drums_guitar(index: int, duration: float, rng: np.random.Generator) -> Spec:
    song = make_song(rng, duration)
    groove = GROOVES[index % len(GROOVES)]
    label, program, style = GUITARS[index % len(GUITARS)]
    parts = [drum_part(song, rng, groove), guitar_part(song, rng, program, style)]
    other = make_song(rng, TRAINING_SECONDS)
    training = [drum_part(other, rng, GROOVES[(index + 3) % len(GROOVES)]),
                guitar_part(other, rng, program, "strum" if style != "strum" else "arpeggio")]
    return Spec(parts, training, dict(tempo=song.tempo, groove=groove, guitar=label,
                                      style=style, program=program))


def spec_piano_voice(index: int, duration: float, rng: np.random.Generator) -> Spec:
    song = make_song(rng, duration, tempo=(72, 104))
    label, program = VOICES[index % len(VOICES)]
    style = PIANO_STYLES[index % len(PIANO_STYLES)]
    parts = [piano_part(song, rng, style, low=55, high=76),
             melody_part(song, rng, program, low=60, high=76)]
    other = make_song(rng, TRAINING_SECONDS, tempo=(72, 104))
    training = [piano_part(other, rng, PIANO_STYLES[(index + 1) % 3], low=55, high=76),
                melody_part(other, rng, program, low=60, high=76)]
    return Spec(parts, training, dict(tempo=song.tempo, voice=label, program=program,
                                      piano=style))


def spec_bass_drums_piano(index: int, duration: float, rng: np.random.Generator) -> Spec:
    song = make_song(rng, duration)
    groove = GROOVES[(index + 2) % len(GROOVES)]
    label, program = BASSES[index % len(BASSES)]
    bass_style = BASS_STYLES[index % len(BASS_STYLES)]
    piano_style = PIANO_STYLES[index % len(PIANO_STYLES)]
    parts = [bass_part(song, rng, program, bass_style), drum_part(song, rng, groove),
             piano_part(song, rng, piano_style)]
    other = make_song(rng, TRAINING_SECONDS)
    training = [bass_part(other, rng, program, BASS_STYLES[(index + 2) % 4]),
                drum_part(other, rng, GROOVES[(index + 5) % len(GROOVES)]),
                piano_part(other, rng, PIANO_STYLES[(index + 1) % 3])]
    return Spec(parts, training, dict(tempo=song.tempo, groove=groove, bass=label,
                                      bass_style=bass_style, piano=piano_style))


def spec_chorale(index: int, duration: float, rng: np.random.Generator) -> Spec:
    tempo = float(rng.integers(66, 84))
    parts, title = chorale_parts(3 * index, tempo, duration)
    training, other = chorale_parts(3 * index + 1, tempo, TRAINING_SECONDS)
    return Spec(parts, training, dict(tempo=tempo, chorale=title, training_chorale=other))


TRAINING_SECONDS = 10.0
CATEGORIES: dict[str, Callable[[int, float, np.random.Generator], Spec]] = {
    "drums+guitar": spec_drums_guitar,
    "piano+voice": spec_piano_voice,
    "bass+drums+piano": spec_bass_drums_piano,
    "chorale": spec_chorale,
}
#: A category's own generator version, part of its cache key.
CATEGORY_VERSIONS: dict[str, str] = {}


def _levels(n: int, rng: np.random.Generator) -> np.ndarray:
    """Relative gains in dB, within ±3 dB of each other's mean (any two within 6 dB)."""
    return rng.uniform(-3.0, 3.0, n)


def render_parts(spec: Spec, duration: float, sr: int,
                 rng: np.random.Generator) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    """The stems of a spec made of parts, each at a level within ±3 dB, and training clips.

    Returns
    -------
    names : list of str
    stems : np.ndarray, shape=(n_sources, samples)
    clips : dict of str to np.ndarray
    """
    names = [p.name for p in spec.parts]
    stems = np.stack([render(p, duration, sr) for p in spec.parts])
    gains = 10 ** (_levels(len(stems), rng) / 20) / np.array([rms(s) for s in stems])
    clips = {part.name: render(part, TRAINING_SECONDS, sr) for part in spec.training}
    return names, stems * gains[:, None], clips


def build(category: str, index: int, duration: float = 15.0, *, cache: Path = CACHE,
          sr: int = SR) -> Item:
    """Render (or load from the cache) item ``index`` of ``category``.

    Parameters
    ----------
    category : str
        A key of :data:`CATEGORIES`.
    index : int
    duration : float
        Seconds.

    Returns
    -------
    Item
    """
    name = f"{category}-{index}"
    key = f"v{GENERATOR_VERSION}{CATEGORY_VERSIONS.get(category, '')}-{name}-{duration:g}s-{sr}"
    if SOUNDFONT_OVERRIDE is not None:
        key += f"-{Path(SOUNDFONT_OVERRIDE).stem}"
    folder = cache / key
    meta_path = folder / "item.json"
    if not meta_path.exists():
        rng = np.random.default_rng(_seed(f"{GENERATOR_VERSION}/{name}"))
        spec = CATEGORIES[category](index, duration, rng)
        if spec.rendered is not None:
            names, stems, clips = spec.rendered(duration, sr)
            programs = [None] * len(names)
        else:
            names, stems, clips = render_parts(spec, duration, sr, rng)
            programs = [None if p.drums else p.program for p in spec.parts]
        peak = np.abs(stems.sum(axis=0)).max()
        stems = (stems * (0.9 / peak)).astype(np.float32)
        training = {part_name: (clip * (0.3 / rms(clip))).clip(-1, 1).astype(np.float32)
                    for part_name, clip in clips.items()}
        folder.mkdir(parents=True, exist_ok=True)
        for stem_name, stem in zip(names, stems, strict=True):  # (samples,) or (channels, samples)
            sf.write(folder / f"{stem_name}.wav", stem.T, sr, subtype="FLOAT")
        for part_name, clip in training.items():
            sf.write(folder / f"train-{part_name}.wav", clip, sr, subtype="FLOAT")
        info = dict(spec.info, names=names, programs=programs)
        tmp = meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(info, indent=1))
        tmp.replace(meta_path)
    info = json.loads(meta_path.read_text())
    sources = np.stack([sf.read(folder / f"{n}.wav", dtype="float32", always_2d=True)[0].T
                        for n in info["names"]])
    training = {n: sf.read(folder / f"train-{n}.wav", dtype="float32")[0][None]
                for n in info["names"]}
    return Item(name=name, category=category, sr=sr, mixture=sources.sum(axis=0),
                sources=sources, names=info["names"], training=training, info=info)


def register(categories: dict[str, Callable], version: str) -> None:
    """Add categories rendered by another module, with their generator's version."""
    CATEGORIES.update(categories)
    CATEGORY_VERSIONS.update({c: version for c in categories})


# The categories with their own renderers register themselves when imported.
from . import band, bleed, chamber, drumkit, electronic, stereo  # noqa: E402, F401


def main() -> None:
    """Render every item of the full benchmark into the cache and print a summary."""
    for category in CATEGORIES:
        for index in range(ITEMS_PER_CATEGORY):
            item = build(category, index)
            levels = [20 * np.log10(rms(s)) for s in item.sources]
            print(item.name, item.info, "levels dB:", np.round(levels, 1))


if __name__ == "__main__":
    main()
