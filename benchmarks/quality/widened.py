"""The widened benchmark of issue 24: the rendered categories beyond the first four.

``python -m benchmarks.quality --widened [--half reporting]`` runs them into
``results/widened.json`` (or ``results/widened-<half>.json``); the report shows the
reporting half of each, worst first (:mod:`benchmarks.quality.report_widened`).
"""

from __future__ import annotations

from . import band, chamber, drumkit, electronic, generate, stereo

#: The first four categories (generate.py), the ones the widened benchmark adds to.
ORIGINAL = ("drums+guitar", "piano+voice", "bass+drums+piano", "chorale")
WIDENED = tuple(c for c in (*electronic.CATEGORIES, *band.CATEGORIES, *stereo.CATEGORIES,
                              *drumkit.CATEGORIES, *chamber.CATEGORIES)
                if c in generate.CATEGORIES)

#: One line per kind of widened category, for the report.
DESCRIPTIONS = {
    "electronic-3": "synth bass, drum machine (GM Electronic / TR-808 kits by fluidsynth, or "
                    "Sonic Pi's one-shots), pad or lead (`benchmarks/quality/electronic.py`)",
    "electronic-3+fx": "the same items, each stem through its own effect: distorted bass, "
                       "room on the drums, long reverb on a pad, delay and reverb on a lead",
    "lead+rest": "a sung melody (GM voice patches) or a lead instrument over bass, drums and "
                 "keys or guitar, as lead vs the rest (`benchmarks/quality/band.py`)",
    "band-4": "the same items as bass, drums, chords (keys or guitar) and lead",
    "drums+rest": "the same items as drums vs the rest (bass, chords and lead): the rendered "
                  "counterpart of the real recordings' `real:drums+rest`",
    "<category>-stereo": "the first four categories' items panned and sent to one stereo room, "
                         "two channels (`benchmarks/quality/stereo.py`)",
    "<category>-mastered": "the same stereo items through bus compression and a peak limiter, "
                           "one gain on every stem (`benchmarks/quality/effects.py`)",
    "drumkit-*": "drum kits split into their pieces (`benchmarks/quality/drumkit.py`)",
    "drummachine-3": "a drum machine alone (GM TR-808 / Electronic by fluidsynth, Sonic Pi's "
                     "one-shots) as kick, snare or clap, and hi-hat; no machine in both "
                     "halves (`benchmarks/quality/electronic.py`)",
    "string-quartet": "a Bach chorale on violin, violin, viola and cello: four voices of one "
                      "family (`benchmarks/quality/chamber.py`)",
    "piano-trio": "the same chorales as violin, piano (the two inner voices) and cello",
}
