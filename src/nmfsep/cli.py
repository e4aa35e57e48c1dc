"""The ``nmfsep`` command line: parsing, progress, messages and exit codes.

No algorithm lives here: every command turns its options into the library's
configuration (:class:`nmfsep.config.SeparationConfig`), calls the library and
reports.  Messages and progress go to stderr, results to stdout and files.

Exit codes: 0 success; 1 some inputs of a batch failed; 2 bad arguments or
parameters; 3 unusable input audio; 4 an output cannot be written; 5 the work
would not fit in memory; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from . import drums_command
from ._version import __version__
from .argtypes import seed
from .audio import audio_info, check_outputs, load, validate_signal
from .batch import add_batch_arguments, is_batch, run_batch
from .config import DEFAULT_MAX_ITER, SeparationConfig, source_names
from .dictionary import DEFAULT_PITCH_SHIFTS, check_name, learn_dictionary, load_dictionary
from .errors import NmfsepError, ParameterError
from .export import check_names, export_components, separate_track
from .grouping import STRATEGIES, example_groups, parse_groups
from .pitch_shift import semitone_steps
from .plot import require_matplotlib
from .policy import DEFAULT_POLICY, DRUM_NAMES
from .progress import Reporter
from .record import write_record
from .resources import parse_bytes
from .separate import separate
from .studio import command as studio

__all__ = ["main", "build_parser"]

#: Exit statuses of a run stopped by Ctrl-C and by SIGTERM.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
#: The options that set each parameter, to name them in the library's messages.
FLAGS = {"n_sources": "-n", "beta": "--beta", "max_iter": "--max-iter", "hop": "--hop",
         "n_fft": "--n-fft", "mask power": "--mask-power", "percussive_prior":
         "--percussive-prior", "n_runs": "--runs", "n_free_components": "--free",
         "random_state": "--seed"}


class Terminated(BaseException):
    """Raised in the main thread when SIGTERM arrives, so that cleanup runs."""


def _on_sigterm(signum, frame):
    raise Terminated


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions as written; an option's default shown when it has one its help does not say."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.default is None or action.default is False
                or action.default == argparse.SUPPRESS or "default" in text):
            return text
        return super()._get_help_string(action)


def _command(commands, name: str, help: str, description: str, examples: str):
    return commands.add_parser(name, formatter_class=_Formatter, help=help,
                               description=description, epilog="examples:\n" + examples)


def _add_common(parser: argparse.ArgumentParser, force: str = "overwrite existing outputs") -> None:
    parser.add_argument("--force", action="store_true", help=force)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="more detail (what auto decided and why), tracebacks on errors")


def _add_analysis_options(parser: argparse.ArgumentParser, beta_default: str = "",
                          iterations_default: str = "") -> None:
    """The factorization's options, the same for separate, components and learn.

    ``beta_default`` adds to ``--beta``'s help where its default is not always 1,
    ``iterations_default`` to ``--max-iter``'s where its default is not always
    :data:`DEFAULT_MAX_ITER`.
    """
    parser.add_argument("--beta", type=float, default=None,
                        help="beta-divergence: 0 Itakura-Saito, 1 Kullback-Leibler (the "
                             f"default{beta_default}), 2 Euclidean")
    parser.add_argument("--seed", type=seed, default=0, help="random seed")
    parser.add_argument("--n-fft", type=int, default=None,
                        help="STFT frame length (default ≈93 ms)")
    parser.add_argument("--hop", type=int, default=None, help="STFT hop (default n_fft/4)")
    parser.add_argument("--max-iter", type=int, default=None,
                        help=f"NMF iterations at most (default {DEFAULT_MAX_ITER}"
                             f"{iterations_default})")


def _max_iter(args) -> int:
    """``--max-iter``, or :data:`DEFAULT_MAX_ITER` when it is not given."""
    return DEFAULT_MAX_ITER if args.max_iter is None else args.max_iter


def _add_separate(commands) -> None:
    sep = _command(
        commands, "separate", "separate recordings into sources",
        "Separate each INPUT into sources; writes OUT/<track>/<name>.wav and "
        "OUT/<track>/separation.json. With the default grouping, auto, nmfsep listens for a "
        "drum part: if it hears one, the drums are split off first and their mask leans on a "
        "harmonic/percussive split; otherwise the instruments are told apart by timbre and by "
        "when they play. Change --grouping when you know better (the policy table: "
        "docs/cli.md), or group by hand with 'nmfsep components' and --groups.",
        "  nmfsep separate song.wav -n 2 --names drums,guitar\n"
        "  nmfsep separate a.wav b.flac -o stems -k 24 --grouping timbre\n"
        "  nmfsep separate song.wav --from comps --groups \"0,3,5;1,2,4,6-15\"\n"
        "  nmfsep separate song.wav --dict drums.npz --dict guitar.npz\n"
        "  nmfsep separate long.flac --max-memory 2G\n")
    sep.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    sep.add_argument("-o", "--out", default="separated", help="output folder")
    sep.add_argument("-n", "--sources", type=int, default=None,
                     help="number of sources (default 2, or the number of --groups)")
    sep.add_argument("-k", "--components", dest="n_components", type=int, default=None,
                     help="NMF components (default 10 per source)")
    sep.add_argument("--grouping", default="auto", metavar="NAME",
                     help=f"how components become sources: {', '.join(sorted(STRATEGIES))}")
    sep.add_argument("--groups", default=None, metavar="\"0,3,5;1,2,4\"",
                     help="assign components by hand: ';' between sources, ',' within")
    sep.add_argument("--names", default=None,
                     help="source names, one per source, e.g. drums,guitar or "
                          "vocals,accompaniment; auto reads them: a voice or lead named "
                          "against the rest is not split as drums and the rest, and comes "
                          "out under its name")
    sep.add_argument("--format", choices=["wav", "flac"], default="wav", help="output format")
    _add_analysis_options(sep, beta_default=f"; {DEFAULT_POLICY.dictionary_beta:g} with --dict "
                                            "and neither --free nor --stream",
                          iterations_default=f"; {DEFAULT_POLICY.dictionary_iterations} with "
                                             "--dict and neither --free nor --stream")
    sep.add_argument("--mask-power", type=float, default=1.0,
                     help="1 ratio masks, 2 Wiener masks")
    sep.add_argument("--percussive-prior", type=float, default=None, metavar="P",
                     help="strength of the experts beside the factorization (HPSS weights for "
                          "a drum source, registers, shares; see docs/cli.md); 0 turns them "
                          "off (default 0.75; 0.5 with --dict, on a dictionary named drums)")
    sep.add_argument("--runs", type=int, default=None, metavar="R",
                     help="combine R factorizations (other starts, more components, shorter "
                          "frames): cleaner sources, each run one more factorization "
                          "(default 5 up to 60 s of audio, else 1)")
    sep.add_argument("--max-memory", default=None, metavar="SIZE",
                     help="memory the separation may use, e.g. 2G: above it the recording is "
                          "read block by block (default: what the machine has)")
    sep.add_argument("--from", dest="from_dir", default=None, metavar="DIR",
                     help="reuse the factorization saved by 'nmfsep components' in DIR")
    sep.add_argument("--dict", dest="dicts", action="append", default=None, metavar="FILE",
                     help="a dictionary from 'nmfsep learn' (repeatable): one source per "
                          "dictionary, named after it (supervised); builtin:drums is "
                          "nmfsep's drum templates, with --free the drums against the rest")
    sep.add_argument("--free", type=int, default=0, metavar="K",
                     help="with --dict: K components learned from the mixture for the rest, "
                          "the source 'rest' (semi-supervised)")
    sep.add_argument("--stream", action="store_true",
                     help="with --dict and no --free: separate block by block as a live "
                          "stream, in bounded memory")
    sep.add_argument("--components-audio", "--export-components", dest="export_components",
                     action="store_true", help="also write every component's audio")
    sep.add_argument("--plot", action="store_true", help="write a figure (needs nmfsep[plot])")
    _add_common(sep)
    add_batch_arguments(sep)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="nmfsep", formatter_class=_Formatter,
        description="Separate recordings into their sources by non-negative matrix "
                    "factorization.",
        epilog="examples:\n  nmfsep demo\n  nmfsep separate song.wav -n 2 --names drums,guitar\n"
               "  nmfsep components song.wav -k 16 -o comps\n"
               "  nmfsep separate song.wav --from comps --groups \"0,3,5;1,2,4,6-15\"\n")
    parser.add_argument("--version", action="version", version=f"nmfsep {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_separate(commands)

    comp = _command(
        commands, "components", "write every component as audio and a figure, to listen and "
        "pick", "Factorize INPUT and write each component as audio (component_NN.wav), a figure "
        "per component, an index.html to listen and decide, and the factorization "
        "(factorization.npz) for 'separate --from'.",
        "  nmfsep components song.wav -k 16 -o comps\n  (listen in comps/index.html, then)\n"
        "  nmfsep separate song.wav --from comps --groups \"0,3,5;1,2,4,6-15\"\n")
    comp.add_argument("input", metavar="INPUT", help="the audio file to factorize")
    comp.add_argument("-k", "--components", dest="n_components", type=int, default=16,
                      help="number of components")
    comp.add_argument("-o", "--out", default=None, help="output folder (default: "
                                                        "<track>_components)")
    _add_analysis_options(comp)
    comp.add_argument("--no-plots", action="store_true", help="skip the figures")
    _add_common(comp)

    learn = _command(
        commands, "learn", "learn a source's dictionary from recordings of it alone",
        "Learn a dictionary of basis spectra from EXAMPLE recordings of one source alone (a "
        "few seconds of the drummer, of the singer), for 'nmfsep separate --dict'. Several "
        "examples make one dictionary.",
        "  nmfsep learn drums1.wav drums2.wav --name drums -o drums.npz\n"
        "  nmfsep separate song.wav --dict drums.npz --free 8\n")
    learn.add_argument("examples", nargs="+", metavar="EXAMPLE", help="audio files")
    learn.add_argument("--name", required=True,
                       help="the source's name; separated files are named after it")
    learn.add_argument("-k", "--components", dest="n_components", type=int, default=None,
                       help="basis spectra (default 32, fewer for examples under 3 s)")
    learn.add_argument("-o", "--out", default=None, help="output file (default NAME.npz)")
    learn.add_argument("--pitch-shifts", type=int, default=None, metavar="N",
                       help="also learn from copies of the examples shifted by every whole "
                            "semitone up to N, up and down, so that the dictionary knows the "
                            "notes next to theirs, unless they do not sound pitched (a drum "
                            "kit); default 2, 0 learns from the examples as recorded")
    _add_analysis_options(learn)
    _add_common(learn, force="overwrite the output")

    demo = _command(
        commands, "demo", "separate the built-in drums + guitar example and score it",
        "Make the built-in drums + guitar example, separate it automatically, print "
        "SDR/SIR/SAR against the truth, and write the audio and figures.",
        "  nmfsep demo -o demo\n")
    demo.add_argument("-o", "--out", default="demo", help="output folder")
    demo.add_argument("--duration", type=_positive_seconds, default=10.0,
                      help="length of the music, e.g. 10 or 30s")
    demo.add_argument("--seed", type=seed, default=0, help="seed of the example")
    _add_common(demo)

    ev = _command(
        commands, "eval", "score a separation against references",
        "SDR/SIR/SAR (BSS Eval v3) and SI-SDR of the estimates against the references; files "
        "are matched by name, or by the best permutation.",
        "  nmfsep eval --reference demo/truth --estimate demo/estimates\n")
    ev.add_argument("--reference", required=True, metavar="DIR", help="true sources")
    ev.add_argument("--estimate", required=True, metavar="DIR", help="separated sources")
    ev.add_argument("--json", default=None, metavar="FILE", help="also write the scores here")
    _add_common(ev, force="overwrite --json if it exists")
    drums_command.add_parsers(commands, _command, _add_common)
    studio.add_parser(commands)  # the web extra is imported only when it runs
    return parser


# ---------------------------------------------------------------- helpers


def _positive_seconds(text: str) -> float:
    """An option's duration (``10``, ``30s``, ``2m``; :func:`parse_duration`), for argparse."""
    try:
        return studio.parse_duration(text, option=None)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _flagged(error: ParameterError) -> ParameterError:
    """The library's message with the parameter named by its command-line option."""
    text = str(error)
    for name, flag in FLAGS.items():
        if text.startswith(f"{name} must"):
            return ParameterError(flag + text[len(name):])
    return error


def _nmf_progress(reporter: Reporter, label: str, total: int) -> Callable[[int, float], None]:
    def callback(iteration: int, loss: float) -> None:
        reporter.progress(label, iteration, total, f"loss {loss:.4g}")
    return callback


def _separation_config(args) -> tuple[SeparationConfig, list[str]]:
    """Every separation option checked once, before any file is read: the config and names."""
    if (args.free or args.stream) and not args.dicts:
        raise ParameterError("--free and --stream need --dict (a dictionary from 'nmfsep learn')")
    for given, option in ((args.from_dir, "--from"), (args.stream, "--stream"),
                          (args.groups, "--groups")):
        if given and args.runs not in (None, 1):
            raise ParameterError(f"--runs {args.runs} cannot be combined with {option}: it "
                                 "combines several blind factorizations grouped by a strategy")
    if args.plot:
        require_matplotlib()  # before any work, not after the separation
    groups = parse_groups(args.groups) if args.groups else None
    if groups is not None and len(groups) < 2:
        raise ParameterError(f"--groups {args.groups!r} gives one group: ';' separates the "
                             "sources' groups, e.g. \"0-2;3-5\"")
    n_sources = len(groups) if groups else (args.sources or 2)
    if args.n_components is not None and args.n_components < n_sources and not args.dicts:
        raise ParameterError(f"-k {args.n_components} gives fewer components than the "
                             f"{n_sources} sources (-n): each source needs one at least")
    if groups is not None and args.sources is not None and len(groups) != args.sources:
        raise ParameterError(f"--groups gives {len(groups)} groups for {args.sources} sources")
    dictionaries, names = None, None
    if args.names is not None and not args.dicts:
        names = check_names(args.names.split(","), n_sources)
    if args.dicts:
        for flag, given in (("-k", args.n_components), ("--groups", args.groups),
                            ("--from", args.from_dir), ("--names", args.names)):
            if given:
                raise ParameterError(f"{flag} does not apply with --dict: the dictionaries and "
                                     f"--free set the components and name the sources")
        if args.stream and (args.free or args.export_components or args.plot):
            raise ParameterError("--stream writes only the sources of fixed dictionaries; "
                                 "drop --free, --components-audio and --plot")
        if args.stream and args.max_memory is not None:
            raise ParameterError("--max-memory does not apply with --stream: the stream holds "
                                 "a block at a time whatever the file's length")
        if args.sources is not None and not args.free and args.sources != len(args.dicts):
            raise ParameterError(
                f"-n {args.sources} with {len(args.dicts)} dictionaries: each dictionary is "
                "one source" + ("" if args.stream or args.sources < len(args.dicts) else
                                "; the other sources need free components (--free K)"))
        if args.grouping != "auto" and not args.free:
            raise ParameterError("--grouping does not apply with --dict alone: each "
                                 "dictionary is its source (it splits --free components)")
        dictionaries = [load_dictionary(path) for path in args.dicts]
    if args.from_dir:
        for flag, given in (("-k", args.n_components is not None),
                            ("--n-fft", args.n_fft is not None), ("--hop", args.hop is not None),
                            ("--beta", args.beta is not None),
                            ("--max-iter", args.max_iter is not None),
                            ("--max-memory", args.max_memory is not None)):
            if given:
                raise ParameterError(f"{flag} does not apply with --from: the saved "
                                     "factorization was made with its own")
    try:
        config = SeparationConfig(
            n_sources=args.sources, n_components=args.n_components, beta=args.beta,
            grouping=args.grouping, groups=None if args.from_dir else groups,
            names=None if names is None else tuple(names), dictionaries=dictionaries,
            n_free_components=args.free, n_fft=args.n_fft, hop=args.hop,
            mask_power=args.mask_power, percussive_prior=args.percussive_prior,
            n_runs=args.runs, max_iter=args.max_iter, random_state=args.seed,
            max_memory=None if args.max_memory is None else
            parse_bytes(args.max_memory, "--max-memory"))
    except ParameterError as exc:
        raise _flagged(exc) from None
    if dictionaries is not None:
        return config, source_names(dictionaries, args.free, args.sources)
    return config, names or [f"source{i + 1}" for i in range(n_sources)]


# ---------------------------------------------------------------- commands


def _separate_one(path: Path, args, config: SeparationConfig, names: list[str],
                  reporter: Reporter, position: str) -> dict:
    sr, channels, n_samples = audio_info(path)
    reporter.info(f"{position} {path}: {channels} channel(s), {sr} Hz, {n_samples / sr:.1f} s")
    runs = 1 if args.from_dir or args.stream else \
        config.resolve(sr=sr, n_samples=n_samples).n_runs
    started = time.perf_counter()
    record = separate_track(
        path, Path(args.out) / path.stem, config=config, names=names, fmt=args.format,
        force=args.force, components_audio=args.export_components, plot=args.plot,
        from_dir=args.from_dir, groups=parse_groups(args.groups) if args.groups else None,
        stream=args.stream, log=lambda message: reporter.info(f"{position} {path}: {message}"),
        record_extra={"dictionaries": args.dicts} if args.dicts else None,
        callback=(lambda done, total: reporter.progress(f"{position} stream", done, total))
        if args.stream else _nmf_progress(reporter, f"{position} NMF",
                                          config.iterations() * runs))
    reporter.finish_progress()
    decision = record.get("decision") or {}
    for reason in decision.get("reasons", []):
        reporter.debug(f"  auto: {reason}")
    if decision.get("kit"):
        pieces = ", ".join(f"{name} is the {piece}"
                           for name, piece in zip(names, decision["kit"][0], strict=True))
        reporter.info(f"{position} the drums play alone, so they were split into the kit's "
                      f"pieces from nmfsep's drum templates (one factorization): {pieces}")
    elif decision.get("drum_source") is not None:
        drums = names[decision["drum_source"]]
        others = [name for name in names if name != drums]
        rest = f"{others[0]} everything else" if len(others) == 1 else \
            f"{', '.join(others)} the other instruments"
        reporter.info(f"{position} a drum part is heard: {drums} holds the drums, {rest}")
    elif decision.get("lead_source") is not None:
        lead = names[decision["lead_source"]]
        rest = names[1 - decision["lead_source"]]
        reporter.info(f"{position} {lead} holds the voice or lead instrument and {rest} the "
                      "rest, told apart by timbre and by when they play (as named)")
    hpss = (record.get("mask_experts") or {}).get("hpss")
    if args.dicts and hpss is not None:
        reporter.info(f"{position} {names[hpss['source']]} is named a drum part, so its "
                      f"masks are also weighed by the mixture's percussive (HPSS) mask, "
                      f"strength {hpss['strength']:g} (--percussive-prior 0 turns it off)")
    reporter.info(f"{position} {path} -> {Path(args.out) / path.stem}/ ({', '.join(names)}) "
                  f"in {time.perf_counter() - started:.1f} s")
    return record


def _cmd_separate(args, reporter: Reporter) -> int:
    config, names = _separation_config(args)
    if is_batch(args):  # folders, several files or a cluster: resumable, on Dask
        return run_batch(args, reporter, config, names)
    _separate_one(Path(args.inputs[0]), args, config, names, reporter, "[1/1]")
    return 0


def _check_analysis(args) -> None:
    """The factorization's options, before any file is read."""
    try:
        SeparationConfig(beta=args.beta, n_fft=args.n_fft, hop=args.hop,
                         max_iter=args.max_iter)
    except ParameterError as exc:
        raise _flagged(exc) from None
    if args.n_components is not None and args.n_components < 1:
        raise ParameterError(f"-k must be a positive number of components, got "
                             f"{args.n_components}")


def _cmd_learn(args, reporter: Reporter) -> int:
    check_name(args.name)
    out = Path(args.out) if args.out else Path(f"{args.name}.npz")
    _check_analysis(args)
    shifts = (DEFAULT_PITCH_SHIFTS if args.pitch_shifts is None
              else semitone_steps(args.pitch_shifts, "--pitch-shifts"))
    paths = [Path(p) for p in args.examples]
    check_outputs([out], paths, args.force)
    examples, rates = [], []
    for path in paths:
        y, sr = load(path)
        validate_signal(y, sr, name=str(path))  # the file named, not "example 1"
        if rates and sr != rates[0]:
            raise ParameterError(f"{path} is at {sr} Hz but {paths[0]} at {rates[0]} Hz; "
                                 f"resample the examples to one rate")
        examples.append(y)
        rates.append(sr)
    dictionary = learn_dictionary(
        examples, rates[0], name=args.name, n_components=args.n_components,
        beta=1.0 if args.beta is None else args.beta,
        n_fft=args.n_fft, hop=args.hop, pitch_shifts=shifts, max_iter=_max_iter(args),
        random_state=args.seed, callback=_nmf_progress(reporter, "NMF", _max_iter(args)))
    reporter.finish_progress()
    dictionary.save(out, force=args.force)
    used = [float(s) for s in dictionary.info["pitch_shifts"].split(",") if s]
    shifted = ""
    if used:
        shifted = f", and from copies shifted by {', '.join(f'{s:+g}' for s in used)} semitones"
    elif shifts:  # asked for, but the pitched test left them out
        shifted = " (not shifted: they do not sound pitched)"
    reporter.info(f"learned {dictionary.n_components} basis spectra of {args.name!r} from "
                  f"{len(paths)} example(s), {dictionary.info['seconds']:.1f} s at {rates[0]} "
                  f"Hz{shifted}; use it with: nmfsep separate MIX --dict {out}")
    unpitched = used == [] and bool(shifts)
    if unpitched and args.name.strip().lower() not in DRUM_NAMES:
        reporter.info("the examples sound like drums: named 'drums' (--name drums), the "
                      "dictionary's source would also be weighed by the mixture's "
                      "percussive (HPSS) mask in separate --dict")
    print(out)
    return 0


def _cmd_components(args, reporter: Reporter) -> int:
    path = Path(args.input)
    out = Path(args.out) if args.out else path.parent / f"{path.stem}_components"
    _check_analysis(args)
    if args.n_components < 2:
        raise ParameterError(f"-k {args.n_components}: components are grouped into two "
                             "sources at least; give -k 2 or more")
    plots = not args.no_plots
    if plots:
        try:
            require_matplotlib()
        except ParameterError as missing:
            reporter.info(f"no figures: {missing} (or --no-plots)")
            plots = False
    stems = [out / f"component_{k:02d}" for k in range(args.n_components)]
    check_outputs([p.with_suffix(".wav") for p in stems] + [out / "index.html",
                  out / "factorization.npz"]
                  + ([p.with_suffix(".png") for p in stems] if plots else []),
                  [path], args.force)
    y, sr = load(path)
    validate_signal(y, sr, name=str(path))
    frames = SeparationConfig(n_fft=args.n_fft, hop=args.hop).resolve(
        sr=sr, n_samples=y.shape[1]).stft.n_frames(y.shape[1])
    if args.n_components > frames:
        raise ParameterError(f"-k {args.n_components}: {path} has {frames} STFT frames, fewer "
                             "than the components: components beyond one per frame only repeat "
                             "frames, and each would be a file to listen to; give a smaller -k")
    reporter.info(f"{path}: {y.shape[0]} channel(s), {sr} Hz, {y.shape[1] / sr:.1f} s")
    sep = separate(y, sr, n_sources=1, n_components=args.n_components, beta=args.beta,
                   n_fft=args.n_fft, hop=args.hop, max_iter=_max_iter(args),
                   random_state=args.seed, callback=_nmf_progress(reporter, "NMF", _max_iter(args)))
    reporter.finish_progress()
    page = export_components(sep, out, source=path, plots=plots, force=args.force,
                             progress=lambda done, total:
                             reporter.progress("writing components", done, total))
    reporter.finish_progress()
    reporter.info(f"wrote {args.n_components} components to {out}/ — open {page}, listen, "
                  f"then group them all, e.g.: nmfsep separate {path} --from {out} "
                  f"--groups \"{example_groups(args.n_components)}\"")
    print(page)
    return 0


# The demo and the scores import scipy.optimize and scipy.linalg, which the other
# commands do not need: imported where they are used, they leave the start-up of
# every other command (a stream's included) that much shorter.
def _cmd_demo(args, reporter: Reporter) -> int:
    from .demo import run_demo
    from .metrics import scores_table

    reporter.info(f"built-in example: drums + guitar, {args.duration:g} s")
    result = run_demo(args.out, duration=args.duration, seed=args.seed, force=args.force,
                      callback=_nmf_progress(reporter, "NMF", 1000), log=reporter.info)
    reporter.finish_progress()
    print(scores_table(result.rows, f"nmfsep demo: automatic separation in {result.seconds:.1f} s "
                              f"(dB, higher is better)"))
    figure = ", separation.png" if any(f.name == "separation.png" for f in result.files) else ""
    reporter.info(f"wrote {args.out}/ (mixture.wav, truth/, estimates/, scores.json{figure})")
    return 0


def _cmd_eval(args, reporter: Reporter) -> int:
    from .metrics import evaluate_folders, scores_table

    if args.json:  # refused before the scoring, not after
        check_outputs([Path(args.json)], [], args.force)
    rows, how = evaluate_folders(Path(args.reference), Path(args.estimate))
    print(scores_table(rows, f"scores of {args.estimate} against {args.reference} "
                             f"(matched {how}, dB)"))
    if args.json:
        write_record(Path(args.json), {"matched": how, "scores": rows}, force=args.force)
    return 0


COMMANDS = {"separate": _cmd_separate, "components": _cmd_components, "demo": _cmd_demo,
            "eval": _cmd_eval, "learn": _cmd_learn, "drums": drums_command.run_drums,
            "learn-drums": drums_command.run_learn_drums,
            "studio": lambda args, reporter: studio.run(args)}


def _show_warnings(reporter: Reporter):
    """Print nmfsep's warnings (truncated or clipped audio, memory) as one line each."""
    def show(message, category, filename, lineno, file=None, line=None):
        reporter.info(f"warning: {message}")
    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    args = build_parser().parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    reporter = Reporter(0 if getattr(args, "quiet", False) else (2 if args.verbose else 1))
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not in the main thread
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("once", UserWarning)  # a file's warning, once
            warnings.showwarning = _show_warnings(reporter)
            return COMMANDS[args.command](args, reporter)
    except NmfsepError as exc:
        reporter.error(str(exc))
        if args.verbose:
            traceback.print_exc()
        return exc.exit_code
    except KeyboardInterrupt:
        reporter.error("interrupted; finished tracks are complete, the one in progress was removed")
        return EXIT_INTERRUPTED
    except Terminated:
        reporter.error("terminated; finished tracks are complete, the one in progress was removed")
        return EXIT_TERMINATED
    except MemoryError:
        reporter.error("out of memory; try a shorter file, fewer components or a larger hop")
        return 5
    finally:
        reporter.finish_progress()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
