"""One progress bar over the files of a batch, with the time left, then the summary."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["BatchProgress", "Tally", "format_duration"]


def format_duration(seconds: float) -> str:
    """``75`` -> ``'1m15s'``; ``3725`` -> ``'1h02m'``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


@dataclass
class Tally:
    """What happened to the files of a batch."""

    total: int
    done: int = 0
    skipped: int = 0
    elsewhere: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    audio_seconds: float = 0.0

    @property
    def finished(self) -> int:
        return self.done + self.skipped + self.elsewhere + len(self.failed)


class BatchProgress:
    """Draws the bar on the reporter and keeps the tally.

    The time left is the audio still to separate at the rate this run has
    separated audio so far (audio seconds per wall second), so that long and
    short files weigh what they cost.

    Parameters
    ----------
    reporter : nmfsep.progress.Reporter
        Its ``progress`` line on a terminal; elsewhere one line per file.
    total : int
        Files in the batch.
    audio_seconds : float
        Their total duration (from the headers; unreadable files count 0).
    """

    def __init__(self, reporter, total: int, audio_seconds: float) -> None:
        self.reporter = reporter
        self.tally = Tally(total)
        self.remaining_audio = audio_seconds
        self.started = time.monotonic()
        self._work_started: float | None = None

    def submitted(self) -> None:
        """A task was sent: the separation clock starts with the first one."""
        if self._work_started is None:
            self._work_started = time.monotonic()

    def skipped(self, name: str, audio_seconds: float) -> None:
        self.tally.skipped += 1
        self.remaining_audio -= audio_seconds
        self._line(f"{name}: done already, skipped")

    def done(self, name: str, audio_seconds: float, seconds: float) -> None:
        self.tally.done += 1
        self.tally.audio_seconds += audio_seconds
        self.remaining_audio -= audio_seconds
        self._line(f"{name}: separated {format_duration(audio_seconds)} of audio in "
                   f"{seconds:.1f} s")

    def done_elsewhere(self, name: str, audio_seconds: float) -> None:
        self.tally.elsewhere += 1
        self.remaining_audio -= audio_seconds
        self._line(f"{name}: separated by another run")

    def failed(self, name: str, message: str, audio_seconds: float) -> None:
        self.tally.failed.append((name, message))
        self.remaining_audio -= audio_seconds
        self.reporter.error(message)
        self.draw()

    def eta(self) -> float | None:
        """Seconds left, or None before the first file is separated."""
        if self._work_started is None or self.tally.audio_seconds <= 0:
            return None
        rate = self.tally.audio_seconds / max(time.monotonic() - self._work_started, 1e-9)
        return max(self.remaining_audio, 0.0) / rate

    def draw(self, note: str = "") -> None:
        eta = self.eta()
        detail = f"ETA {format_duration(eta)}" if eta is not None else "ETA --"
        if self.tally.failed:
            detail += f", {len(self.tally.failed)} failed"
        if note:
            detail += f", {note}"
        self.reporter.progress("files", self.tally.finished, self.tally.total, detail)

    def _line(self, message: str) -> None:
        if not self.reporter.interactive:
            eta = self.eta()
            left = f", ETA {format_duration(eta)}" if eta is not None else ""
            self.reporter.info(f"[{self.tally.finished}/{self.tally.total}] {message}{left}")
        self.draw()

    def summary(self, interrupted: bool = False) -> str:
        """The closing lines: counts, the wall time, audio hours per wall hour, failures."""
        t = self.tally
        wall = time.monotonic() - self.started
        parts = [f"{t.done} done", f"{t.skipped} skipped"]
        if t.elsewhere:
            parts.append(f"{t.elsewhere} done by another run")
        parts.append(f"{len(t.failed)} failed")
        if interrupted:
            parts.append(f"{t.total - t.finished} left for a rerun")
        line = (f"{'interrupted: ' if interrupted else ''}{', '.join(parts)} of {t.total} "
                f"files in {format_duration(wall)}")
        if t.done:
            line += (f"; {t.audio_seconds / 3600:.3g} h of audio separated, "
                     f"{t.audio_seconds / max(wall, 1e-9):.3g} audio hours per wall hour")
        return line
