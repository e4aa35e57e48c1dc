"""The ``nmfsep drums`` and ``nmfsep learn-drums`` commands: their options and handlers.

The drums' separation is :mod:`nmfsep.drums`, their templates
:mod:`nmfsep.drumtemplates`; :mod:`nmfsep.cli` adds these commands with
:func:`add_parsers`.
"""

from __future__ import annotations

from pathlib import Path

from .argtypes import seed
from .audio import check_outputs
from .drums import drum_files, drums_file, parse_pieces, templates_for
from .drumtemplates import find_one_shots, templates_from_samples
from .errors import NmfsepError
from .progress import Reporter

__all__ = ["add_parsers", "run_drums", "run_learn_drums"]


def add_parsers(commands, command, add_common) -> None:
    """Add ``drums`` and ``learn-drums`` to the subparsers ``commands``.

    ``command(commands, name, help, description, examples)`` makes a subparser
    and ``add_common(parser, force=...)`` adds the common options, as the
    command line does for its own commands.
    """
    drums = command(
        commands, "drums", "split drums into kick, snare, hi-hat… by name (NMFD with templates)",
        "Split each INPUT's drums into OUT/<track>/<piece>.wav by name, plus rest.wav when "
        "something else plays (the stems add up to the input), and drums.json.",
        "  nmfsep drums loop.wav -o stems\n"
        "  nmfsep drums song.wav --pieces kick,snare,hihat,toms,cymbals\n"
        "  nmfsep drums take.wav --templates mykit.npz\n")
    drums.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files")
    drums.add_argument("-o", "--out", default="separated", help="output folder")
    drums.add_argument("--pieces", default="kick,snare,hihat",
                       help="of kick, snare, hihat, toms, cymbals")
    drums.add_argument("--templates", default=None, metavar="FILE",
                       help="templates from 'nmfsep learn-drums' (default: nmfsep's own)")
    drums.add_argument("--format", choices=["wav", "flac"], default="wav", help="output format")
    drums.add_argument("--seed", type=seed, default=0,
                       help="random seed of the percussive separation (an integer >= 0)")
    add_common(drums)
    learn_drums = command(
        commands, "learn-drums", "make drum templates from a kit's one-shot samples",
        "Make drum templates for 'nmfsep drums --templates' from ONE_SHOTS_DIR: a hydrogen kit "
        "(its drumkit.xml's instrument names give the pieces), else a subfolder per piece "
        "(kick/, snare/, hihat/, toms/, crash/, ride/) or files named after the piece.",
        "  nmfsep learn-drums mykit/ -o mykit.npz\n")
    learn_drums.add_argument("one_shots", metavar="ONE_SHOTS_DIR")
    learn_drums.add_argument("-o", "--out", default=None, help="output file (default KIT.npz)")
    add_common(learn_drums, force="overwrite the output")


def run_drums(args, reporter: Reporter) -> int:
    """``nmfsep drums``: every check that needs no audio first, then each input in turn."""
    pieces = parse_pieces(args.pieces)  # before any file is read
    paths = drum_files(args.inputs)
    templates = templates_for(pieces, args.templates)
    failures = []
    for path in paths:
        try:
            record = drums_file(path, args.out, pieces=pieces, templates=templates,
                                force=args.force, fmt=args.format, random_state=args.seed)
            reporter.info(f"{path} -> {Path(args.out) / path.stem}/ "
                          f"({', '.join(stem['name'] for stem in record['stems'])})")
            reporter.debug(f"{path}: rest {'kept' if record['rest']['included'] else 'left out'}"
                           f": {record['rest']['reason']}")
        except NmfsepError as exc:
            if len(paths) == 1:
                raise
            failures.append(str(exc))
            reporter.error(failures[-1])
    if failures:  # said again at the end, where a long run's reader looks
        reporter.error(f"{len(failures)} of {len(paths)} input(s) failed:")
        for failure in failures:
            reporter.error(f"  {failure}")
    return 1 if failures else 0


def run_learn_drums(args, reporter: Reporter) -> int:
    """``nmfsep learn-drums``: the samples of each piece, said, then the templates written."""
    folder = Path(args.one_shots)
    out = Path(args.out) if args.out else Path(f"{folder.resolve().name}.npz")
    check_outputs([out], [], args.force)
    found = find_one_shots(folder)
    counts = ", ".join(f"{piece} {n}" for piece, n in found.counts().items())
    source = f"the instruments of {found.kit_file}" if found.kit_file else "their names"
    reporter.info(f"{len(found.samples)} samples by {source}: {counts}; "
                  f"{len(found.skipped)} audio file(s) skipped"
                  + (" (-v lists them)" if found.skipped and reporter.verbosity < 2 else ""))
    for file, reason in found.skipped:
        reporter.debug(f"skipped {file}: {reason}")
    templates = templates_from_samples(found.samples)
    templates.save(out, force=args.force)
    reporter.info(f"drum templates of {', '.join(templates.pieces)} from {folder}; use them "
                  f"with: nmfsep drums MIX --templates {out}")
    print(out)
    return 0
