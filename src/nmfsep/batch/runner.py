"""The driver of a batch: decide, claim, submit, record; clean up when stopped.

The driver alone reads and writes the manifest.  It keeps at most
``executor.capacity()`` tasks in flight and claims a track only when it
submits it, so that two runs into the same folder share the work instead of
doing it twice, and a run that waits for a track another run holds takes it
over if that run dies.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from ..errors import OutputError
from .inputs import Input
from .manifest import Manifest, RunLock
from .options import options_dict, options_hash
from .progress import BatchProgress
from .task import task_memory
from .worker import Job, file_sha256, result_path, sweep_staging

__all__ = ["Track", "prepare", "execute", "EXIT_FAILED"]

EXIT_FAILED = 1

#: Seconds between looks at tracks another run is separating.
POLL = 0.5


@dataclass(frozen=True)
class Track:
    """An input with what its header and its file system entry say.

    Attributes
    ----------
    input : Input
    stat : (int, int)
        Size in bytes and modification time in ns (the manifest's quick check).
    audio_seconds : float
        Duration from the header (0 if it cannot be read: the task says why).
    memory : int or None
        The task's memory estimate in bytes (None if the header cannot be read).
    """

    input: Input
    stat: tuple[int, int]
    audio_seconds: float
    memory: int | None


def prepare(inputs: list[Input], options) -> list[Track]:
    """Read every input's size, time and header (not its samples)."""
    tracks = []
    for item in inputs:
        try:
            st = item.path.stat()
        except OSError:  # missing: its task says so
            st = os.stat_result((0,) * 10)
        try:
            info = sf.info(str(item.path))
            frames, channels, sr = int(info.frames), int(info.channels), int(info.samplerate)
        except Exception:  # noqa: BLE001 - the task reports the file's problem
            frames = channels = sr = 0
        ok = frames > 0 and channels > 0 and sr > 0
        tracks.append(Track(item, (st.st_size, st.st_mtime_ns), frames / sr if ok else 0.0,
                            task_memory(frames, channels, sr, options) if ok else None))
    return tracks


class _Batch:
    """One run of the driver loop (state shared by its steps)."""

    def __init__(self, tracks, out, options, executor, reporter, force, verbose):
        self.out = Path(out).resolve()
        self.options = options
        self.executor = executor
        self.reporter = reporter
        self.force = force
        self.verbose = verbose
        self.params_sha256 = options_hash(options)
        self.params = json.dumps(options_dict(options), sort_keys=True)
        self.manifest = Manifest(self.out)
        self.lock = RunLock(self.out)
        self.manifest.start_run(self.lock.id)
        for path in self.manifest.spent_results(self.lock.alive):  # left by a killed run
            with contextlib.suppress(OSError):
                path.unlink()
        self.pending: deque[Track] = deque(tracks)
        self.in_flight: dict[str, Track] = {}
        self.waiting: dict[str, Track] = {}
        self.tried: set[str] = set()
        #: Result files of the tasks recorded in the manifest, removed when the run ends
        #: (worker.result_file says why not sooner).
        self.recorded_results: list[Path] = []
        self.progress = BatchProgress(reporter, len(tracks),
                                      sum(t.audio_seconds for t in tracks))

    # ------------------------------------------------------------ steps

    def start(self, track: Track) -> None:
        key, path = track.input.key, str(track.input.path.resolve())
        row = self.manifest.get(key)
        folder = self.out / key
        if (row is None and not self.force and folder.is_dir()
                and any(p.is_file() for p in folder.iterdir())):  # (folders: other tracks)
            self._fail(track, f"{folder}: exists already and was not written by a batch "
                              "into this folder (use --force to overwrite)", record=True)
            return
        self._refuse_a_rival(row)
        job = Job(path, key, str(self.out), self.options, track.memory)
        claim = dict(key=key, input=path, stat=track.stat, params_sha256=self.params_sha256,
                     params=self.params, run_id=self.lock.id, token=job.token,
                     alive=self.lock.alive, force=self.force)
        decision = self.manifest.claim(**claim)
        if decision == "hash":
            decision = self.manifest.claim(**claim, input_sha256=file_sha256(path))
        if decision in ("skip", "adopted"):
            self.progress.skipped(key, track.audio_seconds)
            return
        if decision == "busy":
            self._refuse_a_rival(self.manifest.get(key))
            self.waiting[key] = track
            return
        self.tried.add(key)
        budget = self.executor.memory_budget()
        if track.memory is not None and budget is not None and track.memory > budget:
            from nmfsep.resources import format_bytes

            self._fail(track, f"{path}: needs about {format_bytes(track.memory)} of memory, "
                              f"more than the {format_bytes(budget)} a worker of "
                              f"{self.executor.name} allows one task; use fewer workers "
                              "(--workers), workers with more memory, fewer sources or "
                              "components, or a larger --hop")
            return
        with sigint_deferred():  # a submitted task is always in flight
            self.executor.submit(job)
            self.in_flight[key] = track
        self.progress.submitted()

    def finished(self, job: Job, result: dict | None, exc: BaseException | None) -> None:
        with sigint_deferred():  # out of flight only once the manifest says so
            self._finished(job, result, exc)

    def _finished(self, job: Job, result: dict | None, exc: BaseException | None) -> None:
        track = self.in_flight.pop(job.key)
        if exc is not None:
            extra = getattr(self.executor, "allowed_failures", 0) if (
                type(exc).__name__ == "KilledWorker") else 0
            sweep_staging(self.out, job.key)  # the worker that wrote it is dead
            self.manifest.fail(job.key, self.lock.id, self.executor.describe_failure(job, exc),
                               extra_attempts=extra)
            self.progress.failed(job.key, self.executor.describe_failure(job, exc),
                                 track.audio_seconds)
            return
        if result["status"] == "done":
            for name in self.manifest.finish(job.key, self.lock.id, result):
                with contextlib.suppress(OSError):
                    (self.out / job.key / name).unlink()
            self.recorded_results.append(result_path(job))
            self.progress.done(job.key, result["audio_seconds"], result["seconds"])
            return
        self.manifest.fail(job.key, self.lock.id, result["error"], result=result)
        self.recorded_results.append(result_path(job))
        self.progress.failed(job.key, result["error"], track.audio_seconds)
        if self.verbose and result.get("traceback"):
            self.reporter.debug(result["traceback"])

    def _refuse_a_rival(self, row: dict | None) -> None:
        """Stop when another live run separates into this folder with other parameters.

        Each would redo the other's tracks or count them done: the folder would
        end as a mix of both, and both would say every track was done.
        """
        if row is None or row["params_sha256"] == self.params_sha256:
            return
        other = {"running": row["owner"], "done": row["run"]}.get(row["status"])
        if other is not None and other != self.lock.id and self.lock.alive(other):
            raise OutputError(
                f"{self.out}: another run is separating into this folder with other "
                f"parameters (it did or holds {row['key']}); the two would leave a mix of "
                f"both: let it finish, or separate into another folder")

    def look_at_waiting(self) -> None:
        """Tracks another run holds: done there, still held, or ours to take."""
        for key, track in list(self.waiting.items()):
            row = self.manifest.get(key)
            if row is not None and row["status"] == "running" and self.lock.alive(row["owner"]):
                continue
            del self.waiting[key]
            self._refuse_a_rival(row)
            if (row is not None and row["status"] == "done"
                    and row["params_sha256"] == self.params_sha256
                    and self.manifest.outputs_exist(row)):
                self.progress.done_elsewhere(key, track.audio_seconds)
            elif key in self.tried:
                self.progress.failed(key, row["error"] if row else f"{key}: lost",
                                     track.audio_seconds)
            else:
                self.pending.append(track)

    def _fail(self, track: Track, message: str, record: bool = False) -> None:
        if record:
            self.manifest.record_failure(key=track.input.key, input=str(track.input.path),
                                         run_id=self.lock.id, error=message)
        else:
            self.manifest.fail(track.input.key, self.lock.id, message)
        self.progress.failed(track.input.key, message, track.audio_seconds)

    # ------------------------------------------------------------ the loop

    def loop(self, interrupted: Callable[[], bool] = lambda: False) -> None:
        """Run every track; ``interrupted`` is asked after each wait (a Ctrl-C whose
        KeyboardInterrupt a library's finalizer swallowed still stops the run)."""
        while self.pending or self.in_flight or self.waiting:
            if interrupted():
                raise KeyboardInterrupt
            while self.pending and len(self.in_flight) < self.executor.capacity():
                self.start(self.pending.popleft())
            if self.in_flight:
                for job, result, exc in self.executor.wait(POLL):
                    self.finished(job, result, exc)
            elif self.waiting:
                self.progress.draw(f"waiting for {len(self.waiting)} held by another run")
                time.sleep(POLL)
                self.look_at_waiting()
            self.progress.draw()

    def stop(self) -> None:
        """After an interruption: stop the tasks, give back the claims, remove staging."""
        with _no_sigint():
            self.executor.abort()
            with contextlib.suppress(Exception):
                self.executor.close()
            if self.executor.stops_running_tasks:  # nothing runs any more: finished or not
                for key in list(self.in_flight):
                    result = self.manifest.adopt(key, self.lock.id)
                    if result is not None:
                        del self.in_flight[key]
                        self.progress.done(key, result["audio_seconds"], result["seconds"])
                    sweep_staging(self.out, key)
            self.manifest.release(list(self.in_flight), self.lock.id)

    def close(self, summary: dict) -> None:
        for path in self.recorded_results:
            with contextlib.suppress(OSError):
                path.unlink()
        with contextlib.suppress(Exception):
            self.manifest.end_run(self.lock.id, summary)
        self.lock.close()
        self.manifest.close()


def execute(tracks: list[Track], out: str | os.PathLike, options, executor, reporter, *,
            force: bool = False, verbose: bool = False) -> int:
    """Separate the tracks with ``executor``; returns the exit code.

    Parameters
    ----------
    tracks : list of Track
        From :func:`prepare`.
    out : path
        The output folder (its manifest is ``out/.nmfsep-batch/manifest.sqlite``).
    options : SeparateOptions
    executor : InProcessExecutor or DaskExecutor
        Closed on return.
    reporter : nmfsep.progress.Reporter
    force : bool
        Redo done tracks and overwrite folders not written by a batch.
    verbose : bool
        Tracebacks of unexpected errors.

    Returns
    -------
    int
        0 when every file is done (now, before, or by another run), 1 when
        some failed (listed on stderr).

    Raises
    ------
    KeyboardInterrupt
        Again, once cleaned up after Ctrl-C: the finished tracks are complete,
        the others pending, no partial file left.
    OutputError
        Once cleaned up the same way, when another live run separates into
        ``out`` with other parameters (each would count the other's tracks as
        done and leave a mix of both).
    """
    batch = _Batch(tracks, out, options, executor, reporter, force, verbose)
    tally = batch.progress.tally
    interrupted = False
    received: list[int] = []

    def on_sigint(signum, frame) -> None:  # Python's own, remembered
        received.append(signum)
        raise KeyboardInterrupt

    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # stays ignored
    try:
        try:
            with _sigint_handler(signal.SIG_IGN if ignored else on_sigint):
                batch.loop(interrupted=lambda: bool(received))
        except KeyboardInterrupt:
            interrupted = True
            batch.stop()
        except BaseException:
            batch.stop()
            raise
        else:
            executor.close()
        reporter.finish_progress()
        reporter.info(batch.progress.summary(interrupted))
        if tally.failed:
            reporter.error(f"{len(tally.failed)} of {tally.total} files failed (a rerun retries "
                           "them):")
            for _key, message in tally.failed:
                print(f"  {message}", file=reporter.stream, flush=True)
    finally:
        batch.close({"done": tally.done, "skipped": tally.skipped, "elsewhere": tally.elsewhere,
                     "failed": len(tally.failed), "interrupted": interrupted})
    if interrupted:  # cleaned up: the command line says so, with its exit code
        raise KeyboardInterrupt
    return EXIT_FAILED if tally.failed else 0


@contextlib.contextmanager
def _sigint_handler(handler):
    """``handler`` for SIGINT inside the block (main thread only); yields the previous one.

    Elsewhere than in the main thread nothing is installed and None is yielded.
    """
    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        yield None
        return
    try:
        yield previous
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _no_sigint():
    """Ignore Ctrl-C while cleaning up (in the main thread only)."""
    with _sigint_handler(signal.SIG_IGN):
        yield


@contextlib.contextmanager
def sigint_deferred():
    """Hold a Ctrl-C until the block's bookkeeping is done, then raise it.

    In the main thread, a SIGINT that arrives inside the block is noted and
    handed to the handler that was there before when the block ends (Python's
    raises :class:`KeyboardInterrupt`), so that the driver's record of a
    track is never cut in half; one that the process ignored before stays
    ignored.  Elsewhere the block runs as is.

    Raises
    ------
    KeyboardInterrupt
        After the block, if a SIGINT arrived during it.
    """
    received: list[int] = []
    with _sigint_handler(lambda signum, frame: received.append(signum)) as previous:
        yield
    if received and callable(previous):
        previous(signal.SIGINT, None)  # Python's own handler raises KeyboardInterrupt
    elif received and previous == signal.SIG_DFL:
        raise KeyboardInterrupt
