"""Faulty per-file tasks for the batch tests, importable by Dask worker processes.

Each wraps :func:`nmfsep.batch.task.separate_track` and appends one line to
``<input folder>/completed.log`` per separation it finishes, so that a test
can count how many times each file was separated.
"""

from __future__ import annotations

import os
from pathlib import Path

from nmfsep.batch.task import separate_track


def _completed(input_path: Path, record: dict) -> dict:
    with open(input_path.parent / "completed.log", "a") as log:
        log.write(f"{input_path.name}\n")
    return record


def _die_half_way(track_dir: Path) -> None:
    """Leave a half-written file in the staging folder, then kill this process."""
    with open(track_dir / "source1.wav", "wb") as partial:
        partial.write(b"RIFF\x00\x00")
    os._exit(1)


def dies_once(input_path: Path, track_dir: Path, options) -> dict:
    """Kills its worker on the first attempt at a file named ``die*`` (a marker remembers)."""
    marker = input_path.with_suffix(".died")
    if input_path.name.startswith("die") and not marker.exists():
        marker.touch()
        _die_half_way(track_dir)
    if input_path.name.startswith("always"):
        _die_half_way(track_dir)
    return _completed(input_path, separate_track(input_path, track_dir, options))
