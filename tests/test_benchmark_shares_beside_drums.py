"""The shares-beside-drums study (benchmarks/quality/shares_beside_drums.py) on the built-in
example."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import nmfsep
from benchmarks.quality.generate import Item
from benchmarks.quality.shares_beside_drums import regrouped
from nmfsep.metrics import evaluate
from nmfsep.policy import DEFAULT_POLICY


def _item(sources: np.ndarray, names: list[str], sr: int) -> Item:
    sources = np.asarray(sources, dtype=np.float32)
    return Item(name="example-0", category="drums+guitar", sr=sr, mixture=sources.sum(axis=0),
                sources=sources, names=names, training={}, info={})


@pytest.fixture(scope="module")
def example():
    return nmfsep.synth.drums_and_guitar(duration=4.0, seed=3)


def test_both_sides_are_autos_separation_and_the_percussive_grouping(example):
    item = _item(example.sources, ["drums", "guitar"], example.sr)
    sep = nmfsep.separate(item.mixture, item.sr, n_sources=2, n_runs=1)
    assert sep.decision.register == "shares"  # what the study takes away
    row = regrouped(item, sep)
    assert row.drums_heard
    scores = evaluate(item.sources, sep.sources).sdr
    assert (row.median_with, row.drums_with) == pytest.approx((np.median(scores), scores[0]))
    percussive = nmfsep.separate(item.mixture, item.sr, n_sources=2, n_runs=1,
                                 grouping="percussive")
    assert percussive.decision.register == "bass line"
    scores = evaluate(item.sources, percussive.sources).sdr
    assert (row.median_without, row.drums_without) == pytest.approx(
        (np.median(scores), scores[0]), abs=1e-3)
    energy = sep.W.sum(axis=0) * sep.H.sum(axis=1)
    assert row.drum_energy_share == pytest.approx(
        energy[sep.labels == sep.decision.drum_source].sum() / energy.sum(), rel=1e-4)
    assert 0 < row.drum_energy_share < 1


def test_drums_not_heard_leave_the_percussive_side_empty(example):
    item = _item(example.sources, ["drums", "guitar"], example.sr)
    deaf = replace(DEFAULT_POLICY, drums_share=1.0)  # a policy that never hears drums
    row = regrouped(item, nmfsep.separate(item.mixture, item.sr, n_sources=2, n_runs=1,
                                          policy=deaf))
    assert not row.drums_heard
    assert np.isnan(row.median_without) and np.isnan(row.drum_energy_share)
    assert "| no |" in row.line()


def test_an_item_without_drums_is_refused(example):
    item = _item(example.sources, ["kit", "guitar"], example.sr)
    with pytest.raises(ValueError, match="no source named 'drums'"):
        regrouped(item)
