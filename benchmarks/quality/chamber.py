"""Chamber music: a string quartet, and a piano trio.

Rendered benchmark categories, registered with :func:`benchmarks.quality.generate.register`:

``string-quartet``  a four-part Bach chorale from music21's corpus on violin, violin, viola
                    and cello (``violin-1``, ``violin-2``, ``viola``, ``cello``): four
                    voices of one family of instruments, where the chorale category has
                    four families
``piano-trio``      the same chorales as ``violin`` (soprano), ``piano`` (alto and tenor,
                    in one part) and ``cello`` (bass): a struck instrument between two
                    bowed ones

Item ``i`` plays chorale ``3 i + 2`` of the corpus (the chorale category plays ``3 i``
and trains on ``3 i + 1``), so no chorale is in both halves or in both categories; its
training clips are chorale ``3 i + 1`` on the same instruments.  Mono, 22.05 kHz, each
source at a level within ±3 dB (:func:`benchmarks.quality.generate.render_parts`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import generate

CHAMBER_VERSION = 1
#: The quartet's voices, soprano to bass: name and General MIDI program.
QUARTET = (("violin-1", 40), ("violin-2", 40), ("viola", 41), ("cello", 42))
#: The piano trio's program for the two inner voices (General MIDI acoustic grand).
PIANO_PROGRAM = 0
#: The chorale's voices as the trio reads them; alto and tenor become the piano's part.
TRIO_VOICES = (("violin", 40), ("alto", PIANO_PROGRAM), ("tenor", PIANO_PROGRAM),
               ("cello", 42))


def _chorale_spec(index: int, duration: float, rng: np.random.Generator,
                  voices: Sequence[tuple[str, int]],
                  arrange: Callable[[list[generate.Part]], list[generate.Part]]
                  ) -> generate.Spec:
    """Item ``index``: chorale ``3 index + 2`` on ``voices``, trained on ``3 index + 1``."""
    tempo = float(rng.integers(60, 84))
    parts, title = generate.chorale_parts(3 * index + 2, tempo, duration, voices)
    training, other = generate.chorale_parts(3 * index + 1, tempo, generate.TRAINING_SECONDS,
                                             voices)
    return generate.Spec(arrange(parts), arrange(training),
                         dict(tempo=tempo, chorale=title, training_chorale=other,
                              chamber_version=CHAMBER_VERSION))


def _trio(parts: list[generate.Part]) -> list[generate.Part]:
    """A chorale's four voices as a piano trio: violin, piano (alto and tenor), cello."""
    soprano, alto, tenor, bass = parts
    piano = generate.Part("piano", PIANO_PROGRAM, sorted(alto.notes + tenor.notes))
    return [soprano, piano, bass]


def spec_string_quartet(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
    return _chorale_spec(index, duration, rng, QUARTET, list)


def spec_piano_trio(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
    return _chorale_spec(index, duration, rng, TRIO_VOICES, _trio)


CATEGORIES = {"string-quartet": spec_string_quartet, "piano-trio": spec_piano_trio}

generate.register(CATEGORIES, f".c{CHAMBER_VERSION}")
