"""Which files a batch separates, in which order, and where each one's outputs go.

Every input becomes one *track*: the folder ``OUT/<key>/`` that receives its
sources and its ``separation.json``.  A file named on the command line has
the key of its name without the suffix (``song.flac`` -> ``song``), as a
single separation always had; a file found in a folder keeps its path below
that folder, without the suffix (``IN/live/song.flac`` -> ``live/song``), so
that files of the same name in different folders never share a track.  Two
inputs that would still share one (``a.wav`` and ``a.flac`` side by side, or
the same name under two folders given at once) are refused before anything
runs, naming both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError
from ..tracks import track_clashes

__all__ = ["Input", "discover", "audio_extensions", "STATE_DIR"]

#: The batch's own folder inside the output folder (manifest, staging, run locks).
STATE_DIR = ".nmfsep-batch"

#: File suffixes of the containers libsndfile reads, by soundfile's format name.
_SUFFIXES = {
    "WAV": ("wav", "wave"), "WAVEX": ("wav",), "RF64": ("rf64",), "W64": ("w64",),
    "FLAC": ("flac",), "OGG": ("ogg", "oga", "opus"), "MP3": ("mp3",),
    "AIFF": ("aiff", "aif", "aifc"), "AU": ("au", "snd"), "CAF": ("caf",),
}


@dataclass(frozen=True)
class Input:
    """One file of a batch.

    Attributes
    ----------
    path : Path
        The file, as found (relative paths stay relative to the working folder).
    key : str
        Its track: the output folder ``OUT/<key>/``, a relative POSIX path.
    """

    path: Path
    key: str


def audio_extensions() -> frozenset[str]:
    """The suffixes (lower case, without the dot) a folder is searched for by default."""
    import soundfile as sf

    formats = sf.available_formats()
    return frozenset(s for name, suffixes in _SUFFIXES.items() if name in formats
                     for s in suffixes)


def discover(inputs: Sequence[str | os.PathLike], *, pattern: str | None = None,
             out: str | os.PathLike | None = None) -> list[Input]:
    """The files a batch separates, each with its track, in a deterministic order.

    Parameters
    ----------
    inputs : sequence of paths
        Files and folders, in the order given; folders are searched recursively.
    pattern : str, optional
        A glob such as ``"*.flac"`` matched below every folder at any depth
        (case-sensitive); by default every file whose suffix is an audio
        format libsndfile reads (:func:`audio_extensions`, any case).  Files
        named directly are always taken.
    out : path, optional
        The output folder; nothing inside it is taken as an input.

    Returns
    -------
    list of Input
        The inputs in the order given, each folder's files sorted by their
        path below it; a file reached twice is kept once.  Hidden files and
        folders (their name starts with a dot) are skipped.

    Raises
    ------
    ParameterError
        If ``pattern`` is empty, absolute or climbs out of the folders (``..``),
        if nothing is found, or if two inputs would write to the same track.
    """
    if pattern is not None:
        check_pattern(pattern)
    excluded = Path(out).resolve() if out is not None else None
    extensions = audio_extensions() if pattern is None else None
    found: list[Input] = []
    seen: set[Path] = set()
    for given in inputs:
        root = Path(given)
        if root.is_dir():
            candidates = _folder_files(root, pattern, extensions, excluded)
        else:  # a file named directly; one that is missing fails as its task, listed
            candidates = [Input(root, root.stem)]
        for item in candidates:
            resolved = item.path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.append(item)
    if not found:
        what = f"matching {pattern!r}" if pattern else "audio files"
        raise ParameterError(f"no {what} in {', '.join(str(p) for p in inputs)}")
    _check_tracks(found)
    return found


def check_pattern(pattern: str) -> str:
    """``pattern`` if it is a glob below a folder; else ParameterError saying why.

    Parameters
    ----------
    pattern : str
        Such as ``"*.flac"`` or ``"live/*.wav"``.

    Returns
    -------
    str
    """
    if not pattern.strip():
        raise ParameterError("--glob: the pattern is empty; give one such as '*.flac'")
    if Path(pattern).is_absolute() or pattern.startswith("~"):
        raise ParameterError(f"--glob {pattern!r}: a pattern is matched below each folder "
                             f"given, so it cannot be absolute; give e.g. '*.wav' and the "
                             f"folder as an input")
    if ".." in Path(pattern).parts:
        raise ParameterError(f"--glob {pattern!r}: a pattern cannot climb out of the folders "
                             f"given ('..')")
    return pattern


def _folder_files(root: Path, pattern: str | None, extensions: frozenset[str] | None,
                  excluded: Path | None) -> list[Input]:
    matches = root.rglob(pattern) if pattern else root.rglob("*")
    files = []
    for path in matches:
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if extensions is not None and path.suffix.lower().lstrip(".") not in extensions:
            continue
        if not path.is_file() or _inside(path, excluded):
            continue
        files.append(Input(path, relative.with_suffix("").as_posix()))
    return sorted(files, key=lambda item: item.path.relative_to(root).as_posix())


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    resolved = path.resolve()
    return resolved == folder or folder in resolved.parents


def _check_tracks(found: Iterable[Input]) -> None:
    found = list(found)
    for item in found:
        if item.key.split("/")[0] == STATE_DIR:
            raise ParameterError(f"{item.path}: its track {item.key!r} is the name of the "
                                 "batch's own folder; rename the file")
    clashes = track_clashes((item.key, item.path) for item in found)
    if clashes:
        raise ParameterError(f"{clashes}; rename them, narrow --glob, or separate them into "
                             "different output folders")
