"""Fuzz the audio-reading path with mutated WAV, FLAC and OGG files.

Every mutated file must give either audio (float32, ``(channels, samples)``,
a positive sample rate) or one of nmfsep's own errors (``AudioError``,
``ResourceError``): never another exception, a hang or an unbounded allocation
(the run caps its address space, so an allocation sized by a lying header
shows up as a ``MemoryError`` crash).  With ``--deep`` every file that loads is
also validated and separated (two components, one iteration).

The tests run a short, seeded pass (tests/test_fuzz_audio.py); a long run::

    python tests/fuzz_audio.py --seconds 600 --seed 1 --deep --crashes fuzz-crashes

prints the outcomes and saves any crashing input to ``--crashes`` to replay with
``python tests/fuzz_audio.py --replay fuzz-crashes/<file>``.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

#: Header values that break size and count fields.
MAGIC = [b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80",
         b"\x01\x00\x00\x00", b"\x00\x00\x01\x00"]

SEEDS = [("wav", "PCM_16", 1), ("wav", "FLOAT", 2), ("wav", "PCM_24", 2), ("wav", "PCM_U8", 1),
         ("wav", "DOUBLE", 1), ("flac", "PCM_16", 2), ("flac", "PCM_24", 1), ("ogg", "VORBIS", 2)]


def seed_files(rng: np.random.Generator) -> list[tuple[str, bytes]]:
    """Small valid files of every kind, to mutate: (suffix, bytes)."""
    files = []
    for suffix, subtype, channels in SEEDS:
        if suffix.upper() not in sf.available_formats():
            continue
        t = np.arange(3000) / 8000
        y = 0.4 * np.sin(2 * np.pi * 330 * t)[:, None] + 0.05 * rng.standard_normal((3000,
                                                                                        channels))
        buffer = io.BytesIO()
        sf.write(buffer, y.astype(np.float32), 8000, format=suffix.upper(), subtype=subtype)
        files.append((suffix, buffer.getvalue()))
    return files


def mutate(data: bytes, rng: np.random.Generator, others: list[bytes]) -> bytes:
    """One to three random mutations, biased towards the header where the sizes live."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        if not out:
            break
        head = min(len(out), 128)
        where = int(rng.integers(head)) if rng.random() < 0.7 else int(rng.integers(len(out)))
        kind = int(rng.integers(8))
        if kind == 0:  # flip bits
            for _ in range(int(rng.integers(1, 9))):
                spot = int(rng.integers(head if rng.random() < 0.7 else len(out)))
                out[spot] ^= 1 << int(rng.integers(8))
        elif kind == 1:  # a random byte
            out[where] = int(rng.integers(256))
        elif kind == 2:  # a magic 32-bit value
            out[where : where + 4] = MAGIC[int(rng.integers(len(MAGIC)))]
        elif kind == 3:  # truncate
            out = out[: int(rng.integers(len(out)))]
        elif kind == 4:  # insert random bytes
            out[where:where] = rng.bytes(int(rng.integers(1, 64)))
        elif kind == 5:  # delete a run
            del out[where : where + int(rng.integers(1, 64))]
        elif kind == 6:  # duplicate a run (chunks twice)
            length = int(rng.integers(1, 256))
            out[where:where] = out[where : where + length]
        else:  # splice the head of another seed onto this body
            other = others[int(rng.integers(len(others)))]
            out = bytearray(other[: int(rng.integers(1, min(len(other), 256)))]) + out[where:]
    return bytes(out)


@dataclass
class Report:
    """What a fuzz run saw."""

    outcomes: Counter = field(default_factory=Counter)
    crashes: list[tuple[str, str]] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")
    runs: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"{self.runs} mutated files in {self.seconds:.1f} s: "
                 + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())),
                 f"slowest file: {self.slowest[0]:.2f} s ({self.slowest[1]})",
                 f"crashes: {len(self.crashes)}"]
        lines += [f"  {name}: {error}" for name, error in self.crashes[:20]]
        return "\n".join(lines)


def check_file(path: Path, *, deep: bool = False) -> str:
    """Load one file; return the outcome's name, or raise if nmfsep misbehaved."""
    import nmfsep
    from nmfsep.audio import load, validate_signal
    from nmfsep.errors import AudioError, ResourceError

    try:
        y, sr = load(path)
    except (AudioError, ResourceError) as exc:
        assert str(path) in str(exc), f"the message does not name the file: {exc}"
        return type(exc).__name__
    assert y.dtype == np.float32 and y.ndim == 2 and y.shape[0] >= 1 and y.shape[1] >= 1, (
        f"bad array {y.dtype} {y.shape}")
    assert isinstance(sr, int) and sr > 0, f"bad sample rate {sr!r}"
    if not deep:
        return "loaded"
    try:
        y = validate_signal(y, sr, name=str(path))
    except AudioError:
        return "loaded, refused by validation"
    y = y[:2, :20000]
    sep = nmfsep.separate(y, sr, n_sources=2, n_components=2, max_iter=1, n_fft=256)
    assert np.all(np.isfinite(sep.sources)), "non-finite sources"
    scale = max(1.0, float(np.max(np.abs(y))))
    assert np.max(np.abs(sep.sources.sum(axis=0) - y)) <= 1e-4 * scale, "sources do not add up"
    return "loaded and separated"


def fuzz(*, seed: int = 0, iterations: int | None = None, seconds: float | None = None,
         deep: bool = False, crashes: Path | None = None, folder: Path | None = None) -> Report:
    """Run the fuzzer for ``iterations`` files or ``seconds``, whichever ends first."""
    import warnings

    rng = np.random.default_rng(seed)
    seeds = seed_files(rng)
    bodies = [data for _, data in seeds]
    report = Report()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        folder = folder or Path(scratch)
        while True:
            if iterations is not None and report.runs >= iterations:
                break
            if seconds is not None and time.perf_counter() - started >= seconds:
                break
            suffix, data = seeds[int(rng.integers(len(seeds)))]
            mutated = mutate(data, rng, bodies)
            name = f"fuzz-{seed}-{report.runs}.{suffix}"
            path = folder / name
            path.write_bytes(mutated)
            began = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    outcome = check_file(path, deep=deep)
            except Exception as exc:  # noqa: BLE001 - every other exception is a finding
                outcome = "CRASH"
                report.crashes.append((name, f"{type(exc).__name__}: {exc}"))
                if crashes is not None:
                    crashes.mkdir(parents=True, exist_ok=True)
                    (crashes / name).write_bytes(mutated)
                    (crashes / f"{name}.txt").write_text(traceback.format_exc())
            took = time.perf_counter() - began
            if took > report.slowest[0]:
                report.slowest = (took, name)
            report.outcomes[outcome] += 1
            report.runs += 1
            path.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - started
    return report


def _limit_memory(limit: str) -> None:
    import resource

    from nmfsep.resources import parse_bytes

    size = parse_bytes(limit)
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def main(argv: list[str] | None = None) -> int:
    """Command line of the fuzzer; exit code 1 if anything crashed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--deep", action="store_true", help="also validate and separate")
    parser.add_argument("--crashes", type=Path, default=None, help="save crashing inputs here")
    parser.add_argument("--memory", default="3G", help="address-space cap (0: none)")
    parser.add_argument("--replay", type=Path, default=None, help="check one saved file")
    args = parser.parse_args(argv)
    if args.memory != "0":
        _limit_memory(args.memory)
    if args.replay:
        print(check_file(args.replay, deep=True))
        return 0
    if args.iterations is None and args.seconds is None:
        args.seconds = 60.0
    report = fuzz(seed=args.seed, iterations=args.iterations, seconds=args.seconds,
                  deep=args.deep, crashes=args.crashes)
    print(report.summary())
    return 1 if report.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
