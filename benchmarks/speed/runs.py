"""What combining runs costs: ``nmfsep.separate`` with 1, 3 and 5 runs on one clip.

``python -m benchmarks.speed.runs`` — the 60 s stereo 44.1 kHz clip of the speed
benchmark (:func:`benchmarks.speed.workloads.render_music`), each run count once,
in this process, one after another; the ratio to one run is what the CLI and
``docs/cli.md`` quote for ``--runs``.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..arguments import positive_float
from .workloads import render_music


def main(argv=None) -> int:
    import nmfsep

    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed.runs",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("seconds", nargs="?", type=positive_float, default=60.0,
                        help="length of the clip (default 60)")
    seconds = parser.parse_args(sys.argv[1:] if argv is None else argv).seconds
    y = render_music(seconds, 44100)
    nmfsep.separate(y[:, : 44100], 44100, n_runs=1, max_iter=5)  # warm-up: imports, FFT plans
    times = {}
    for runs in (1, 3, 5):
        start = time.perf_counter()
        nmfsep.separate(y, 44100, n_runs=runs)
        times[runs] = time.perf_counter() - start
    print(f"{seconds:.0f} s of stereo audio at 44.1 kHz, nmfsep.separate(y, 44100, n_runs=R)")
    for runs, took in times.items():
        print(f"  R={runs}: {took:5.1f} s  ({took / times[1]:.1f} x one run)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
