"""The batch's command line: its options and its handler.

``nmfsep separate`` adds the options with :func:`add_batch_arguments` and
hands folders and several files to :func:`run_batch`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import SeparationConfig
from ..errors import OutputError, ParameterError
from .inputs import discover
from .options import TrackOptions
from .runner import execute, prepare

__all__ = ["add_batch_arguments", "run_batch", "is_batch"]

#: Options of ``separate`` a batch does not take: one saved factorization is one
#: recording's, and a batch publishes the sources and the record alone.
_UNSUPPORTED = {"from_dir": "--from", "plot": "--plot",
                "export_components": "--components-audio"}


def add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers``, ``--scheduler`` and ``--glob`` to a ``separate`` parser."""
    group = parser.add_argument_group("batches (folders, several files; needs nmfsep[dask])")
    group.add_argument("--workers", type=int, default=None, metavar="N",
                       help="separate N files at once on a local Dask cluster (default: as "
                            "many as the cores and the memory allow; 1: in this process, "
                            "without Dask)")
    group.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="use the Dask cluster whose scheduler is at ADDRESS, e.g. "
                            "tcp://10.0.0.5:8786; its workers need nmfsep and the same "
                            "paths (a shared file system)")
    group.add_argument("--glob", default=None, metavar="PATTERN",
                       help="in folders, take the files matching PATTERN (e.g. \"*.flac\"), "
                            "at any depth (default: every audio file)")


def is_batch(args) -> bool:
    """Whether a ``separate`` command line is a batch (folders, several files, a cluster)."""
    return (len(args.inputs) > 1 or any(Path(p).is_dir() for p in args.inputs)
            or getattr(args, "workers", None) is not None
            or getattr(args, "scheduler", None) is not None)


def run_batch(args, reporter, config: SeparationConfig, names: list[str]) -> int:
    """Separate every file of ``args.inputs`` (files and folders) into ``args.out``.

    Parameters
    ----------
    args : argparse.Namespace
        The ``separate`` options (``inputs``, ``out``, ``format``, ``stream``,
        ``force``, ``verbose``) and those of :func:`add_batch_arguments`.
    reporter : nmfsep.progress.Reporter
    config : SeparationConfig
        The separation of every file, checked.
    names : list of str
        The sources' names.

    Returns
    -------
    int
        The exit code: 0 every file done, 1 some failed (listed), 130 interrupted.

    Raises
    ------
    NmfsepError
        Before any file is separated: bad options (exit 2), no input found,
        an unreachable scheduler, an output folder that cannot be written.
    """
    for dest, flag in _UNSUPPORTED.items():
        if getattr(args, dest, None):
            raise ParameterError(f"{flag} is not available for batches; separate one file "
                                 "at a time")
    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise ParameterError(f"--workers must be at least 1, got {workers}")
    options = TrackOptions(config=config, names=tuple(names), format=args.format,
                           stream=bool(getattr(args, "stream", False)))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file, not a folder")
    inputs = discover(args.inputs, pattern=getattr(args, "glob", None), out=out)
    tracks = prepare(inputs, options)
    executor = _executor(args, tracks, out, reporter)
    hours = sum(t.audio_seconds for t in tracks) / 3600
    files = f"{len(tracks)} file" + ("" if len(tracks) == 1 else "s")
    reporter.info(f"separating {files}, {hours:.3g} h of audio, {executor.place}, into {out}/")
    return execute(tracks, out, options, executor, reporter, force=args.force,
                   verbose=getattr(args, "verbose", False))


def _executor(args, tracks, out: Path, reporter):
    from .cluster import DaskExecutor, InProcessExecutor, local_workers

    scheduler = getattr(args, "scheduler", None)
    workers = getattr(args, "workers", None)
    verbose = getattr(args, "verbose", False)
    if scheduler is None and (workers == 1 or len(tracks) == 1):
        return InProcessExecutor()
    _require_dask()
    if scheduler is not None:
        executor = DaskExecutor.connect(scheduler, verbose=verbose)
        try:
            first = [str(tracks[0].input.path.resolve())]
            for warning in executor.check_workers(first, str(out.resolve())):
                reporter.info(f"warning: {warning}")
        except BaseException:
            executor.close()
            raise
        return executor
    largest = max((t.memory or 0 for t in tracks), default=0)
    n_workers, memory_limit = local_workers(workers, len(tracks), largest)
    if n_workers == 1:
        return InProcessExecutor()
    return DaskExecutor.local(n_workers, memory_limit, verbose=verbose)


def _require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ParameterError("batches on several workers need Dask: pip install "
                             "'nmfsep[dask]' (or run them one by one with --workers 1)") from None
