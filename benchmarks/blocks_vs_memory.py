"""In memory against block by block, through the command line, on 40 s of stereo 44.1 kHz music.

    python -m benchmarks.blocks_vs_memory [--max-memory 64M] [--seconds 40]

Makes a stereo 44.1 kHz mix of a real band's stems (``../shared/real-tuning/md_beatles``,
resampled and panned; the built-in drums + guitar example when the folder is missing),
separates it twice with ``nmfsep separate`` (the defaults, then ``--max-memory``, which
sends it block by block), and prints the largest difference of the sources relative to
their peak, whether the labels agree, and both wall times.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

import nmfsep
from nmfsep.cli import main as nmfsep_main

from .arguments import positive_float

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-tuning" / "md_beatles"
SR = 44100


def stereo_music(seconds: float) -> np.ndarray:
    """``seconds`` of stereo 44.1 kHz music, shape=(2, samples)."""
    if REAL.is_dir():
        stems = []
        for stem, pan in zip(["drums", "bass", "other", "vocals"], [0.5, 0.5, 0.25, 0.7],
                             strict=True):
            mono, sr = sf.read(REAL / f"{stem}.flac", dtype="float32")
            mono = resample_poly(mono, SR, sr).astype(np.float32)
            stems.append(np.stack([mono * (1 - pan), mono * pan]))
        mix = np.sum(stems, axis=0)
    else:
        example = nmfsep.synth.drums_and_guitar(duration=seconds, sr=SR, seed=0, stereo=True)
        mix = example.mixture
    n = int(seconds * SR)
    while mix.shape[1] < n:
        mix = np.concatenate([mix, mix[:, ::-1]], axis=1)
    return mix[:, :n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-memory", default="64M")
    parser.add_argument("--seconds", type=positive_float, default=40.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        song = Path(tmp) / "song.wav"
        sf.write(song, stereo_music(args.seconds).T, SR, subtype="FLOAT")
        runs = {}
        for name, extra in [("in memory", []), ("block by block", ["--max-memory",
                                                                   args.max_memory])]:
            out = Path(tmp) / name.replace(" ", "_")
            started = time.perf_counter()
            assert nmfsep_main(["separate", str(song), "-o", str(out), "-q", *extra]) == 0
            record = json.loads((out / "song" / "separation.json").read_text())
            sources = np.stack([sf.read(out / "song" / f"source{i}.wav", dtype="float32")[0]
                                for i in (1, 2)])
            runs[name] = (sources, record, time.perf_counter() - started)
    (a, ra, ta), (b, rb, tb) = runs["in memory"], runs["block by block"]
    assert not ra["block_by_block"] and rb["block_by_block"]
    print(f"{args.seconds:.0f} s of stereo {SR} Hz music, {ra['parameters']['n_runs']} runs")
    print(f"relative difference of the sources: {np.abs(a - b).max() / np.abs(a).max():.2e}")
    print(f"same labels: {ra['labels'] == rb['labels']}")
    print(f"wall time: in memory {ta:.1f} s, block by block ({args.max_memory}) {tb:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
