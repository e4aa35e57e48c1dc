"""The supervised benchmark's pieces: halves, dictionary-informed labels, the doc section."""

import json

import numpy as np
import pytest

import nmfsep
from benchmarks.quality import supervised, supervised_report
from nmfsep.spectral import STFTConfig


def test_halves_follow_the_item_index():
    assert [supervised.half_of(i) for i in range(4)] == ["tuning", "reporting"] * 2


def test_dictionary_labels_send_each_component_to_the_dictionary_it_came_from(rng):
    bins = 64
    low = np.zeros((bins, 3))
    high = np.zeros((bins, 3))
    for k in range(3):
        low[2 + 3 * k, k] = 1.0
        high[40 + 5 * k, k] = 1.0
    dictionaries = [nmfsep.Dictionary(W=low + 1e-6, name="low", sr=8000,
                                      stft=STFTConfig(126, 32)),
                    nmfsep.Dictionary(W=high + 1e-6, name="high", sr=8000,
                                      stft=STFTConfig(126, 32))]
    mix = rng.uniform(0.2, 1.0, (3, 4))
    components = np.concatenate([low @ mix[:, :2], high @ mix[:, 2:]], axis=1)
    labels = supervised.dictionary_labels(components + 1e-6, dictionaries)
    assert labels.tolist() == [0, 0, 1, 1]


def test_align_finds_the_order_of_matching_spectrograms(rng):
    reference = rng.uniform(0.1, 1.0, (3, 20, 30))
    other = reference[[2, 0, 1]] * rng.uniform(0.9, 1.1, (3, 20, 30))
    order = supervised._align(reference, other)
    assert order == (1, 2, 0)


def _records():
    rows = []
    values = {"blind auto": 5.0, supervised_report.PLAIN: 4.0, "mine": 7.0,
              supervised_report.ORACLE: 12.0}
    for method, value in values.items():
        for index in range(4):
            for source in ("a", "b"):
                rows.append(dict(category="cat", item=index,
                                 half=supervised.half_of(index), method=method, source=source,
                                 sdr=value + index, seconds=1.0))
    return rows


def test_the_section_reports_the_reporting_half_and_the_leads(tmp_path):
    result = dict(command="python -m benchmarks.quality.supervised", started="now",
                  duration=10.0, items=4, categories=["cat"], records=_records(),
                  docs={"mine": "my method"})
    path = tmp_path / "r.json"
    path.write_text(json.dumps(result))
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n\nhand-written\n")
    supervised_report.write_doc(path, doc)
    text = doc.read_text()
    # reporting half: items 1 and 3, median of (v+1, v+3) = v + 2
    assert "| mine | 9.0 |" in text and "| blind auto | 7.0 |" in text
    assert "| mine | +2.0 / +3.0 |" in text
    # tuning half: items 0 and 2, median v + 1
    assert "| mine | 8.0 |" in text
    supervised_report.write_doc(path, doc)
    assert doc.read_text() == text and text.startswith("# Title\n\nhand-written\n")


def test_a_merged_run_replaces_its_own_records_and_is_named_in_the_section(tmp_path):
    stored = dict(command="python -m benchmarks.quality.supervised", started="then",
                  duration=10.0, items=4, categories=["cat"], records=_records(),
                  docs={"mine": "my method"}, seconds=60.0)
    again = [dict(r, sdr=r["sdr"] + 10) for r in _records() if r["method"] == "mine"
             and r["item"] == 1]
    new = [dict(r, method="new") for r in _records() if r["method"] == "mine"]
    added = dict(command="python -m benchmarks.quality.supervised --methods new --merge",
                 started="now", duration=10.0, items=4, categories=["cat"],
                 records=again + new, docs={"mine": "my method", "new": "a new one"},
                 seconds=120.0)
    merged = supervised.merge_run(stored, added)
    sdr = {(r["method"], r["item"], r["source"]): r["sdr"] for r in merged["records"]}
    assert len(merged["records"]) == len(stored["records"]) + len(new)
    assert sdr["mine", 1, "a"] == 7.0 + 1 + 10 and sdr["mine", 3, "a"] == 7.0 + 3
    assert sdr["new", 3, "b"] == 7.0 + 3
    assert merged["command"] == stored["command"] and len(merged["merged"]) == 1
    path = tmp_path / "r.json"
    path.write_text(json.dumps(merged))
    doc = tmp_path / "doc.md"
    supervised_report.write_doc(path, doc)
    assert ("Added by `python -m benchmarks.quality.supervised --methods new --merge` "
            "(now, 2 min, commit ") in doc.read_text()
    with pytest.raises(SystemExit, match="items of 10 s, this run 15 s"):
        supervised.merge_run(stored, dict(added, duration=15.0))


def test_the_method_descriptions_follow_the_code_not_the_stored_run(tmp_path):
    result = dict(command="python -m benchmarks.quality.supervised", started="now",
                  duration=10.0, items=4, categories=["cat"], records=_records(),
                  docs={"mine": "as it was measured once", "gone": "a method since removed"})
    path = tmp_path / "r.json"
    path.write_text(json.dumps(result))
    doc = tmp_path / "doc.md"
    supervised_report.write_doc(path, doc, {"mine": "as its code says now", "other": "x"})
    text = doc.read_text()
    assert "- **mine**: as its code says now" in text and "as it was measured once" not in text
    assert "- **gone**: a method since removed" in text and "**other**" not in text


def test_a_merge_of_other_length_items_is_refused_before_anything_is_measured(
        tmp_path, monkeypatch, capsys):
    path = tmp_path / "r.json"
    stored = dict(command="python -m benchmarks.quality.supervised", started="then",
                  duration=10.0, items=4, categories=["cat"], records=_records(),
                  docs={"mine": "my method"}, seconds=60.0)
    path.write_text(json.dumps(stored))

    def measured(*args, **kwargs):
        raise AssertionError("measured before the merge was checked")

    monkeypatch.setattr(supervised, "run", measured)
    with pytest.raises(SystemExit):
        supervised.main(["--out", str(path), "--merge", "--duration", "15", "--no-docs"])
    assert "items of 10 s, this run 15 s; run with --duration 10" in capsys.readouterr().err
    assert json.loads(path.read_text()) == stored


def test_any_rendered_category_may_be_measured_and_an_unknown_one_is_named(
        monkeypatch, tmp_path, capsys):
    asked = []
    monkeypatch.setattr(supervised, "run", lambda items, *args, **kwargs: asked.extend(items)
                        or [])
    out = tmp_path / "r.json"
    assert supervised.main(["--categories", "string-quartet", "--items", "2", "--out",
                            str(out), "--no-docs"]) == 0
    assert asked == [("string-quartet", 0), ("string-quartet", 1)]
    with pytest.raises(SystemExit):
        supervised.main(["--categories", "no-such-music", "--out", str(out), "--no-docs"])
    assert "unknown categories no-such-music; choose among" in capsys.readouterr().err
