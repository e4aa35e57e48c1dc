"""``nmfsep studio``: the subcommand's options and what it does.

For the command line's owner: ``add_parser(subparsers)`` adds ``studio`` to an
``argparse`` subparsers object, and ``run(args) -> int`` runs it and returns
the exit code (messages on stderr, never a traceback).  ``main(argv)`` is the
same as a program of its own (``python -m nmfsep.studio``).  Nothing here
needs the ``web`` extra until the server starts.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from ..errors import NmfsepError, ParameterError

__all__ = ["add_parser", "configure", "run", "main", "parse_duration", "DESCRIPTION"]

DESCRIPTION = (
    "Open a local web page to listen to the components of a recording, move them\n"
    "between sources (drag and drop, or focus one and press 1-9), and download the\n"
    "sources. The server listens on 127.0.0.1 only and needs the token in the\n"
    "address it prints (the one line on stdout); Ctrl-C stops it."
)
EPILOG = (
    "examples:\n"
    "  nmfsep studio song.wav\n"
    "  nmfsep studio song.wav -n 3 -k 30 --no-browser\n"
    "  nmfsep studio --port 8765 --max-upload 2G\n"
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(s|m|min|h)?\s*$", re.IGNORECASE)
_SECONDS = {None: 1, "s": 1, "m": 60, "min": 60, "h": 3600}


def parse_duration(text: str, option: str | None = "--max-duration") -> float:
    """Seconds from ``"90"``, ``"90s"``, ``"20m"``, ``"20min"`` or ``"1.5h"``.

    Raises
    ------
    ParameterError
        For anything else, or zero; the message starts with ``option`` when given.
    """
    match = _DURATION.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise ParameterError(f"{option + ' ' if option else ''}{text!r} is not a positive "
                             "duration; write e.g. 600, 20m or 1h")
    return float(match.group(1)) * _SECONDS[(match.group(2) or "").lower() or None]


def configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the studio's arguments to ``parser``."""
    parser.add_argument("file", nargs="?", default=None, metavar="FILE",
                        help="a recording to open at once (else open one on the page)")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; anything but loopback is reachable from "
                             "other computers (a warning says so)")
    parser.add_argument("--no-browser", action="store_true",
                        help="do not open the page in the browser")
    parser.add_argument("--max-upload", default="500M", metavar="SIZE",
                        help="largest file the page may upload, e.g. 500M or 2G")
    parser.add_argument("--max-duration", default="20m", metavar="TIME",
                        help="longest recording accepted, e.g. 600, 20m or 1h")
    parser.add_argument("-n", "--sources", dest="n_sources", type=int, default=None, metavar="N",
                        help="number of sources of the automatic grouping (default 2)")
    parser.add_argument("-k", "--components", dest="n_components", type=int, default=None,
                        metavar="K",
                        help="NMF components (default 10 per source)")
    return parser


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``studio`` to the subparsers of the ``nmfsep`` command line; returns its parser."""
    parser = subparsers.add_parser(
        "studio", help="listen to components, assign them and export the sources in a web page",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    configure(parser)
    parser.set_defaults(run=run)
    return parser


def _say(message: str) -> None:
    print(f"nmfsep studio: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run the studio with parsed arguments until Ctrl-C or SIGTERM; returns the exit code."""
    try:
        from . import engine

        max_upload = engine.parse_size(args.max_upload, "--max-upload")
        max_seconds = parse_duration(args.max_duration)
        if not 0 <= args.port <= 65535:
            raise ParameterError(f"--port must be in 0..65535, got {args.port}")
        try:
            from .server import serve
        except ImportError as exc:
            _say(f"error: the studio needs the web extra ({exc.name} is missing): "
                 "pip install 'nmfsep[web]'")
            return 2
        serve(args.file, host=args.host, port=args.port, open_browser=not args.no_browser,
              max_upload=max_upload, max_seconds=max_seconds, n_sources=args.n_sources,
              n_components=args.n_components)
    except NmfsepError as exc:
        _say(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        _say("stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m nmfsep.studio [FILE] [options]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="nmfsep studio", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    return run(configure(parser).parse_args(argv))
