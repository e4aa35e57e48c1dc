"""A band with a lead voice or a lead instrument: the lead against the rest, or every part.

Rendered benchmark categories, registered with :func:`benchmarks.quality.generate.register`:

``lead+rest``   ``lead`` (a sung melody on a GM voice patch, or a lead instrument: saxophone,
                trumpet, flute, violin, distorted guitar) and ``rest`` (bass, drums and keys
                or guitar, summed)
``band-4``      the same items' four parts: ``bass``, ``drums``, ``chords`` (keys or guitar,
                comping) and ``lead``
``drums+rest``  the same items as ``drums`` and ``rest`` (bass, chords and lead, summed): the
                rendered counterpart of the real recordings' ``real:drums+rest``

The parts are those of :mod:`benchmarks.quality.generate` (General MIDI on
FluidR3 GM), each at a level within ±3 dB, the lead within -3 to +1 dB of the
sum of the rest.  Mono, 22.05 kHz, deterministic (seeded by the item's
index), cached under :data:`BAND_VERSION`.
"""

from __future__ import annotations

import numpy as np

from . import generate

BAND_VERSION = 1
LEADS = [("choir", 52, "voice"), ("alto sax", 65, "instrument"), ("oohs", 53, "voice"),
         ("trumpet", 56, "instrument"), ("synth voice", 54, "voice"),
         ("flute", 73, "instrument"), ("violin", 40, "instrument"),
         ("lead guitar", 30, "instrument")]
CHORDS = [("piano", 0, "keys"), ("clean guitar", 27, "guitar"), ("e-piano", 4, "keys"),
          ("steel guitar", 25, "guitar")]


#: The four parts, in the order of ``band-4``'s sources.
PARTS = ("bass", "drums", "chords", "lead")


def _spec(index: int, duration: float, rng: np.random.Generator, *,
          apart: str | None) -> generate.Spec:
    rng = np.random.default_rng(generate._seed(f"{BAND_VERSION}/band-{index}"))
    lead_label, lead_program, lead_kind = LEADS[index % len(LEADS)]
    chords_label, chords_program, chords_kind = CHORDS[(index + index // 4) % len(CHORDS)]
    groove = generate.GROOVES[index % len(generate.GROOVES)]
    bass_label, bass_program = generate.BASSES[index % len(generate.BASSES)]
    bass_style = generate.BASS_STYLES[(index + 1) % len(generate.BASS_STYLES)]
    song = generate.make_song(rng, duration, tempo=(80, 124))

    def parts_of(song: generate.Song, style_shift: int) -> list[generate.Part]:
        if chords_kind == "keys":
            chords = generate.piano_part(song, rng, generate.PIANO_STYLES[
                (index + style_shift) % 3], low=48, high=72, program=chords_program)
        else:
            chords = generate.guitar_part(song, rng, chords_program, ("strum", "arpeggio")[
                (index + style_shift) % 2])
        chords.name = "chords"
        low, high = (60, 76) if lead_kind == "voice" else (62, 84)
        return [generate.bass_part(song, rng, bass_program, bass_style),
                generate.drum_part(song, rng, generate.GROOVES[
                    (index + style_shift) % len(generate.GROOVES)]),
                chords, generate.melody_part(song, rng, lead_program, low=low, high=high,
                                             name="lead")]

    parts = parts_of(song, 0)
    other = parts_of(generate.make_song(rng, generate.TRAINING_SECONDS, tempo=(80, 124)), 3)
    level_db = rng.uniform(-3.0, 3.0, 3)
    lead_db = rng.uniform(-3.0, 1.0)
    names = list(PARTS) if apart is None else [apart, "rest"]
    info = dict(tempo=song.tempo, lead=lead_label, lead_kind=lead_kind, chords=chords_label,
                groove=groove, bass=bass_label, bass_style=bass_style,
                band_version=BAND_VERSION)

    def rendered(duration: float, sr: int):
        stems = np.stack([generate.render(p, duration, sr) for p in parts])
        stems[:3] *= (10 ** (level_db / 20) / np.array([generate.rms(s) for s in stems[:3]])
                      )[:, None]
        stems[3] *= generate.rms(stems[:3].sum(axis=0)) * 10 ** (lead_db / 20) / generate.rms(
            stems[3])
        clips = {p.name: generate.render(p, generate.TRAINING_SECONDS, sr) for p in other}
        if apart is not None:
            alone = PARTS.index(apart)
            others = [i for i in range(len(PARTS)) if i != alone]
            stems = np.stack([stems[alone], stems[others].sum(axis=0)])
            clips = {apart: clips[apart],
                     "rest": sum(clips[n] for n in PARTS if n != apart)}
        return names, stems, clips

    return generate.Spec([], [], info, rendered=rendered)


def spec_lead_rest(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
    return _spec(index, duration, rng, apart="lead")


def spec_band(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
    return _spec(index, duration, rng, apart=None)


def spec_drums_rest(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
    return _spec(index, duration, rng, apart="drums")


CATEGORIES = {"lead+rest": spec_lead_rest, "band-4": spec_band, "drums+rest": spec_drums_rest}

generate.register(CATEGORIES, f".b{BAND_VERSION}")
