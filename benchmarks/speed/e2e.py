"""End-to-end separation runs, each in its own process for its peak memory.

``python -m benchmarks.speed.e2e song``  — ``nmfsep.separate`` with the defaults
on the 3-minute stereo 44.1 kHz song (in memory).
``python -m benchmarks.speed.e2e long PATH OUTDIR`` — :func:`nmfsep.separate_file`
on a long stereo file, streamed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from .worker import _status
from .workloads import cache_dir, render_music


def long_file(minutes: int, sr: int = 44100) -> Path:
    """A ``minutes``-long stereo WAV: the 3-minute song repeated with varied gains."""
    path = cache_dir() / f"long_{minutes}min_{sr}.wav"
    if not path.exists():
        write_repeated(render_music(180.0, sr), minutes, sr, path)
    return path


def write_repeated(song: np.ndarray, minutes: int, sr: int, path: Path) -> None:
    """Write ``song`` (2, samples) repeated to ``minutes``, gains varied, channels swapped.

    Written to a temporary name and renamed, so that a cut run leaves no partial file.
    """
    tmp = path.with_suffix(".part")
    with sf.SoundFile(str(tmp), "w", samplerate=sr, channels=2, subtype="FLOAT",
                      format="WAV") as handle:
        written, index = 0, 0
        total = minutes * 60 * sr
        while written < total:
            gain = 0.6 + 0.4 * ((index * 5) % 7) / 6
            piece = song[:, : total - written] * np.float32(gain)
            if index % 2:
                piece = piece[::-1]  # swap the channels every other repeat
            handle.write(piece.T)
            written += piece.shape[1]
            index += 1
    tmp.rename(path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed.e2e", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_subparsers(dest="mode", required=True, metavar="MODE")
    modes.add_parser("song", help="nmfsep.separate on the 3-minute song, in memory")
    long = modes.add_parser("long", help="nmfsep.separate_file on a long file, streamed")
    long.add_argument("path", metavar="PATH", help="the long stereo file")
    long.add_argument("folder", metavar="OUTDIR", help="where its two sources are written")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    mode = args.mode
    out: dict = {"mode": mode}
    if mode == "song":
        import nmfsep

        y = render_music(180.0, 44100)
        out["audio_seconds"] = y.shape[1] / 44100
        baseline = _status("VmRSS")
        start = time.perf_counter()
        sep = nmfsep.separate(y, 44100)
        out["seconds"] = time.perf_counter() - start
        out["n_iter"] = sep.parameters.get("n_iter")
        out["residual"] = float(np.abs(sep.sources.sum(axis=0) - y).max())
    else:
        from nmfsep import separate_file

        path, folder = Path(args.path), Path(args.folder)
        if not path.is_file():
            raise SystemExit(f"python -m benchmarks.speed.e2e: {path}: no such file (the long "
                             f"files are made in {cache_dir()} by the speed benchmark)")
        info = sf.info(str(path))
        out["audio_seconds"] = info.frames / info.samplerate
        targets = [folder / f"source{i}.wav" for i in range(2)]
        baseline = _status("VmRSS")
        start = time.perf_counter()
        result = separate_file(path, targets, force=True)
        out["seconds"] = time.perf_counter() - start
        out["n_iter"] = result.parameters.get("n_iter")
        out["timings"] = result.timings
    out["peak_mib"] = _status("VmHWM")
    out["baseline_mib"] = baseline
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        raise SystemExit(main())
