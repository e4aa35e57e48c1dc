"""How much memory a separation needs, and how much this machine can give it.

A separation that does not fit is refused up front with a message that says
how much it needs and what to change, instead of being killed by the
operating system half-way.

>>> from nmfsep.resources import estimate_memory, format_bytes
>>> format_bytes(estimate_memory(44100 * 60, channels=2, sr=44100))  # one stereo minute
'773 MB'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ParameterError, ResourceError
from .spectral import BLOCK_FRAMES, STFTConfig, default_n_fft
from .sweeps import BLOCKED_COPY_BYTES

__all__ = ["available_memory", "estimate_memory", "estimate_memory_streamed", "check_memory",
           "format_bytes", "parse_bytes", "MEMORY_LIMIT_ENV", "MemoryPlan", "plan_memory",
           "MIN_BLOCK_FRAMES"]

#: Environment variable that caps the memory nmfsep allows itself, e.g. ``4G``.
MEMORY_LIMIT_ENV = "NMFSEP_MEMORY_LIMIT"

#: Bytes per time-frequency bin: the pipeline's peak, measured with tracemalloc
#: (tests/test_reliability.py checks the estimate stays above the measure), rounded up.
_PER_BIN = 24
_PER_BIN_PER_SOURCE = 32
_PER_BIN_PER_CHANNEL = 24
#: The same block by block (:class:`nmfsep.recording.Frames` not held): bytes per bin of
#: the whole spectrogram (V, the percussive mask), then per bin of one block of frames.
_STREAMED_PER_BIN = 10
_STREAMED_PER_BLOCK_BIN = 8
_STREAMED_PER_BLOCK_BIN_PER_SOURCE = 32
_STREAMED_PER_BLOCK_BIN_PER_CHANNEL = 12
#: With several runs, block by block: the spectrogram and percussive mask of the run
#: with shorter frames, held whole for its grouping.
_STREAMED_RUNS_PER_BIN = 9
#: Block by block, temporaries that stop growing with the recording (the loss's blocks of a
#: million elements: 8 bytes per bin up to this).
_STREAMED_FIXED = 8 * 2**20
#: The shortest block of frames a separation read block by block may use.
MIN_BLOCK_FRAMES = 32
#: More when several runs are combined (:mod:`nmfsep.ensemble`): the geometric mean
#: of the masks in float64 per source, and the spectrogram and percussive mask of the
#: run with shorter frames (its STFT for a moment, per channel).
_RUNS_PER_BIN = 16
_RUNS_PER_BIN_PER_SOURCE = 24
_RUNS_PER_BIN_PER_CHANNEL = 8
#: Interpreter, libraries and FFT plans.
_OVERHEAD = 64 * 2**20

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_bytes(text: str, what: str = MEMORY_LIMIT_ENV) -> int:
    """Parse ``"512M"``, ``"4G"``, ``"1.5G"`` or a plain number of bytes.

    ``what`` names the setting in the error message.
    """
    value = str(text).strip().upper().removesuffix("B").removesuffix("I")
    unit = value[-1:] if value[-1:] in _UNITS and value[-1:] else ""
    try:
        number = float(value[: len(value) - len(unit)])
    except ValueError:
        raise ParameterError(f"{what}={text!r} is not a size; write e.g. 4G or "
                             "512M") from None
    if not number > 0:
        raise ParameterError(f"{what}={text!r} must be positive")
    return int(number * _UNITS[unit])


def format_bytes(n: float) -> str:
    """``1536 * 2**20`` → ``'1.5 GB'`` (binary units, three significant digits)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" or abs(n) >= 100 else f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_available() -> int | None:
    # cgroup v2, then v1: a container's limit, which /proc/meminfo does not show.
    for limit_file, usage_file in [
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
         "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ]:
        limit = _read_int(limit_file)
        if limit is not None and limit < 2**60:
            return max(0, limit - (_read_int(usage_file) or 0))
    return None


def available_memory() -> int | None:
    """Bytes this process may still use, or None if the system does not say.

    The least of: ``MemAvailable`` in ``/proc/meminfo`` (or ``sysconf`` free
    pages), the room left under the container's cgroup limit, and the
    ``NMFSEP_MEMORY_LIMIT`` environment variable (e.g. ``4G``).
    """
    known = [n for n in (_meminfo_available(), _cgroup_available()) if n is not None]
    cap = os.environ.get(MEMORY_LIMIT_ENV)
    if cap:
        known.append(parse_bytes(cap))
    return min(known) if known else None


def _blocked_copy(bins: int) -> int:
    """Bytes of the factorization's contiguous copy of V, when it makes one.

    :func:`nmfsep.sweeps.column_blocks` copies a float32 ``V`` of at most
    :data:`~nmfsep.sweeps.BLOCKED_COPY_BYTES` while it is factorized.
    """
    size = 4 * bins
    return size if size <= BLOCKED_COPY_BYTES else 0


def estimate_memory(
    n_samples: int, *, channels: int = 1, sr: int = 44100, n_sources: int = 2,
    n_components: int | None = None, n_fft: int | None = None, hop: int | None = None,
    n_runs: int = 1,
) -> int:
    """Peak bytes :func:`nmfsep.separate` needs for a signal of this size (the signal excluded).

    Parameters
    ----------
    n_samples : int
        Samples per channel.
    channels, sr, n_sources, n_components, n_fft, hop, n_runs
        As given to :func:`nmfsep.separate` (the same defaults, but one run).

    Returns
    -------
    int
        An upper estimate: the STFT of every channel, the spectrogram (and
        the factorization's contiguous copy of it, when one is made), the
        factorization, one soft mask per source in float64 and the rebuilt
        sources, with several runs their factorizations and combined masks,
        plus a fixed overhead.
    """
    n_fft = default_n_fft(sr) if n_fft is None else int(n_fft)
    config = STFTConfig(n_fft=n_fft, hop=n_fft // 4 if hop is None else int(hop))
    n_components = 10 * n_sources if n_components is None else int(n_components)
    frames = config.n_frames(max(int(n_samples), 1))
    bins = config.n_bins * frames
    per_bin = _PER_BIN + _PER_BIN_PER_SOURCE * n_sources + _PER_BIN_PER_CHANNEL * channels
    factors = 4 * 4 * n_components * (config.n_bins + frames)
    if n_runs > 1:
        per_bin += (_RUNS_PER_BIN + _RUNS_PER_BIN_PER_SOURCE * n_sources
                    + _RUNS_PER_BIN_PER_CHANNEL * channels)
        factors *= 1.5 * n_runs  # one run has half again as many components
    return int(bins * per_bin + factors + _blocked_copy(bins) + _OVERHEAD)


def _streamed_parts(n_samples: int, *, channels: int, sr: int, n_sources: int,
                    n_components: int | None, n_fft: int | None, hop: int | None,
                    n_runs: int) -> tuple[int, int, int]:
    """Bytes held whole, bytes per frame of a block, and frames, block by block."""
    n_fft = default_n_fft(sr) if n_fft is None else int(n_fft)
    config = STFTConfig(n_fft=n_fft, hop=n_fft // 4 if hop is None else int(hop))
    n_components = 10 * n_sources if n_components is None else int(n_components)
    frames = config.n_frames(max(int(n_samples), 1))
    per_block_bin = (_STREAMED_PER_BLOCK_BIN + _STREAMED_PER_BLOCK_BIN_PER_SOURCE * n_sources
                     + _STREAMED_PER_BLOCK_BIN_PER_CHANNEL * channels)
    factors = 4 * 4 * n_components * (config.n_bins + frames)
    whole = _STREAMED_PER_BIN
    if n_runs > 1:
        whole += _STREAMED_RUNS_PER_BIN
        per_block_bin += _RUNS_PER_BIN_PER_SOURCE * n_sources
        factors *= 1.5 * n_runs
    bins = config.n_bins * frames
    fixed = (bins * whole + factors + _blocked_copy(bins) + min(_STREAMED_FIXED, 8 * bins)
             + _OVERHEAD)
    return int(fixed), config.n_bins * per_block_bin, frames


def estimate_memory_streamed(
    n_samples: int, *, channels: int = 1, sr: int = 44100, n_sources: int = 2,
    n_components: int | None = None, n_fft: int | None = None, hop: int | None = None,
    block_frames: int | None = None, n_runs: int = 1,
) -> int:
    """Peak bytes of a separation read block by block (:func:`nmfsep.separate_file`).

    Only the spectrogram (and its percussive mask) is held whole; the STFT,
    masks and sources exist for one block of frames at a time.  Parameters as
    in :func:`estimate_memory`; ``block_frames`` is the block's length.
    """
    fixed, per_frame, frames = _streamed_parts(
        n_samples, channels=channels, sr=sr, n_sources=n_sources, n_components=n_components,
        n_fft=n_fft, hop=hop, n_runs=n_runs)
    return fixed + per_frame * min(frames, block_frames or BLOCK_FRAMES)


def check_memory(needed: int, *, what: str, advice: str = "") -> None:
    """Raise :class:`ResourceError` if ``needed`` bytes exceed the available memory.

    Parameters
    ----------
    needed : int
        Bytes the work will need at its peak.
    what : str
        The work, for the message ("separating 3 h of stereo audio").
    advice : str
        What to change so that it fits, appended to the message.
    """
    available = available_memory()
    if available is None or needed <= available:
        return
    message = (f"{what} needs about {format_bytes(needed)} of memory, but "
               f"{format_bytes(available)} is available")
    raise ResourceError(f"{message}; {advice}" if advice else message)


def separation_advice(n_samples: int, needed: int, sr: int, available: int | None = None) -> str:
    """What to change so that a separation of ``n_samples`` that needs ``needed`` bytes fits.

    ``available`` is the memory allowed (by default :func:`available_memory`).
    """
    available = available or available_memory() or needed
    room = max(available - _OVERHEAD, 0)
    fits = int(n_samples * room / max(needed - _OVERHEAD, 1) * 0.9)
    parts = []
    if fits >= sr:
        parts.append(f"split the recording into parts of at most {_duration(fits / sr)}")
    parts.append("use fewer sources, a larger hop (--hop) or a lower sample rate")
    advice = " or ".join(parts)
    if os.environ.get(MEMORY_LIMIT_ENV):
        advice += f" (or raise {MEMORY_LIMIT_ENV}={os.environ[MEMORY_LIMIT_ENV]})"
    return advice


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds // 60:.0f} min"
    return f"{seconds:.0f} s"


@dataclass(frozen=True)
class MemoryPlan:
    """How a separation uses memory: the whole STFT held, or block by block.

    Attributes
    ----------
    hold : bool
        Hold the whole STFT (in memory) rather than read the recording block by block.
    needed : int
        The estimated peak in bytes.
    in_memory, streamed : int
        The estimates of both ways (the sources' samples included when they
        are kept in memory).
    block_frames : int
        Frames per block of the passes that go block by block: as asked, or
        fewer so that the separation fits.
    over_budget : bool
        Even the shortest blocks need more than ``max_memory`` allowed, but
        the machine has the memory: the separation goes on block by block.
    """

    hold: bool
    needed: int
    in_memory: int
    streamed: int
    block_frames: int = BLOCK_FRAMES
    over_budget: bool = False


def plan_memory(n_samples: int, *, channels: int, sr: int, n_sources: int, n_components: int,
                n_fft: int, hop: int, n_runs: int = 1, keep_sources: bool = True,
                signal_bytes: int = 0, max_memory: int | None = None,
                block_frames: int = BLOCK_FRAMES, what: str = "the signal") -> MemoryPlan:
    """Hold the whole STFT if it fits, else go block by block; refuse if neither fits.

    Parameters
    ----------
    n_samples, channels, sr, n_sources, n_components, n_fft, hop, n_runs
        The separation's sizes.
    keep_sources : bool
        The sources' samples are kept in memory (not written to files block by block).
    signal_bytes : int
        What holding the whole STFT costs beyond it: the recording's samples,
        when they must be read from a file first.
    max_memory : int, optional
        Bytes the separation's arrays may take (the interpreter aside); by
        default what :func:`available_memory` says.  Above it the recording
        is read block by block, in blocks short enough to fit; when even the
        shortest do not (the spectrograms are held whole), the plan says so
        (``over_budget``) and goes on if the machine has the memory.
    block_frames : int
        The longest block of frames; a shorter one is taken if it makes the
        separation fit (down to :data:`MIN_BLOCK_FRAMES`).
    what : str
        The recording, for the message.

    Raises
    ------
    ResourceError
        With both sizes and what to change, if neither way fits.
    """
    sizes = dict(channels=channels, sr=sr, n_sources=n_sources, n_components=n_components,
                 n_fft=n_fft, hop=hop, n_runs=n_runs)
    sources = 4 * n_sources * channels * n_samples if keep_sources else 0
    in_memory = estimate_memory(n_samples, **sizes) + signal_bytes
    fixed, per_frame, frames = _streamed_parts(n_samples, **sizes)
    fixed += sources
    block = min(frames, block_frames)
    streamed = fixed + per_frame * block
    if max_memory is not None:
        budget = int(max_memory) + _OVERHEAD
        limit = f"max_memory={format_bytes(max_memory)}"
    else:
        budget, limit = available_memory(), None
    if budget is None or in_memory <= budget:
        return MemoryPlan(True, in_memory, in_memory, streamed, block_frames)
    if streamed > budget:  # a shorter block, if one fits
        block = min(block, max(MIN_BLOCK_FRAMES, (budget - fixed) // per_frame))
        streamed = fixed + per_frame * block
    if streamed <= budget:
        return MemoryPlan(False, streamed, in_memory, streamed, int(block))
    machine = available_memory()
    if limit is not None and (machine is None or streamed <= machine):
        return MemoryPlan(False, streamed, in_memory, streamed, int(block), over_budget=True)
    seconds = n_samples / sr
    duration = f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.3g} s"
    available = f"{format_bytes(budget - _OVERHEAD)} is allowed ({limit})" if limit else \
        f"{format_bytes(budget)} is available"
    raise ResourceError(
        f"{what}: separating {duration} of {channels}-channel audio at {sr} Hz into "
        f"{n_sources} sources needs about {format_bytes(in_memory)} of memory at once, "
        f"{format_bytes(streamed)} block by block, but {available}; "
        f"{separation_advice(n_samples, streamed, sr, budget)}")
