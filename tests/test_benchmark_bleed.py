"""The recorded-like category with bleed (benchmarks/quality/bleed.py), without rendering."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.quality import bleed, effects, generate


@pytest.fixture(scope="module")
def parts():
    rng = np.random.default_rng(0)
    sr = 8000
    t = np.arange(sr) / sr
    kit = (rng.standard_normal(sr) * np.exp(-30 * (t % 0.25))).astype(np.float64)
    guitar = np.sin(2 * np.pi * 196.0 * t) * 0.3
    ir = effects.impulse_response(sr, rng, 0.3, channels=1)
    return np.stack([kit, guitar]), ir


def test_without_bleed_or_room_each_microphone_records_its_part_alone(parts):
    stems, ir = parts
    out = bleed.recorded(stems, ir, np.zeros(2), np.full(2, -np.inf))
    np.testing.assert_allclose(out, stems, atol=1e-12)


def test_each_microphone_hears_the_other_part_through_the_room_at_its_level(parts):
    stems, ir = parts
    sends, levels = np.array([0.2, 0.1]), np.array([-12.0, -20.0])
    out = bleed.recorded(stems, ir, sends, levels)
    for mic, other in ((0, 1), (1, 0)):
        own = effects.reverb(stems[mic], ir, sends[mic])
        far = effects.reverb(stems[other], ir, 1.0)
        np.testing.assert_allclose(out[mic] - own, 10 ** (levels[mic] / 20) * far, atol=1e-9)


def test_the_category_is_registered_with_levels_in_its_ranges_and_deterministic():
    assert "drums+guitar-bleed" in generate.CATEGORIES
    make = generate.CATEGORIES["drums+guitar-bleed"]
    first = make(3, 10.0, np.random.default_rng(1)).info
    again = make(3, 10.0, np.random.default_rng(2)).info  # seeded by the item, not the caller
    assert first == again
    assert first["drum_gain"] == bleed.DRUM_GAIN and first["base"] == "drums+guitar"
    low, high = bleed.BLEED_DB["drums"]
    assert low <= first["bleed_db"]["drums"] <= high
    low, high = bleed.BLEED_DB["other"]
    assert low <= first["bleed_db"]["guitar"] <= high
