"""The blind crossover filter bank anchor, and adding a method to a stored run (``--merge``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from benchmarks.quality import __main__ as bench
from benchmarks.quality.generate import Item
from benchmarks.quality.merge import MergeMismatch, merge_results, merged_lines
from benchmarks.quality.methods import (
    BLIND_ANCHORS,
    CROSSOVER,
    band_edges,
    crossover_ranges,
    filterbank_crossover,
    methods,
)

SR = 22050


def test_crossover_cuts_where_the_cumulative_energy_comes_nearest_each_share():
    energy = np.array([5.0, 4.0, 1.0, 1.0, 1.0])  # cumulative shares 5, 9, 10, 11, 12 of 12
    assert crossover_ranges(energy, 2) == [(0, 1), (1, 5)]  # 5 of 12 is nearer 6 than 9 is
    assert crossover_ranges(energy, 3) == [(0, 1), (1, 2), (2, 5)]  # nearest 4 and 8
    assert crossover_ranges(np.ones(9), 3) == [(0, 3), (3, 6), (6, 9)]
    assert crossover_ranges(energy, 1) == [(0, 5)]


def test_crossover_keeps_a_band_in_every_range_and_covers_all_bands():
    energy = np.array([100.0, 0.0, 0.0, 0.0, 0.0])  # every share crossed in the first band
    ranges = crossover_ranges(energy, 4)
    assert ranges == [(0, 1), (1, 2), (2, 3), (3, 5)]
    assert crossover_ranges(np.zeros(4), 2) == [(0, 2), (2, 4)]  # silence: equal counts
    with pytest.raises(ValueError, match="cannot cut 3 bands into 4 ranges"):
        crossover_ranges(np.ones(3), 4)


def _item(rng) -> Item:
    """Noise below 400 Hz and noise above 4 kHz, of equal power."""
    noise = rng.standard_normal((2, 2 * SR))
    low = sosfiltfilt(butter(8, 400, "lowpass", fs=SR, output="sos"), noise[0])
    high = sosfiltfilt(butter(8, 4000, "highpass", fs=SR, output="sos"), noise[1])
    sources = np.stack([low / low.std(), high / high.std()])[:, None, :].astype(np.float32)
    return Item(name="toy-0", category="toy", sr=SR, mixture=sources.sum(axis=0) * 0.1,
                sources=sources * 0.1, names=["bass", "hats"])


def test_crossover_outputs_add_up_to_the_mixture_and_split_low_from_high(rng):
    item = _item(rng)
    estimates = filterbank_crossover(item)
    assert estimates.shape == (2, 1, item.mixture.shape[-1])
    np.testing.assert_allclose(estimates.sum(axis=0), item.mixture, atol=1e-5)
    # the cut falls in the empty octaves between the two: each range is one source
    for estimate, source in zip(estimates, item.sources, strict=True):
        error = float(np.mean((estimate - source) ** 2)) / float(np.mean(source ** 2))
        assert error < 1e-2
    assert band_edges(SR)[0] == 0.0


def test_the_blind_anchors_are_blind_and_include_the_crossover():
    kinds = {m.name: m.kind for m in methods()}
    assert CROSSOVER in BLIND_ANCHORS
    assert all(kinds.get(name, "blind") == "blind" for name in BLIND_ANCHORS)
    assert kinds["filterbank, best bands"] == "oracle"
    assert "filterbank, best bands" not in BLIND_ANCHORS


def _record(item: str, method: str, source: str, sdr: float) -> dict:
    return dict(item=item, method=method, source=source, sdr=sdr, category="c")


def _result(records, methods_, items, command="python -m benchmarks.quality", **settings):
    return dict(command=command, started="2026-12-05 10:00:00", seconds=60.0,
                machine=dict(commit="abc1234"), items={name: {} for name in items},
                methods=[dict(name=m) for m in methods_], records=records, **settings)


def test_merge_adds_and_replaces_records_and_names_the_run():
    stored = _result([_record("a", "m1", "x", 1.0), _record("a", "m2", "x", 2.0),
                      _record("b", "m1", "x", 3.0)], ["m1", "m2"], ["a", "b"], duration=15.0)
    added = _result([_record("a", "m2", "x", 5.0), _record("a", "m3", "x", 7.0)], ["m2", "m3"],
                    ["a"], command="python -m benchmarks.quality --merge --methods m3",
                    duration=15.0)
    merged = merge_results(stored, added)
    values = {(r["item"], r["method"]): r["sdr"] for r in merged["records"]}
    assert values == {("a", "m1"): 1.0, ("a", "m2"): 5.0, ("b", "m1"): 3.0, ("a", "m3"): 7.0}
    assert [m["name"] for m in merged["methods"]] == ["m1", "m2", "m3"]
    assert merged["command"] == stored["command"]
    assert merged["merged"][0]["methods"] == ["m2", "m3"]
    assert merged_lines(merged) == ["- Added by `python -m benchmarks.quality --merge --methods "
                                    "m3` (2026-12-05 10:00:00, 1 min, commit abc1234): m2, m3"]
    assert stored["records"][1]["sdr"] == 2.0  # the stored result is not changed


def test_merge_refuses_other_settings_or_items():
    stored = _result([], [], ["a"], duration=15.0)
    with pytest.raises(MergeMismatch, match="duration = 15.0, this run 10.0"):
        merge_results(stored, _result([], [], ["a"], duration=10.0))
    with pytest.raises(MergeMismatch, match="items not in the stored run: z"):
        merge_results(stored, _result([], [], ["z"], duration=15.0))


def test_store_merges_atomically_and_exits_in_one_line(tmp_path):
    path = tmp_path / "real.json"
    with pytest.raises(SystemExit, match="does not exist; run without --merge first"):
        bench.store(path, _result([], [], ["a"]), merge=True)
    bench.store(path, _result([_record("a", "m1", "x", 1.0)], ["m1"], ["a"]), merge=False)
    bench.store(path, _result([_record("a", "m2", "x", 2.0)], ["m2"], ["a"]), merge=True)
    stored = json.loads(path.read_text())
    assert {r["method"] for r in stored["records"]} == {"m1", "m2"}
    assert [p.name for p in tmp_path.iterdir()] == ["real.json"]
    with pytest.raises(SystemExit, match="items not in the stored run: q"):
        bench.store(path, _result([], [], ["q"]), merge=True)
    assert json.loads(path.read_text()) == stored


def test_a_merge_onto_other_items_is_refused_before_anything_is_scored(tmp_path, monkeypatch,
                                                                        rng):
    stored = _result([], [], ["drums+guitar-5"], duration=2.0, items_per_category=1)
    (tmp_path / "widened-x.json").write_text(json.dumps(stored))
    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    monkeypatch.setattr(bench, "build", lambda category, index, duration: Item(
        name=f"{category}-{index}", category=category, sr=SR, mixture=_item(rng).mixture,
        sources=_item(rng).sources, names=["bass", "hats"]))

    def scored(*args, **kwargs):
        raise AssertionError("scored before the merge was checked")

    monkeypatch.setattr(bench, "run", scored)
    argv = ["--widened", "--tag", "x", "--categories", "drums+guitar", "--items", "1",
            "--duration", "2", "--methods", "crossover", "--merge", "--no-docs"]
    with pytest.raises(SystemExit, match="items not in the stored run: drums[+]guitar-0; "
                                         "--merge adds methods"):
        bench.main(argv)
    assert json.loads((tmp_path / "widened-x.json").read_text()) == stored
