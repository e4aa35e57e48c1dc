"""A short, seeded fuzzing pass over the audio-reading path (the long run: tests/fuzz_audio.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from fuzz_audio import fuzz, mutate, seed_files

SCRIPT = Path(__file__).with_name("fuzz_audio.py")


def test_mutations_are_deterministic_for_a_seed():
    seeds = seed_files(np.random.default_rng(0))
    bodies = [data for _, data in seeds]
    first = [mutate(bodies[0], np.random.default_rng(7), bodies) for _ in range(3)]
    again = [mutate(bodies[0], np.random.default_rng(7), bodies) for _ in range(3)]
    assert first == again and first[0] != bodies[0]


def test_mutated_files_load_or_fail_with_an_nmfsep_error_under_a_memory_cap(tmp_path):
    # Seed 1 reaches, at its 115th file, a FLAC whose header claims 2.7 billion frames:
    # before the bounded read it made nmfsep allocate 20 GiB.
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--seed", "1", "--iterations", "600", "--memory", "2G",
         "--crashes", str(tmp_path / "crashes")],
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "600 mutated files" in run.stdout and "crashes: 0" in run.stdout
    assert "AudioError" in run.stdout and "loaded" in run.stdout  # both kinds are reached


def test_mutated_files_that_load_also_separate_into_finite_sources():
    report = fuzz(seed=2, iterations=50, deep=True)
    assert report.crashes == [], report.summary()
    assert report.outcomes["loaded and separated"] > 5, report.summary()
