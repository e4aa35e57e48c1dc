"""The stream benchmark's tolerance section (benchmarks/quality/stream_relaxation.py)."""

from __future__ import annotations

import pytest

from benchmarks.quality.stream_relaxation import (
    NOISE_DB,
    _stored,
    _tolerance_sections,
    loosest_within,
)
from nmfsep.stream import TOLERANCE


def _record(category: str, tol: float, sdr: list[float], iterations: float) -> dict:
    return dict(category=category, item=0, relaxation=tol, sdr=sdr, iterations=iterations)


def test_each_category_shows_its_change_and_the_worst_comes_first():
    records = [_record("a", 1e-4, [10.0, 12.0], 90), _record("a", 1e-3, [9.0, 11.0], 50),
               _record("b", 1e-4, [5.0, 7.0], 100), _record("b", 1e-3, [5.0, 7.2], 60)]
    lines = _tolerance_sections({"reporting": dict(command="cmd", started="now",
                                                   records=records)})
    rows = [line for line in lines if line.startswith("| a ") or line.startswith("| b ")]
    assert rows == ["| a | 11.00 | 90 | 10.00 | 50 | -1.00 |",
                    "| b | 6.00 | 100 | 6.10 | 60 | +0.10 |"]
    assert ("Worst category's change: -1.00 at 0.001; the loosest tolerance within "
            f"{NOISE_DB:g} dB: 0.0001.") in lines
    assert "### Reporting half" in lines and "### Tuning half" not in lines


def test_no_tolerance_runs_no_section():
    assert _tolerance_sections({}) == []


def test_the_loosest_tolerance_within_float_noise_is_chosen():
    assert loosest_within({1.5e-4: -0.005, 2e-4: -0.02, 3e-4: -0.05}, 1e-4) == 2e-4
    assert loosest_within({2e-4: -0.004, 3e-4: 0.01}, 1e-4) == 3e-4
    assert loosest_within({2e-4: -0.03, 3e-4: -0.01}, 1e-4) == 1e-4  # no gap in between
    assert loosest_within({2e-4: -0.5}, 1e-4) == 1e-4


def test_the_stream_default_is_the_tolerance_the_stored_tuning_run_chose():
    tuning = _stored("tolerance").get("tuning")
    if tuning is None:
        pytest.skip("no stored tuning run of the stream's tolerance")
    text = "\n".join(_tolerance_sections({"tuning": tuning}))
    assert (f"the loosest tolerance within {NOISE_DB:g} dB: {TOLERANCE:g}."
            in text.replace("\n", " "))
