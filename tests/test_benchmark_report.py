"""The quality benchmark's verdicts: medians over sources and the issue's targets."""

from __future__ import annotations

import pytest

from benchmarks.quality.methods import BLIND_ANCHORS as ANCHORS
from benchmarks.quality.report import PLAIN_ORACLE, RUNS, _medians, _targets


def _records(method: str, category: str, values: list[float]) -> list[dict]:
    return [dict(method=method, category=category, source=f"s{i}", sdr=v)
            for i, v in enumerate(values)]


def _verdicts(table: str) -> dict[str, str]:
    rows = [line.strip("|").split("|") for line in table.splitlines()[2:]]
    return {cells[0].strip(): cells[-1].strip() for cells in rows}


def test_median_is_over_every_source_of_every_item():
    records = (_records("m", "c", [1.0, 2.0]) + _records("m", "c", [10.0, 4.0])
               + _records("m", "d", [-3.0]))
    assert _medians(records) == {"m": {"c": 3.0, "d": -3.0}}


@pytest.mark.parametrize(("mine", "oracle", "verdict"), [
    (9.0, 8.9, "met"),       # +2 over the best anchor and above the oracle
    (9.0, 9.5, "not met"),   # +2 over the anchor, below the oracle
    (8.5, 8.0, "not met"),   # above the oracle, only +1.5 over the anchor
])
def test_drums_guitar_needs_two_db_and_the_oracle(mine, oracle, verdict):
    category = "drums+guitar"
    records = (_records("nmfsep (defaults)", category, [mine])
               + _records(ANCHORS[1], category, [7.0]) + _records(ANCHORS[2], category, [6.0])
               + _records(PLAIN_ORACLE, category, [oracle]))
    assert _verdicts(_targets(records, [category], ANCHORS)) == {category: verdict}


def test_other_categories_need_a_win_or_two_db():
    records = (_records("nmfsep (defaults)", "chorale", [1.0, 1.2])  # 1.1 < 1.15
               + _records(ANCHORS[2], "chorale", [1.0, 1.3])
               + _records("nmfsep (defaults)", "piano+voice", [5.0])
               + _records(ANCHORS[0], "piano+voice", [4.9])
               + _records("nmfsep (defaults)", "bass+drums+piano", [5.9])  # +1.9 < 2
               + _records(ANCHORS[1], "bass+drums+piano", [4.0]))
    verdicts = _verdicts(_targets(records, ["chorale", "piano+voice", "bass+drums+piano"],
                                  ANCHORS))
    assert verdicts == {"chorale": "not met", "piano+voice": "met",
                        "bass+drums+piano": "not met"}


def test_another_nmfsep_row_is_judged_on_its_own_medians():
    category = "piano+voice"
    records = (_records("nmfsep (defaults)", category, [4.0])
               + _records(RUNS, category, [6.0])
               + _records(ANCHORS[0], category, [5.0]))
    assert _verdicts(_targets(records, [category], ANCHORS)) == {category: "not met"}
    table = _targets(records, [category], ANCHORS, RUNS)
    assert table.splitlines()[0].split("|")[2].strip() == RUNS
    assert _verdicts(table) == {category: "met"}


def test_the_commit_is_marked_dirty_when_the_measured_code_is_uncommitted(tmp_path):
    import subprocess

    from benchmarks.quality.report import git_commit

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    assert git_commit(tmp_path) == "unknown"  # not a checkout
    git("init", "-q")
    for path in ("src/lib.py", "benchmarks/quality/results/run.json", "docs/page.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    clean = git_commit(tmp_path)
    assert clean and "-dirty" not in clean and clean != "unknown"
    (tmp_path / "benchmarks/quality/results/run.json").write_text("2\n")  # results, docs:
    (tmp_path / "docs/page.md").write_text("2\n")  # what a run writes, not what it runs
    assert git_commit(tmp_path / "src") == clean
    (tmp_path / "src/lib.py").write_text("2\n")
    assert git_commit(tmp_path / "docs") == clean + "-dirty"
