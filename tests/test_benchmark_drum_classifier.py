"""The learned drum test study (benchmarks/quality/drum_classifier.py) on the built-in example."""

from __future__ import annotations

import numpy as np
import pytest
from mixtures import drums_and_guitar_item

import nmfsep
from benchmarks.quality.drum_classifier import (
    ALL,
    FEATURES,
    DrumModel,
    drum_features,
    fit_drum_model,
    learned_drum_test,
    purest_cut,
    score,
)
from benchmarks.quality.drum_share import gain_group
from benchmarks.quality.generate import Item
from benchmarks.quality.methods import oracle_labels
from nmfsep.features import percussiveness, tonalness
from nmfsep.metrics import evaluate


@pytest.fixture(scope="module")
def case():
    item = drums_and_guitar_item()
    sep = nmfsep.separate(item.mixture, item.sr, n_sources=2, n_runs=1)
    return item, sep, oracle_labels(sep.W, sep.H, item.sources, sep.stft)


def test_the_features_are_the_library_features_and_their_within_recording_z_scores(case):
    _, sep, _ = case
    features = drum_features(sep.W, sep.H, sep.context)
    assert features.shape == (sep.W.shape[1], len(FEATURES))
    perc = percussiveness(sep.W, sep.H, sep.context.percussive)
    np.testing.assert_allclose(features[:, 0], perc)
    np.testing.assert_allclose(features[:, 4], (perc - perc.mean()) / perc.std(), atol=1e-6)
    tonal = tonalness(sep.W, sep.sr, sep.context.policy.tonalness_median_hz)
    np.testing.assert_allclose(features[:, 2], tonal)
    # log energy share relative to 1/K: the shares add up to one
    assert np.exp(features[:, 7]).sum() / len(features) == pytest.approx(1.0)


def test_a_model_fitted_on_a_recording_finds_its_oracle_drums(case):
    item, sep, oracle = case
    model = fit_drum_model([(item, sep, oracle)])
    chosen = learned_drum_test(model)(sep.W, sep.H, sep.context, settle=True)
    truth = oracle == 0
    # on the example it was fitted to, the test agrees with the oracle on most components
    assert np.mean(chosen == truth) >= 0.8
    assert chosen[truth].any()


def test_the_learned_test_gives_the_drums_at_least_one_component(case):
    _, sep, _ = case
    K = sep.W.shape[1]
    never = DrumModel(ALL, np.zeros(len(FEATURES)), np.zeros(len(FEATURES)),
                      np.ones(len(FEATURES)), -10.0)
    chosen = learned_drum_test(never)(sep.W, sep.H, sep.context, settle=True)
    assert chosen.sum() == 1 and chosen.shape == (K,)


@pytest.mark.parametrize(("name", "category", "group"), [
    ("drums+guitar-3", "drums+guitar", "drums+guitar"),
    ("band-4-2@0.3", "band-4", "band-4@0.3"),
    ("real:drums+rest-md_punk", "real:drums+rest", "real:drums+rest"),
])
def test_items_are_grouped_by_category_and_drum_gain(name, category, group):
    assert gain_group(Item(name=name, category=category, sr=1, mixture=np.zeros(1),
                           sources=np.zeros(1), names=[], training={}, info={})) == group


def test_the_purest_cut_takes_the_most_percussive_components_first(case):
    _, sep, _ = case
    perc = drum_features(sep.W, sep.H, sep.context)[:, 0]
    for weighted in (True, False):
        chosen = purest_cut(weighted)(sep.W, sep.H, sep.context, settle=True)
        assert 1 <= chosen.sum() < len(perc)
        assert perc[chosen].min() >= perc[~chosen].max()


def test_a_policy_that_hears_no_drums_regroups_without_the_drum_split(case):
    from dataclasses import replace

    from nmfsep.policy import DEFAULT_POLICY

    item, sep, _ = case
    as_it_is = score([case], None)["drums+guitar"]
    deaf = score([case], None, replace(DEFAULT_POLICY, drums_share=1.0))["drums+guitar"]
    expected = evaluate(item.sources, sep.regroup(
        grouping="auto", policy=replace(DEFAULT_POLICY, drums_share=1.0)).sources,
        permute=True).sdr
    np.testing.assert_allclose(deaf[0], expected)
    assert sep.regroup(grouping="auto").decision.drum_source == 0  # heard as it is
    assert as_it_is[0] != deaf[0]
