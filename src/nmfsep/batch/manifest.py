"""The batch's memory of an output folder: what is done, with what, and what failed.

One SQLite database, ``OUT/.nmfsep-batch/manifest.sqlite``, with a row per
track: the input (path, size, modification time, SHA-256 of its bytes), the
parameters (their SHA-256 and JSON), the status (pending, running, done,
failed), the attempts, the last error, the files written and the timings.

Why SQLite rather than a JSON file under a lock: every change is a small
transaction on one row (claim a track, record its result), atomic and
durable even if the process is killed half-way (the journal rolls it back),
and still cheap with a hundred thousand tracks, where rewriting a whole JSON
file on every change would not be.  Two runs into the same folder serialize
their read-modify-write steps with ``BEGIN IMMEDIATE``; WAL mode lets a
reader (a second run, or ``sqlite3`` in a shell) look while a run writes.
Only the driver process of a run opens the database, never the workers, so
a cluster of many machines needs no shared lock; runs into one folder at the
same time must be started on one machine (SQLite's WAL needs that).

A track is *running* only while the run that claimed it is alive: each run
holds an exclusive ``flock`` on its own lock file for its whole life, and
the kernel releases it when the process ends however it ends; a claim whose
run is gone is taken over.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..errors import OutputError
from .inputs import STATE_DIR
from .worker import outputs_in_place, published, result_file, results_folder

__all__ = ["Manifest", "RunLock", "STATUSES"]

STATUSES = ("pending", "running", "done", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tracks (
    key TEXT PRIMARY KEY,
    input TEXT NOT NULL,
    size INTEGER,
    mtime_ns INTEGER,
    input_sha256 TEXT,
    params_sha256 TEXT,
    params TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    owner TEXT,
    token TEXT,
    run TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    outputs TEXT,
    audio_seconds REAL,
    started REAL,
    finished REAL,
    seconds REAL,
    host TEXT,
    worker TEXT,
    updated REAL
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    pid INTEGER,
    host TEXT,
    started REAL,
    finished REAL,
    summary TEXT
);
"""


class RunLock:
    """This run's identity and its liveness lock, ``OUT/.nmfsep-batch/runs/<id>.lock``.

    Parameters
    ----------
    out : path
        The output folder.
    """

    def __init__(self, out: str | os.PathLike) -> None:
        self.folder = Path(out) / STATE_DIR / "runs"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        self.path = self.folder / f"{self.id}.lock"
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def alive(self, run_id: str | None) -> bool:
        """Whether the run ``run_id`` is still running (this one always is)."""
        if run_id is None:
            return False
        if run_id == self.id:
            return True
        path = self.folder / f"{run_id}.lock"
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        else:
            with contextlib.suppress(OSError):
                path.unlink()
            return False
        finally:
            os.close(fd)

    def close(self) -> None:
        """Release the lock and remove its file."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            os.close(self._fd)
            self._fd = None


class Manifest:
    """The tracks of one output folder (see the module docstring).

    Parameters
    ----------
    out : path
        The output folder; created if needed.
    """

    def __init__(self, out: str | os.PathLike) -> None:
        self.out = Path(out)
        self.path = self.out / STATE_DIR / "manifest.sqlite"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=120, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._write():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                reason = "no space left on the device"
            raise OutputError(f"{self.out}: cannot keep the batch's manifest here "
                              f"({reason})") from None

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------ reading

    def get(self, key: str) -> dict | None:
        """The row of ``key`` as a dict (``outputs`` decoded), or None."""
        row = self._db.execute("SELECT * FROM tracks WHERE key = ?", (key,)).fetchone()
        return _decode(row)

    def rows(self) -> list[dict]:
        """Every row, by key."""
        return [_decode(r) for r in self._db.execute("SELECT * FROM tracks ORDER BY key")]

    def outputs_exist(self, row: dict) -> bool:
        """Whether every file the row lists is in its track's folder."""
        return outputs_in_place(self.out, row["key"], row["outputs"])

    # ------------------------------------------------------------ changing

    def claim(self, *, key: str, input: str, stat: tuple[int, int], params_sha256: str,
              params: str, run_id: str, token: str, alive: Callable[[str | None], bool],
              force: bool = False, input_sha256: str | None = None) -> str:
        """Decide what to do with a track, and take it if it is to be separated.

        Returns
        -------
        str
            ``"skip"``: done with these parameters from this very input, its
            files in place; ``"hash"``: done with these parameters, but the
            input's size or time changed: call again with ``input_sha256``;
            ``"busy"``: another live run is separating it; ``"adopted"``: an
            earlier run's task finished it but the run stopped before recording
            it: recorded done now; ``"claimed"``: it is now this run's (status
            running under ``token``, one more attempt).
        """
        with self._write():
            row = self.get(key)
            if row is not None:
                if row["status"] == "running" and row["owner"] != run_id and alive(row["owner"]):
                    return "busy"
                if (row["status"] == "done" and not force
                        and row["params_sha256"] == params_sha256 and self.outputs_exist(row)):
                    if (row["size"], row["mtime_ns"]) == tuple(stat):
                        return "skip"
                    if input_sha256 is None:
                        return "hash"
                    if input_sha256 == row["input_sha256"]:
                        self._db.execute(
                            "UPDATE tracks SET size = ?, mtime_ns = ?, input = ?, updated = ? "
                            "WHERE key = ?", (*stat, input, time.time(), key))
                        return "skip"
                if (row["status"] in ("running", "pending") and row["token"] and not force
                        and row["params_sha256"] == params_sha256
                        and (row["size"], row["mtime_ns"]) == tuple(stat)
                        and self._adopt(row, run_id)):
                    return "adopted"
            attempts = 1 if row is None or row["status"] == "done" else row["attempts"] + 1
            if row is not None and row["token"]:
                with contextlib.suppress(OSError):
                    result_file(self.out, row["token"]).unlink()
            self._db.execute(
                "INSERT INTO tracks (key, input, size, mtime_ns, params_sha256, params, status, "
                "owner, token, attempts, error, started, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, NULL, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET input = excluded.input, size = excluded.size, "
                "mtime_ns = excluded.mtime_ns, params_sha256 = excluded.params_sha256, "
                "params = excluded.params, status = 'running', owner = excluded.owner, "
                "token = excluded.token, attempts = excluded.attempts, error = NULL, "
                "started = excluded.started, updated = excluded.updated",
                (key, input, *stat, params_sha256, params, run_id, token, attempts, time.time(),
                 time.time()))
            return "claimed"

    def _adopt(self, row: dict, run_id: str) -> bool:
        """Record done the track whose task left its result file (inside a transaction)."""
        path = result_file(self.out, row["token"])
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError):
            return False
        if result.get("status") != "done" or not published(self.out, {**result,
                                                                       "key": row["key"]}):
            return False
        self._record_done(row["key"], run_id, result)
        with contextlib.suppress(OSError):
            path.unlink()
        return True

    def adopt(self, key: str, run_id: str) -> dict | None:
        """Record done a track of this run whose task finished unrecorded; its result."""
        with self._write():
            row = self.get(key)
            if row is None or row["status"] != "running" or row["owner"] != run_id:
                return None
            path = result_file(self.out, row["token"])
            try:
                result = json.loads(path.read_text())
            except (OSError, ValueError):
                return None
            if not self._adopt(row, run_id):
                return None
            return result

    def finish(self, key: str, run_id: str, result: dict) -> list[str]:
        """Record a track done (after its files are in place).

        Returns
        -------
        list of str
            Files the track's previous version listed that the new one does
            not (other source names): the caller removes them.
        """
        with self._write():
            row = self.get(key)
            previous = (row or {}).get("outputs") or []
            self._record_done(key, run_id, result)
        return [name for name in previous if name not in result["outputs"]]

    def _record_done(self, key: str, run_id: str, result: dict) -> None:
        self._db.execute(
            "UPDATE tracks SET status = 'done', owner = NULL, run = ?, error = NULL, "
            "outputs = ?, input_sha256 = ?, audio_seconds = ?, started = ?, finished = ?, "
            "seconds = ?, host = ?, worker = ?, attempts = attempts + ?, updated = ? "
            "WHERE key = ?",
            (run_id, json.dumps(result["outputs"]), result["input_sha256"],
             result["audio_seconds"], result["started"], time.time(), result["seconds"],
             result["host"], result["worker"], result.get("killed_before", 0), time.time(),
             key))

    def fail(self, key: str, run_id: str, error: str, *, extra_attempts: int = 0,
             result: dict | None = None) -> None:
        """Record a track failed, with its message."""
        result = result or {}
        with self._write():
            self._db.execute(
                "UPDATE tracks SET status = 'failed', owner = NULL, run = ?, error = ?, "
                "attempts = attempts + ?, finished = ?, seconds = ?, host = ?, worker = ?, "
                "updated = ? WHERE key = ?",
                (run_id, error, extra_attempts + result.get("killed_before", 0), time.time(),
                 result.get("seconds"), result.get("host"), result.get("worker"), time.time(),
                 key))

    def record_failure(self, *, key: str, input: str, run_id: str, error: str) -> None:
        """Record a track that failed before it could be claimed (its folder is taken)."""
        with self._write():
            self._db.execute(
                "INSERT INTO tracks (key, input, status, run, error, updated) "
                "VALUES (?, ?, 'failed', ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "status = 'failed', run = excluded.run, error = excluded.error, "
                "updated = excluded.updated",
                (key, input, run_id, error, time.time()))

    def release(self, keys: Iterable[str], run_id: str) -> None:
        """Give back this run's claims (interrupted): they become pending again."""
        with self._write():
            self._db.executemany(
                "UPDATE tracks SET status = 'pending', owner = NULL, error = 'interrupted', "
                "updated = ? WHERE key = ? AND owner = ? AND status = 'running'",
                [(time.time(), key, run_id) for key in keys])

    def spent_results(self, alive: Callable[[str | None], bool]) -> list[Path]:
        """Result files of tracks already recorded by runs that have ended.

        A run keeps its tasks' result files until it ends (:func:`nmfsep.batch.
        worker.result_file` says why); one that was killed leaves them.  A file
        whose track is recorded done or failed by a run that is not ``alive``
        is spent; the files of tracks still running, or recorded by a live run
        (which may still replay them), are not.
        """
        folder = results_folder(self.out)
        if not folder.is_dir():
            return []
        spent = []
        for path in sorted(folder.glob("*.json")):
            row = self._db.execute("SELECT status, run FROM tracks WHERE token = ?",
                                   (path.stem,)).fetchone()
            if row is not None and row["status"] in ("done", "failed") and not alive(row["run"]):
                spent.append(path)
        return spent

    def start_run(self, run_id: str) -> None:
        with self._write():
            self._db.execute("INSERT INTO runs (id, pid, host, started) VALUES (?, ?, ?, ?)",
                             (run_id, os.getpid(), socket.gethostname(), time.time()))

    def end_run(self, run_id: str, summary: dict) -> None:
        with self._write():
            self._db.execute("UPDATE runs SET finished = ?, summary = ? WHERE id = ?",
                             (time.time(), json.dumps(summary), run_id))


def _decode(row: sqlite3.Row | None) -> dict | None:
    if row is None:
        return None
    data = dict(row)
    data["outputs"] = json.loads(data["outputs"]) if data["outputs"] else []
    return data
