"""A track's folder written whole or not at all, and what earlier runs left in it.

Every command that writes a folder of outputs for one input (``separate``'s track,
``components``' folder, ``drums``' stems) writes it inside :func:`whole_or_absent`:
on any failure, an interruption included, what the run made there goes again,
and so does what it overwrote, with the record that would vouch for the rest.

>>> from pathlib import Path
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp()) / "song"
>>> try:
...     with whole_or_absent(folder):
...         folder.mkdir()
...         _ = (folder / "drums.wav").write_bytes(b"half")
...         raise KeyboardInterrupt
... except KeyboardInterrupt:
...     pass
>>> folder.exists()
False
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

__all__ = ["whole_or_absent", "snapshot", "remove_made_since", "recorded_files",
           "remove_stale", "track_clashes"]

#: What identifies a file's content without reading it: an atomic rewrite changes both.
Identity = tuple[int, int]


def snapshot(folder: Path) -> dict[Path, Identity] | None:
    """Every file and folder under ``folder`` (itself included) with its inode and mtime.

    Returns
    -------
    dict or None
        None if ``folder`` does not exist.
    """
    if not folder.is_dir():
        return None
    found = {}
    for path in (folder, *folder.rglob("*")):
        with contextlib.suppress(OSError):
            info = path.lstat()
            found[path] = (info.st_ino, info.st_mtime_ns)
    return found


def remove_made_since(folder: Path, before: dict[Path, Identity] | None, *,
                      records: Sequence[Path] = ()) -> None:
    """Remove what was made or rewritten under ``folder`` since :func:`snapshot` gave ``before``.

    Files that were there before and were not rewritten are left; folders made
    since go if they are empty.  When a file of the earlier run was rewritten
    (with ``force``), its old content is gone: the ``records`` that vouched for the
    earlier run (``separation.json``, ``drums.json``…) go too, so that no
    folder looks finished with a mix of two runs in it.
    """
    if not folder.is_dir():
        return
    before = before or {}
    now = snapshot(folder) or {}
    rewritten = [p for p, identity in now.items()
                 if p in before and not p.is_dir() and before[p] != identity]
    made = [p for p in now if p not in before] + rewritten
    if rewritten:
        made += [Path(record) for record in records if Path(record) in now]
    for path in sorted(set(made), key=lambda p: len(p.parts), reverse=True):  # deepest first
        try:
            if path.is_dir() and not path.is_symlink():
                path.rmdir()  # only when empty: another process's file stays
            else:
                path.unlink()
        except OSError:
            pass


@contextlib.contextmanager
def whole_or_absent(folder: Path, *, records: Sequence[Path] = ()) -> Iterator[None]:
    """Run the block that writes ``folder``; on any failure undo what it wrote there.

    Parameters
    ----------
    folder : Path
        The track's folder (it may not exist yet).
    records : sequence of Path
        The files that vouch for a finished earlier run (see :func:`remove_made_since`).
    """
    before = snapshot(folder)
    try:
        yield
    except BaseException:  # an error, Ctrl-C or SIGTERM: no incomplete track is left
        remove_made_since(folder, before, records=records)
        raise


def recorded_files(record_file: Path, key: str = "sources") -> set[Path]:
    """The files an earlier record of the track lists under ``key`` (none if unreadable).

    ``separation.json`` lists its sources, ``drums.json`` its stems (``key="stems"``),
    each ``{"file": name, ...}``; only plain file names beside the record count.
    """
    try:
        record = json.loads(record_file.read_text())
        names = [item["file"] for item in record[key]]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return {record_file.parent / name for name in names
            if isinstance(name, str) and name == Path(name).name and not name.startswith(".")
            and name != record_file.name}


def remove_stale(earlier: Iterable[Path], written: Iterable[Path],
                 keep: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """Remove the files an earlier record listed that this run did not write.

    Parameters
    ----------
    earlier : iterable of Path
        From :func:`recorded_files`, read before the run.
    written : iterable of Path
        This run's outputs.
    keep : iterable of paths
        Never removed (the input).

    Returns
    -------
    list of Path
        The files removed.
    """
    spared = {Path(p).resolve() for p in (*written, *keep)}
    removed = []
    for stale in sorted(set(earlier)):
        if (stale.is_file() or stale.is_symlink()) and stale.resolve() not in spared:
            stale.unlink(missing_ok=True)
            removed.append(stale)
    return removed


def track_clashes(keyed: Iterable[tuple[str, Path]]) -> str | None:
    """Which inputs would write to the same track folder, in one phrase; None if none.

    Parameters
    ----------
    keyed : iterable of (track, path)
        Each input's track folder (relative to the output folder) and its file.

    Returns
    -------
    str or None
        ``"1 input(s) would write to the same track folder as another: a/x.wav and
        b/x.wav -> x/"`` (five clashes named at most).
    """
    owners: dict[str, Path] = {}
    clashes = []
    for key, path in keyed:
        if key in owners:
            clashes.append(f"{owners[key]} and {path} -> {key}/")
        else:
            owners[key] = path
    if not clashes:
        return None
    listed = "; ".join(clashes[:5]) + (f"; and {len(clashes) - 5} more"
                                        if len(clashes) > 5 else "")
    return f"{len(clashes)} input(s) would write to the same track folder as another: {listed}"
