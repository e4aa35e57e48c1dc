"""The regrouping harness of the quality benchmark: item sets, variants, measurements."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import nmfsep
from benchmarks.quality.regroup import (
    DEFAULTS,
    MUSESCORE,
    code_without_docs,
    measure,
    parse_item_set,
    parse_variant,
    summary,
)
from nmfsep import masks
from nmfsep.metrics import evaluate
from nmfsep.policy import DEFAULT_POLICY


def test_item_sets_name_a_soundfont_and_both_ends_of_a_range():
    benchmark = parse_item_set("fl0-7")
    assert (benchmark.soundfont, list(benchmark.indices)) == (None, list(range(8)))
    held_out = parse_item_set("ms12-19")
    assert (held_out.soundfont, list(held_out.indices)) == (MUSESCORE, list(range(12, 20)))


def test_the_real_set_is_named_real():
    assert parse_item_set("real").name == "real"


@pytest.mark.parametrize("text", ["fl7-0", "sf0-7", "fl0", "ms-1-3", "", "real0-3"])
def test_a_malformed_item_set_is_refused(text):
    with pytest.raises(ValueError, match="item set"):
        parse_item_set(text)


def test_a_variant_sets_fields_of_the_policy_and_leaves_the_default_alone():
    variant = parse_variant("two: policy.floor=1e-3, policy.share_strength=1")
    assert variant.name == "two"
    assert variant.assignments == (("policy", "floor", 1e-3), ("policy", "share_strength", 1))
    assert (variant.policy.floor, variant.policy.share_strength) == (1e-3, 1)
    assert (DEFAULT_POLICY.floor, DEFAULT_POLICY.share_strength) == (1e-6, 0.5)
    assert DEFAULTS.policy is DEFAULT_POLICY


@pytest.mark.parametrize(("text", "error", "message"), [
    ("policy.floor=1e-3", ValueError, "no name"),
    ("name: floor=1e-3", ValueError, "policy.FIELD"),
    ("name: policy.floor=one", ValueError, "literal"),
    ("name:", ValueError, "sets nothing"),
    ("name: policy.no_such_field=1", ValueError, "no field 'no_such_field'"),
    ("name: grouping.FLOOR=1", ValueError, "neither the policy nor the separation"),
])
def test_a_malformed_variant_is_refused(text, error, message):
    with pytest.raises(error, match=message):
        parse_variant(text)


def test_share_strength_is_an_argument_of_the_share_weights(rng):
    profiles = rng.random((3, 40))
    default = masks.share_weights(profiles)
    strong = masks.share_weights(profiles, strength=1.0)
    np.testing.assert_allclose(strong, default**2, rtol=1e-5)  # the default strength is 0.5


@pytest.fixture(scope="module")
def two_runs(example):
    return nmfsep.separate(example.mixture, example.sr, n_sources=2, n_components=12,
                           n_runs=2, max_iter=60, random_state=0)


def test_measuring_the_defaults_gives_back_the_separation(example, two_runs):
    floor = parse_variant("floor: policy.floor=1e-2")
    result = measure(two_runs, example.sources, [DEFAULTS, floor])
    assert result["reproduces"]
    np.testing.assert_allclose(result["sdr"]["defaults"],
                               evaluate(example.sources, two_runs.sources).sdr)
    assert result["changed"] == {"defaults": False, "floor": True}
    assert result["sdr"]["floor"] != result["sdr"]["defaults"]


def test_a_variant_sets_what_the_separation_holds(example, two_runs):
    variant = parse_variant("strong: separation.percussive_prior=1.5, separation.mask_power=2.0")
    result = measure(two_runs, example.sources, [DEFAULTS, variant])
    stronger = replace(two_runs, config=replace(two_runs.config, mask_power=2.0),
                       model=replace(two_runs.model, mask_power=2.0))
    expected = stronger.regroup(grouping="auto", percussive_prior=1.5)
    np.testing.assert_allclose(result["sdr"]["strong"],
                               evaluate(example.sources, expected.sources).sdr, rtol=1e-6)
    assert result["changed"]["strong"]
    assert (two_runs.mask_power, two_runs.parameters["percussive_prior"]) == (1.0, 0.75)
    with pytest.raises(ValueError, match="separation setting"):
        parse_variant("bad: separation.n_fft=4096")
    with pytest.raises(ValueError, match="positive integer"):
        parse_variant("none: separation.n_runs=0")


def test_a_variant_keeps_the_first_run_alone(example, two_runs):
    one = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_components=12,
                          n_runs=1, max_iter=60, random_state=0)
    one_run = parse_variant("one: separation.n_runs=1")
    result = measure(two_runs, example.sources, [DEFAULTS, one_run])
    np.testing.assert_allclose(result["sdr"]["one"], evaluate(example.sources, one.sources).sdr,
                               rtol=1e-6)
    assert result["changed"]["one"]


def test_summary_gives_medians_per_set_and_changes_from_the_defaults():
    records = [dict(category="a", set="fl0-1", sdr={"defaults": [1.0, 3.0], "other": [2.0, 4.0]}),
               dict(category="a", set="fl0-1", sdr={"defaults": [5.0, 7.0], "other": [6.0, 8.0]}),
               dict(category="a", set="ms2-3", sdr={"defaults": [2.0], "other": [2.01]}),
               dict(category="b", set="ms2-3", sdr={"defaults": [0.0], "other": [-2.0]})]
    lines = summary(records, ["defaults", "other"])
    rows = {(block, line.split()[0]): line.split()[1:]
            for block, line in zip(_blocks(lines), lines, strict=True) if line}
    #                       fl0-1   ms2-3   mean   change  better worse
    assert rows[("a", "defaults")] == ["4.00", "2.00", "3.00", "+0.00", "0", "0"]
    assert rows[("a", "other")] == ["5.00", "2.01", "3.50", "+0.50", "1", "0"]
    assert rows[("b", "other")] == ["-2.00", "-2.00", "-2.00", "0", "1"]
    assert rows[("every", "other")] == ["-0.33", "1", "1"]  # (1 + 0.01 - 2) / 3


def _blocks(lines: list[str]) -> list[str]:
    """The block of each line: the first word of the block's title."""
    block, out = "", []
    for line in lines:
        if line.endswith("per item set") or line.startswith("every category"):
            block = line.split(":")[0].split()[0]
        out.append(block)
    return out


def test_a_variant_of_the_hpss_filters_makes_the_percussive_mask_again(example, two_runs):
    two_runs.regroup(grouping="auto")  # the context's percussive mask is now cached
    cached = two_runs.context.percussive
    longer = parse_variant("longer: policy.harmonic_filter_seconds=0.8")
    result = measure(two_runs, example.sources, [DEFAULTS, longer])
    assert result["changed"]["longer"]
    assert two_runs.context.percussive is cached  # the separation itself is left alone


def test_a_separation_cached_under_other_hpss_filters_is_measured_with_todays(example,
                                                                              two_runs):
    # the factorization does not depend on the filters; the cached percussive masks do
    narrow = replace(DEFAULT_POLICY, percussive_filter_hz=60.0)
    cached_then = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_components=12,
                                  n_runs=2, max_iter=60, random_state=0, policy=narrow)
    assert not np.allclose(cached_then.sources, two_runs.sources, atol=1e-5)
    result = measure(cached_then, example.sources, [DEFAULTS])
    assert not result["reproduces"]
    np.testing.assert_allclose(result["sdr"]["defaults"],
                               evaluate(example.sources, two_runs.sources).sdr, rtol=1e-6)


def test_policies_with_the_same_hpss_filters_share_the_percussive_mask(two_runs):
    cached = two_runs.context.percussive
    for variant in ("floor: policy.floor=1e-2", "prior: separation.percussive_prior=1.0",
                    "neighbours: policy.timbre_neighbours=0"):
        regrouped = two_runs.regroup(grouping="auto", policy=parse_variant(variant).policy)
        assert regrouped.context.percussive is cached
    longer = parse_variant("longer: policy.harmonic_filter_seconds=0.8").policy
    assert two_runs.regroup(grouping="auto", policy=longer).context.percussive is not cached


def test_the_runs_with_their_own_stft_get_fresh_contexts_too(example):
    five = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_components=12,
                           n_runs=5, max_iter=30, random_state=0)
    own = [i for i, run in enumerate(five.runs) if run.context is not None]
    assert own  # the run with frames half as long
    shares = [five.runs[i].context.percussive_share for i in own]  # cached now
    narrow = parse_variant("narrow: policy.percussive_filter_hz=60.0").policy
    fresh = five.regroup(grouping="auto", policy=narrow)
    assert fresh.context is not five.context
    again = [fresh.runs[i].context.percussive_share for i in own]
    assert all(a != s for a, s in zip(again, shares, strict=True))
    assert [five.runs[i].context.percussive_share for i in own] == shares


def test_the_cache_key_ignores_docs_but_not_code():
    code = 'def f(x):\n    """Twice x."""\n    return 2 * x  # doubled\n'
    edited_docs = 'def f(x):\n    """Two times x, in other words."""\n\n    return 2 * x\n'
    edited_code = 'def f(x):\n    """Twice x."""\n    return 3 * x  # doubled\n'
    only_docs = 'def f(x):\n    """Twice x."""\n'
    assert code_without_docs(code) == code_without_docs(edited_docs)
    assert code_without_docs(code) != code_without_docs(edited_code)
    assert code_without_docs(only_docs) == code_without_docs("def f(x):\n    pass\n")
