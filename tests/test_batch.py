"""Batches (nmfsep.batch): discovery, the manifest, resume, faults, Dask clusters, Ctrl-C.

The clusters are started by the tests on 127.0.0.1 and stopped by them; workers
are killed for real (``os._exit`` inside a task, as in Dask's own
``test_failed_workers.py``).  Inputs are short synthetic mixtures, separated
with few components and iterations.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import nmfsep
from nmfsep import cli
from nmfsep.batch.inputs import STATE_DIR, discover
from nmfsep.batch.options import TrackOptions, options_hash
from nmfsep.batch.runner import sigint_deferred
from nmfsep.batch.worker import run_track
from nmfsep.config import SeparationConfig
from nmfsep.errors import ParameterError

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-n", "2", "-k", "4", "--max-iter", "20", "--runs", "1"]
SOURCES = {"source1.wav", "source2.wav", "separation.json"}


def write_mixtures(folder: Path, names: list[str], *, duration: float = 2.0,
                   sr: int = 16000) -> dict[str, np.ndarray]:
    """Synthetic drums + guitar mixtures (float WAV), one seed per file; returns them."""
    mixtures = {}
    for seed, name in enumerate(names):
        example = nmfsep.synth.drums_and_guitar(duration=duration, sr=sr, seed=seed)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nmfsep.save(path, example.mixture, example.sr)
        mixtures[name] = example.mixture
    return mixtures


def assert_track_complete(track: Path, mixture: np.ndarray, names=("source1", "source2")):
    """The track holds exactly its sources and record, and the sources add up to the mixture."""
    files = {p.name for p in track.iterdir() if p.is_file()}  # (folders: tracks below it)
    assert files == {f"{n}.wav" for n in names} | {"separation.json"}
    record = json.loads((track / "separation.json").read_text())
    assert [s["file"] for s in record["sources"]] == [f"{n}.wav" for n in names]
    total = sum(sf.read(track / f"{n}.wav", always_2d=True)[0].T for n in names)
    assert total.shape == mixture.shape
    assert np.linalg.norm(total - mixture) / np.linalg.norm(mixture) < 1e-5


def manifest_rows(out: Path) -> dict[str, dict]:
    with sqlite3.connect(out / STATE_DIR / "manifest.sqlite") as db:
        db.row_factory = sqlite3.Row
        return {row["key"]: dict(row) for row in db.execute("SELECT * FROM tracks")}


def leftovers(out: Path) -> list[Path]:
    """Temporary files anywhere in the output folder, and staging folders."""
    parts = [p for p in out.rglob("*") if p.name.endswith(".part")]
    staging = out / STATE_DIR / "staging"
    return parts + (list(staging.iterdir()) if staging.exists() else [])


def snapshot(out: Path) -> dict[str, tuple[int, int]]:
    """Inode and modification time of every output file (the batch's own folder aside)."""
    return {str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in out.rglob("*") if p.is_file() and STATE_DIR not in p.parts}


# ---------------------------------------------------------------- inputs and options


def test_discover_walks_folders_in_order_and_keeps_each_files_path_as_its_track(tmp_path):
    for name in ["b.wav", "a.FLAC", "live/a.wav", "live/deep/c.ogg", "notes.txt",
                 ".hidden/x.wav", "live/.y.wav"]:
        (tmp_path / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / name).write_bytes(b"")
    (tmp_path / "single.wav").write_bytes(b"")
    found = discover([tmp_path / "in", tmp_path / "single.wav"])
    assert [f.key for f in found] == ["a", "b", "live/a", "live/deep/c", "single"]
    assert found[2].path == tmp_path / "in" / "live" / "a.wav"
    assert [f.key for f in discover([tmp_path / "in"], pattern="*.wav")] == ["b", "live/a"]


@pytest.mark.parametrize(("pattern", "message"), [
    ("", "the pattern is empty"),
    ("  ", "the pattern is empty"),
    ("/tmp/*.wav", "cannot be absolute"),
    ("../*.wav", "cannot climb out"),
])
def test_a_glob_that_cannot_select_files_below_the_folders_is_refused(tmp_path, capsys,
                                                                       pattern, message):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.wav").write_bytes(b"")
    with pytest.raises(ParameterError, match=message):
        discover([tmp_path / "in"], pattern=pattern)
    code = main([str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--glob", pattern])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err  # it was a traceback


def test_discover_skips_the_output_folder_and_refuses_two_files_for_one_track(tmp_path):
    for name in ["a.wav", "out/a/source1.wav"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    assert [f.key for f in discover([tmp_path], out=tmp_path / "out")] == ["a"]
    (tmp_path / "a.flac").write_bytes(b"")
    with pytest.raises(ParameterError, match=r"a\.flac and .*a\.wav -> a/"):
        discover([tmp_path], out=tmp_path / "out")
    # a file named directly is kept even if missing: it fails as its task, listed at the end
    assert [f.key for f in discover([tmp_path / "missing.wav"])] == ["missing"]


def main(argv: list[str]) -> int:
    """``nmfsep separate ARGV`` in this process."""
    return cli.main(["separate", *argv])


def test_options_hash_changes_with_the_parameters_and_only_with_them():
    assert options_hash(TrackOptions()) == options_hash(TrackOptions())
    fewer = TrackOptions(config=SeparationConfig(max_iter=20))
    assert options_hash(fewer) != options_hash(TrackOptions())
    assert options_hash(TrackOptions(names=("a", "b"))) != options_hash(TrackOptions())
    with pytest.raises(ParameterError, match="'separation' is taken"):
        TrackOptions(names=("separation", "b"))


def test_the_options_record_the_divergence_each_separation_minimizes():
    # blind: Kullback-Leibler, recorded as a beta of 1.0 given
    assert options_hash(TrackOptions()) == options_hash(
        TrackOptions(config=SeparationConfig(beta=1.0)))
    drums = nmfsep.load_dictionary("builtin:drums")
    supervised = SeparationConfig(dictionaries=[drums])
    offline = TrackOptions(config=supervised, names=("drums",))
    streamed = TrackOptions(config=supervised, names=("drums",), stream=True)
    assert offline.describe()["config"]["beta"] == supervised.policy.dictionary_beta
    assert streamed.describe()["config"]["beta"] == 1.0  # the stream's divergence


# ---------------------------------------------------------------- in this process


def test_a_folder_is_separated_track_by_track_and_a_rerun_rewrites_nothing(tmp_path, capsys):
    mixtures = write_mixtures(tmp_path / "in", ["a.wav", "live/a.wav", "b.wav", "a/b.wav"])
    out = tmp_path / "out"
    assert main([str(tmp_path / "in"), "-o", str(out), *FAST, "--workers", "1"]) == 0
    for name, mixture in mixtures.items():
        assert_track_complete(out / Path(name).with_suffix(""), mixture)
    rows = manifest_rows(out)
    assert sorted(rows) == ["a", "a/b", "b", "live/a"]
    assert {r["status"] for r in rows.values()} == {"done"}
    assert all(r["attempts"] == 1 and len(r["input_sha256"]) == 64 for r in rows.values())
    assert leftovers(out) == []
    err = capsys.readouterr().err
    assert "4 done, 0 skipped, 0 failed of 4 files" in err
    assert f"separating 4 files, 0.00222 h of audio, in this process, into {out}/" in err

    before = snapshot(out)
    os.utime(tmp_path / "in" / "b.wav")  # touched, same bytes: hashed again, still skipped
    assert main([str(tmp_path / "in"), "-o", str(out), *FAST, "--workers", "1"]) == 0
    assert snapshot(out) == before
    assert "0 done, 4 skipped, 0 failed" in capsys.readouterr().err


def test_changed_parameters_or_input_are_redone_and_stale_sources_removed(tmp_path, capsys):
    mixtures = write_mixtures(tmp_path / "in", ["a.wav", "b.wav"])
    out = tmp_path / "out"
    args = [str(tmp_path / "in"), "-o", str(out), *FAST, "--workers", "1"]
    assert main(args) == 0
    first = snapshot(out)
    assert main([*args, "--names", "drums,guitar"]) == 0
    for name, mixture in mixtures.items():
        assert_track_complete(out / Path(name).stem, mixture, names=("drums", "guitar"))
    assert "2 done, 0 skipped" in capsys.readouterr().err

    other = nmfsep.synth.drums_and_guitar(duration=2.0, sr=16000, seed=7).mixture
    nmfsep.save(tmp_path / "in" / "b.wav", other, 16000, force=True)
    second = snapshot(out)
    assert main([*args, "--names", "drums,guitar"]) == 0
    third = snapshot(out)
    assert_track_complete(out / "b", other, names=("drums", "guitar"))
    assert third["a/drums.wav"] == second["a/drums.wav"] and "a/source1.wav" in first
    assert third["b/drums.wav"] != second["b/drums.wav"]
    assert "1 done, 1 skipped" in capsys.readouterr().err


def test_a_bad_file_among_good_ones_is_listed_with_its_message_and_exit_1(tmp_path, capsys):
    write_mixtures(tmp_path / "in", ["a.wav", "c.wav"])
    (tmp_path / "in" / "b.wav").write_text("not audio")
    out = tmp_path / "out"
    args = [str(tmp_path / "in"), "-o", str(out), *FAST, "--workers", "1"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "2 done, 0 skipped, 1 failed of 3 files" in err
    listed = err.split("1 of 3 files failed")[1]
    assert f"{tmp_path / 'in' / 'b.wav'}: not a readable audio file" in listed
    rows = manifest_rows(out)
    assert rows["b"]["status"] == "failed" and "not a readable audio file" in rows["b"]["error"]
    assert not (out / "b").exists() and leftovers(out) == []
    assert main(args) == 1  # a rerun retries the failed file, and only it
    assert manifest_rows(out)["b"]["attempts"] == 2
    assert "0 done, 2 skipped, 1 failed" in capsys.readouterr().err


def test_a_folder_the_batch_did_not_write_is_kept_without_force(tmp_path, capsys):
    write_mixtures(tmp_path / "in", ["a.wav", "b.wav"])
    (tmp_path / "out" / "a").mkdir(parents=True)
    (tmp_path / "out" / "a" / "mine.txt").write_text("the user's")
    args = [str(tmp_path / "in"), "-o", str(tmp_path / "out"), *FAST, "--workers", "1"]
    assert main(args) == 1
    assert "exists already and was not written by a batch" in capsys.readouterr().err
    assert (tmp_path / "out" / "a" / "mine.txt").read_text() == "the user's"
    assert main([*args, "--force"]) == 0



class _InThisProcess:
    """The in-process executor, for a test to change what one of its steps does."""

    stops_running_tasks = True

    def __init__(self, task=None):
        from nmfsep.batch.cluster import InProcessExecutor

        self.inner = InProcessExecutor(task)

    def capacity(self):
        return 1

    def memory_budget(self):
        return None

    def submit(self, job):
        return self.inner.submit(job)

    def wait(self, timeout):
        return self.inner.wait(timeout)

    def abort(self):
        self.inner.abort()

    def close(self):
        self.inner.close()


class _RerunsRecordedTasks(_InThisProcess):
    """Runs each task here, then again once the driver has recorded it, as Dask does
    when a worker dies holding a finished task's result that a client still wants."""

    name = "in this process, twice"

    def __init__(self, task):
        super().__init__(task)
        self.recorded = []
        self.reruns = []

    def wait(self, timeout):
        self.reruns += [run_track(job, self.inner.task) for job in self.recorded]
        self.recorded = []
        done = self.inner.wait(timeout)
        self.recorded = [job for job, _, _ in done]
        return done

    def close(self):  # the last one: as if its worker died before the client let it go
        self.reruns += [run_track(job, self.inner.task) for job in self.recorded]


def test_a_task_run_again_after_it_was_recorded_replays_its_result_and_writes_nothing(
        tmp_path):
    import batch_faults

    from nmfsep.batch.runner import execute, prepare
    from nmfsep.progress import Reporter

    names = ["a.wav", "b.wav", "c.wav"]
    mixtures = write_mixtures(tmp_path / "in", names)
    out = tmp_path / "out"
    options = TrackOptions(config=SeparationConfig(n_components=4, max_iter=20, n_runs=1))
    executor = _RerunsRecordedTasks(batch_faults.dies_once)
    assert execute(prepare(discover([tmp_path / "in"]), options), out, options, executor,
                   Reporter()) == 0
    assert [r["status"] for r in executor.reruns] == ["done"] * 3
    assert all(r.get("replayed") for r in executor.reruns)  # found its result: not separated
    assert sorted((tmp_path / "in" / "completed.log").read_text().split()) == names  # once each
    for name, mixture in mixtures.items():
        assert_track_complete(out / Path(name).stem, mixture)
    assert leftovers(out) == []
    assert not list((out / STATE_DIR).rglob("*.json"))  # the kept results go with the run



class _CtrlCInAFinalizer(_InThisProcess):
    """Runs the tracks here; after the first, Ctrl-C arrives while a finalizer runs, where
    Python prints the KeyboardInterrupt and drops it (as in dask's ``Future.__del__``)."""

    def __init__(self):
        super().__init__()
        self.sent = False

    def wait(self, timeout):
        done = self.inner.wait(timeout)
        if done and not self.sent:
            self.sent = True

            class Finalized:
                def __del__(self):
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(0.2)  # the handler runs here, inside the finalizer

            Finalized()
        return done


def test_a_ctrl_c_dropped_by_a_finalizer_still_stops_the_batch(tmp_path, monkeypatch):
    from nmfsep.batch.runner import execute, prepare
    from nmfsep.progress import Reporter

    dropped = []
    monkeypatch.setattr(sys, "unraisablehook", lambda raised: dropped.append(raised.exc_type))

    write_mixtures(tmp_path / "in", ["a.wav", "b.wav", "c.wav"])
    out = tmp_path / "out"
    options = TrackOptions(config=SeparationConfig(n_components=4, max_iter=20, n_runs=1))
    executor = _CtrlCInAFinalizer()
    with pytest.raises(KeyboardInterrupt):
        execute(prepare(discover([tmp_path / "in"]), options), out, options, executor,
                Reporter())
    assert executor.sent and dropped == [KeyboardInterrupt]  # Python dropped it
    finished = {p.parent.name for p in out.glob("*/separation.json")}
    assert finished == {"a"}
    assert leftovers(out) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back


def test_the_results_a_killed_run_left_are_removed_by_the_next_run(tmp_path, capsys):
    from nmfsep.batch.worker import result_file

    write_mixtures(tmp_path / "in", ["a.wav", "b.wav"])
    out = tmp_path / "out"
    args = [str(tmp_path / "in"), "-o", str(out), *FAST, "--workers", "1"]
    assert main(args) == 0
    rows = manifest_rows(out)
    left = result_file(out, rows["a"]["token"])  # as a run killed before its end leaves it
    unknown = result_file(out, "not-a-claimed-token")
    for path in (left, unknown):
        path.write_text(json.dumps({"status": "done"}))
    assert main(args) == 0
    assert not left.exists()  # its track is recorded done by a run that has ended
    assert unknown.exists()  # no track of this manifest: not this batch's to judge
    assert "0 done, 2 skipped, 0 failed" in capsys.readouterr().err


# ---------------------------------------------------------------- on Dask clusters


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread and 1 GiB each on 127.0.0.1; a task may
    kill one worker and still be retried (``allowed-failures`` 1); each worker is
    given one task at a time, as on the batch's own local cluster."""
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0}):
        local = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, memory_limit="1GiB", silence_logs=logging.CRITICAL)
    yield local
    local.close()


def _client(cluster):
    from distributed import Client

    client = Client(cluster.scheduler_address, set_as_default=False)
    client.wait_for_workers(2, timeout=60)
    return client


def _faulty_batch(cluster, folder: Path, out: Path) -> int:
    """The batch of ``folder`` on ``cluster`` with tasks that kill their worker (batch_faults)."""
    import batch_faults

    from nmfsep.batch.cluster import DaskExecutor
    from nmfsep.batch.runner import execute, prepare
    from nmfsep.progress import Reporter

    options = TrackOptions(config=SeparationConfig(n_components=4, max_iter=20, n_runs=1))
    tracks = prepare(discover([folder]), options)
    executor = DaskExecutor(_client(cluster), task=batch_faults.dies_once, allowed_failures=1)
    return execute(tracks, out, options, executor, Reporter())


def test_a_worker_killed_mid_task_is_replaced_and_every_output_is_written_once(
        cluster, tmp_path, capsys):
    names = ["a.wav", "b.wav", "c.wav", "die.wav", "e.wav"]
    mixtures = write_mixtures(tmp_path / "in", names)
    out = tmp_path / "out"
    assert _faulty_batch(cluster, tmp_path / "in", out) == 0
    assert (tmp_path / "in" / "die.died").exists()  # its first attempt did kill its worker
    assert sorted((tmp_path / "in" / "completed.log").read_text().split()) == names  # once each
    for name, mixture in mixtures.items():
        assert_track_complete(out / Path(name).stem, mixture)
    rows = manifest_rows(out)
    assert {r["status"] for r in rows.values()} == {"done"}
    assert rows["die"]["attempts"] == 2
    assert leftovers(out) == []  # the killed attempt's half-written file is gone
    assert "5 done, 0 skipped, 0 failed of 5 files" in capsys.readouterr().err


def test_a_file_that_keeps_killing_workers_fails_with_its_reason_and_the_rest_goes_on(
        cluster, tmp_path, capsys):
    names = ["a.wav", "always.wav", "b.wav", "c.wav"]
    mixtures = write_mixtures(tmp_path / "in", names)
    out = tmp_path / "out"
    assert _faulty_batch(cluster, tmp_path / "in", out) == 1
    assert sorted((tmp_path / "in" / "completed.log").read_text().split()) == [
        "a.wav", "b.wav", "c.wav"]
    for name in ["a.wav", "b.wav", "c.wav"]:
        assert_track_complete(out / Path(name).stem, mixtures[name])
    row = manifest_rows(out)["always"]
    assert row["status"] == "failed" and row["attempts"] == 2
    assert "KilledWorker" in row["error"]
    assert not (out / "always").exists() and leftovers(out) == []
    err = capsys.readouterr().err
    assert "3 done, 0 skipped, 1 failed of 4 files" in err
    assert f"{tmp_path / 'in' / 'always.wav'}: KilledWorker" in err.split("files failed")[1]


def test_scheduler_option_runs_the_batch_on_an_existing_cluster(cluster, tmp_path, capsys):
    mixtures = write_mixtures(tmp_path / "in", ["a.wav", "b.wav", "c.wav"])
    out = tmp_path / "out"
    args = [str(tmp_path / "in"), "-o", str(out), *FAST, "--scheduler",
            cluster.scheduler_address]
    assert main(args) == 0
    for name, mixture in mixtures.items():
        assert_track_complete(out / Path(name).stem, mixture)
    workers = {r["worker"] for r in manifest_rows(out).values()}
    assert workers <= set(cluster.scheduler_info["workers"]) and None not in workers
    assert f"the Dask scheduler at {cluster.scheduler_address}" in capsys.readouterr().err
    before = snapshot(out)
    assert main(args) == 0 and snapshot(out) == before


def test_a_file_too_long_for_a_worker_at_once_goes_block_by_block_and_a_task_that_cannot_fit_fails(
        cluster, tmp_path, capsys):
    from nmfsep.batch.worker import Job, run_track

    write_mixtures(tmp_path / "in", ["a.wav"])
    sf.write(tmp_path / "in" / "long.wav", np.zeros(300 * 44100, np.int16), 44100)  # 5 min
    args = [str(tmp_path / "in"), "-o", str(tmp_path / "out"), *FAST, "--scheduler",
            cluster.scheduler_address]
    assert main(args) == 0  # in memory at once it would pass the worker's limit of 1 GB
    record = json.loads((tmp_path / "out" / "long" / "separation.json").read_text())
    assert record["block_by_block"] is True

    client = _client(cluster)  # the worker's own check, for a cluster of unequal workers
    job = Job(str(tmp_path / "in" / "a.wav"), "a", str(tmp_path / "out2"), TrackOptions(),
              memory=2**40)
    result = client.submit(run_track, job, pure=False).result()
    client.close()
    assert result["status"] == "failed"
    assert "needs about 1 TB of memory, but worker tcp://127.0.0.1" in result["error"]


# ---------------------------------------------------------------- processes


def _command(inputs: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "nmfsep", "separate", str(inputs), "-o", str(out), *extra]


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}


def _with_sigint():
    """Ctrl-C as in a terminal, even when the test runs where SIGINT is ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_two_runs_into_one_folder_at_once_share_the_work(tmp_path):
    mixtures = write_mixtures(tmp_path / "in", [f"t{i}.wav" for i in range(6)], duration=4.0)
    out = tmp_path / "out"
    command = _command(tmp_path / "in", out, "-n", "2", "-k", "6", "--max-iter", "100",
                       "--runs", "1", "--workers", "1")
    runs = [subprocess.Popen(command, env=_environment(), stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    errs = [run.communicate(timeout=300)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errs
    for name, mixture in mixtures.items():
        assert_track_complete(out / Path(name).stem, mixture)
    rows = manifest_rows(out)
    assert {r["status"] for r in rows.values()} == {"done"}
    assert all(r["attempts"] == 1 for r in rows.values())  # no file separated twice
    done = [int(err.split(" done, ")[0].split()[-1]) for err in errs]
    assert sum(done) == 6, errs
    with sqlite3.connect(out / STATE_DIR / "manifest.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert leftovers(out) == []


@pytest.mark.parametrize("status", ["running", "done"])
def test_a_live_run_with_other_parameters_in_the_folder_stops_this_one(tmp_path, capsys,
                                                                      status):
    from nmfsep.batch.manifest import Manifest, RunLock

    write_mixtures(tmp_path / "in", ["t0.wav", "t1.wav"])
    out = tmp_path / "out"
    rival, manifest = RunLock(out), Manifest(out)  # another run, alive: its lock is held
    manifest.start_run(rival.id)
    assert manifest.claim(key="t0", input=str(tmp_path / "in" / "t0.wav"), stat=(0, 0),
                          params_sha256="other", params="{}", run_id=rival.id, token="tok",
                          alive=rival.alive) == "claimed"
    if status == "done":  # it did t0 and went on: this run would redo it, it would redo ours
        with manifest._write():
            manifest._db.execute("UPDATE tracks SET status = 'done', owner = NULL, run = ? "
                                 "WHERE key = 't0'", (rival.id,))
    code = main([str(tmp_path / "in"), "-o", str(out), *FAST, "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 4, err
    assert "another run is separating into this folder with other parameters (it did or " \
           "holds t0)" in err
    rows = manifest_rows(out)
    assert rows["t0"]["params_sha256"] == "other" and "t1" not in rows  # nothing of ours
    manifest.close()
    rival.close()
    assert main([str(tmp_path / "in"), "-o", str(out), *FAST, "--workers", "1"]) == 0


def test_two_runs_with_other_parameters_into_one_folder_are_not_both_done(tmp_path):
    delay = 0.3
    mixtures = write_mixtures(tmp_path / "in", [f"t{i}.wav" for i in range(6)], duration=4.0)
    out = tmp_path / "out"
    command = _command(tmp_path / "in", out, "-n", "2", "-k", "6", "--max-iter", "100",
                       "--runs", "1", "--workers", "1")
    first = subprocess.Popen(command, env=_environment(), stderr=subprocess.PIPE, text=True)
    time.sleep(delay)  # the second starts while the first holds a track, or after it did one
    second = subprocess.Popen([*command, "--names", "x,y"], env=_environment(),
                              stderr=subprocess.PIPE, text=True)
    errs = [run.communicate(timeout=300)[1] for run in (first, second)]
    codes = [first.returncode, second.returncode]
    # both said 0 and left a mix of both runs' sources
    assert sorted(codes) == [0, 4], errs
    loser = codes.index(4)
    assert "another run is separating into this folder with other parameters" in errs[loser]
    names = ("source1", "source2") if codes[0] == 0 else ("x", "y")
    for name, mixture in mixtures.items():
        assert_track_complete(out / Path(name).stem, mixture, names=names)
    rows = manifest_rows(out)
    assert {r["status"] for r in rows.values()} == {"done"}
    assert len({r["params_sha256"] for r in rows.values()}) == 1
    assert leftovers(out) == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_keeps_finished_tracks_leaves_no_partial_file_and_exits_130(tmp_path, workers):
    mixtures = write_mixtures(tmp_path / "in", [f"t{i}.wav" for i in range(6)],
                              duration=4.0, sr=22050)
    out = tmp_path / "out"
    command = _command(tmp_path / "in", out, "-n", "2", "-k", "10", "--runs", "1",
                       "--workers", workers)
    run = subprocess.Popen(command, env=_environment(), stderr=subprocess.PIPE, text=True,
                           preexec_fn=_with_sigint)
    deadline = time.monotonic() + 120
    while not list(out.glob("*/separation.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    err = run.communicate(timeout=120)[1]
    assert run.returncode == 130, err
    assert "interrupted: " in err and "left for a rerun" in err
    assert leftovers(out) == []
    finished = {p.parent.name for p in out.glob("*/separation.json")}
    assert finished and len(finished) < 6
    assert {p.name for p in out.iterdir()} == finished | {STATE_DIR}
    for name in finished:
        assert_track_complete(out / name, mixtures[f"{name}.wav"])
    rows = manifest_rows(out)
    assert {k for k, r in rows.items() if r["status"] == "done"} == finished
    assert {r["status"] for k, r in rows.items() if k not in finished} <= {"pending"}

    before = snapshot(out)  # the rest in this process: the same parameters, no second cluster
    rerun = subprocess.run([*command[:-1], "1"], env=_environment(), stderr=subprocess.PIPE,
                           text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    after = snapshot(out)
    assert all(after[name] == stamp for name, stamp in before.items())
    assert f"{6 - len(finished)} done, {len(finished)} skipped" in rerun.stderr


def test_importing_the_batch_package_does_not_import_dask():
    code = ("import sys, nmfsep, nmfsep.batch, nmfsep.batch.command, nmfsep.batch.runner; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], env=_environment(), text=True,
                          capture_output=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_ctrl_c_during_the_bookkeeping_is_raised_when_it_is_done():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own
    steps = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with sigint_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.01)
                steps.append("after the signal")  # the block is not cut short
        assert steps == ["after the signal"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_the_process_ignores_stays_ignored_after_the_bookkeeping():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with sigint_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
