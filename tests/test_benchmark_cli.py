"""The benchmarks' command lines: a bad value is one usage line, and a partial run never
replaces the full run's stored results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.arguments import non_negative_int, positive_float, positive_int
from benchmarks.quality import __main__ as quality
from benchmarks.quality import supervised
from benchmarks.quality.generate import Item


def test_the_argument_types_take_what_they_name_and_refuse_the_rest():
    import argparse

    assert positive_int("3") == 3 and non_negative_int("0") == 0
    assert positive_float("2.5") == 2.5
    for parse, text in ((positive_int, "0"), (positive_int, "-2"), (positive_int, "1.5"),
                        (non_negative_int, "-1"), (positive_float, "0"),
                        (positive_float, "-3"), (positive_float, "nan"),
                        (positive_float, "inf"), (positive_float, "ten")):
        with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
            parse(text)


@pytest.mark.parametrize("argv", [["--items", "0"], ["--items", "-1"], ["--duration", "0"],
                                  ["--duration", "-3"], ["--first-item", "-1"],
                                  ["--methods", "nosuchmethod"]])
def test_the_quality_benchmark_refuses_bad_values_before_measuring(argv, capsys, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setattr(quality, "RESULTS", tmp_path)
    with pytest.raises(SystemExit) as stopped:
        quality.main(["--categories", "drums+guitar", "--no-docs", *argv])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error:" in err.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []
    if "--methods" in argv:
        assert "names none of the methods" in err and "filterbank, crossover" in err


def _toy(category: str, index: int, duration: float) -> Item:
    rng = np.random.default_rng(index)
    sources = rng.standard_normal((2, 1, int(22050 * duration))).astype(np.float32) * 0.1
    return Item(name=f"{category}-{index}", category=category, sr=22050,
                mixture=sources.sum(axis=0), sources=sources, names=["a", "b"])


def test_a_partial_quality_run_leaves_the_full_runs_results_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(quality, "ROOT", tmp_path)
    monkeypatch.setattr(quality, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(quality, "build", _toy)
    monkeypatch.setattr(quality, "machine", lambda: {"commit": "test"})  # no librosa needed
    (tmp_path / "results").mkdir()
    full = tmp_path / "results" / "quality.json"
    full.write_text('{"records": ["the full run"]}')
    assert quality.main(["--categories", "drums+guitar", "--items", "1", "--duration", "1",
                         "--methods", "crossover", "--no-docs", "--no-real"]) == 0
    assert json.loads(full.read_text()) == {"records": ["the full run"]}
    partial = json.loads((tmp_path / "results" / "quality-partial.json").read_text())
    assert {r["method"] for r in partial["records"]} == {"filterbank, crossover"}


@pytest.mark.parametrize("argv, message", [
    (["--methods", "nosuch"], "names none of the methods"),
    (["--items", "0"], "'0' is not a positive whole number"),
    (["--duration", "-1"], "'-1' is not a positive number"),
    (["--jobs", "0"], "'0' is not a positive whole number"),
    (["--out", "/nonexistent-folder/sup.json"], "the folder /nonexistent-folder does not exist"),
    (["--merge", "--out", "{tmp}/none.json"], "no stored run there to merge into"),
])
def test_the_supervised_benchmark_refuses_bad_values_before_measuring(argv, message, tmp_path,
                                                                       capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    with pytest.raises(SystemExit) as stopped:
        supervised.main(["--categories", "drums+guitar", *argv])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_a_supervised_run_into_another_file_leaves_the_docs_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(supervised, "build", lambda category, index, duration: _toy(
        category, index, duration))
    written = []
    monkeypatch.setattr("benchmarks.quality.supervised_report.write_doc",
                        lambda *args: written.append(args))
    out = tmp_path / "sup.json"
    assert supervised.main(["--categories", "drums+guitar", "--items", "1", "--duration", "1",
                            "--methods", "oracle ideal ratio mask", "--out", str(out)]) == 0
    assert written == [] and json.loads(out.read_text())["records"]


@pytest.mark.parametrize("module", ["benchmarks.speed.e2e", "benchmarks.speed.band",
                                    "benchmarks.speed.runs",
                                    "benchmarks.quality.kit_heldout"])
def test_every_measuring_tool_explains_itself_and_refuses_a_wrong_mode(module, capsys):
    import importlib

    tool = importlib.import_module(module)
    with pytest.raises(SystemExit) as stopped:
        tool.main(["--help"])
    assert stopped.value.code == 0 and "usage:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stopped:
        tool.main(["nosuch-mode", "x", "y", "z"])
    assert stopped.value.code == 2 and "error:" in capsys.readouterr().err


def test_the_speed_benchmark_refuses_an_unknown_method(capsys):
    from benchmarks.speed import run

    with pytest.raises(SystemExit) as stopped:
        run.main(["--methods", "nmfsep,nosuch", "--quick"])
    assert stopped.value.code == 2
    assert "unknown --methods nosuch; choose among nmfsep" in capsys.readouterr().err


def test_the_speed_targets_say_whether_each_is_met_and_by_which_run():
    from benchmarks.speed.report import _band_targets, _targets

    rows = _band_targets({"seconds": 100.0}, {"seconds": 25.0},
                         {"audio_seconds": 180.0, "seconds": 180.0 / 48.4},
                         {"audio_seconds": 3600.0, "seconds": 300.0, "peak_mib": 5000.0})
    assert "| 0.25 | yes |" in rows[4]
    assert "| 48.4 | ≥ 30: yes; ≥ 50: **no** |" in rows[5]
    assert "| 5000 MiB | **no** |" in rows[6]
    lines = _targets({"command": "python -m benchmarks.speed", "runs": [], "end_to_end": [
        {"mode": "song", "seconds": 14.0, "peak_mib": 1000.0, "audio_seconds": 180.0,
         "run_by": "python -m benchmarks.speed --song-only"}]})
    assert lines[4] == ("| 3-min stereo song end to end, wall | ≤ 15 s | 14.0 s (1000 MiB "
                        "peak) | yes | `python -m benchmarks.speed --song-only` |")
