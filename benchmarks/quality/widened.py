"""The widened benchmark of issue 24: the rendered categories beyond the first four.

``python -m benchmarks.quality --widened [--half reporting]`` runs them into
``results/widened.json`` (or ``results/widened-<half>.json``); the report shows the
reporting half of each, worst first (:mod:`benchmarks.quality.report_widened`).
"""

from __future__ import annotations

from . import band, drumkit, electronic, generate, stereo

#: The first four categories (generate.py), the ones the widened benchmark adds to.
ORIGINAL = ("drums+guitar", "piano+voice", "bass+drums+piano", "chorale")
WIDENED = tuple(c for c in (*electronic.CATEGORIES, *band.CATEGORIES, *stereo.CATEGORIES,
                              *drumkit.CATEGORIES)
                if c in generate.CATEGORIES)
