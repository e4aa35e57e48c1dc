"""Progress and messages on stderr, so that stdout carries only results."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Reporter"]


class Reporter:
    """Messages and a progress line for the command line.

    Parameters
    ----------
    verbosity : int
        0 quiet (errors only), 1 normal, 2 verbose.
    stream : file, optional
        stderr by default.
    """

    def __init__(self, verbosity: int = 1, stream: TextIO | None = None) -> None:
        self.verbosity = verbosity
        self.stream = stream or sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._line_open = False
        self._last_draw = 0.0

    def _end_line(self) -> None:
        if self._line_open:
            self.stream.write("\n")
            self._line_open = False

    def info(self, message: str) -> None:
        """A normal message (hidden by ``-q``)."""
        if self.verbosity >= 1:
            self._end_line()
            print(message, file=self.stream, flush=True)

    def debug(self, message: str) -> None:
        """A verbose message (shown with ``-v``)."""
        if self.verbosity >= 2:
            self._end_line()
            print(message, file=self.stream, flush=True)

    def error(self, message: str) -> None:
        """An error message (always shown)."""
        self._end_line()
        print(f"nmfsep: error: {message}", file=self.stream, flush=True)

    def progress(self, label: str, done: int, total: int, detail: str = "") -> None:
        """Redraw one progress line (on a terminal; at most every 0.1 s)."""
        if self.verbosity < 1 or not self.interactive:
            return
        now = time.monotonic()
        if done < total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        width = 24
        filled = int(width * done / max(total, 1))
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{label} [{bar}] {done}/{total} {detail}\x1b[K")
        self.stream.flush()
        self._line_open = True

    def finish_progress(self) -> None:
        """Close the progress line."""
        self._end_line()
