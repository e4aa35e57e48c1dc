"""What one studio holds: the recording, its factorization, the assignment, the sources.

A :class:`Session` is shared by every request of one server.  Heavy work
(decoding aside, which the request does in a thread) runs on the session's
:class:`~nmfsep.studio.jobs.Worker`, one job at a time: a factorization, a new
automatic grouping, or rebuilding the sources of a new assignment.  A request
that would change the factorization while one is running gets :class:`Busy`.

Assignments are versioned: each one the page sends gets the next version, and
the worker rebuilds the sources of the newest version only (moves made while it
works are rebuilt together).  The sources always belong to a known version, so
the page and an export never mix two assignments.
"""

from __future__ import annotations

import itertools
import shutil
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import NmfsepError, ParameterError
from . import engine
from .assignment import (
    MAX_SOURCES,
    Assignment,
    fresh_name,
    groups_text,
    parse_saved,
    saved_text,
)
from .engine import Model, Recording
from .jobs import Worker

__all__ = ["Session", "Busy", "Job", "Rendered", "MAX_COMPONENTS"]

#: Most components the page offers.
MAX_COMPONENTS = 100
#: Jobs that replace the factorization or the automatic grouping.
_CHANGING = frozenset({"factorizing", "grouping"})


class Busy(NmfsepError):
    """The session is factorizing or grouping; the request must wait (HTTP 409)."""


@dataclass
class Job:
    """The job the page is waiting for: its kind and progress (iterations, when known)."""

    kind: str
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class Rendered:
    """Sources rebuilt for one version of the assignment."""

    version: int
    assignment: Assignment
    sources: np.ndarray  # (n_sources, channels, samples)


class Session:
    """The state of one studio.

    Parameters
    ----------
    folder : Path
        A private folder for uploads and exports; :meth:`close` removes it.
    max_seconds : float
        The longest recording accepted (decoded duration).
    n_sources, n_components : int, optional
        The first factorization's; None takes the library's defaults.
    """

    def __init__(self, folder: Path, *, max_seconds: float, n_sources: int | None = None,
                 n_components: int | None = None) -> None:
        self.folder = Path(folder)
        self.max_seconds = float(max_seconds)
        self.n_sources, self.n_components = _check_counts(n_sources, n_components)
        self._lock = threading.Condition()
        self.recording: Recording | None = None
        self.model: Model | None = None
        self.model_id = 0
        self.assignment: Assignment | None = None
        self.version = 0
        self.rendered: Rendered | None = None
        self.job: Job | None = None
        self.message: str | None = None
        self.notes: list[str] = []
        self._render_queued = False
        self._uploads = itertools.count(1)
        self._cache: dict[tuple[str, int], object] = {}
        self._cache_lock = threading.Lock()
        self._worker = Worker(on_error=self._failed)

    # ------------------------------------------------------------ opening and factorizing
    def upload_target(self) -> Path:
        """A fresh server-made path in the private folder (without extension)."""
        return self.folder / f"upload-{next(self._uploads)}"

    def check_idle(self) -> None:
        """Raise :class:`Busy` while a factorization or grouping runs."""
        with self._lock:
            self._check_idle()

    def _check_idle(self) -> None:
        if self.job is not None and self.job.kind in _CHANGING:
            raise Busy(f"wait: the studio is {self.job.kind} (one at a time)")

    def open(self, path: Path, name: str) -> None:
        """Decode a recording (in the calling thread) and start factorizing it.

        Raises
        ------
        AudioError
            If the file cannot be used; the current recording stays.
        Busy
            If a factorization is running.
        """
        self.check_idle()
        recording = engine.read_recording(path, name, max_seconds=self.max_seconds)
        with self._lock:
            self._check_idle()
            self.recording, self.model, self.assignment, self.rendered = recording, None, None, None
            self.notes = list(recording.warnings)
            self.message = None
            self._start_factorizing(self.n_sources, self.n_components)

    def factorize(self, n_sources: int | None, n_components: int | None) -> None:
        """Factorize the recording again with these counts (None keeps the current ones)."""
        with self._lock:
            if self.recording is None:
                raise ParameterError("open a recording first")
            self._check_idle()
            n_sources = self.n_sources if n_sources is None else n_sources
            self._start_factorizing(n_sources, n_components)

    def _start_factorizing(self, n_sources: int | None, n_components: int | None) -> None:
        n_sources, n_components = _check_counts(n_sources, n_components)
        self.n_sources, self.n_components = n_sources, n_components
        recording = self.recording
        self.job = Job("factorizing", 0, engine.default_iterations(recording, n_sources or 2))
        self.message = None
        self._worker.submit(lambda: self._factorize(recording, n_sources, n_components))

    def _factorize(self, recording: Recording, n_sources: int | None,
                   n_components: int | None) -> None:
        def progress(done: int, total: int) -> None:
            self._worker.check()
            with self._lock:
                if self.job is not None:
                    self.job.done, self.job.total = done, total

        try:
            model = engine.factorize(recording, n_sources, n_components, progress=progress)
        except NmfsepError as exc:
            self._stop_with(str(exc))
            return
        with self._lock:
            self.model = model
            self.model_id += 1
            self._adopt(model)

    def _adopt(self, model: Model) -> None:
        """Take the automatic grouping of ``model`` as the assignment (lock held)."""
        old = list(self.assignment.names) if self.assignment is not None else []
        names = old[: model.n_sources]
        names += [fresh_name(names, s) for s in range(len(names), model.n_sources)]
        self.assignment = Assignment(tuple(names), tuple(int(x) for x in model.labels))
        self.version += 1
        self.rendered = Rendered(self.version, self.assignment, model.sources)
        self.job = None
        self._lock.notify_all()

    def regroup(self, n_sources: int) -> None:
        """Group the components automatically again into ``n_sources`` (no new factorization)."""
        with self._lock:
            model = self._ready_model()
            n_sources, _ = _check_counts(n_sources, None)
            if n_sources > model.n_components:
                raise ParameterError(f"{model.n_components} components cannot make {n_sources} "
                                     "sources; factorize with more components")
            self.job = Job("grouping")
            self.message = None
        self._worker.submit(lambda: self._regroup(model, n_sources))

    def _regroup(self, model: Model, n_sources: int) -> None:
        try:
            regrouped = model.regroup(n_sources)
        except NmfsepError as exc:
            self._stop_with(str(exc))
            return
        with self._lock:
            self.model = regrouped
            self.n_sources = n_sources
            self._adopt(regrouped)

    def _ready_model(self) -> Model:
        if self.model is None:
            raise ParameterError("open a recording first")
        self._check_idle()
        return self.model

    def _stop_with(self, message: str) -> None:
        with self._lock:
            self.job = None
            self.message = message
            self._render_queued = False
            self._lock.notify_all()

    def _failed(self, exc: BaseException) -> None:
        traceback.print_exception(exc, file=sys.stderr)
        self._stop_with(f"unexpected error ({type(exc).__name__}: {exc}); the details are in "
                        "the terminal that runs the studio")

    # ------------------------------------------------------------ assignments
    def assign(self, names: list[str], labels: list[int], model_id: int) -> None:
        """Take a new assignment from the page; its sources are rebuilt on the worker.

        Raises
        ------
        Busy
            If the components changed since the page saw them (``model_id``) or
            a factorization is running.
        ParameterError
            If the assignment does not fit the components.
        """
        with self._lock:
            model = self._ready_model()
            if model_id != self.model_id:
                raise Busy("the components changed since this page loaded them; reload the page")
            self._set(Assignment.checked(names, labels, model.n_components))

    def load(self, text: str, model_id: int) -> None:
        """Take an assignment saved as ``--groups "..." --names "..."`` (or bare groups)."""
        with self._lock:
            model = self._ready_model()
            if model_id != self.model_id:
                raise Busy("the components changed since this page loaded them; reload the page")
            names = self.assignment.names if self.assignment is not None else ()
            self._set(parse_saved(text, model.n_components, names))

    def _set(self, assignment: Assignment) -> None:
        self.assignment = assignment
        self.version += 1
        self.message = None
        if not self._render_queued:
            self._render_queued = True
            self._worker.submit(self._render)

    def _render(self) -> None:
        while True:
            with self._lock:
                model, version, assignment = self.model, self.version, self.assignment
                if model is None or (self.rendered and self.rendered.version == version):
                    self._render_queued = False
                    self._lock.notify_all()
                    return
            sources = model.sources_for(assignment.labels, assignment.n_sources)
            with self._lock:
                if model is self.model:
                    self.rendered = Rendered(version, assignment, sources)
                    self._lock.notify_all()

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait until no job runs and the sources are rebuilt; False after ``timeout`` seconds."""
        with self._lock:
            return self._lock.wait_for(
                lambda: (self.job is None and not self._render_queued) or self._worker.closing,
                timeout)

    def current(self, timeout: float = 120.0) -> tuple[Model, Rendered]:
        """The model and the sources of the newest assignment, waiting while they are rebuilt.

        Raises
        ------
        Busy
            If there is nothing to give yet, or the wait is longer than ``timeout``.
        """
        def ready() -> bool:
            return (self.model is not None and self.rendered is not None
                    and self.rendered.version == self.version) or self._worker.closing or (
                self.job is not None and self.job.kind in _CHANGING) or (
                self.message is not None and not self._render_queued)

        with self._lock:
            self._lock.wait_for(ready, timeout)
            if self.model is None or self.rendered is None or (
                    self.rendered.version != self.version):
                raise Busy("the sources are not ready; wait for the studio to finish")
            return self.model, self.rendered

    # ------------------------------------------------------------ for the page
    def model_of(self, model_id: int) -> Model:
        """The model of factorization ``model_id`` if it is the current one, else :class:`Busy`."""
        with self._lock:
            if self.model is None or model_id != self.model_id:
                raise Busy("these components are gone; reload the page")
            return self.model

    def cached(self, kind: str, model_id: int, make):
        """``make(model)`` once per factorization (figures, features)."""
        model = self.model_of(model_id)
        with self._cache_lock:
            key = (kind, model_id)
            if key not in self._cache:
                self._cache = {k: v for k, v in self._cache.items() if k[1] == model_id}
                self._cache[key] = make(model)
            return self._cache[key]

    def state(self) -> dict:
        """Everything the page needs to draw itself, as JSON-ready values."""
        with self._lock:
            recording, model, assignment = self.recording, self.model, self.assignment
            state = {
                "status": ("working" if self.job is not None else
                           "empty" if recording is None else
                           "failed" if model is None else "ready"),
                "job": None if self.job is None else dict(
                    kind=self.job.kind, done=self.job.done, total=self.job.total),
                "message": self.message,
                "notes": list(self.notes),
                "recording": None if recording is None else {
                    "name": recording.name, "sr": recording.sr,
                    "channels": recording.channels, "samples": recording.n_samples,
                    "duration": recording.duration},
                "model": self.model_id if model is not None else None,
                "n_components": None if model is None else model.n_components,
                "n_sources": self.n_sources,
                "version": self.version,
                "rendered": None if self.rendered is None else self.rendered.version,
                "sources": None, "labels": None, "groups": None, "saved": None,
                "max_seconds": self.max_seconds,
                "max_sources": MAX_SOURCES, "max_components": MAX_COMPONENTS,
            }
            if model is not None and assignment is not None:
                state.update(
                    sources=[{"name": name, "components": assignment.members(s)}
                             for s, name in enumerate(assignment.names)],
                    labels=list(assignment.labels), groups=groups_text(assignment),
                    saved=saved_text(assignment).strip())
            return state

    def close(self) -> None:
        """Stop the worker and remove the private folder with everything in it."""
        self._worker.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _check_counts(n_sources: int | None,
                  n_components: int | None) -> tuple[int | None, int | None]:
    """Validated numbers of sources and components (None stays None)."""
    for value, what, high in ((n_sources, "sources", MAX_SOURCES),
                              (n_components, "components", MAX_COMPONENTS)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise ParameterError(f"the number of {what} must be a whole number from 1 to {high}, "
                                 f"got {value!r}")
    if n_sources is not None and n_components is not None and n_components < n_sources:
        raise ParameterError(f"{n_components} components cannot make {n_sources} sources")
    return n_sources, n_components
