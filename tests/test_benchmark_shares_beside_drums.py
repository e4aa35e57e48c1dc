"""The shares-beside-drums study (benchmarks/quality/shares_beside_drums.py) on the built-in
example."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import nmfsep
from benchmarks.quality.generate import Item
from benchmarks.quality.shares_beside_drums import (
    AS_IS,
    RULE,
    SHARES_ALWAYS,
    WITHOUT,
    regrouped,
    summary,
)
from nmfsep.grouping import bass_note_components, low_register_share
from nmfsep.metrics import evaluate
from nmfsep.policy import DEFAULT_POLICY


def _item(sources: np.ndarray, names: list[str], sr: int, name: str = "example-0") -> Item:
    sources = np.asarray(sources, dtype=np.float32)
    return Item(name=name, category="drums+guitar", sr=sr, mixture=sources.sum(axis=0),
                sources=sources, names=names, training={}, info={})


@pytest.fixture(scope="module")
def example():
    return nmfsep.synth.drums_and_guitar(duration=4.0, seed=3)


@pytest.fixture(scope="module")
def separated(example):
    item = _item(example.sources, ["drums", "guitar"], example.sr)
    return item, nmfsep.separate(item.mixture, item.sr, n_sources=2, n_runs=1)


def test_the_columns_are_autos_separation_and_the_percussive_grouping(separated):
    item, sep = separated
    assert sep.decision.register == "shares"  # what the study takes away
    row = regrouped(item, sep)
    assert row.drums_heard
    scores = evaluate(item.sources, sep.sources).sdr
    assert row.every[AS_IS] == pytest.approx(scores.tolist())
    assert row.drums[AS_IS] == pytest.approx(scores[0])
    percussive = nmfsep.separate(item.mixture, item.sr, n_sources=2, n_runs=1,
                                 grouping="percussive")
    assert percussive.decision.register == "bass line"
    assert row.every[WITHOUT] == pytest.approx(
        evaluate(item.sources, percussive.sources).sdr.tolist(), abs=1e-3)
    energy = sep.W.sum(axis=0) * sep.H.sum(axis=1)
    assert row.drum_energy_share == pytest.approx(
        energy[sep.labels == sep.decision.drum_source].sum() / energy.sum(), rel=1e-4)


def test_the_rule_takes_the_percussive_masks_where_the_other_holds_the_low_register(
        separated):
    item, sep = separated
    row = regrouped(item, sep)
    drums = sep.decision.drum_source
    low = low_register_share(sep.W, sep.H, sep.labels, (drums, 1 - drums), item.sr)
    assert (row.low_drums, row.low_other) == pytest.approx(tuple(low))
    expected = WITHOUT if row.low_other >= row.low_drums else SHARES_ALWAYS
    assert row.every[RULE] == row.every[expected]
    assert row.bass_notes == bass_note_components(sep.W, sep.labels, 1 - drums,
                                                  item.sr).sum()


def test_before_the_bass_notes_test_auto_keeps_the_shares(separated):
    item, sep = separated
    row = regrouped(item, sep)
    assert row.bass_notes == 0  # the built-in example has no bass line: auto keeps its shares
    assert row.every[SHARES_ALWAYS] == pytest.approx(row.every[AS_IS], abs=1e-4)


def test_drums_not_heard_leave_only_autos_column_and_the_summary_counts_it(example):
    item = _item(example.sources, ["drums", "guitar"], example.sr)
    deaf = replace(DEFAULT_POLICY, drums_share=1.0)  # a policy that never hears drums
    row = regrouped(item, nmfsep.separate(item.mixture, item.sr, n_sources=2, n_runs=1,
                                          policy=deaf))
    assert not row.drums_heard and set(row.every) == {AS_IS}
    assert "| no |" in row.line()
    lines = summary([row])
    median = f"{np.median(row.every[AS_IS]):.2f}"
    assert lines[-1] == f"| drums+guitar | {median} | {median} | {median} | {median} |"


def test_an_item_of_three_sources_is_refused(example):
    item = _item(np.concatenate([example.sources, example.sources[:1]]),
                 ["drums", "guitar", "more"], example.sr)
    with pytest.raises(ValueError, match="two sources needed"):
        regrouped(item)


def test_the_low_register_share_is_the_sources_energy_below_the_cutoff():
    sr, bins = 22050, 513
    freqs = np.linspace(0, sr / 2, bins)
    low = (freqs < 100).astype(float)
    high = (freqs > 2000).astype(float)
    W = np.column_stack([low + 0.25 * high, high])
    H = np.ones((2, 10))
    shares = low_register_share(W, H, np.array([0, 1]), (0, 1), sr, DEFAULT_POLICY)
    expected = low.sum() / (low.sum() + 0.25 * high.sum())
    np.testing.assert_allclose(shares, [expected, 0.0])
