"""A batch task stopped around the moment it publishes its files (nmfsep.batch.worker).

The task keeps its result before it publishes the track's files, so that a task
stopped right after publishing is found done; one stopped before or while
publishing is run again, since its files are not all in place.  The tasks here
write small files instead of separating, and "stopped" is an exception that
run_track does not catch, as a killed worker never reaches its last lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from nmfsep.batch import worker
from nmfsep.batch.task import RECORD_NAME
from nmfsep.batch.worker import Job, published, result_path, run_track


class Stopped(BaseException):
    """The worker's process ends here."""


def counting_task(version: str):
    """A task writing two sources and a record of ``version``; it counts its runs."""
    calls = []

    def task(input_path: Path, stage: Path, options) -> dict:
        calls.append(input_path)
        for name in ("source1.wav", "source2.wav"):
            (stage / name).write_text(f"{name} {version}")
        (stage / RECORD_NAME).write_text(json.dumps({"version": version, "duration_s": 1.0}))
        return {"duration_s": 1.0}

    task.calls = calls
    return task


@pytest.fixture
def job(tmp_path):
    sf.write(tmp_path / "a.wav", np.zeros(2205, np.float32), 22050)
    return Job(str(tmp_path / "a.wav"), "a", str(tmp_path / "out"), options=None)


def stop_publishing(monkeypatch, *, after: int):
    """Make the worker stop once ``after`` files of the track are published."""
    real_replace = worker.os.replace

    def replace_then_stop(source, target, *args, **kwargs):
        if Path(target).parent.name == "a" and Path(target).suffix in (".wav", ".json"):
            if replace_then_stop.count == after:
                raise Stopped
            replace_then_stop.count += 1
        return real_replace(source, target, *args, **kwargs)

    replace_then_stop.count = 0
    monkeypatch.setattr(worker.os, "replace", replace_then_stop)
    monkeypatch.setattr(worker.os, "rename", lambda *a: (_ for _ in ()).throw(OSError()))


def test_a_task_stopped_right_after_publishing_is_found_done(job, monkeypatch):
    task = counting_task("new")
    real_publish = worker._publish

    def publish_then_stop(*args):
        real_publish(*args)
        raise Stopped

    monkeypatch.setattr(worker, "_publish", publish_then_stop)
    with pytest.raises(Stopped):
        run_track(job, task)
    kept = json.loads(result_path(job).read_text())
    assert kept["status"] == "done" and published(job.out, kept)
    monkeypatch.undo()
    again = run_track(job, task)
    assert again["replayed"] and again["status"] == "done" and len(task.calls) == 1


def test_a_task_stopped_before_publishing_runs_again(job, monkeypatch):
    task = counting_task("new")
    monkeypatch.setattr(worker, "_publish", lambda *args: (_ for _ in ()).throw(Stopped()))
    with pytest.raises(Stopped):
        run_track(job, task)
    assert not published(job.out, json.loads(result_path(job).read_text()))
    monkeypatch.undo()
    again = run_track(job, task)
    assert "replayed" not in again and again["status"] == "done" and len(task.calls) == 2
    assert published(job.out, again)


@pytest.mark.parametrize("after", [0, 1, 2])
def test_a_task_stopped_while_republishing_over_an_older_track_runs_again(job, monkeypatch,
                                                                         after):
    old = run_track(job, counting_task("old"))  # a complete older version of the track
    assert published(job.out, old)
    newer = Job(job.input, job.key, job.out, options=None)  # another submission
    task = counting_task("new")
    stop_publishing(monkeypatch, after=after)  # file by file, the record last
    with pytest.raises(Stopped):
        run_track(newer, task)
    kept = json.loads(result_path(newer).read_text())
    # every file name is in place (the older version's), but not the new record
    assert worker.outputs_in_place(job.out, job.key, kept["outputs"])
    assert not published(job.out, kept)
    monkeypatch.undo()
    again = run_track(newer, task)
    assert "replayed" not in again and published(job.out, again)
    record = json.loads((Path(job.out) / job.key / RECORD_NAME).read_text())
    assert record["version"] == "new" and len(task.calls) == 2
