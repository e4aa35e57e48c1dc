"""The regrouping harness of the quality benchmark: item sets, variants, measurements."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import nmfsep
from benchmarks.quality.regroup import (
    DEFAULTS,
    MUSESCORE,
    applied,
    code_without_docs,
    measure,
    parse_item_set,
    parse_variant,
    summary,
    without_features,
)
from nmfsep import ensemble, grouping, masks
from nmfsep.metrics import evaluate


def test_item_sets_name_a_soundfont_and_both_ends_of_a_range():
    benchmark = parse_item_set("fl0-7")
    assert (benchmark.soundfont, list(benchmark.indices)) == (None, list(range(8)))
    held_out = parse_item_set("ms12-19")
    assert (held_out.soundfont, list(held_out.indices)) == (MUSESCORE, list(range(12, 20)))


@pytest.mark.parametrize("text", ["fl7-0", "sf0-7", "fl0", "ms-1-3", ""])
def test_a_malformed_item_set_is_refused(text):
    with pytest.raises(ValueError, match="item set"):
        parse_item_set(text)


def test_a_variant_sets_constants_by_module_and_restores_them():
    variant = parse_variant("two: ensemble.FLOOR=1e-3, masks.SHARE_STRENGTH=1")
    assert variant.name == "two"
    assert variant.assignments == (("ensemble", "FLOOR", 1e-3), ("masks", "SHARE_STRENGTH", 1))
    before = (ensemble.FLOOR, masks.SHARE_STRENGTH)
    with pytest.raises(RuntimeError), applied(variant):
        assert (ensemble.FLOOR, masks.SHARE_STRENGTH) == (1e-3, 1)
        raise RuntimeError("a failure inside the variant")
    assert (ensemble.FLOOR, masks.SHARE_STRENGTH) == before


@pytest.mark.parametrize(("text", "error", "message"), [
    ("ensemble.FLOOR=1e-3", ValueError, "no name"),
    ("name: FLOOR=1e-3", ValueError, "module.CONSTANT"),
    ("name: ensemble.FLOOR=one", ValueError, "literal"),
    ("name:", ValueError, "sets nothing"),
    ("name: ensemble.NO_SUCH_CONSTANT=1", AttributeError, "NO_SUCH_CONSTANT"),
])
def test_a_malformed_variant_is_refused(text, error, message):
    with pytest.raises(error, match=message):
        parse_variant(text)


def test_share_strength_is_read_when_the_weights_are_made(rng):
    profiles = rng.random((3, 40))
    default = masks.share_weights(profiles)
    with applied(parse_variant("strong: masks.SHARE_STRENGTH=1.0")):
        strong = masks.share_weights(profiles)
    np.testing.assert_allclose(strong, default**2, rtol=1e-5)  # the default strength is 0.5


@pytest.fixture(scope="module")
def two_runs(example):
    return nmfsep.separate(example.mixture, example.sr, n_sources=2, n_components=12,
                           n_runs=2, max_iter=60, random_state=0)


def test_measuring_the_defaults_gives_back_the_separation(example, two_runs):
    floor = parse_variant("floor: ensemble.FLOOR=1e-2")
    result = measure(two_runs, example.sources, [DEFAULTS, floor])
    assert result["reproduces"]
    np.testing.assert_allclose(result["sdr"]["defaults"],
                               evaluate(example.sources, two_runs.sources).sdr)
    assert result["changed"] == {"defaults": False, "floor": True}
    assert result["sdr"]["floor"] != result["sdr"]["defaults"]


def test_a_variant_sets_what_the_separation_holds(example, two_runs):
    variant = parse_variant("strong: separation.percussive_prior=1.5, separation.mask_power=2.0")
    result = measure(two_runs, example.sources, [DEFAULTS, variant])
    expected = replace(two_runs, mask_power=2.0).regroup(grouping="auto", percussive_prior=1.5)
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
    longer = parse_variant("longer: features.HARMONIC_FILTER_SECONDS=0.8")
    result = measure(two_runs, example.sources, [DEFAULTS, longer])
    assert result["changed"]["longer"]
    assert two_runs.context.percussive is cached  # the separation itself is left alone


def test_a_separation_cached_under_other_hpss_filters_is_measured_with_todays(example,
                                                                              two_runs):
    # the factorization does not depend on the filters; the cached percussive masks do
    with applied(parse_variant("narrow: features.PERCUSSIVE_FILTER_HZ=60.0")):
        cached_then = nmfsep.separate(example.mixture, example.sr, n_sources=2,
                                      n_components=12, n_runs=2, max_iter=60, random_state=0)
    assert not np.allclose(cached_then.sources, two_runs.sources, atol=1e-5)
    result = measure(cached_then, example.sources, [DEFAULTS])
    assert not result["reproduces"]
    np.testing.assert_allclose(result["sdr"]["defaults"],
                               evaluate(example.sources, two_runs.sources).sdr, rtol=1e-6)


def test_variants_with_the_same_hpss_filters_make_the_percussive_mask_once(example, two_runs,
                                                                         monkeypatch):
    calls = []
    real = grouping.percussive_mask
    monkeypatch.setattr(grouping, "percussive_mask", lambda *a: calls.append(1) or real(*a))
    floor = parse_variant("floor: ensemble.FLOOR=1e-2")
    prior = parse_variant("prior: separation.percussive_prior=1.0")
    longer = parse_variant("longer: features.HARMONIC_FILTER_SECONDS=0.8")
    measure(two_runs, example.sources, [DEFAULTS, floor, prior, longer])
    assert len(calls) == 2  # the defaults' filters, then the longer one


def test_the_runs_with_their_own_stft_get_fresh_contexts_too(example):
    five = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_components=12,
                           n_runs=5, max_iter=30, random_state=0)
    own = [i for i, run in enumerate(five.runs) if run.context is not None]
    assert own  # the run with frames half as long
    shares = [five.runs[i].context.percussive_share for i in own]  # cached now
    fresh = without_features(five)
    assert fresh.context is not five.context
    assert all(fresh.runs[i].context.drums_from is fresh.context for i in own)
    with applied(parse_variant("narrow: features.PERCUSSIVE_FILTER_HZ=60.0")):
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
