"""The widened benchmark's section: reporting half only, worst category first, targets."""

from __future__ import annotations

import json

from benchmarks.quality import report_widened as rw
from benchmarks.quality.methods import BLIND_ANCHORS

DEFAULT = "nmfsep (defaults)"
ANCHOR = BLIND_ANCHORS[0]


def _rows(method, category, index, values):
    return [dict(item=f"{category}-{index}", category=category, method=method, source=f"s{i}",
                 sdr=v) for i, v in enumerate(values)]


def _result(records, categories):
    return dict(command="python -m benchmarks.quality --widened", started="today", seconds=60,
                duration=10.0, items_per_category=2, categories=categories, records=records)


def _write(tmp_path, records, categories, baseline=None):
    (tmp_path / "widened-x.json").write_text(json.dumps(_result(records, categories)))
    if baseline:
        (tmp_path / rw.BASELINE).write_text(json.dumps(dict(command="run", medians=baseline)))


def _body(table):
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in
            table.splitlines()[2:]]


def test_only_the_reporting_half_counts_and_worst_margin_comes_first(tmp_path):
    records = []
    # item 0 (tuning half) would flip the verdicts if it were counted
    for category, mine, anchor in (("a", 5.0, 4.0), ("b", 2.0, 3.0), ("chorale", 6.0, 6.5)):
        records += _rows(DEFAULT, category, 1, [mine]) + _rows(ANCHOR, category, 1, [anchor])
        records += _rows(DEFAULT, category, 0, [-50.0]) + _rows(ANCHOR, category, 0, [50.0])
        records += _rows("nmfsep grouping=timbre", category, 1, [mine + 0.6])
        records += _rows(rw.SAME_ORACLE, category, 1, [mine + 1.0])
    _write(tmp_path, records, ["a", "b", "chorale"], baseline={"chorale": 6.5})
    section = rw.widened_section(tmp_path, BLIND_ANCHORS)
    tables = section.split("\n\n")
    medians = next(t for t in tables if t.startswith("| category | items"))
    rows = _body(medians)
    assert [row[0] for row in rows] == ["b", "chorale", "a"]  # margins -1.0, -0.5, +1.0
    assert rows[0][2] == "**2.0**"
    targets = _body(next(t for t in tables if t.startswith(f"| category | {DEFAULT}")))
    by_category = {row[0]: row for row in targets}
    assert by_category["a"][3] == "**not met**"  # 0.6 below timbre
    assert by_category["a"][5] == "met"
    assert by_category["b"][5] == "**not met**"
    assert by_category["chorale"][9] == "**not met**"  # 0.5 below before
    assert by_category["a"][9] == "–"
    assert "mean gap to the oracle grouping of the same factorization ≤ 1.5 dB: 1.0 dB, met" \
        in section
    assert "in every category: **not met** (2 of 3 categories)" in section


def test_no_widened_run_no_section(tmp_path):
    assert rw.widened_section(tmp_path, BLIND_ANCHORS) == ""


def test_a_record_without_half_takes_it_from_its_index():
    assert rw.record_half(dict(item="band-4-3")) == "reporting"
    assert rw.record_half(dict(item="band-4-3", half="tuning")) == "tuning"
