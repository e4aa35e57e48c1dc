"""The ``nmfsep`` command line: parsing, progress, messages and exit codes.

No algorithm lives here; every command is a thin layer over the library.

Exit codes: 0 success; 1 some inputs of a batch failed; 2 bad arguments or
parameters; 3 unusable input audio; 4 an output cannot be written; 5 the work
would not fit in memory; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import html
import json
import math
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import __version__
from .audio import atomic_path, check_write_format, clipped_fraction, load, save, validate_signal
from .errors import NmfsepError, OutputError, ParameterError
from .grouping import STRATEGIES, parse_groups
from .priors import PERCUSSIVE_PRIOR

__all__ = ["main", "build_parser"]

EXIT_BATCH_FAILED = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """Raised in the main thread when SIGTERM arrives, so that cleanup runs."""


def _on_sigterm(signum, frame):
    raise Terminated


# ---------------------------------------------------------------- parsing


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="more detail, and tracebacks on errors")


def _add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """The factorization's options, the same for separate, components and learn."""
    parser.add_argument("--beta", type=float, default=1.0,
                        help="beta-divergence: 0 Itakura-Saito, 1 Kullback-Leibler, 2 Euclidean")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--n-fft", type=int, default=None,
                        help="STFT frame length (default ≈93 ms)")
    parser.add_argument("--hop", type=int, default=None, help="STFT hop (default n_fft/4)")
    parser.add_argument("--max-iter", type=int, default=200, help="NMF iterations at most")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="nmfsep", formatter_class=_Formatter,
        description="Separate recordings into their sources by non-negative matrix "
                    "factorization.",
        epilog="examples:\n  nmfsep demo\n  nmfsep separate song.wav -n 2 --names drums,guitar\n"
               "  nmfsep components song.wav -k 16 -o comps\n"
               "  nmfsep separate song.wav --from comps --groups \"0,3,5;1,2,4\"\n",
    )
    parser.add_argument("--version", action="version", version=f"nmfsep {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    sep = commands.add_parser(
        "separate", formatter_class=_Formatter, help="separate recordings into sources",
        description="Separate each INPUT into sources; writes OUT/<track>/<name>.wav and "
                    "OUT/<track>/separation.json.",
        epilog="examples:\n  nmfsep separate song.wav -n 2 --names drums,guitar\n"
               "  nmfsep separate a.wav b.flac -o stems -k 24 --grouping timbre\n"
               "  nmfsep separate song.wav --from comps --groups \"0,3,5;1,2,4\"\n"
               "  nmfsep separate song.wav --dict drums.npz --dict guitar.npz\n"
               "  nmfsep separate song.wav --dict drums.npz --free 8\n",
    )
    sep.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files")
    sep.add_argument("-o", "--out", default="separated", help="output folder")
    sep.add_argument("-n", "--sources", type=int, default=None,
                     help="number of sources (default 2, or the number of --groups)")
    sep.add_argument("-k", "--components", dest="n_components", type=int, default=None,
                     help="NMF components (default 10 per source)")
    sep.add_argument("--grouping", default="auto", metavar="NAME",
                     help=f"how components become sources: {', '.join(sorted(STRATEGIES))}")
    sep.add_argument("--groups", default=None, metavar="\"0,3,5;1,2,4\"",
                     help="assign components by hand: ';' between sources, ',' within")
    sep.add_argument("--names", default=None, help="source names, e.g. drums,guitar")
    sep.add_argument("--format", choices=["wav", "flac"], default="wav", help="output format")
    _add_analysis_options(sep)
    sep.add_argument("--mask-power", type=float, default=1.0,
                     help="1 ratio masks, 2 Wiener masks")
    sep.add_argument("--percussive-prior", type=float, default=PERCUSSIVE_PRIOR, metavar="P",
                     help="when the grouping makes a drum source, weigh its mask by HPSS to "
                          "this power (and give a bass line the low register); with drums "
                          "and one other source, or three or more sources and no drums, "
                          "also weigh each by its share of the spectrum (HPSS then at "
                          "0.5 P with several runs); with drums, "
                          "estimate the masks again from the sources they rebuild; 0 "
                          "turns all of these off")
    sep.add_argument("--runs", type=int, default=None, metavar="R",
                     help="factorize R times (other starts, more components, shorter "
                          "frames) and combine the runs' masks (geometric mean): cleaner "
                          "sources on average; each run is one more factorization "
                          "(default 5 up to 60 s of audio, else 1)")
    sep.add_argument("--from", dest="from_dir", default=None, metavar="DIR",
                     help="reuse the factorization saved by 'nmfsep components' in DIR")
    sep.add_argument("--dict", dest="dicts", action="append", default=None, metavar="FILE",
                     help="a dictionary from 'nmfsep learn' (repeatable): one source per "
                          "dictionary, named after it (supervised)")
    sep.add_argument("--free", type=int, default=0, metavar="K",
                     help="with --dict: K components learned from the mixture for the rest, "
                          "the source 'rest' (semi-supervised)")
    sep.add_argument("--stream", action="store_true",
                     help="with --dict and no --free: separate block by block, in bounded "
                          "memory, for files of any length")
    sep.add_argument("--components-audio", "--export-components", dest="export_components",
                     action="store_true", help="also write every component's audio")
    sep.add_argument("--plot", action="store_true", help="write a figure (needs nmfsep[plot])")
    sep.add_argument("--force", action="store_true", help="overwrite existing outputs")
    _add_common(sep)

    comp = commands.add_parser(
        "components", formatter_class=_Formatter,
        help="write every component as audio and a figure, to listen and pick",
        description="Factorize INPUT and write each component as audio (component_NN.wav), "
                    "a figure per component, an index.html to listen and decide, and the "
                    "factorization (factorization.npz) for 'separate --from'.",
        epilog="example:\n  nmfsep components song.wav -k 16 -o comps\n"
               "  (listen in comps/index.html, then)\n"
               "  nmfsep separate song.wav --from comps --groups \"0,3,5;1,2,4\"\n",
    )
    comp.add_argument("input", metavar="INPUT")
    comp.add_argument("-k", "--components", dest="n_components", type=int, default=16,
                      help="number of components")
    comp.add_argument("-o", "--out", default=None,
                      help="output folder (default: <track>_components)")
    _add_analysis_options(comp)
    comp.add_argument("--no-plots", action="store_true", help="skip the figures")
    comp.add_argument("--force", action="store_true", help="overwrite existing outputs")
    _add_common(comp)

    learn = commands.add_parser(
        "learn", formatter_class=_Formatter,
        help="learn a source's dictionary from recordings of it alone",
        description="Learn a dictionary of basis spectra from EXAMPLE recordings of one "
                    "source alone (a few seconds of the drummer, of the singer), for "
                    "'nmfsep separate --dict'. Several examples make one dictionary.",
        epilog="examples:\n  nmfsep learn drums1.wav drums2.wav --name drums -o drums.npz\n"
               "  nmfsep separate song.wav --dict drums.npz --free 8\n",
    )
    learn.add_argument("examples", nargs="+", metavar="EXAMPLE", help="audio files")
    learn.add_argument("--name", required=True,
                       help="the source's name; separated files are named after it")
    learn.add_argument("-k", "--components", dest="n_components", type=int, default=None,
                       help="basis spectra (default 32, fewer for examples under 3 s)")
    learn.add_argument("-o", "--out", default=None, help="output file (default NAME.npz)")
    _add_analysis_options(learn)
    learn.add_argument("--force", action="store_true", help="overwrite the output")
    _add_common(learn)

    demo = commands.add_parser(
        "demo", formatter_class=_Formatter,
        help="separate the built-in drums + guitar example and score it",
        description="Make the built-in drums + guitar example, separate it automatically, "
                    "print SDR/SIR/SAR against the truth, and write the audio and figures.",
        epilog="example:\n  nmfsep demo -o demo\n",
    )
    demo.add_argument("-o", "--out", default="demo", help="output folder")
    demo.add_argument("--duration", type=float, default=10.0, help="seconds of music")
    demo.add_argument("--seed", type=int, default=0, help="seed of the example")
    demo.add_argument("--force", action="store_true", help="overwrite existing outputs")
    _add_common(demo)

    ev = commands.add_parser(
        "eval", formatter_class=_Formatter, help="score a separation against references",
        description="SDR/SIR/SAR (BSS Eval v3) and SI-SDR of the estimates against the "
                    "references; files are matched by name, or by the best permutation.",
        epilog="example:\n  nmfsep eval --reference demo/truth --estimate demo/estimates\n",
    )
    ev.add_argument("--reference", required=True, metavar="DIR", help="true sources")
    ev.add_argument("--estimate", required=True, metavar="DIR", help="separated sources")
    ev.add_argument("--json", default=None, metavar="FILE", help="also write the scores here")
    ev.add_argument("--force", action="store_true", help="overwrite --json if it exists")
    _add_common(ev)
    return parser


# ---------------------------------------------------------------- helpers


def _names(text: str | None, n_sources: int) -> list[str]:
    if text is None:
        return [f"source{i + 1}" for i in range(n_sources)]
    names = [name.strip() for name in text.split(",")]
    if len(names) != n_sources:
        raise ParameterError(f"--names gives {len(names)} names for {n_sources} sources")
    for name in names:
        if (not name or name in {".", ".."} or "/" in name or "\\" in name
                or name.startswith(".") or "\x00" in name):
            raise ParameterError(f"--names: {name!r} is not a valid file name")
    if len(set(names)) != len(names):
        raise ParameterError("--names: every source needs its own name")
    return names


def _check_outputs(paths: Sequence[Path], inputs: Sequence[Path], force: bool) -> None:
    resolved_inputs = {p.resolve() for p in inputs}
    for path in paths:
        if path.resolve() in resolved_inputs:
            raise OutputError(f"{path}: the output would overwrite the input")
        if path.exists() and not force:
            raise OutputError(f"{path}: exists already (use --force to overwrite)")


def _write_json(path: Path, payload: dict, force: bool) -> None:
    with atomic_path(path, force=force) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


def _progress_callback(reporter, label: str, max_iter: int):
    def callback(iteration: int, loss: float) -> None:
        reporter.progress(label, iteration, max_iter, f"loss {loss:.4g}")
    return callback


def _component_table(separation) -> list[dict]:
    features = separation.features()
    rows = []
    for k in range(separation.n_components):
        row = {"index": k, "source": int(separation.labels[k])}
        row.update({name: round(float(values[k]), 6) for name, values in features.items()})
        rows.append(row)
    return rows


# ---------------------------------------------------------------- commands


def _separate_plan(args) -> tuple[int, list[str], list[list[int]] | None]:
    """Check the separation arguments once, before any file is read.

    Returns
    -------
    n_sources, names, groups
    """
    from .grouping import labels_from_groups
    from .separate import default_n_components

    _check_runs(args)
    if args.dicts:
        return _supervised_plan(args)
    if args.free or args.stream:
        raise ParameterError("--free and --stream need --dict (a dictionary from 'nmfsep learn')")
    if args.grouping not in STRATEGIES:
        raise ParameterError(f"unknown grouping {args.grouping!r}; choose one of "
                             f"{', '.join(sorted(STRATEGIES))}")
    groups = parse_groups(args.groups) if args.groups else None
    if args.sources is not None:
        n_sources = args.sources
    else:
        n_sources = len(groups) if groups else 2
    if n_sources < 1:
        raise ParameterError(f"-n must be at least 1 source, got {n_sources}")
    if groups is not None and len(groups) != n_sources:
        raise ParameterError(f"--groups gives {len(groups)} groups for {n_sources} sources")
    n_components = args.n_components or default_n_components(n_sources)
    if n_components < n_sources:
        raise ParameterError(f"n_components ({n_components}) must be an integer >= "
                             f"n_sources ({n_sources})")
    if groups is not None and not args.from_dir:
        labels_from_groups(groups, n_components)
    if not 0 <= args.beta <= 2:
        raise ParameterError(f"--beta must be in [0, 2], got {args.beta}")
    _check_stft_and_iterations(args)
    return n_sources, _names(args.names, n_sources), groups


def _check_runs(args) -> None:
    """``--runs``: a positive count, and more than one only where new factorizations are made."""
    if args.runs is None or args.runs == 1:
        return
    if args.runs < 1:
        raise ParameterError(f"--runs must be at least 1, got {args.runs}")
    for given, option in ((args.dicts, "--dict"), (args.from_dir, "--from"),
                          (args.groups, "--groups"), (args.stream, "--stream")):
        if given:
            raise ParameterError(f"--runs {args.runs} cannot be combined with {option}: it "
                                 "combines several blind factorizations grouped by a strategy")


def _check_stft_and_iterations(args) -> None:
    """The STFT, iteration and mask arguments, checked before any file is read."""
    from .spectral import STFTConfig

    if args.n_fft is not None:
        hop = args.hop if args.hop is not None else args.n_fft // 4
        STFTConfig(n_fft=args.n_fft, hop=hop)
    elif args.hop is not None and args.hop < 1:
        raise ParameterError(f"--hop must be at least 1, got {args.hop}")
    if args.max_iter < 0:
        raise ParameterError(f"--max-iter must be >= 0, got {args.max_iter}")
    if getattr(args, "mask_power", 1.0) <= 0:
        raise ParameterError(f"--mask-power must be positive, got {args.mask_power}")
    prior = getattr(args, "percussive_prior", PERCUSSIVE_PRIOR)
    if not math.isfinite(prior) or prior < 0:
        raise ParameterError(f"--percussive-prior must be 0 or more, got {prior}")


def _supervised_plan(args) -> tuple[int, list[str], None]:
    """The separation arguments with --dict; loads the dictionaries once (kept on ``args``)."""
    from .dictionary import load_dictionary
    from .supervised import source_names

    for flag, given in (("-k", args.n_components), ("--groups", args.groups),
                        ("--from", args.from_dir), ("--names", args.names)):
        if given:
            raise ParameterError(f"{flag} does not apply with --dict: the dictionaries and "
                                 f"--free set the components and name the sources")
    if args.free < 0:
        raise ParameterError(f"--free must be >= 0, got {args.free}")
    if args.stream and (args.free or args.export_components or args.plot):
        raise ParameterError("--stream writes only the sources of fixed dictionaries; "
                             "drop --free, --components-audio and --plot")
    if not 0 <= args.beta <= 2:
        raise ParameterError(f"--beta must be in [0, 2], got {args.beta}")
    _check_stft_and_iterations(args)
    if getattr(args, "loaded_dictionaries", None) is None:
        args.loaded_dictionaries = [load_dictionary(p) for p in args.dicts]
    names = source_names(args.loaded_dictionaries, args.free, args.sources)
    return len(names), names, None


def _stream_one(path: Path, args, reporter, position: str, names: list[str],
                outputs: list[Path]) -> dict:
    """``separate --stream``: block by block from the file to the outputs."""
    from .stream import stream_file

    started = time.perf_counter()
    info = stream_file(
        path, outputs[:-1], args.loaded_dictionaries, force=args.force, beta=args.beta,
        n_fft=args.n_fft, hop=args.hop, max_iter=args.max_iter, mask_power=args.mask_power,
        callback=lambda done, total: reporter.progress(f"{position} stream", done, total),
    )
    reporter.finish_progress()
    elapsed = time.perf_counter() - started
    dictionaries = args.loaded_dictionaries
    record = {
        "nmfsep_version": __version__,
        "input": str(path),
        "sample_rate": info["sr"],
        "channels": info["channels"],
        "duration_s": info["n_samples"] / info["sr"],
        "seconds": round(elapsed, 3),
        "stream": True,
        "dictionaries": args.dicts,
        "parameters": dict(beta=args.beta, max_iter=args.max_iter, mask_power=args.mask_power,
                           n_fft=dictionaries[0].stft.n_fft, hop=dictionaries[0].stft.hop,
                           window=dictionaries[0].stft.window),
        "sources": [{"name": name, "file": out.name} for name, out in
                    zip(names, outputs[:-1], strict=True)],
    }
    _write_json(outputs[-1], record, args.force)
    reporter.info(f"{position} {path} -> {outputs[-1].parent}/ ({', '.join(names)}) streamed "
                  f"in {elapsed:.1f} s")
    return record


def _too_long_for_memory(path: Path, args, n_sources: int) -> bool:
    """Whether the in-memory pipeline would not fit, so the file goes block by block.

    Only for a plain blind or manual separation (not ``--from``, ``--dict``,
    ``--components-audio`` or ``--plot``, which need everything in memory);
    the sizes come from the file's header, and a file whose header cannot be
    read is left to :func:`load` for its specific message.
    """
    import soundfile as sf

    from .resources import available_memory, estimate_memory

    if args.from_dir or args.dicts or args.export_components or args.plot:
        return False
    try:
        info = sf.info(str(path))
    except Exception:  # noqa: BLE001 - load() names the problem
        return False
    frames, channels, sr = int(info.frames), int(info.channels), int(info.samplerate)
    available = available_memory()
    if frames <= 0 or channels <= 0 or sr <= 0 or available is None:
        return False
    needed = estimate_memory(frames, channels=channels, sr=sr, n_sources=n_sources,
                             n_components=args.n_components, n_fft=args.n_fft, hop=args.hop)
    return needed + 8 * channels * frames > available  # + the signal, read and kept


def _separate_long(path: Path, args, reporter, position: str, n_sources: int,
                   names: list[str], groups, outputs: list[Path]) -> dict:
    """A file too long for memory: :mod:`nmfsep.longform`, block by block from the file."""
    import soundfile as sf

    from .errors import ResourceError
    from .longform import separate_file
    from .resources import (
        available_memory,
        estimate_memory,
        estimate_memory_streamed,
        separation_advice,
    )
    from .resources import format_bytes as size

    info = sf.info(str(path))
    frames, channels, sr = int(info.frames), int(info.channels), int(info.samplerate)
    check_write_format(outputs[0], channels, sr)
    sizes = dict(channels=channels, sr=sr, n_sources=n_sources, n_components=args.n_components,
                 n_fft=args.n_fft, hop=args.hop)
    in_memory = estimate_memory(frames, **sizes) + 8 * channels * frames
    streamed = estimate_memory_streamed(frames, **sizes)
    available = available_memory()
    if available is not None and streamed > available:
        raise ResourceError(
            f"{path}: separating {frames / sr / 60:.1f} min of {channels}-channel audio at "
            f"{sr} Hz into {n_sources} sources needs about {size(in_memory)} of memory at "
            f"once, {size(streamed)} block by block, but {size(available)} is available; "
            f"{separation_advice(frames, streamed, sr)}")
    if args.runs is not None and args.runs > 1:
        raise ParameterError(f"{path}: {frames / sr / 60:.1f} min is too long to separate in "
                             f"memory ({size(in_memory)}), and --runs works in memory only; "
                             "leave out --runs")
    reporter.info(f"{position} {path}: {channels} channel(s), {sr} Hz, {frames / sr:.1f} s: "
                  f"too long to hold in memory ({size(in_memory)}); separating it block by "
                  f"block (about {size(streamed)})")
    started = time.perf_counter()
    result = separate_file(
        path, outputs[:-1], force=args.force, n_sources=n_sources,
        n_components=args.n_components, beta=args.beta, grouping=args.grouping, groups=groups,
        n_fft=args.n_fft, hop=args.hop, max_iter=args.max_iter, mask_power=args.mask_power,
        percussive_prior=args.percussive_prior, random_state=args.seed,
        callback=_progress_callback(reporter, f"{position} NMF", args.max_iter),
    )
    reporter.finish_progress()
    elapsed = time.perf_counter() - started
    record = {
        "nmfsep_version": __version__,
        "input": str(path),
        "sample_rate": sr,
        "channels": channels,
        "duration_s": frames / sr,
        "seconds": round(elapsed, 3),
        "block_by_block": True,
        "parameters": result.parameters,
        "sources": [
            {"name": name, "file": out.name,
             "components": np.flatnonzero(result.labels == s).tolist()}
            for s, (name, out) in enumerate(zip(names, outputs[:-1], strict=True))
        ],
        "labels": result.labels.tolist(),
        "mask_experts": result.mask_experts,
        "loss_history": [{"iteration": i, "loss": loss} for i, loss in result.loss_history],
    }
    _write_json(outputs[-1], record, args.force)
    reporter.info(f"{position} {path} -> {outputs[-1].parent}/ ({', '.join(names)}) block by "
                  f"block in {elapsed:.1f} s")
    return record


def _separate_one(path: Path, args, reporter, position: str) -> dict:
    import nmfsep

    from .separate import AUTO_RUNS_SECONDS, default_n_runs
    from .store import load_factorization, restore

    n_sources, names, groups = _separate_plan(args)
    track = Path(args.out) / path.stem
    outputs = [track / f"{name}.{args.format}" for name in names] + [track / "separation.json"]
    _check_outputs(outputs, [path], args.force)
    if args.stream:
        return _stream_one(path, args, reporter, position, names, outputs)
    if _too_long_for_memory(path, args, n_sources):
        return _separate_long(path, args, reporter, position, n_sources, names, groups,
                              outputs)

    y, sr = _load(path, reporter)
    check_write_format(outputs[0], y.shape[0], sr)
    reporter.info(f"{position} {path}: {y.shape[0]} channel(s), {sr} Hz, "
                  f"{y.shape[1] / sr:.1f} s")
    started = time.perf_counter()
    if args.from_dir:
        sep = restore(y, sr, load_factorization(args.from_dir))
        if groups is not None:
            sep = sep.regroup(groups=groups)
        else:
            sep = sep.regroup(grouping=args.grouping, n_sources=n_sources,
                              percussive_prior=args.percussive_prior)
    elif args.dicts:
        sep = nmfsep.separate(
            y, sr, dictionaries=args.loaded_dictionaries, n_free_components=args.free,
            n_sources=args.sources, beta=args.beta, grouping=args.grouping, n_fft=args.n_fft,
            hop=args.hop, max_iter=args.max_iter, mask_power=args.mask_power,
            random_state=args.seed,
            callback=_progress_callback(reporter, f"{position} NMF", args.max_iter),
        )
    else:
        runs = args.runs or default_n_runs(y.shape[1], sr, "manual" if groups else args.grouping,
                                           n_sources=n_sources)
        if args.runs is None and runs > 1:
            reporter.info(f"{position} {runs} factorizations combined (the default up to "
                          f"{AUTO_RUNS_SECONDS:.0f} s; --runs 1 is over 3 times as fast)")
        sep = nmfsep.separate(
            y, sr, n_sources=n_sources, n_components=args.n_components, beta=args.beta,
            grouping=args.grouping, groups=groups, n_fft=args.n_fft, hop=args.hop,
            max_iter=args.max_iter, mask_power=args.mask_power,
            percussive_prior=args.percussive_prior, n_runs=runs, random_state=args.seed,
            callback=_progress_callback(reporter, f"{position} NMF", args.max_iter * runs),
        )
    reporter.finish_progress()
    elapsed = time.perf_counter() - started

    written = []
    for source, target in zip(sep.sources, outputs, strict=False):
        save(target, source, sr, force=args.force)
        written.append(str(target))
        reporter.debug(f"  wrote {target}")
    if args.export_components:
        for k in range(sep.n_components):
            target = track / "components" / f"component_{k:02d}.{args.format}"
            save(target, sep.component(k), sr, force=args.force)
    if args.plot:
        from .plot import plot_overview

        plot_overview(sep, track / "separation.png", names=names, force=args.force)
    record = {
        "nmfsep_version": __version__,
        "input": str(path),
        "sample_rate": sr,
        "channels": int(y.shape[0]),
        "duration_s": y.shape[1] / sr,
        "seconds": round(elapsed, 3),
        "parameters": sep.parameters,
        "from": args.from_dir,
        "dictionaries": args.dicts,
        "sources": [
            {"name": name, "file": Path(out).name,
             "components": np.flatnonzero(sep.labels == s).tolist()}
            for s, (name, out) in enumerate(zip(names, written, strict=True))
        ],
        "labels": sep.labels.tolist(),
        "mask_experts": None if sep.prior is None else sep.prior.describe(),
        "components": _component_table(sep),
        "loss_history": [{"iteration": i, "loss": loss} for i, loss in sep.loss_history],
    }
    _write_json(outputs[-1], record, args.force)
    reporter.info(f"{position} {path} -> {track}/ ({', '.join(names)}) in {elapsed:.1f} s")
    return record


#: Fraction of full-scale samples above which the command line warns of clipping.
CLIPPED_WARNING = 1e-3


def _load(path: Path, reporter) -> tuple[np.ndarray, int]:
    """Load and validate one input; its warnings (truncated, clipped) go to the reporter."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y, sr = load(path)
    for warning in caught:
        reporter.info(f"warning: {warning.message}")
    y = validate_signal(y, sr, name=str(path))
    fraction = clipped_fraction(y)
    if fraction > CLIPPED_WARNING:
        reporter.info(f"warning: {path}: {100 * fraction:.2g} % of the samples are clipped "
                      "(at full scale); the distortion will be spread over every source")
    return y, sr


def _cmd_separate(args, reporter) -> int:
    paths = [Path(p) for p in args.inputs]
    _separate_plan(args)
    stems: dict[str, Path] = {}
    failures: list[tuple[Path, str]] = []
    for number, path in enumerate(paths, 1):
        position = f"[{number}/{len(paths)}]"
        try:
            if path.stem in stems:
                raise OutputError(f"{path}: would write to the same folder as {stems[path.stem]}")
            stems[path.stem] = path
            _separate_one(path, args, reporter, position)
        except NmfsepError as exc:
            reporter.finish_progress()
            if str(path) not in str(exc):
                exc = type(exc)(f"{path}: {exc}")
            if len(paths) == 1:
                raise exc from None
            reporter.error(str(exc))
            if args.verbose:
                traceback.print_exc()
            failures.append((path, str(exc)))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop a batch
            if len(paths) == 1:
                raise
            reporter.finish_progress()
            if isinstance(exc, MemoryError):
                message = f"{path}: out of memory; try fewer components or a larger hop"
            else:
                message = (f"{path}: unexpected {type(exc).__name__}: {exc} (a bug in nmfsep; "
                           "please report it with the traceback below)")
            reporter.error(message)
            if not isinstance(exc, MemoryError) or args.verbose:
                traceback.print_exc()
            failures.append((path, message))
    if failures:
        reporter.error(f"{len(failures)} of {len(paths)} inputs failed:")
        for _path, message in failures:
            print(f"  {message}", file=sys.stderr)
        return EXIT_BATCH_FAILED
    return 0


def _cmd_learn(args, reporter) -> int:
    from .dictionary import check_name, learn_dictionary

    check_name(args.name)
    out = Path(args.out) if args.out else Path(f"{args.name}.npz")
    if args.n_components is not None and args.n_components < 1:
        raise ParameterError(f"-k must be a positive number of components, got "
                             f"{args.n_components}")
    if not 0 <= args.beta <= 2:
        raise ParameterError(f"--beta must be in [0, 2], got {args.beta}")
    _check_stft_and_iterations(args)
    paths = [Path(p) for p in args.examples]
    _check_outputs([out], paths, args.force)
    examples, rates = [], []
    for path in paths:
        y, sr = _load(path, reporter)
        if rates and sr != rates[0]:
            raise ParameterError(f"{path} is at {sr} Hz but {paths[0]} at {rates[0]} Hz; "
                                 f"resample the examples to one rate")
        examples.append(y)
        rates.append(sr)
    dictionary = learn_dictionary(
        examples, rates[0], name=args.name, n_components=args.n_components, beta=args.beta,
        n_fft=args.n_fft, hop=args.hop, max_iter=args.max_iter, random_state=args.seed,
        callback=_progress_callback(reporter, "NMF", args.max_iter),
    )
    reporter.finish_progress()
    dictionary.save(out, force=args.force)
    reporter.info(f"learned {dictionary.n_components} basis spectra of {args.name!r} from "
                  f"{len(paths)} example(s), {dictionary.info['seconds']:.1f} s at {rates[0]} "
                  f"Hz; use it with: nmfsep separate MIX --dict {out}")
    print(out)
    return 0


def _cmd_components(args, reporter) -> int:
    import nmfsep

    from .store import save_factorization

    path = Path(args.input)
    out = Path(args.out) if args.out else path.parent / f"{path.stem}_components"
    k_total = args.n_components
    if k_total is None or k_total < 1:
        raise ParameterError(f"-k must be a positive number of components, got {k_total}")
    if not 0 <= args.beta <= 2:
        raise ParameterError(f"--beta must be in [0, 2], got {args.beta}")
    _check_stft_and_iterations(args)
    y, sr = _load(path, reporter)
    plots = not args.no_plots
    if plots:
        try:
            from .plot import plot_component, require_matplotlib

            require_matplotlib()
        except NmfsepError as exc:
            reporter.info(f"no figures: {exc}")
            plots = False
    audio = [out / f"component_{k:02d}.wav" for k in range(k_total)]
    figures = [out / f"component_{k:02d}.png" for k in range(k_total)] if plots else []
    _check_outputs(audio + figures + [out / "index.html", out / "factorization.npz"],
                   [path], args.force)
    reporter.info(f"{path}: {y.shape[0]} channel(s), {sr} Hz, {y.shape[1] / sr:.1f} s")
    sep = nmfsep.separate(  # one source, so one run (default_n_runs)
        y, sr, n_sources=1, n_components=k_total, beta=args.beta, n_fft=args.n_fft,
        hop=args.hop, max_iter=args.max_iter, random_state=args.seed,
        callback=_progress_callback(reporter, "NMF", args.max_iter),
    )
    reporter.finish_progress()
    features = sep.features()
    for k in range(k_total):
        save(audio[k], sep.component(k), sr, force=args.force)
        if plots:
            plot_component(sep, k, figures[k], force=args.force)
        reporter.progress("writing components", k + 1, k_total)
    reporter.finish_progress()
    save_factorization(sep, out / "factorization.npz", force=args.force)
    page = _index_html(path, sep, features, plots)
    with atomic_path(out / "index.html", force=args.force) as tmp:
        tmp.write_text(page)
    reporter.info(f"wrote {k_total} components to {out}/ — open {out / 'index.html'}, listen, "
                  f"then: nmfsep separate {path} --from {out} --groups \"0,1;2,3\"")
    print(out / "index.html")
    return 0


def _index_html(path: Path, sep, features: dict, plots: bool) -> str:
    rows = []
    for k in range(sep.n_components):
        facts = ", ".join(f"{name} {float(values[k]):.3g}" for name, values in features.items())
        figure = (f'<img src="component_{k:02d}.png" alt="component {k}" loading="lazy">'
                  if plots else "")
        rows.append(
            f'<section id="c{k}"><h2>component {k}</h2>{figure}'
            f'<audio controls preload="none" src="component_{k:02d}.wav"></audio>'
            f"<p>{html.escape(facts)}</p></section>"
        )
    title = html.escape(f"Components of {path.name}")
    usage = html.escape(f'nmfsep separate {path} --from {path.stem}_components '
                        '--groups "0,3,5;1,2,4"')
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:60em;"
        "margin:auto}} section{{border-bottom:1px solid #ccc;padding:.5em 0}} img{{width:100%}}"
        "</style></head><body>"
        f"<h1>{title}</h1><p>Listen to each component, note which belong together, then "
        f"rebuild the sources from exactly these components:</p><pre>{usage}</pre>"
        + "".join(rows) + "</body></html>\n"
    )


def _cmd_demo(args, reporter) -> int:
    import nmfsep

    from .metrics import evaluate
    from .separate import default_n_runs

    out = Path(args.out)
    example = nmfsep.synth.drums_and_guitar(duration=args.duration, seed=args.seed)
    names = example.names
    files = ([out / "mixture.wav"] + [out / "truth" / f"{n}.wav" for n in names]
             + [out / "estimates" / f"{n}.wav" for n in names] + [out / "scores.json"])
    _check_outputs(files, [], args.force)
    reporter.info(f"built-in example: {' + '.join(names)}, {args.duration:.0f} s at "
                  f"{example.sr} Hz")
    started = time.perf_counter()
    runs = default_n_runs(example.mixture.shape[1], example.sr)
    sep = nmfsep.separate(example.mixture, example.sr, n_sources=len(names), n_runs=runs,
                          callback=_progress_callback(reporter, "NMF", 200 * runs))
    reporter.finish_progress()
    elapsed = time.perf_counter() - started
    scores = evaluate(example.sources, sep.sources)
    estimates = sep.sources[scores.permutation]
    save(files[0], example.mixture, example.sr, force=args.force)
    for i in range(len(names)):
        save(files[1 + i], example.sources[i], example.sr, force=args.force)
        save(files[1 + len(names) + i], estimates[i], example.sr, force=args.force)
    rows = scores.as_rows(names)
    try:
        from .plot import plot_overview

        ordered = sep.regroup(labels=np.argsort(scores.permutation)[sep.labels])
        plot_overview(ordered, out / "separation.png", names=names, force=args.force)
    except NmfsepError as exc:
        reporter.info(f"no figures: {exc}")
    _write_json(files[-1], {"seconds": elapsed, "parameters": sep.parameters, "scores": rows},
                args.force)
    print(_table(rows, f"nmfsep demo: automatic separation in {elapsed:.1f} s "
                       f"(dB, higher is better)"))
    reporter.info(f"wrote {out}/ (mixture.wav, truth/, estimates/, scores.json)")
    return 0


def _table(rows: list[dict], title: str) -> str:
    lines = [title, f"{'source':<12}{'SDR':>8}{'SIR':>8}{'SAR':>8}{'SI-SDR':>8}"]
    for row in rows:
        lines.append(f"{row['source']:<12}{row['sdr']:>8.2f}{row['sir']:>8.2f}"
                     f"{row['sar']:>8.2f}{row['si_sdr']:>8.2f}")
    return "\n".join(lines)


def _audio_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise ParameterError(f"{folder}: not a folder")
    files = sorted(p for p in folder.iterdir()
                   if p.suffix.lower() in {".wav", ".flac", ".ogg", ".mp3"} and p.is_file())
    if not files:
        raise ParameterError(f"{folder}: holds no audio files")
    return files


def _cmd_eval(args, reporter) -> int:
    from .metrics import evaluate

    references = _audio_files(Path(args.reference))
    estimates = _audio_files(Path(args.estimate))
    by_name = {p.stem: p for p in estimates}
    matched = all(r.stem in by_name for r in references)
    chosen = [by_name[r.stem] for r in references] if matched else estimates
    if len(chosen) < len(references):
        raise ParameterError(f"{len(chosen)} estimates for {len(references)} references")
    def checked(path: Path) -> tuple[np.ndarray, int]:
        y, sr = load(path)
        return validate_signal(y, sr, name=str(path)), sr

    ref_audio = [checked(p) for p in references]
    est_audio = [checked(p) for p in chosen]
    rates = {sr for _, sr in ref_audio + est_audio}
    if len(rates) > 1:
        raise ParameterError(f"the files have different sample rates: {sorted(rates)}")
    length = min(y.shape[1] for y, _ in ref_audio + est_audio)
    channels = max(y.shape[0] for y, _ in ref_audio + est_audio)

    def stack(items):
        return np.stack([np.broadcast_to(y[:, :length], (channels, length)) for y, _ in items])

    scores = evaluate(stack(ref_audio), stack(est_audio), permute=not matched)
    rows = scores.as_rows([r.stem for r in references])
    for row, index in zip(rows, scores.permutation, strict=True):
        row["estimate"] = chosen[index].name
    how = "by name" if matched else "by best permutation"
    print(_table(rows, f"scores of {args.estimate} against {args.reference} (matched {how}, dB)"))
    if args.json:
        _write_json(Path(args.json), {"matched": how, "scores": rows}, args.force)
    return 0


COMMANDS = {"separate": _cmd_separate, "components": _cmd_components, "demo": _cmd_demo,
            "eval": _cmd_eval, "learn": _cmd_learn}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    from .progress import Reporter

    args = build_parser().parse_args(argv)
    reporter = Reporter(0 if args.quiet else (2 if args.verbose else 1))
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not in the main thread
        pass
    try:
        return COMMANDS[args.command](args, reporter)
    except NmfsepError as exc:
        reporter.error(str(exc))
        if args.verbose:
            traceback.print_exc()
        return exc.exit_code
    except KeyboardInterrupt:
        reporter.error("interrupted; finished outputs are complete, no partial file was left")
        return EXIT_INTERRUPTED
    except Terminated:
        reporter.error("terminated; finished outputs are complete, no partial file was left")
        return EXIT_TERMINATED
    except MemoryError:
        reporter.error("out of memory; try a shorter file, fewer components or a larger hop")
        return 5
    finally:
        reporter.finish_progress()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
