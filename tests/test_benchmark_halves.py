"""The tuning/reporting halves of the benchmark and the widened categories' items."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.quality import generate
from benchmarks.quality.halves import half_of, real_halves, rendered_index, select


def test_even_index_tunes_odd_index_reports():
    assert [half_of(i) for i in range(5)] == ["tuning", "reporting", "tuning", "reporting",
                                              "tuning"]
    assert select(range(3, 9), "reporting") == [3, 5, 7]
    assert select(range(3, 9), "tuning") == [4, 6, 8]
    assert select(range(2), "all") == [0, 1]
    with pytest.raises(ValueError):
        half_of(-1)
    with pytest.raises(ValueError):
        select(range(2), "both")


def test_rendered_index_and_real_positions():
    assert rendered_index("electronic-3+fx-11") == 11
    assert real_halves(["b-song", "a-song", "c-song"]) == {
        "a-song": "tuning", "b-song": "reporting", "c-song": "tuning"}


def _check(item, n, channels):
    assert len(item.names) == n
    assert item.sources.shape[:2] == (n, channels)
    np.testing.assert_array_equal(item.mixture, item.sources.sum(axis=0))
    assert all(np.sqrt(np.mean(s.astype(np.float64) ** 2)) > 1e-4 for s in item.sources)


@pytest.mark.parametrize("category", ["electronic-3", "electronic-3+fx"])
def test_electronic_items_have_bass_drums_synth(category, tmp_path):
    item = generate.build(category, 1, 3.0, cache=tmp_path)
    _check(item, 3, 1)
    assert item.names == ["bass", "drums", "synth"]
    again = generate.build(category, 1, 3.0, cache=tmp_path / "other")
    np.testing.assert_array_equal(item.sources, again.sources)  # seeded per item


def test_effects_change_the_stems_of_the_same_item(tmp_path):
    dry = generate.build("electronic-3", 0, 3.0, cache=tmp_path)
    wet = generate.build("electronic-3+fx", 0, 3.0, cache=tmp_path)
    assert dry.info["tempo"] == wet.info["tempo"]
    for a, b in zip(dry.sources, wet.sources, strict=True):
        assert abs(np.corrcoef(a[0], b[0])[0, 1]) < 0.999
