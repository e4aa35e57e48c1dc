"""The band categories (benchmarks/quality/band.py): one render, grouped three ways."""

from __future__ import annotations

import numpy as np

from benchmarks.quality import band, generate


def test_drums_and_the_rest_are_the_band_items_drums_against_the_sum_of_the_others(tmp_path):
    drums_rest = generate.build("drums+rest", 1, 2.0, cache=tmp_path)
    parts = generate.build("band-4", 1, 2.0, cache=tmp_path)
    assert drums_rest.names == ["drums", "rest"] and parts.names == list(band.PARTS)
    drums = band.PARTS.index("drums")
    np.testing.assert_array_equal(drums_rest.sources[0], parts.sources[drums])
    others = [i for i in range(len(band.PARTS)) if i != drums]
    np.testing.assert_allclose(drums_rest.sources[1], parts.sources[others].sum(axis=0),
                               atol=1e-6)
    np.testing.assert_allclose(drums_rest.mixture, parts.mixture, atol=1e-6)
