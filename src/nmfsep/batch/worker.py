"""What runs on a worker for one file: stage, separate, publish; never a half-written file.

:func:`run_track` gives :func:`nmfsep.batch.task.separate_track` a fresh
staging folder inside the output folder (``OUT/.nmfsep-batch/staging/``,
so that the final rename stays on one file system), then moves the files
into the track's folder: with one rename of the whole folder when the track
is new, else file by file with ``os.replace`` and the record last.  A worker
killed at any moment leaves at most a staging folder, which the next attempt
at the same track (or the end of the batch) removes; the track's folder holds
only complete files, and the manifest calls the track done only after all of
them are in place.

Failures come back as a result, not an exception, so that one bad file is
one line in the summary and never stops the batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from threadpoolctl import ThreadpoolController

from ..audio import audio_info
from ..errors import NmfsepError, ResourceError
from ..resources import format_bytes
from .inputs import STATE_DIR
from .task import RECORD_NAME, separate_track

__all__ = ["Job", "run_track", "sweep_staging", "file_sha256", "staging_root", "result_path",
           "result_file", "results_folder"]

#: Environment of a worker process: one BLAS / OpenMP thread each.
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class Job:
    """One file to separate, as sent to a worker (small and picklable).

    Attributes
    ----------
    input : str
        The audio file; the worker must see it at this path.
    key : str
        The track: outputs go to ``<out>/<key>/``.
    out : str
        The output folder.
    options : Any
        The separation's parameters (:class:`SeparateOptions`).
    memory : int or None
        The driver's estimate of the task's peak memory, in bytes.
    token : str
        Names this submission: its result is kept in ``results/<token>.json``
        until the driver has recorded it.
    """

    input: str
    key: str
    out: str
    options: Any
    memory: int | None = None
    token: str = field(default_factory=lambda: secrets.token_hex(8))


def staging_root(out: str | os.PathLike) -> Path:
    """The folder of the staging folders of an output folder."""
    return Path(out) / STATE_DIR / "staging"


def results_folder(out: str | os.PathLike) -> Path:
    """Where the tasks leave their results for the driver: ``OUT/.nmfsep-batch/results/``."""
    return Path(out) / STATE_DIR / "results"


def result_file(out: str | os.PathLike, token: str) -> Path:
    """Where the task ``token`` leaves its result for the driver (``OUT/.nmfsep-batch/results/``).

    Written when the task ends, and for a task that succeeded also just before
    its files are published (:func:`published` then tells whether they all
    are); read by the driver, and removed when the run ends, once its
    executor is closed.  Dask keeps a task's return value on its worker
    until the client lets the task go; if that worker dies first, Dask runs
    the task again, even after the driver recorded it, and the second run
    returns this file instead of separating and publishing the file twice.
    A run that stopped before recording a finished task (Ctrl-C, a killed
    driver) leaves it for the next run, which records the track done.
    """
    return results_folder(out) / f"{token}.json"


def result_path(job: Job) -> Path:
    """:func:`result_file` of a job."""
    return result_file(job.out, job.token)


def _staging_prefix(key: str) -> str:
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    readable = key.replace("/", "_")[-48:].lstrip(".") or "track"
    return f"{readable}-{digest}."


def sweep_staging(out: str | os.PathLike, key: str) -> int:
    """Remove the staging folders left by killed attempts at ``key``; returns how many."""
    root = staging_root(out)
    prefix = _staging_prefix(key)
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in root.iterdir():
            if entry.name.startswith(prefix):
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
    return removed


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks of ``chunk`` bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def run_track(job: Job, task: Callable | None = None) -> dict:
    """Separate one file into its track, atomically; never raises for a bad file.

    Parameters
    ----------
    job : Job
    task : callable(input_path, track_dir, options) -> dict, optional
        :func:`separate_track` by default (tests put a faulty one here).

    Returns
    -------
    dict
        ``status`` ("done" or "failed"), ``outputs`` (file names relative to
        the track), ``audio_seconds``, ``error`` (the message), ``input_sha256``,
        ``started`` (epoch s), ``seconds``, ``host``, ``worker`` (the Dask
        worker's address or None) and ``killed_before`` (staging folders of
        earlier, killed attempts that were found and removed).
    """
    with contextlib.suppress(FileNotFoundError, ValueError):
        kept = json.loads(result_path(job).read_text())
        # a task stopped while it published its files left a result whose files are not all
        # in place: it runs again
        if kept.get("status") != "done" or published(job.out, kept):
            return {**kept, "replayed": True}
    started, clock = time.time(), time.perf_counter()
    worker = _current_worker()
    result: dict[str, Any] = {
        "key": job.key, "status": "failed", "outputs": [], "audio_seconds": 0.0,
        "error": None, "input_sha256": None, "started": started,
        "host": socket.gethostname(), "worker": worker.address if worker else None,
        "killed_before": sweep_staging(job.out, job.key),
    }
    stage: Path | None = None
    try:
        budget = _check_worker_memory(job, worker)
        options = job.options
        if budget is not None and hasattr(options, "config"):  # go block by block if need be
            options = replace(options, config=replace(options.config, max_memory=budget))
        audio_info(job.input)  # a missing or unreadable file fails here, named
        result["input_sha256"] = file_sha256(job.input)
        stage = staging_root(job.out) / (_staging_prefix(job.key) + secrets.token_hex(6))
        stage.mkdir(parents=True)
        with _one_blas_thread(worker is not None):
            record = (task or separate_track)(Path(job.input), stage, options)
        result["audio_seconds"] = float(record.get("duration_s", 0.0))
        if (stage / RECORD_NAME).is_file():
            result["record_sha256"] = file_sha256(stage / RECORD_NAME)
        # kept before the files are published, so that a task stopped right after publishing
        # them is found done (the driver adopts it); one stopped before or while publishing
        # is not, since its files are not all in place (published)
        files = _staged_files(stage)
        with contextlib.suppress(OSError):
            _keep({**result, "status": "done", "outputs": files,
                   "seconds": time.perf_counter() - clock}, result_path(job))
        _publish(stage, Path(job.out) / job.key, files)
        result["outputs"] = files
        stage = None
        result["status"] = "done"
    except Exception as exc:  # noqa: BLE001 - a bad file is a result, not a crash
        result["error"] = _message(exc, job.input)
        result["kind"] = type(exc).__name__
        if not isinstance(exc, (NmfsepError, MemoryError)):
            result["traceback"] = traceback.format_exc()
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    result["seconds"] = time.perf_counter() - clock
    with contextlib.suppress(OSError):  # the driver can fetch it through Dask instead
        _keep(result, result_path(job))
    return result


def _keep(result: dict, path: Path) -> None:
    """Write the result atomically where a rerun of the same task finds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        tmp.write_text(json.dumps(result))
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def outputs_in_place(out: str | os.PathLike, key: str, outputs: list[str]) -> bool:
    """Whether the track ``key`` under ``out`` has every file of ``outputs`` (and some)."""
    track = Path(out) / key
    return bool(outputs) and all((track / name).is_file() for name in outputs)


def published(out: str | os.PathLike, result: dict) -> bool:
    """Whether the files of a task's ``result`` are in its track, its own record last among
    them: a track republished file by file over an older version has the new record only
    once every new file is in place."""
    if not outputs_in_place(out, result["key"], result.get("outputs", [])):
        return False
    expected = result.get("record_sha256")
    record = Path(out) / result["key"] / RECORD_NAME
    return expected is None or (record.is_file() and file_sha256(record) == expected)


def _staged_files(stage: Path) -> list[str]:
    """The files of ``stage``, relative to it, in the order they are published: the record last."""
    return sorted((p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file()),
                  key=lambda name: (name == RECORD_NAME, name))


def _publish(stage: Path, track: Path, files: list[str]) -> None:
    """Move ``files`` (:func:`_staged_files`: every file of ``stage``) into ``track``,
    the record last."""
    if not track.exists():
        track.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # appeared meanwhile: replace file by file
            os.rename(stage, track)
            return
    for name in files:
        (track / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / name, track / name)
    shutil.rmtree(stage, ignore_errors=True)


def _current_worker():
    """The Dask worker running this task, or None outside Dask (never imports Dask)."""
    if "distributed" not in sys.modules:
        return None
    from distributed import get_worker

    try:
        return get_worker()
    except ValueError:
        return None


#: The share of a worker's memory limit per task that the separation may plan for
#: (Dask pauses a worker at 80 % of its limit and restarts it at 95 %; the
#: interpreter and Dask itself take the rest).
WORKER_MEMORY_SHARE = 0.6


def _check_worker_memory(job: Job, worker) -> int | None:
    """Refuse a task whose estimate exceeds this worker's memory limit per thread.

    Returns
    -------
    int or None
        The bytes the separation may plan for on this worker (None: no limit).
    """
    if worker is None:
        return None
    limit = worker.memory_manager.memory_limit
    threads = max(1, worker.state.nthreads)
    if not limit:
        return None
    if job.memory and job.memory > limit / threads:
        raise ResourceError(
            f"{job.input}: needs about {format_bytes(job.memory)} of memory, but worker "
            f"{worker.address} allows {format_bytes(limit / threads)} per task "
            f"({format_bytes(limit)} for {threads} thread(s)); give the workers more memory "
            "or fewer threads each")
    return int(WORKER_MEMORY_SHARE * limit / threads)


_CONTROLLER: list = []


@contextlib.contextmanager
def _one_blas_thread(enabled: bool):
    """One BLAS / OpenMP thread inside a worker (threadpoolctl's controller made once:
    finding the loaded libraries takes longer than a small task)."""
    if not enabled:
        yield
        return
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=1):
        yield


def _message(exc: BaseException, path: str) -> str:
    if isinstance(exc, MemoryError):
        return f"{path}: out of memory; try fewer components or a larger hop"
    if isinstance(exc, NmfsepError):
        text = str(exc)
        return text if path in text else f"{path}: {text}"
    return (f"{path}: unexpected {type(exc).__name__}: {exc} (a bug in nmfsep; please report "
            "it with the traceback shown by -v)")
