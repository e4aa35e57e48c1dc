"""Reading, validating and writing audio.

Inside nmfsep audio is a float32 array of shape ``(channels, samples)``;
soundfile's ``(frames, channels)`` layout is converted here and nowhere else.
Writes are atomic: a temporary file in the target folder, then a rename.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .errors import AudioError, AudioWarning, OutputError, ParameterError, ResourceError
from .resources import available_memory, format_bytes

__all__ = ["load", "save", "as_channels", "validate_signal", "clipped_fraction", "atomic_path",
           "check_outputs", "check_source_paths", "check_write_format", "audio_info",
           "open_outputs", "OutputSink", "clip_for_flac",
           "WRITE_FORMATS", "MAX_ABS_SAMPLE", "CLIPPED_WARNING"]

WRITE_FORMATS = {"wav": ("WAV", "FLOAT"), "flac": ("FLAC", "PCM_24")}

#: What a container can hold: (most channels, highest sample rate).
_FORMAT_LIMITS = {"FLAC": (8, 655_350)}

#: Largest sample magnitude accepted: beyond it the power spectrogram overflows float32.
MAX_ABS_SAMPLE = 1e12

#: Headers that claim more than this many bytes of samples are read block by block, so
#: that a corrupt header cannot make nmfsep allocate memory for audio that is not there.
_BLOCK_READ_ABOVE = 64 * 2**20
_BLOCK_FRAMES = 2**18


#: Fraction of full-scale samples above which :func:`load` warns of clipping.
CLIPPED_WARNING = 1e-3


def load(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read an audio file.

    Parameters
    ----------
    path : str or PathLike
        WAV, FLAC, OGG, MP3 or any other format libsndfile reads.

    Returns
    -------
    y : np.ndarray, shape=(channels, samples), dtype float32
    sr : int
        The file's own sample rate; nothing is resampled.

    Raises
    ------
    AudioError
        If the file is missing, a folder, unreadable, empty, corrupt or not audio.
    ResourceError
        If the decoded samples would not fit in the available memory.

    Warns
    -----
    AudioWarning
        If the file is shorter than its header says (a truncated WAV): the
        samples that are there are returned; or if more than
        :data:`CLIPPED_WARNING` of the samples are clipped.
    """
    path = _readable(path)
    try:
        handle = sf.SoundFile(str(path))
    except PermissionError:
        raise AudioError(f"{path}: permission denied") from None
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, OSError) as exc:
        raise AudioError(f"{path}: not a readable audio file ({_reason(exc)})") from None
    with handle:
        sr = int(handle.samplerate)
        if sr <= 0:
            raise AudioError(f"{path}: the header gives a sample rate of {sr} Hz")
        _warn_if_truncated(handle, path)
        try:
            y = read_samples(handle, path)
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, OSError) as exc:
            raise AudioError(f"{path}: corrupt or truncated audio data ({_reason(exc)})") from None
    if y.shape[1] == 0:
        raise AudioError(f"{path}: the audio has no samples")
    fraction = clipped_fraction(y)
    if fraction > CLIPPED_WARNING:
        warnings.warn(f"{path}: {100 * fraction:.2g} % of the samples are clipped (at full "
                      "scale); the distortion will be spread over every source", AudioWarning,
                      stacklevel=2)
    return y, sr


def _readable(path: str | os.PathLike) -> Path:
    """``path`` as a Path, if it names a readable, non-empty file; else AudioError."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if not os.access(path, os.R_OK):
        raise AudioError(f"{path}: permission denied")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty")
    return path


def _reason(exc: BaseException) -> str:
    return str(exc).split(":")[-1].strip() or type(exc).__name__


_DATA_SIZE = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


def _warn_if_truncated(handle: sf.SoundFile, path: Path) -> None:
    """Warn when libsndfile reports a data chunk larger than what the file holds."""
    try:
        info = handle.extra_info
    except Exception:  # noqa: BLE001 - the log is a courtesy, never a failure
        return
    match = _DATA_SIZE.search(info or "")
    if match and int(match.group(2)) < int(match.group(1)):
        warnings.warn(
            f"{path}: truncated: the header promises {int(match.group(1))} bytes of audio but "
            f"the file holds {int(match.group(2))}; using the {handle.frames} frames that "
            "are there", AudioWarning, stacklevel=3,
        )


def read_samples(handle: sf.SoundFile, path: Path, *, block_above: int = _BLOCK_READ_ABOVE,
                 block_frames: int = _BLOCK_FRAMES) -> np.ndarray:
    """All samples of an open file as ``(channels, samples)``, float32.

    When the header claims more than ``block_above`` bytes, the file is
    decoded ``block_frames`` at a time and refused (:class:`ResourceError`)
    as soon as it outgrows the available memory: a header can lie.
    """
    channels = handle.channels
    claimed = max(handle.frames, 0) * channels * 4
    if claimed <= block_above:
        return np.ascontiguousarray(handle.read(dtype="float32", always_2d=True).T)
    available = available_memory()
    blocks, total = [], 0
    while True:
        block = handle.read(block_frames, dtype="float32", always_2d=True)
        if block.shape[0] == 0:
            break
        blocks.append(block.T.copy())
        total += block.nbytes
        if available is not None and 2 * total > available:
            raise ResourceError(
                f"{path}: decoding needs more than {format_bytes(2 * total)} of memory but "
                f"{format_bytes(available)} is available; split the file into shorter parts"
            )
    if not blocks:
        return np.zeros((channels, 0), dtype=np.float32)
    return np.concatenate(blocks, axis=1)


#: What an output that is there already is told (the command line's and the library's way).
EXISTS = "exists already (use --force, or force=True in Python, to overwrite)"

#: More channels than this, and than samples, is an array of (samples, channels).
MAX_CHANNELS = 64


def as_channels(y: np.ndarray) -> np.ndarray:
    """Return ``y`` as float32 ``(channels, samples)``; a 1-D signal becomes one channel.

    Raises
    ------
    ParameterError
        For complex or non-numeric samples, integer samples (their full scale is
        not ±1), more than two dimensions, or an array that looks like
        ``(samples, channels)``: more than :data:`MAX_CHANNELS` rows and more
        rows than columns.
    """
    y = np.asarray(y)
    if np.iscomplexobj(y):
        raise ParameterError("audio must be real; got complex samples")
    if y.dtype.kind in "iub":
        raise ParameterError(f"audio must hold floating-point samples (full scale ±1), got "
                             f"{y.dtype}; scale it first, e.g. y / 32768 for int16")
    if y.dtype.kind != "f":
        raise ParameterError(f"audio must hold numbers, got an array of {y.dtype}")
    if y.ndim == 1:
        y = y[np.newaxis, :]
    if y.ndim != 2:
        raise ParameterError(f"audio must be 1-D or (channels, samples), got shape {y.shape}")
    if y.shape[0] > MAX_CHANNELS and y.shape[0] > y.shape[1]:
        raise ParameterError(f"audio of shape {y.shape} looks like (samples, channels); "
                             f"nmfsep takes (channels, samples): pass y.T")
    return np.ascontiguousarray(y, dtype=np.float32)


def check_sample_rate(sr: Any, name: str = "signal") -> int:
    """``sr`` if it is a positive integer (numpy's too); else ParameterError naming ``name``."""
    if not isinstance(sr, (int, np.integer)) or isinstance(sr, bool) or sr <= 0:
        raise ParameterError(f"{name}: sample rate must be a positive integer, got {sr!r}")
    return int(sr)


def validate_signal(y: np.ndarray, sr: int, *, name: str = "signal") -> np.ndarray:
    """Check that a signal can be separated and return it as float32 ``(channels, samples)``.

    Raises
    ------
    AudioError
        If it has no samples, holds NaN or Inf, or samples beyond ``MAX_ABS_SAMPLE``.
    ParameterError
        If the sample rate is not a positive integer or the shape is wrong.
    """
    y = as_channels(y)
    check_sample_rate(sr, name)
    if y.shape[1] == 0 or y.shape[0] == 0:
        raise AudioError(f"{name}: the audio has no samples")
    if not np.all(np.isfinite(y)):
        bad = int(np.size(y) - np.count_nonzero(np.isfinite(y)))
        raise AudioError(f"{name}: the audio holds {bad} NaN or Inf samples")
    peak = float(np.max(np.abs(y)))
    if peak > MAX_ABS_SAMPLE:
        raise AudioError(f"{name}: samples reach {peak:.3g}; audio must stay within "
                         f"±{MAX_ABS_SAMPLE:.0e} (±1 is full scale); rescale it")
    return y


def clipped_fraction(y: np.ndarray, *, level: float = 0.999) -> float:
    """The fraction of samples at or beyond ``level`` of full scale (±1).

    Clipped audio separates (the sources still add up to it), but the distortion
    of the clipped peaks is spread over every source; :func:`load` warns when
    more than :data:`CLIPPED_WARNING` of the samples are clipped.

    Parameters
    ----------
    y : np.ndarray, shape=(channels, samples) or (samples,)
    level : float

    Returns
    -------
    float in [0, 1]
    """
    y = np.asarray(y)
    return float(np.count_nonzero(np.abs(y) >= level) / y.size) if y.size else 0.0


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, force: bool = False):
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception (including KeyboardInterrupt) the temporary file is removed
    and ``target`` is left as it was.  The file gets the permissions of any new
    file (``0o666`` less the umask), or, when it replaces one (``force``), that
    file's permissions.

    Raises
    ------
    OutputError
        If ``target`` exists and ``force`` is false, or the folder is not writable.
    """
    target = Path(target)
    if target.exists() and not force:
        raise OutputError(f"{target}: {EXISTS}")
    if target.is_dir():
        raise OutputError(f"{target}: is a folder; cannot write a file there")
    folder = target.parent
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty_folders(created)
        raise _write_error(folder, exc) from None
    tmp: Path | None = folder / f".{target.name}.{secrets.token_hex(6)}.part"
    try:  # from here on, any exception (a signal too) removes the temporary file
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            tmp = None  # another's file by that name: not ours to remove
            raise OutputError(f"{folder}: cannot write here (a temporary file name was "
                              f"taken; try again)") from None
        except OSError as exc:
            raise _write_error(folder, exc) from None
        yield tmp
        with contextlib.suppress(FileNotFoundError):  # keep the mode of the file replaced
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except OSError as exc:
        _remove_quietly(tmp)
        _remove_empty_folders(created)
        raise _write_error(target, exc, "cannot write") from None
    except BaseException:
        _remove_quietly(tmp)
        _remove_empty_folders(created)
        raise


def _write_error(path: Path, exc: OSError, failed: str = "cannot write here") -> OutputError:
    """The error naming ``path`` when writing there failed: a full disk, or ``failed``."""
    if exc.errno == errno.ENOSPC:
        return OutputError(f"{path}: no space left on the device")
    return OutputError(f"{path}: {failed} ({exc.strerror or exc})")


def _remove_quietly(path: str | os.PathLike | None) -> None:
    if path is None:
        return
    with contextlib.suppress(OSError):
        os.remove(path)


def _remove_empty_folders(folders: list[Path]) -> None:
    """Remove the folders a failed write created, deepest first, if they are still empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _disk_full(folder: Path, needed: int) -> bool:
    """Whether ``folder``'s file system has less than ``needed`` bytes free."""
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):
        return False
    return stats.f_bavail * stats.f_frsize < needed


def check_outputs(paths: list[Path], inputs: list[Path], force: bool = False) -> None:
    """Refuse, before any work, outputs that would overwrite an input or exist already.

    Raises
    ------
    OutputError
        Naming the output that would overwrite an input, is a folder, lies under a
        file, or exists already (the last only without ``force``).
    """
    resolved_inputs = {Path(p).resolve() for p in inputs}
    for path in paths:
        if Path(path).resolve() in resolved_inputs:
            raise OutputError(f"{path}: the output would overwrite the input")
        if Path(path).is_dir():
            raise OutputError(f"{path}: is a folder, where a file would go; move or remove it "
                              "(--force does not replace folders)")
        blocking = next((parent for parent in Path(path).parents
                         if parent.exists() and not parent.is_dir()), None)
        if blocking is not None:
            raise OutputError(f"{blocking}: is a file, not a folder; cannot write {path} "
                              "(give another output folder)")
        if Path(path).exists() and not force:
            raise OutputError(f"{path}: {EXISTS}")


def check_source_paths(out_paths: Sequence[str | os.PathLike], path_in: str | os.PathLike,
                       force: bool = False) -> list[Path]:
    """One output file per source, each its own and none the input: ``out_paths`` as Paths.

    Raises
    ------
    ParameterError
        If ``out_paths`` is one path rather than a list, or names one file twice.
    OutputError
        As :func:`check_outputs` (the input is never overwritten, even with ``force``).
    """
    if isinstance(out_paths, (str, os.PathLike)):
        raise ParameterError(f"out_paths must be a list of paths, one per source, not the one "
                             f"path {str(out_paths)!r}")
    paths = [Path(p) for p in out_paths]
    if len({p.resolve() for p in paths}) != len(paths):
        raise ParameterError("out_paths: every source needs its own file, got "
                             + ", ".join(map(str, paths)))
    check_outputs(paths, [Path(path_in)], force)
    return paths


def check_write_format(path: str | os.PathLike, channels: int, sr: int) -> tuple[str, str]:
    """The (container, subtype) ``path`` is written in, if it can hold this audio.

    Raises
    ------
    ParameterError
        If the suffix is not ``.wav`` or ``.flac``.
    OutputError
        If the format cannot hold this many channels or this sample rate
        (FLAC: at most 8 channels and 655350 Hz).
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in WRITE_FORMATS:
        raise ParameterError(f"{path}: cannot write format {fmt!r}; use .wav or .flac")
    container, subtype = WRITE_FORMATS[fmt]
    most_channels, highest_rate = _FORMAT_LIMITS.get(container, (None, None))
    if most_channels is not None and channels > most_channels:
        raise OutputError(f"{path}: {container} holds at most {most_channels} channels, the "
                          f"audio has {channels}; write WAV instead (--format wav)")
    if highest_rate is not None and sr > highest_rate:
        raise OutputError(f"{path}: {container} holds sample rates up to {highest_rate} Hz, "
                          f"the audio has {sr} Hz; write WAV instead (--format wav)")
    return container, subtype


def audio_info(path: str | os.PathLike) -> tuple[int, int, int]:
    """Sample rate, channels and frames of an audio file, from its header.

    Warns (:class:`~nmfsep.errors.AudioWarning`) when the file is shorter than
    its header says, like :func:`load`.

    Raises
    ------
    AudioError
        Naming the file and the problem, if it is missing, unreadable or
        empty, or libsndfile cannot open it.
    """
    path = _readable(path)
    try:
        with sf.SoundFile(str(path)) as handle:
            info = (int(handle.samplerate), int(handle.channels), int(handle.frames))
            _warn_if_truncated(handle, path)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, OSError):
        load(path)  # raises the library's own, specific AudioError
        raise
    if info[0] <= 0:
        raise AudioError(f"{path}: the header gives a sample rate of {info[0]} Hz")
    return info


def clip_for_flac(data: np.ndarray, path: Path, *, warn: bool = True,
                  block: bool = False) -> np.ndarray:
    """``data`` clipped to ±1, the most a FLAC file's integer samples hold (``data`` itself
    when no sample lies beyond).

    Warns
    -----
    AudioWarning
        Naming ``path`` (when ``warn``), if a sample lay beyond ±1: the sources
        written no longer add up to the mixture exactly there.  The peak said is
        this ``block``'s (one of a file written block by block: "at least").
    """
    peak = float(np.abs(data).max(initial=0.0))
    if peak <= 1.0:
        return data
    if warn:
        warnings.warn(f"{path}: samples reach {peak:.3g}{' (at least)' if block else ''}, "
                      "beyond the ±1 a FLAC file holds: "
                      "they were clipped, and the sources no longer add up to the mixture "
                      "exactly; write .wav (32-bit float) to keep every sample",
                      AudioWarning, stacklevel=3)
    return np.clip(data, -1.0, 1.0)


class OutputSink:
    """An output file written block by block (:func:`open_outputs`).

    Attributes
    ----------
    target : Path
        Where the file goes once whole; errors name it.
    """

    def __init__(self, target: Path, handle: sf.SoundFile) -> None:
        self.target = target
        self._handle = handle
        self._clipped = False  # said once per file

    def write(self, samples: np.ndarray) -> None:
        """Append ``samples`` (channels, n); clipped to ±1 for FLAC (integer PCM).

        Raises
        ------
        OutputError
            Naming :attr:`target`, when the disk is full or the file cannot be written.
        """
        data = samples.T
        if self._handle.format == "FLAC":
            clipped = clip_for_flac(data, self.target, warn=not self._clipped, block=True)
            self._clipped = self._clipped or clipped is not data  # a copy only when clipped
            data = clipped
        try:
            self._handle.write(data)
        except sf.LibsndfileError as exc:
            raise self._failure(exc, data.nbytes) from None

    def close(self) -> None:
        """Finish the file (its header); the rename happens when the stack closes."""
        try:
            self._handle.close()
        except sf.LibsndfileError as exc:
            raise self._failure(exc, 0) from None

    def _failure(self, exc: sf.LibsndfileError, needed: int) -> OutputError:
        # libsndfile says only "System error."; a full disk is the usual cause.
        if _disk_full(self.target.parent, max(needed, 1)):
            return OutputError(f"{self.target}: no space left on the device")
        return OutputError(f"{self.target}: cannot write ({_reason(exc)})")


def open_outputs(
    stack: contextlib.ExitStack, paths: list[Path], sr: int, channels: int, *,
    force: bool = False, subtype: str | None = None,
) -> list[OutputSink]:
    """Open one output per path for writing block by block, atomically.

    Each is a temporary file beside its path (:func:`atomic_path`), renamed into
    place when ``stack`` closes without an error and removed otherwise.  Write
    to them with :meth:`OutputSink.write`.

    Raises
    ------
    ParameterError, OutputError
        As :func:`check_write_format` and :func:`atomic_path`.
    """
    sinks = []
    for path in paths:
        container, default_subtype = check_write_format(path, channels, sr)
        tmp = stack.enter_context(atomic_path(path, force=force))
        handle = stack.enter_context(sf.SoundFile(
            str(tmp), "w", samplerate=sr, channels=channels, format=container,
            subtype=subtype or default_subtype))
        sinks.append(OutputSink(Path(path), handle))
    return sinks


def save(
    path: str | os.PathLike,
    y: np.ndarray,
    sr: int,
    *,
    force: bool = False,
    subtype: str | None = None,
) -> Path:
    """Write audio atomically as WAV or FLAC (chosen by the file's suffix).

    Parameters
    ----------
    path : str or PathLike
        Target file; ``.wav`` or ``.flac``.
    y : np.ndarray, shape=(channels, samples) or (samples,)
    sr : int
    force : bool
        Overwrite an existing file.
    subtype : str, optional
        soundfile subtype; float WAV and 24-bit FLAC by default.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ParameterError
        For audio :func:`as_channels` refuses or a sample rate that is not a
        positive integer.
    OutputError
        If the file exists (without ``force``) or cannot be written.
    """
    path = Path(path)
    data = as_channels(y).T
    sr = check_sample_rate(sr, str(path))
    container, default_subtype = check_write_format(path, data.shape[1], sr)
    if container == "FLAC":
        data = clip_for_flac(data, path)
    with atomic_path(path, force=force) as tmp:
        try:
            sf.write(str(tmp), data, int(sr), format=container, subtype=subtype or default_subtype)
        except sf.LibsndfileError as exc:
            # libsndfile says only "System error."; a full disk is the usual cause.
            tmp.unlink(missing_ok=True)
            if _disk_full(tmp.parent, data.nbytes):
                raise OSError(errno.ENOSPC, "no space left on the device") from None
            raise OSError(errno.EIO, _reason(exc)) from None
    return path
