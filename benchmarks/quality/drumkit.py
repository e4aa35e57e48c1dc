"""Drum kits split into their pieces: rendered benchmark categories from real sampled kits.

A groove (kick, snare, hi-hat with ghost notes and open hi-hat; toms fills or
crash and ride in the four-piece items) is played on a sampled kit, each piece
rendered on its own, so the stems add up exactly to the mixture:

* hydrogen kits (Debian's hydrogen-drumkits): a small sampler here places each
  instrument's one-shot at the note times, the velocity layer chosen by the
  note's velocity and scaled by it and by the kit's instrument and layer gains,
  an open hi-hat choked by the next hi-hat note;
* AVL kits (Debian's avldrums.lv2-soundfont, General MIDI drum notes): the
  soundfont played by fluidsynth, one piece per run.

Categories (``n`` pieces, plus ``rest`` in the band categories, where a bass
and a keyboard from the General MIDI soundfont play along as
:mod:`benchmarks.quality.generate` renders them):

``drumkit-3``          kick, snare, hihat
``drumkit-4``          kick, snare, hihat and toms or cymbals (crash + ride), alternating
``drumkit-3+band``     kick, snare, hihat and ``rest`` (bass + keys)
``drumkit-4+band``     the four pieces and ``rest``

Items 0-7 play the kits of :data:`FIRST_KITS` (AVL Red Zeppelin, BJA_Pacific,
Millo_MultiLayered2, Audiophob), items 8-15 those of :data:`SECOND_KITS` (AVL
Black Pearl, The Black Pearl 1.0, rumpf_kit_z01_h2, Gimme A Hand 1.0), item
``i`` the kit ``i % 4`` of its list.  The halves go by the item's parity
(:func:`benchmarks.quality.halves.half_of`), so the **tuning half** (even items)
plays Red Zeppelin and Millo_MultiLayered2 (then Black Pearl and rumpf_kit), the
**reporting half** (odd items) BJA_Pacific and Audiophob (then The Black Pearl
1.0 and Gimme A Hand): no kit is in both halves.  The drum benchmark
(:mod:`benchmarks.drums`, where NMFD's settings were chosen) splits by kit list
instead: items 0-7 tune, items 8-15 report.  Its tuning kits include
BJA_Pacific and Audiophob, so the quality benchmark's reporting items 1, 3, 5 and
7 are of kits the drum settings were tuned on; items 9, 11, 13 and 15 are of kits
neither benchmark tuned on.  None of these kits is one that nmfsep's drum templates were made from
(:data:`TEMPLATE_KITS`).  "Gimme A Hand 1.0" is a hand-percussion kit: its
pieces play the roles (cajon thump as kick, cajon slap as snare, maraca and
tambourine as hi-hat, bongos as toms; it has no cymbals, so its four-piece
items always take toms).

Mono, 22.05 kHz, deterministic (seeded by the item's name), cached by
:func:`benchmarks.quality.generate.build` under :data:`DRUMKIT_VERSION`.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import soundfile as sf

from nmfsep.drumtemplates import HydrogenKit, KitInstrument, KitLayer, read_hydrogen_kit

from . import generate
from .halves import half_of

DRUMKIT_VERSION = 3
HYDROGEN = Path("/usr/share/hydrogen/data/drumkits")
AVL = {
    "AVL Red Zeppelin": "/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2",
    "AVL Black Pearl": "/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2",
}
#: Kits nmfsep's shipped drum templates are made from (scripts/make_drum_templates.py).
TEMPLATE_KITS = ("ColomboAcousticDrumkit", "Millo_MultiLayered3", "ForzeeStereo", "HardElectro1")
#: The kits of items 0-7 and of items 8-15 (item ``i`` plays kit ``i % 4`` of its list).
FIRST_KITS = ("AVL Red Zeppelin", "BJA_Pacific", "Millo_MultiLayered2", "Audiophob")
SECOND_KITS = ("AVL Black Pearl", "The Black Pearl 1.0", "rumpf_kit_z01_h2",
               "Gimme A Hand 1.0")
FIRST_ITEMS = 8

#: The sounds a groove plays, and the piece (stem) each belongs to.
PIECE_OF = {
    "kick": "kick", "snare": "snare",
    "hihat-closed": "hihat", "hihat-open": "hihat", "hihat-pedal": "hihat",
    "tom-high": "toms", "tom-mid": "toms", "tom-low": "toms",
    "crash": "cymbals", "ride": "cymbals", "ride-bell": "cymbals",
}

# --------------------------------------------------------------------------- hydrogen kits


#: A hydrogen kit's parts, as nmfsep's library reads them (one reader of drumkit.xml).
Layer, Instrument, Kit = KitLayer, KitInstrument, HydrogenKit


@functools.cache
def read_kit(name: str, root: Path = HYDROGEN) -> Kit:
    """``root/name/drumkit.xml`` parsed (:func:`nmfsep.drumtemplates.read_hydrogen_kit`), cached."""
    return read_hydrogen_kit(root / name)


#: For each benchmark kit and sound, the instrument names (regular expressions,
#: matched in order, case-insensitive) that play it.
KIT_MAPS: dict[str, dict[str, tuple[str, ...]]] = {
    "BJA_Pacific": {
        "kick": ("^BassDrum$",), "snare": ("^Snare$",), "hihat-closed": ("^Hi Hat Closed$",),
        "hihat-open": ("^Hi Hat Opened$",), "hihat-pedal": ("^Hi Hat Closed$",),
        "tom-high": ("^Tom$",), "tom-mid": ("^Tom$",), "tom-low": ("^Floor Tom$",),
        "crash": ("^Crash Left$", "^Crash Right$"), "ride": ("^Ride$",),
        "ride-bell": ("^Ride Bell$",),
    },
    "Millo_MultiLayered2": {
        "kick": ("^Kick$",), "snare": ("^Snare Rock$",), "hihat-closed": ("^Closed HH$",),
        "hihat-open": ("^Open HH$",), "hihat-pedal": ("^Pedal HH$",),
        "tom-high": ("^Tom Hi$",), "tom-mid": ("^Tom Mid$",), "tom-low": ("^Tom Low$",),
        "crash": ("^Crash$",), "ride": ("^Ride Rock$",), "ride-bell": ("^Ride Rock$",),
    },
    "Audiophob": {
        "kick": ("^Kick$",), "snare": ("^Snare Rock$",), "hihat-closed": ("^Closed HH$",),
        "hihat-open": ("^Open HH$",), "hihat-pedal": ("^Closed HH$",),
        "tom-high": ("^Tom Hi$",), "tom-mid": ("^Tom Mid$",), "tom-low": ("^Tom Low$",),
        "crash": ("^Crash$",), "ride": ("^Ride Jazz$",), "ride-bell": ("^Ride Jazz$",),
    },
    "The Black Pearl 1.0": {
        "kick": ("^Pearl Kick$",), "snare": ("^Pearl Snare$",),
        "hihat-closed": ("^Sabian Hat Closed$",), "hihat-open": ("^Sabian Hat Open$",),
        "hihat-pedal": ("^Sabian Hat Pedal$",),
        "tom-high": ("^Pearl Tom 1$",), "tom-mid": ("^Pearl Tom 2$",),
        "tom-low": ("^Pearl Tom Floor$",),
        "crash": ("^Sabian Crash$",), "ride": ("^Paiste Ride$",), "ride-bell": ("^Paiste Bell$",),
    },
    # rumpf's analog samples follow General MIDI names only loosely (its "high tom" and
    # "cymbal 1" are sub-bass thumps): its toms and cymbals are chosen by their spectra
    # (centroid 300-500 Hz and 0.3-0.9 s for toms; 2 s at 4.8 kHz for the crash, 0.8 s at
    # 7 kHz for the ride).
    "rumpf_kit_z01_h2": {
        "kick": ("bass drum 1$",), "snare": ("snare 1$",), "hihat-closed": ("hi-hat closed$",),
        "hihat-open": ("hi-hat open$",), "hihat-pedal": ("hi-hat pedal$",),
        "tom-high": ("beats_05-16",), "tom-mid": ("beats_01-20",), "tom-low": ("low tom$",),
        "crash": ("beats_06-10",), "ride": ("beats_05-12",), "ride-bell": ("beats_05-12",),
    },
    "Gimme A Hand 1.0": {
        "kick": ("^Cajon Thump$",), "snare": ("^Cajon Slap$",), "hihat-closed": ("^Maraca$",),
        "hihat-open": ("^Tambourine$",), "hihat-pedal": ("^Maraca$",),
        "tom-high": ("^Bongo Hi$",), "tom-mid": ("^Bongo Hi$",), "tom-low": ("^Bongo Lo$",),
    },
}

#: General MIDI drum notes of the AVL soundfonts (their samples are named by note).
AVL_NOTES = {"kick": 36, "snare": 38, "hihat-closed": 42, "hihat-pedal": 44, "hihat-open": 46,
             "tom-high": 45, "tom-mid": 45, "tom-low": 41, "crash": 49, "ride": 51,
             "ride-bell": 53}


def instrument_for(kit: Kit, sound: str, patterns: dict[str, tuple[str, ...]]) -> Instrument:
    """The kit's instrument that plays ``sound`` (first pattern that matches)."""
    for pattern in patterns.get(sound, ()):
        for name, instrument in kit.instruments.items():
            if re.search(pattern, name, flags=re.IGNORECASE):
                return instrument
    raise KeyError(f"{kit.name} has no instrument for {sound}")


def kit_sounds(kit_name: str) -> set[str]:
    """The sounds a benchmark kit can play."""
    if kit_name in AVL:
        return set(AVL_NOTES)
    return set(KIT_MAPS[kit_name])


@functools.lru_cache(maxsize=512)
def one_shot(path: Path, sr: int) -> np.ndarray:
    """A sample as mono float64 at ``sr`` (channels averaged, polyphase resampling)."""
    from scipy.signal import resample_poly

    audio, rate = sf.read(path, dtype="float64", always_2d=True)
    mono = audio.mean(axis=1)
    if rate != sr:
        g = np.gcd(int(rate), int(sr))
        mono = resample_poly(mono, sr // g, rate // g)
    return mono


# --------------------------------------------------------------------------- grooves

# An event: (time s, sound, velocity 1-127)
Event = tuple[float, str, int]

STYLES = ("rock", "pop16", "funk", "disco", "halftime", "shuffle", "breakbeat", "bossa")
TEMPO = {"rock": (92, 132), "pop16": (84, 112), "funk": (88, 108), "disco": (112, 128),
         "halftime": (70, 90), "shuffle": (96, 128), "breakbeat": (86, 100),
         "bossa": (120, 150)}


def groove(style: str, tempo: float, n_bars: int, rng: np.random.Generator, *,
           extra: str | None = None) -> list[Event]:
    """A drum groove: kick, snare with ghost notes, hi-hat with accents and open hi-hats.

    ``extra="toms"`` adds a tom fill every second bar and a bar of floor-tom
    groove every fourth; ``extra="cymbals"`` a crash at each phrase and a ride
    (with bell accents, hi-hat foot on 2 and 4) instead of the hi-hat in every
    other two-bar phrase.
    """
    beat = 60.0 / tempo
    events: list[Event] = []

    def hit(position: float, sound: str, velocity: int, spread: int = 8,
            jitter: float = 0.006) -> None:
        t = max(0.0, position * beat + rng.normal(0, jitter))
        v = int(np.clip(velocity + rng.integers(-spread, spread + 1), 1, 127))
        events.append((t, sound, v))

    swing = 2 / 3 if style == "shuffle" else 0.5
    for bar in range(n_bars):
        b0 = 4.0 * bar
        ride_bar = extra == "cymbals" and (bar // 2) % 2 == 1
        fill = extra == "toms" and bar % 2 == 1
        stop = 3.0 if fill else 4.0  # a fill takes the last beat
        # hi-hat (or ride) layer
        if style in ("pop16", "funk", "breakbeat"):
            steps = [i / 4 for i in range(16)]
        elif style == "bossa":
            steps = [i / 2 for i in range(8)]
        else:
            steps = [b + s for b in range(4) for s in (0.0, swing)]
        for s in steps:
            if s >= stop:
                break
            accent = s == int(s)
            if ride_bar:
                bell = accent and int(s) % 2 == 0 and rng.random() < 0.3
                hit(b0 + s, "ride-bell" if bell else "ride", 90 if accent else 62)
                continue
            open_here = ((style == "disco" and s % 1 == 0.5)
                         or (style in ("rock", "pop16", "funk", "halftime", "breakbeat")
                             and s == 3.5 and bar % 2 == 1)
                         or (style == "shuffle" and s == 3 + swing and bar % 4 == 3))
            if open_here:
                hit(b0 + s, "hihat-open", 88)
            else:
                hit(b0 + s, "hihat-closed", 88 if accent else (58 if style != "funk" else 50))
        if ride_bar:
            for b in (1, 3):
                hit(b0 + b, "hihat-pedal", 70)
        elif style == "bossa" and bar % 2 == 0:
            hit(b0 + 2, "hihat-pedal", 60)
        # kick
        kicks = {"rock": [0, 2.5] + ([2.0] if bar % 2 else [0.75]),
                 "pop16": [0, 1.75, 2.5], "funk": [0, 0.75, 2.5, 2.75 if bar % 2 else 3.25],
                 "disco": [0, 1, 2, 3], "halftime": [0, 0.75, 3.5],
                 "shuffle": [0, 2, 2 + swing], "breakbeat": [0, 0.5, 2.25, 2.75],
                 "bossa": [0, 1.5, 2, 3.5]}[style]
        for k in kicks:
            if k < stop:
                hit(b0 + k, "kick", 104)
        # snare, with ghost notes
        backbeats = {"halftime": [2], "bossa": [], "breakbeat": [1, 3.25]}.get(style, [1, 3])
        for s in backbeats:
            if s < stop:
                hit(b0 + s, "snare", 110)
        if style == "bossa":
            for s in ([0, 0.75, 1.5, 2.5, 3.25] if bar % 2 == 0 else [0.5, 1.5, 2.25, 3]):
                if s < stop:
                    hit(b0 + s, "snare", 70)  # cross-stick pattern on the snare
        ghosts = {"funk": [0.5, 1.75, 2.25, 2.75, 3.75], "breakbeat": [1.75, 2.5, 3.75],
                  "pop16": [1.75, 3.75], "halftime": [0.75, 1.5, 2.75, 3.25],
                  "shuffle": [1 + swing, 3 + swing], "rock": [2.75]}.get(style, [])
        for s in ghosts:
            if s < stop and rng.random() < 0.7:
                hit(b0 + s, "snare", 30, spread=6)
        # extras
        if extra == "cymbals" and bar % 4 == 0:
            hit(b0, "crash", 108)
        if extra == "cymbals" and bar % 4 == 2 and rng.random() < 0.5:
            hit(b0 + 2.5, "crash", 96)
        if fill:
            toms = ["tom-high", "tom-high", "tom-mid", "tom-mid", "tom-low", "tom-low"]
            n = 4 if rng.random() < 0.6 else 6
            for i in range(n):
                hit(b0 + 3 + i / n, toms[int(i * len(toms) / n)], 100)
        if extra == "toms" and bar % 4 == 2:
            for s in (0.5, 1.5, 2.5, 3.5):
                hit(b0 + s, "tom-low", 80)
    return sorted(events)


# --------------------------------------------------------------------------- rendering

CHOKE_SECONDS = 0.012


def render_hydrogen(kit: Kit, events: list[Event], duration: float, sr: int,
                    pieces: list[str], patterns: dict[str, tuple[str, ...]]) -> np.ndarray:
    """Each piece's stem, shape=(len(pieces), samples), float64.

    A note plays the layer whose velocity range holds its velocity (nearest
    layer otherwise), scaled by ``velocity/127``, the layer's and the
    instrument's gains; an open hi-hat is choked (faded out in
    :data:`CHOKE_SECONDS`) at the next hi-hat note.
    """
    n = int(round(duration * sr))
    stems = np.zeros((len(pieces), n))
    hat_times = [t for t, sound, _ in events if sound.startswith("hihat")]
    for t, sound, velocity in events:
        piece = PIECE_OF[sound]
        if piece not in pieces:
            continue
        instrument = instrument_for(kit, sound, patterns)
        level = velocity / 127.0
        layer = min(instrument.layers,
                    key=lambda x: 0.0 if x.low <= level <= x.high
                    else min(abs(level - x.low), abs(level - x.high)))
        sample = one_shot(layer.path, sr) * (level * layer.gain * instrument.volume)
        start = int(round(t * sr))
        if start >= n:
            continue
        if sound == "hihat-open":
            later = [u for u in hat_times if u > t + 1e-4]
            if later:
                keep = int(round((later[0] - t) * sr))
                fade = int(CHOKE_SECONDS * sr)
                sample = sample[: keep + fade].copy()
                tail = sample[keep:]
                tail *= np.linspace(1.0, 0.0, tail.size)
        stop = min(n, start + sample.size)
        stems[pieces.index(piece), start:stop] += sample[: stop - start]
    return stems


def render_avl(soundfont: str, events: list[Event], duration: float, sr: int,
               pieces: list[str]) -> np.ndarray:
    """Each piece's stem played by fluidsynth on an AVL soundfont (bank 0, preset 0)."""
    stems = []
    for piece in pieces:
        notes = [(t, 0.4, AVL_NOTES[sound], velocity) for t, sound, velocity in events
                 if PIECE_OF[sound] == piece]
        part = generate.Part(piece, 0, notes)
        stems.append(generate.render(part, duration, sr, soundfont_path=soundfont) if notes
                     else np.zeros(int(round(duration * sr))))
    return np.stack(stems)


def render_kit(kit_name: str, events: list[Event], duration: float, sr: int,
               pieces: list[str]) -> np.ndarray:
    """The stems of ``pieces`` on ``kit_name`` (AVL soundfont or hydrogen kit)."""
    if kit_name in AVL:
        return render_avl(AVL[kit_name], events, duration, sr, pieces)  # faded by render
    stems = render_hydrogen(read_kit(kit_name), events, duration, sr, pieces,
                            KIT_MAPS[kit_name])
    fade = int(0.05 * sr)
    stems[:, -fade:] *= np.linspace(1.0, 0.0, fade)
    return stems


# --------------------------------------------------------------------------- items

KEYS = [("piano", 0), ("e-piano", 4), ("organ", 16), ("e-piano 2", 5)]


def item_plan(index: int, *, four: bool) -> dict:
    """Kit, style and extra piece of item ``index`` (its kit: see the module's docstring)."""
    kits = FIRST_KITS if index < FIRST_ITEMS else SECOND_KITS
    kit = kits[index % len(kits)]
    style = STYLES[(index * 3 + (1 if four else 0)) % len(STYLES)]
    extra = None
    if four:
        extra = "toms" if (index // len(kits)) % 2 == 0 else "cymbals"
        if "crash" not in kit_sounds(kit):
            extra = "toms"
    return dict(kit=kit, style=style, extra=extra)


def _spec(index: int, duration: float, rng: np.random.Generator, *, four: bool,
          band: bool) -> generate.Spec:
    plan = item_plan(index, four=four)
    band_rng = rng
    # the drums of a band item are those of the item of the same index without the band
    rng = np.random.default_rng(generate._seed(f"{DRUMKIT_VERSION}/drumkit-{3 + four}-{index}"))
    tempo = float(rng.integers(*TEMPO[plan["style"]]) + 1)
    n_bars = int(np.ceil(duration / (4 * 60.0 / tempo))) + 1
    pieces = ["kick", "snare", "hihat"] + ([{"toms": "toms", "cymbals": "cymbals"}[
        plan["extra"]]] if four else [])
    events = groove(plan["style"], tempo, n_bars, rng, extra=plan["extra"])
    # a groove in another style for the training clips
    other_style = STYLES[(STYLES.index(plan["style"]) + 3) % len(STYLES)]
    other_tempo = float(rng.integers(*TEMPO[other_style]) + 1)
    other = groove(other_style, other_tempo,
                   int(np.ceil(generate.TRAINING_SECONDS / (240 / other_tempo))) + 1, rng,
                   extra=plan["extra"])
    level_db = rng.uniform(-2.0, 2.0, len(pieces))
    rng = band_rng
    song = generate.make_song(rng, duration, tempo=(int(tempo), int(tempo)))
    bass_label, bass_program = generate.BASSES[index % len(generate.BASSES)]
    bass_style = generate.BASS_STYLES[index % len(generate.BASS_STYLES)]
    keys_label, keys_program = KEYS[index % len(KEYS)]
    keys_style = generate.PIANO_STYLES[index % len(generate.PIANO_STYLES)]
    band_parts = [generate.bass_part(song, rng, bass_program, bass_style),
                  generate.piano_part(song, rng, keys_style, program=keys_program)]
    band_db = (rng.uniform(-4.0, 0.0), rng.uniform(-6.0, -1.0))
    other_song = generate.make_song(rng, generate.TRAINING_SECONDS)
    other_band = [generate.bass_part(other_song, rng, bass_program, "walking"),
                  generate.piano_part(other_song, rng, "block", program=keys_program)]
    names = pieces + (["rest"] if band else [])
    info = dict(plan, tempo=tempo, pieces=pieces, half=half_of(index),
                drumkit_version=DRUMKIT_VERSION)
    if band:
        info.update(bass=bass_label, bass_style=bass_style, keys=keys_label,
                    keys_style=keys_style)

    def rendered(duration: float, sr: int):
        drums = render_kit(plan["kit"], events, duration, sr, pieces)
        drums *= (10 ** (level_db / 20))[:, None]
        stems = list(drums)
        training = {p: clip for p, clip in zip(
            pieces, render_kit(plan["kit"], other, generate.TRAINING_SECONDS, sr, pieces),
            strict=True)}
        if band:
            reference = generate.rms(drums.sum(axis=0))
            rest = np.zeros_like(stems[0])
            for part, db in zip(band_parts, band_db, strict=True):
                audio = generate.render(part, duration, sr)
                rest += audio * (reference * 10 ** (db / 20) / generate.rms(audio))
            stems.append(rest)
            training["rest"] = sum(generate.render(p, generate.TRAINING_SECONDS, sr)
                                   for p in other_band)
        return names, np.stack(stems), training

    return generate.Spec([], [], info, rendered=rendered)


def spec_three(index, duration, rng):
    return _spec(index, duration, rng, four=False, band=False)


def spec_four(index, duration, rng):
    return _spec(index, duration, rng, four=True, band=False)


def spec_three_band(index, duration, rng):
    return _spec(index, duration, rng, four=False, band=True)


def spec_four_band(index, duration, rng):
    return _spec(index, duration, rng, four=True, band=True)


CATEGORIES = {
    "drumkit-3": spec_three,
    "drumkit-4": spec_four,
    "drumkit-3+band": spec_three_band,
    "drumkit-4+band": spec_four_band,
}

generate.register(CATEGORIES, f".d{DRUMKIT_VERSION}")
