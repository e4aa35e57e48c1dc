"""Chamber music: a string quartet, every voice a bowed string.

A rendered benchmark category, registered with :func:`benchmarks.quality.generate.register`:

``string-quartet``  a four-part Bach chorale from music21's corpus on violin, violin, viola
                    and cello (``violin-1``, ``violin-2``, ``viola``, ``cello``): four
                    voices of one family of instruments, where the chorale category has
                    four families

Item ``i`` plays chorale ``3 i + 2`` of the corpus (the chorale category plays ``3 i``
and trains on ``3 i + 1``), so no chorale is in both halves or in both categories; its
training clips are chorale ``3 i + 1`` on the same instruments.  Mono, 22.05 kHz, each
voice at a level within ±3 dB (:func:`benchmarks.quality.generate.render_parts`).
"""

from __future__ import annotations

import numpy as np

from . import generate

CHAMBER_VERSION = 1
#: The quartet's voices, soprano to bass: name and General MIDI program.
QUARTET = (("violin-1", 40), ("violin-2", 40), ("viola", 41), ("cello", 42))


def spec_string_quartet(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
    tempo = float(rng.integers(60, 84))
    parts, title = generate.chorale_parts(3 * index + 2, tempo, duration, QUARTET)
    training, other = generate.chorale_parts(3 * index + 1, tempo, generate.TRAINING_SECONDS,
                                             QUARTET)
    return generate.Spec(parts, training, dict(tempo=tempo, chorale=title,
                                               training_chorale=other,
                                               chamber_version=CHAMBER_VERSION))


CATEGORIES = {"string-quartet": spec_string_quartet}

generate.register(CATEGORIES, f".c{CHAMBER_VERSION}")
