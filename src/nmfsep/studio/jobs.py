"""One worker thread per session: the heavy work runs there, one job after another.

The event loop that answers the page never factorizes; it hands the work to a
:class:`Worker` and the page polls for progress.  The thread is a daemon, and
a job that checks :meth:`Worker.check` (the factorization does, from its
progress callback) stops soon after :meth:`Worker.close`.
"""

from __future__ import annotations

import queue
import sys
import threading
import traceback
from collections.abc import Callable

__all__ = ["Worker", "Cancelled"]


class Cancelled(Exception):
    """The worker is closing; the job stops here."""


class Worker:
    """A daemon thread that runs submitted callables in order.

    Parameters
    ----------
    on_error : callable(BaseException), optional
        Called (in the worker thread) with anything a job raises, except
        :class:`Cancelled`; without it the traceback goes to stderr.
    """

    def __init__(self, on_error: Callable[[BaseException], None] | None = None,
                 name: str = "nmfsep-studio-worker") -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._closing = threading.Event()
        self._on_error = on_error
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job()`` after the jobs already submitted."""
        if self._closing.is_set():
            raise Cancelled("the studio is closing")
        self._jobs.put(job)

    def check(self) -> None:
        """Raise :class:`Cancelled` if the worker is closing (call it from long jobs)."""
        if self._closing.is_set():
            raise Cancelled("the studio is closing")

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closing.is_set()

    def close(self, timeout: float = 5.0) -> bool:
        """Stop taking jobs, ask the running one to stop, wait up to ``timeout`` seconds.

        Returns
        -------
        bool
            True if the thread has ended.
        """
        self._closing.set()
        self._jobs.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None or self._closing.is_set():
                return
            try:
                job()
            except Cancelled:
                return
            except BaseException as exc:  # noqa: BLE001 - reported, the worker goes on
                if self._on_error is not None:
                    self._on_error(exc)
                else:
                    traceback.print_exception(exc, file=sys.stderr)
