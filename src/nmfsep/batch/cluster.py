"""Where the tasks run: in this process, on a local Dask cluster, or on any Dask scheduler.

Dask is imported only in here, and only when a cluster is used.  Both
executors offer the same small interface to :mod:`nmfsep.batch.runner`:
``capacity()`` (tasks to keep in flight), ``memory_budget()`` (the most
memory one task may use on the roomiest worker), ``submit(job)``,
``wait(timeout)`` (finished tasks as ``(handle, result, exception)``),
``abort()`` and ``close()``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import time
from collections.abc import Callable

from ..errors import ParameterError
from .worker import ONE_THREAD_ENV, Job, result_path, run_track

__all__ = ["InProcessExecutor", "DaskExecutor", "local_workers", "ALLOWED_FAILURES",
           "WORKER_BASE_MEMORY"]

#: A task whose worker dies is given to another worker; after this many deaths
#: (Dask's ``distributed.scheduler.allowed-failures``, set for the local cluster)
#: the next one fails it with KilledWorker: a file is tried on at most 3 workers.
ALLOWED_FAILURES = 2

#: Tasks the scheduler queues on a worker per thread (for groups it queues at all):
#: exactly one, so that a worker's death is counted against the task it was running
#: only (Dask's default, 1.1, sends a second one ahead).
WORKER_SATURATION = 1.0

#: Memory of an idle worker process (interpreter, numpy, scipy, Dask, nmfsep).
WORKER_BASE_MEMORY = 256 * 2**20

#: Share of the available memory the local cluster's workers may use together.
MEMORY_SHARE = 0.85


def local_workers(requested: int | None, n_files: int, largest_task: int,
                  cores: int | None = None, available: int | None = None) -> tuple[int, int | None]:
    """How many local workers, and each one's memory limit in bytes.

    Parameters
    ----------
    requested : int or None
        ``--workers``; None chooses.
    n_files : int
        Files to separate (no more workers than that).
    largest_task : int
        The largest task's memory estimate, in bytes.
    cores, available : int, optional
        The usable cores and the available memory (bytes); this machine's by default.

    Returns
    -------
    n_workers : int
        ``requested``, or as many as there are cores and files, as long as
        every worker has room for the largest task.
    memory_limit : int or None
        The available memory (its :data:`MEMORY_SHARE`) split evenly; None if unknown.
    """
    from nmfsep.resources import available_memory

    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    if available is None:
        available = available_memory()
    room = int(available * MEMORY_SHARE) if available else None
    if requested is not None:
        n = requested
    else:
        n = max(1, min(cores, n_files))
        if room:
            n = max(1, min(n, room // (largest_task + WORKER_BASE_MEMORY)))
    return n, (room // n if room else None)


class InProcessExecutor:
    """Runs each task here, one at a time, when it is waited for: no Dask at all."""

    name = "this process"
    #: Where the tasks run, for the batch's first line.
    place = "in this process"
    #: After an interruption nothing of this executor keeps running.
    stops_running_tasks = True

    def __init__(self, task: Callable | None = None) -> None:
        self.task = task
        self._queue: list[Job] = []

    def capacity(self) -> int:
        return 1

    def memory_budget(self) -> int | None:
        from nmfsep.resources import available_memory

        return available_memory()

    def submit(self, job: Job) -> Job:
        self._queue.append(job)
        return job

    def wait(self, timeout: float) -> list[tuple[Job, dict | None, BaseException | None]]:
        if not self._queue:
            return []
        job = self._queue.pop(0)
        return [(job, run_track(job, self.task), None)]

    def abort(self) -> None:
        self._queue.clear()

    def close(self) -> None:
        pass


class DaskExecutor:
    """Tasks on a Dask cluster: a local one started here, or an existing one by address.

    Parameters
    ----------
    client : distributed.Client
    cluster : distributed.LocalCluster, optional
        Closed with the executor (and its workers killed on an interruption).
    task : callable, optional
        Passed to :func:`run_track` (tests).
    allowed_failures : int
        Worker deaths a task survives (the scheduler's setting).
    """

    def __init__(self, client, cluster=None, task: Callable | None = None,
                 allowed_failures: int = ALLOWED_FAILURES) -> None:
        self.client = client
        self.cluster = cluster
        self.task = task
        self.allowed_failures = allowed_failures
        self.name = (f"a local Dask cluster of {len(cluster.workers)} workers" if cluster
                     else f"the Dask scheduler at {client.scheduler.address}")
        self.place = f"on {self.name}"
        self.stops_running_tasks = cluster is not None
        self._finished: queue.Queue = queue.Queue()
        self._futures: dict = {}
        self._info: tuple[float, dict] = (0.0, {})

    @classmethod
    def local(cls, n_workers: int, memory_limit: int | None, *, task: Callable | None = None,
              verbose: bool = False) -> DaskExecutor:
        """Start a local cluster: processes, one thread each, BLAS single-threaded."""
        import dask
        from distributed import Client, LocalCluster

        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                              "distributed.scheduler.worker-saturation": WORKER_SATURATION}):
            cluster = LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True,
                memory_limit=memory_limit or 0, host="127.0.0.1", dashboard_address=None,
                silence_logs=logging.WARNING if verbose else logging.CRITICAL,
                env=dict(ONE_THREAD_ENV),
            )
        client = Client(cluster, set_as_default=False)
        return cls(client, cluster, task, ALLOWED_FAILURES)

    @classmethod
    def connect(cls, address: str, *, task: Callable | None = None,
                verbose: bool = False, wait: float = 60.0) -> DaskExecutor:
        """Use the scheduler at ``address`` (``tcp://host:port``) and its workers."""
        from distributed import Client

        if not verbose:
            logging.getLogger("distributed").setLevel(logging.CRITICAL)
        try:
            client = Client(address, timeout="20s", set_as_default=False)
        except OSError as exc:
            raise ParameterError(f"--scheduler {address}: cannot reach the Dask scheduler "
                                 f"({exc})") from None
        try:
            client.wait_for_workers(1, timeout=wait)
        except TimeoutError:
            client.close()
            raise ParameterError(f"--scheduler {address}: no worker joined the scheduler within "
                                 f"{wait:.0f} s; start some with 'dask worker {address}'") from None
        allowed = client.run_on_scheduler(_allowed_failures)
        return cls(client, None, task, allowed)

    def check_workers(self, paths: list[str], out: str) -> list[str]:
        """Ask every worker whether it can run the batch; returns warnings.

        Raises
        ------
        ParameterError
            If a worker cannot import nmfsep or cannot see the paths.
        """
        import nmfsep

        try:
            replies = self.client.run(_probe, paths, out)
        except Exception as exc:  # noqa: BLE001 - whatever the worker raised
            raise ParameterError(
                f"the Dask workers cannot run nmfsep ({type(exc).__name__}: {exc}); install "
                "nmfsep (with the same version) on every worker") from None
        warnings = []
        for address, reply in sorted(replies.items()):
            if reply["missing"]:
                raise ParameterError(
                    f"worker {address} cannot {reply['missing'][0]}; the workers need the "
                    "inputs and the output folder at the same paths (a shared file system)")
            if reply["version"] != nmfsep.__version__:
                warnings.append(f"worker {address} has nmfsep {reply['version']}, this "
                                f"process {nmfsep.__version__}")
        return warnings

    def _workers(self) -> dict:
        stamp, info = self._info
        if time.monotonic() - stamp > 2.0:
            info = self.client.scheduler_info()["workers"]
            self._info = (time.monotonic(), info)
        return info

    def capacity(self) -> int:
        """One task per worker thread: a task is submitted when a thread is free.

        Each task is its own Dask task group, which the scheduler assigns to
        a worker at once, busy or not; keeping no more in flight than there
        are threads keeps each worker to the one task it runs, so that a
        worker's death is blamed on that task alone (and retried elsewhere),
        not on others waiting behind it.
        """
        return max(1, sum(w.get("nthreads", 1) for w in self._workers().values()))

    def memory_budget(self) -> int | None:
        budgets = []
        for worker in self._workers().values():
            limit = worker.get("memory_limit")
            if not limit:
                return None
            budgets.append(limit / max(1, worker.get("nthreads", 1)))
        return int(max(budgets)) if budgets else None

    def submit(self, job: Job):
        future = self.client.submit(run_track, job, self.task, pure=False,
                                    key=f"nmfsep-track-{job.token}")
        self._futures[future.key] = (future, job)
        future.add_done_callback(self._finished.put)
        return job

    def wait(self, timeout: float) -> list[tuple[Job, dict | None, BaseException | None]]:
        """Tasks finished since the last call (waits up to ``timeout`` for the first).

        A finished task's result is read from the file it left
        (:func:`nmfsep.batch.worker.result_path`) rather than fetched through
        Dask, which would cost the scheduler a round of messages per file.
        """
        try:
            futures = [self._finished.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                futures.append(self._finished.get_nowait())
            except queue.Empty:
                break
        done = []
        for future in futures:
            _, job = self._futures.pop(future.key, (None, None))
            if job is None:
                continue
            if future.cancelled():
                done.append((job, None, RuntimeError("cancelled by the scheduler")))
                continue
            if future.status == "finished":  # the result is on the shared file system
                with contextlib.suppress(OSError, ValueError):
                    done.append((job, json.loads(result_path(job).read_text()), None))
                    continue
            try:  # not visible here yet: fetch it (waits if Dask must run the task again)
                done.append((job, future.result(), None))
            except Exception as exc:  # noqa: BLE001 - KilledWorker, or the task's own error
                done.append((job, None, exc))
        return done

    def describe_failure(self, job: Job, exc: BaseException) -> str:
        """The message of a task that raised inside Dask (not inside :func:`run_track`)."""
        if type(exc).__name__ == "KilledWorker":
            return (f"{job.input}: KilledWorker: the worker died while separating it, "
                    f"{self.allowed_failures + 1} times on different workers (out of memory, "
                    "or a crash); given up")
        return f"{job.input}: {type(exc).__name__}: {exc}"

    def abort(self) -> None:
        futures = [future for future, _ in self._futures.values()]
        self._futures.clear()
        if futures:
            try:
                self.client.cancel(futures)
            except Exception:  # noqa: BLE001, S110 - the cluster may be gone already
                pass

    def close(self) -> None:
        try:
            self.client.close(timeout=10)
        finally:
            if self.cluster is not None:
                self.cluster.close(timeout=10)


def _allowed_failures(dask_scheduler=None) -> int:
    return int(dask_scheduler.allowed_failures)


def _probe(paths: list[str], out: str) -> dict:
    """Run on every worker: nmfsep's version, and what of the batch it cannot reach."""
    import nmfsep

    missing = [f"read {p}" for p in paths if not os.access(p, os.R_OK)]
    try:
        os.makedirs(out, exist_ok=True)
        writable = os.access(out, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        missing.append(f"write into {out}")
    return {"version": nmfsep.__version__, "missing": missing}
