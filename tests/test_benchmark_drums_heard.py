"""The drums-heard study (benchmarks/quality/drums_heard.py) on the built-in example."""

from __future__ import annotations

import numpy as np
import pytest

import nmfsep
from benchmarks.quality.drums_heard import (
    MEASURES,
    gap_threshold,
    item_measures,
    pitched_only,
    table,
)
from benchmarks.quality.generate import Item

AUTO = "whole spectrogram (auto's)"


def _item(sources: np.ndarray, names: list[str], sr: int) -> Item:
    sources = np.asarray(sources, dtype=np.float32)
    return Item(name="example-0", category="drums+guitar", sr=sr, mixture=sources.sum(axis=0),
                sources=sources, names=names, training={}, info={})


@pytest.fixture(scope="module")
def example():
    return nmfsep.synth.drums_and_guitar(duration=4.0, seed=3)


def test_autos_measure_is_the_share_auto_decides_from(example):
    item = _item(example.sources, ["drums", "guitar"], example.sr)
    sep = nmfsep.separate(item.mixture, item.sr, n_sources=2, n_runs=1)
    measures = item_measures(item)
    assert set(measures) == set(MEASURES)
    assert measures[AUTO] == pytest.approx(sep.context.percussive_share, rel=1e-3)


def test_the_drums_raise_the_whole_share_and_the_root_share_not_the_high_band(example):
    both = item_measures(_item(example.sources, ["drums", "guitar"], example.sr))
    guitar = item_measures(_item(example.sources[1:], ["guitar"], example.sr))
    assert all(0 <= value <= 1 for value in (*both.values(), *guitar.values()))
    assert both[AUTO] > guitar[AUTO] + 0.1
    assert both["square root of the magnitude"] > guitar["square root of the magnitude"] + 0.05
    # above 4 kHz the plucked string's attacks are percussive too: no drum needed
    assert min(both["above 4 kHz"], guitar["above 4 kHz"]) > 0.7


def test_pitched_only_categories_are_piano_and_voice_and_the_chorales():
    assert pitched_only("piano+voice") and pitched_only("chorale-mastered")
    assert not pitched_only("drums+guitar-stereo") and not pitched_only("lead+rest")


def _record(category: str, gain: float, drums: bool, value: float) -> dict:
    return dict(category=category, item=f"{category}-0", gain=gain, drums=drums,
                **{name: value for name in MEASURES})


def test_the_gap_and_the_overlap_are_counted_per_drum_gain():
    records = [_record("piano+voice", 1.0, False, 0.17), _record("chorale", 1.0, False, 0.15),
               _record("band-4", 1.0, True, 0.30), _record("band-4", 0.3, True, 0.21),
               _record("band-4", 0.1, True, 0.12), _record("real:drums+rest", 1.0, True, 0.27)]
    assert gap_threshold(records) == pytest.approx(0.19)
    assert gap_threshold(records, gain=0.1) is None
    rows = [line for line in table(records) if line.startswith(f"| {AUTO} |")]
    assert [row.split("|")[-2].strip() for row in rows] == ["0 of 1", "0 of 1", "1 of 1",
                                                             "0 of 1"]
