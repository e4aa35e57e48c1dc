"""The batch's command line: its options, its handler, and ``python -m nmfsep.batch``.

``nmfsep separate`` adds the options with :func:`add_batch_arguments` and
hands folders and several files to :func:`run_batch`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from ..errors import NmfsepError, OutputError, ParameterError
from .inputs import discover
from .options import options_from_args
from .runner import EXIT_INTERRUPTED, execute, prepare

__all__ = ["add_batch_arguments", "run_batch", "is_batch", "build_parser", "main"]

EXIT_TERMINATED = 143

#: Options of ``separate`` a batch does not take yet.
_UNSUPPORTED = {"from_dir": "--from", "dicts": "--dict", "stream": "--stream",
                "plot": "--plot", "export_components": "--components-audio"}


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


def run_batch(args, reporter) -> int:
    """Separate every file of ``args.inputs`` (files and folders) into ``args.out``.

    Parameters
    ----------
    args : argparse.Namespace
        The ``separate`` options (``inputs``, ``out``, ``sources``, ``names``...,
        ``force``) and those of :func:`add_batch_arguments`.
    reporter : nmfsep.progress.Reporter

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
            raise ParameterError(f"{flag} is not available for batches yet; separate one file "
                                 "at a time")
    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise ParameterError(f"--workers must be at least 1, got {workers}")
    options = options_from_args(args)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file, not a folder")
    inputs = discover(args.inputs, pattern=getattr(args, "glob", None), out=out)
    tracks = prepare(inputs, options)
    executor = _executor(args, tracks, out, reporter)
    hours = sum(t.audio_seconds for t in tracks) / 3600
    reporter.info(f"separating {len(tracks)} file(s), {hours:.3g} h of audio, on "
                  f"{executor.name} into {out}/")
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


# ---------------------------------------------------------------- python -m nmfsep.batch


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that the batch cleans up."""


def _on_sigterm(signum, frame):
    raise _Terminated


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m nmfsep.batch`` (the options of ``nmfsep separate``)."""
    parser = argparse.ArgumentParser(
        prog="python -m nmfsep.batch",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Separate every audio file of folders (recursively) and files into "
                    "OUT/<path without suffix>/<source>.wav + separation.json, several at once "
                    "on Dask; resumable: a rerun skips what is done.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files and folders")
    parser.add_argument("-o", "--out", default="separated", help="output folder")
    parser.add_argument("-n", "--sources", type=int, default=None,
                        help="number of sources (default 2, or the number of --groups)")
    parser.add_argument("-k", "--components", dest="n_components", type=int, default=None,
                        help="NMF components (default 10 per source)")
    parser.add_argument("--grouping", default="auto", help="how components become sources")
    parser.add_argument("--groups", default=None, help="components by hand, e.g. \"0,3;1,2\"")
    parser.add_argument("--names", default=None, help="source names, e.g. drums,guitar")
    parser.add_argument("--format", choices=["wav", "flac"], default="wav")
    parser.add_argument("--beta", type=float, default=1.0, help="beta-divergence")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--n-fft", type=int, default=None, help="STFT frame length")
    parser.add_argument("--hop", type=int, default=None, help="STFT hop")
    parser.add_argument("--max-iter", type=int, default=200, help="NMF iterations at most")
    parser.add_argument("--mask-power", type=float, default=1.0, help="1 ratio, 2 Wiener")
    parser.add_argument("--percussive-prior", type=float, default=None,
                        help="HPSS weight of a drum source's mask (library default)")
    parser.add_argument("--runs", type=int, default=None, help="factorizations combined")
    parser.add_argument("--force", action="store_true",
                        help="redo finished tracks and overwrite folders not made by a batch")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="more detail")
    add_batch_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m nmfsep.batch``; returns the exit code."""
    from ..progress import Reporter

    args = build_parser().parse_args(argv)
    reporter = Reporter(0 if args.quiet else (2 if args.verbose else 1))
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread
        pass
    try:
        return run_batch(args, reporter)
    except NmfsepError as exc:
        reporter.error(str(exc))
        if args.verbose:
            traceback.print_exc()
        return exc.exit_code
    except KeyboardInterrupt:
        reporter.error("interrupted before the batch started; nothing was written")
        return EXIT_INTERRUPTED
    except _Terminated:
        reporter.error("terminated; finished tracks are complete, no partial file was left")
        return EXIT_TERMINATED
    finally:
        reporter.finish_progress()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
