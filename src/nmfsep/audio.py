"""Reading, validating and writing audio.

Inside nmfsep audio is a float32 array of shape ``(channels, samples)``;
soundfile's ``(frames, channels)`` layout is converted here and nowhere else.
Writes are atomic: a temporary file in the target folder, then a rename.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from .errors import AudioError, OutputError, ParameterError

__all__ = ["load", "save", "as_channels", "validate_signal", "atomic_path", "WRITE_FORMATS"]

WRITE_FORMATS = {"wav": ("WAV", "FLOAT"), "flac": ("FLAC", "PCM_24")}


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
    """
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if not os.access(path, os.R_OK):
        raise AudioError(f"{path}: permission denied")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty")
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        reason = str(exc).split(":")[-1].strip() or "unreadable"
        raise AudioError(f"{path}: not a readable audio file ({reason})") from None
    if data.shape[0] == 0:
        raise AudioError(f"{path}: the audio has no samples")
    return np.ascontiguousarray(data.T), int(sr)


def as_channels(y: np.ndarray) -> np.ndarray:
    """Return ``y`` as float32 ``(channels, samples)``; a 1-D signal becomes one channel."""
    y = np.asarray(y)
    if y.ndim == 1:
        y = y[np.newaxis, :]
    if y.ndim != 2:
        raise ParameterError(f"audio must be 1-D or (channels, samples), got shape {y.shape}")
    return np.ascontiguousarray(y, dtype=np.float32)


def validate_signal(y: np.ndarray, sr: int, *, name: str = "signal") -> np.ndarray:
    """Check that a signal can be separated and return it as float32 ``(channels, samples)``.

    Raises
    ------
    AudioError
        If it has no samples or holds NaN or Inf.
    ParameterError
        If the sample rate is not a positive integer or the shape is wrong.
    """
    y = as_channels(y)
    if not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ParameterError(f"{name}: sample rate must be a positive integer, got {sr!r}")
    if y.shape[1] == 0 or y.shape[0] == 0:
        raise AudioError(f"{name}: the audio has no samples")
    if not np.all(np.isfinite(y)):
        bad = int(np.size(y) - np.count_nonzero(np.isfinite(y)))
        raise AudioError(f"{name}: the audio holds {bad} NaN or Inf samples")
    return y


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, force: bool = False):
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception (including KeyboardInterrupt) the temporary file is removed
    and ``target`` is left as it was.

    Raises
    ------
    OutputError
        If ``target`` exists and ``force`` is false, or the folder is not writable.
    """
    target = Path(target)
    if target.exists() and not force:
        raise OutputError(f"{target}: exists already (use --force to overwrite)")
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write here ({exc.strerror})") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        _remove_quietly(tmp)
        if exc.errno == errno.ENOSPC:
            raise OutputError(f"{target}: no space left on the device") from None
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        _remove_quietly(tmp)
        raise


def _remove_quietly(path: str | os.PathLike) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


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
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in WRITE_FORMATS:
        raise ParameterError(f"{path}: cannot write format {fmt!r}; use .wav or .flac")
    container, default_subtype = WRITE_FORMATS[fmt]
    data = as_channels(y).T
    if container == "FLAC":
        data = np.clip(data, -1.0, 1.0)
    with atomic_path(path, force=force) as tmp:
        try:
            sf.write(str(tmp), data, int(sr), format=container, subtype=subtype or default_subtype)
        except sf.LibsndfileError as exc:
            raise OSError(errno.EIO, str(exc)) from None
    return path
