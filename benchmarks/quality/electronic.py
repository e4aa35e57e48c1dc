"""Electronic music: synth bass, drum machine and a pad or a lead, dry or with effects.

Rendered benchmark categories, registered with :func:`benchmarks.quality.generate.register`:

``electronic-3``       bass (General MIDI synth basses), drums (a drum machine) and ``synth``
                       (a pad holding chords or a lead playing an arpeggio or a melody)
``electronic-3+fx``    the same items with effects on the stems: a distorted bass, a
                       room on the drums, a long reverb on the pad or a feedback delay and
                       reverb on the lead (each stem processed on its own, so the stems
                       still add up to the mixture)
``drummachine-3``      a drum machine alone, split into its pieces: ``kick``, ``snare`` (or
                       clap) and ``hihat`` (closed and open), each piece rendered on its own;
                       the tuning half (even index) and the reporting half (odd index) are
                       played by different machines (:data:`PIECE_MACHINES`)

The drum machine is either a General MIDI drum program played by fluidsynth
(``Electronic`` or ``TR-808`` of FluidR3 GM) or a sampler playing Sonic Pi's
electronic one-shots (Debian's sonic-pi-samples); the items alternate in pairs,
so both halves (:mod:`benchmarks.quality.halves`) have both.  Patterns: house
(four on the floor), electro, breakbeat and trap.  Mono, 22.05 kHz,
deterministic (seeded by the item's name), cached by
:func:`benchmarks.quality.generate.build` under :data:`ELECTRONIC_VERSION`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import drumkit, effects, generate

ELECTRONIC_VERSION = 1
SONIC_PI = Path("/usr/share/sonic-pi/samples")
#: Sampled drum machines from Sonic Pi's one-shots: kick, snare (or clap), closed and open hat.
SAMPLE_KITS = {
    "sonic-pi 808": dict(kick="bd_808", snare="sn_dolf", hat="drum_cymbal_closed",
                         open="drum_cymbal_open"),
    "sonic-pi haus": dict(kick="bd_haus", snare="perc_snap", hat="drum_cymbal_pedal",
                          open="drum_cymbal_soft"),
    "sonic-pi tek": dict(kick="bd_tek", snare="sn_zome", hat="elec_tick", open="elec_cymbal"),
    "sonic-pi klub": dict(kick="bd_klub", snare="elec_hi_snare", hat="drum_cymbal_closed",
                          open="drum_cymbal_open"),
}
#: General MIDI drum programs of bank 128 (FluidR3 GM).
GM_KITS = {"GM Electronic": 24, "GM TR-808": 25}
#: The drum-machine pieces' machines: even items (tuning half) take the first tuple, odd
#: items (reporting half) the second, so that no machine is in both halves.
PIECE_MACHINES = (("GM TR-808", "sonic-pi haus", "sonic-pi tek"),
                  ("GM Electronic", "sonic-pi 808", "sonic-pi klub"))
#: Which of the patterns' sounds each drum-machine piece plays.
PIECE_SOUNDS = {"kick": ("kick",), "snare": ("snare",), "hihat": ("hat", "open")}
MACHINES = ("GM TR-808", "sonic-pi 808", "GM Electronic", "sonic-pi haus", "GM TR-808",
            "sonic-pi tek", "GM Electronic", "sonic-pi klub")
BASSES = [("synth bass 1", 38), ("synth bass 2", 39), ("bass & lead", 87), ("synth bass 1", 38)]
BASS_STYLES = ["offbeat", "rolling", "sustained", "syncopated"]
SYNTHS = [("warm pad", 89, "pad"), ("square lead", 80, "arpeggio"), ("polysynth", 90, "pad"),
          ("saw lead", 81, "melody"), ("halo pad", 94, "pad"), ("calliope lead", 82, "arpeggio"),
          ("sweep pad", 95, "pad"), ("charang lead", 84, "melody")]
PATTERNS = ["house", "electro", "breakbeat", "trap"]
TEMPO = {"house": (118, 128), "electro": (104, 120), "breakbeat": (124, 136), "trap": (68, 76)}
GM_NOTES = dict(kick=36, snare=38, clap=39, hat=42, open=46)

# A drum event: (time s, sound, velocity)
Hit = tuple[float, str, int]


def drum_pattern(pattern: str, song: generate.Song, rng: np.random.Generator) -> list[Hit]:
    """A drum-machine pattern (quantized, velocities vary a little)."""
    beat = song.beat
    hits: list[Hit] = []

    def hit(position: float, sound: str, velocity: int) -> None:
        hits.append((position * beat, sound, generate.vel(rng, velocity, 6)))

    for bar in range(song.n_bars):
        b0 = 4.0 * bar
        if pattern == "house":
            for b in range(4):
                hit(b0 + b, "kick", 110)
                hit(b0 + b + 0.5, "open", 80)
            for b in (1, 3):
                hit(b0 + b, "snare", 100)
            for s in range(16):
                if s % 2 == 1:
                    hit(b0 + s / 4, "hat", 60)
        elif pattern == "electro":
            for k in (0, 0.75, 2.5, 3.25 if bar % 2 else 2.75):
                hit(b0 + k, "kick", 110)
            for b in (1, 3):
                hit(b0 + b, "snare", 105)
            for s in range(8):
                hit(b0 + s / 2, "hat", 75 if s % 2 == 0 else 55)
        elif pattern == "breakbeat":
            for k in (0, 0.5, 2.25, 2.75):
                hit(b0 + k, "kick", 108)
            for s in (1, 3, 3.75 if bar % 2 else 2.5):
                hit(b0 + s, "snare", 100 if s == int(s) else 60)
            for s in range(8):
                hit(b0 + s / 2, "hat" if s != 7 else "open", 70)
        else:  # trap: half-time snare, sixteenth hats with rolls
            for k in (0, 0.75, 2.5) if bar % 2 == 0 else (0, 1.5, 2.25):
                hit(b0 + k, "kick", 112)
            hit(b0 + 2, "snare", 108)
            for s in range(16):
                hit(b0 + s / 4, "hat", 70 if s % 4 == 0 else 52)
            if bar % 2 == 1:
                for s in range(6):
                    hit(b0 + 3 + s / 6, "hat", 60 + 5 * s)
    return sorted(hits)


def render_machine(machine: str, hits: list[Hit], duration: float, sr: int) -> np.ndarray:
    """The drum machine's stem: a GM drum program by fluidsynth, or Sonic Pi's one-shots."""
    if machine in GM_KITS:
        notes = [(t, 0.2, GM_NOTES["clap" if machine == "GM TR-808" and s == "snare" else s], v)
                 for t, s, v in hits]
        return generate.render(generate.Part("drums", GM_KITS[machine], notes, drums=True),
                               duration, sr)
    kit = SAMPLE_KITS[machine]
    n = int(round(duration * sr))
    out = np.zeros(n)
    samples = {s: drumkit.one_shot(SONIC_PI / f"{name}.flac", sr) for s, name in kit.items()}
    hat_times = [t for t, s, _ in hits if s in ("hat", "open")]
    for t, sound, velocity in hits:
        sample = samples[sound] * (velocity / 127.0)
        if sound == "open":  # choked by the next hat
            later = [u for u in hat_times if u > t + 1e-4]
            if later:
                sample = sample[: int((later[0] - t) * sr)]
        start = int(round(t * sr))
        stop = min(n, start + sample.size)
        if start < n:
            out[start:stop] += sample[: stop - start]
    fade = int(0.05 * sr)
    out[-fade:] *= np.linspace(1.0, 0.0, fade)
    return out


def bass_line(song: generate.Song, rng: np.random.Generator, program: int,
              style: str) -> generate.Part:
    """A synth bass: off-beat eighths, rolling sixteenths, held roots or a syncopated riff."""
    notes: list[generate.Note] = []
    beat = song.beat
    for bar in range(song.n_bars):
        t0 = bar * 4 * beat
        root = min(p for p in range(33, 45) if p % 12 == song.chord(bar)[0])
        if style == "offbeat":
            seq = [(b + 0.5, root + (12 if b == 3 else 0), 0.4) for b in range(4)]
        elif style == "rolling":
            seq = [(s / 4, root + (12 if s % 4 == 2 else 0), 0.2) for s in range(16)]
        elif style == "sustained":
            seq = [(0, root, 1.9), (2, root + (7 if bar % 2 else 0), 1.9)]
        else:
            seq = [(0, root, 0.7), (0.75, root, 0.4), (1.5, root + 12, 0.4), (2.5, root + 10, 0.4),
                   (3, root + 7, 0.4), (3.5, root, 0.4)]
        for offset, pitch, length in seq:
            notes.append((t0 + offset * beat, length * beat, pitch, generate.vel(rng, 96, 6)))
    return generate.Part("bass", program, notes)


def synth_part(song: generate.Song, rng: np.random.Generator, program: int,
               role: str) -> generate.Part:
    """A pad holding each bar's chord, a lead arpeggiating it in sixteenths, or a melody."""
    if role == "melody":
        part = generate.melody_part(song, rng, program, low=64, high=84, name="synth")
        return part
    notes: list[generate.Note] = []
    beat = song.beat
    for bar in range(song.n_bars):
        t0 = bar * 4 * beat
        chord = generate.voice(song.chord(bar), 55, 76)
        start = int(rng.integers(max(1, len(chord) - 3)))
        shape = chord[start:start + 4]
        if role == "pad":
            for p in shape:
                notes.append((t0, 4 * beat * 0.98, p, generate.vel(rng, 80, 4)))
        else:
            order = shape + shape[-2:0:-1]
            for s in range(16):
                notes.append((t0 + s * beat / 4, beat / 4 * 0.9, order[s % len(order)] + 12,
                              generate.vel(rng, 80 if s % 4 == 0 else 66, 4)))
    return generate.Part("synth", program, notes)


def add_effects(stems: np.ndarray, roles: list[str], sr: int, tempo: float,
                rng: np.random.Generator) -> np.ndarray:
    """Each stem through its own effect: bass distortion, drum room, pad reverb, lead delay."""
    out = []
    room = effects.impulse_response(sr, rng, 0.4)[0]
    hall = effects.impulse_response(sr, rng, 2.5)[0]
    for stem, role in zip(stems, roles, strict=True):
        if role == "bass":
            y = effects.distortion(stem, rng.uniform(12, 20))
        elif role == "drums":
            y = effects.reverb(stem, room, rng.uniform(0.2, 0.4))
        elif role == "pad":
            y = effects.reverb(stem, hall, rng.uniform(0.6, 1.0))
        else:  # a lead: dotted-eighth delay, then some hall
            y = effects.delay(stem, sr, 0.75 * 60.0 / tempo, rng.uniform(0.3, 0.5), 0.5)
            y = effects.reverb(y, hall, 0.3)
        out.append(y * (generate.rms(stem) / generate.rms(y)))
    return np.stack(out)


def _spec(index: int, duration: float, rng: np.random.Generator, *,
          fx: bool) -> generate.Spec:
    # the items with effects are the dry items of the same index, processed
    rng = np.random.default_rng(generate._seed(f"{ELECTRONIC_VERSION}/electronic-{index}"))
    pattern = PATTERNS[index % len(PATTERNS)]
    machine = MACHINES[(index // 2 + index) % len(MACHINES)]
    bass_label, bass_program = BASSES[index % len(BASSES)]
    bass_style = BASS_STYLES[(index + index // 4) % len(BASS_STYLES)]
    synth_label, synth_program, role = SYNTHS[(index * 3) % len(SYNTHS)]
    song = generate.make_song(rng, duration, tempo=TEMPO[pattern])
    hits = drum_pattern(pattern, song, rng)
    parts = [bass_line(song, rng, bass_program, bass_style),
             synth_part(song, rng, synth_program, role)]
    other = generate.make_song(rng, generate.TRAINING_SECONDS, tempo=TEMPO[pattern])
    other_hits = drum_pattern(PATTERNS[(index + 1) % len(PATTERNS)], other, rng)
    other_parts = [bass_line(other, rng, bass_program, BASS_STYLES[(index + 1) % 4]),
                   synth_part(other, rng, synth_program, role)]
    level_db = rng.uniform(-3.0, 3.0, 3)
    fx_rng = np.random.default_rng(generate._seed(f"{ELECTRONIC_VERSION}/fx-{index}"))
    names = ["bass", "drums", "synth"]
    info = dict(tempo=song.tempo, pattern=pattern, machine=machine, bass=bass_label,
                bass_style=bass_style, synth=synth_label, synth_role=role, effects=fx,
                electronic_version=ELECTRONIC_VERSION)

    def rendered(duration: float, sr: int):
        stems = np.stack([generate.render(parts[0], duration, sr),
                          render_machine(machine, hits, duration, sr),
                          generate.render(parts[1], duration, sr)])
        if fx:
            stems = add_effects(stems, ["bass", "drums", "pad" if role == "pad" else "lead"],
                                sr, song.tempo, fx_rng)
        stems *= (10 ** (level_db / 20) / np.array([generate.rms(s) for s in stems]))[:, None]
        training = {"bass": generate.render(other_parts[0], generate.TRAINING_SECONDS, sr),
                    "drums": render_machine(machine, other_hits, generate.TRAINING_SECONDS, sr),
                    "synth": generate.render(other_parts[1], generate.TRAINING_SECONDS, sr)}
        return names, stems, training

    return generate.Spec([], [], info, rendered=rendered)


def spec_dry(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
    return _spec(index, duration, rng, fx=False)


def spec_fx(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
    return _spec(index, duration, rng, fx=True)


def spec_pieces(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
    """A drum machine alone as kick, snare and hi-hat (``drummachine-3``)."""
    rng = np.random.default_rng(generate._seed(f"{ELECTRONIC_VERSION}/drummachine-{index}"))
    machines = PIECE_MACHINES[index % 2]
    machine = machines[(index // 2) % len(machines)]
    pattern = PATTERNS[(index // 2) % len(PATTERNS)]
    other_pattern = PATTERNS[(index // 2 + 1) % len(PATTERNS)]
    song = generate.make_song(rng, duration, tempo=TEMPO[pattern])
    hits = drum_pattern(pattern, song, rng)
    other = generate.make_song(rng, generate.TRAINING_SECONDS, tempo=TEMPO[other_pattern])
    other_hits = drum_pattern(other_pattern, other, rng)
    names = list(PIECE_SOUNDS)
    level_db = rng.uniform(-2.0, 2.0, len(names))
    info = dict(tempo=song.tempo, pattern=pattern, machine=machine, pieces=names,
                electronic_version=ELECTRONIC_VERSION)

    def pieces(hit_list: list[Hit], seconds: float, sr: int) -> list[np.ndarray]:
        return [render_machine(machine, [h for h in hit_list if h[1] in PIECE_SOUNDS[name]],
                               seconds, sr) for name in names]

    def rendered(duration: float, sr: int):
        stems = np.stack(pieces(hits, duration, sr))
        stems *= (10 ** (level_db / 20) / np.array([generate.rms(s) for s in stems]))[:, None]
        training = dict(zip(names, pieces(other_hits, generate.TRAINING_SECONDS, sr),
                            strict=True))
        return names, stems, training

    return generate.Spec([], [], info, rendered=rendered)


CATEGORIES = {"electronic-3": spec_dry, "electronic-3+fx": spec_fx,
              "drummachine-3": spec_pieces}

generate.register(CATEGORIES, f".e{ELECTRONIC_VERSION}")
