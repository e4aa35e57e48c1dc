"""Real-time factor of streaming supervised separation (``nmfsep.stream``).

    python -m benchmarks.stream_rtf                 # 60 s of the built-in example
    python -m benchmarks.stream_rtf --seconds 20 --json out.json

Learns a drums and a guitar dictionary (32 components each, the defaults) from
other material than the mixture's, then separates a mixture of ``--seconds``
block by block and offline, and prints for each sample rate:

* the real-time factor ``processing time / audio duration`` of the stream
  (below 1 is faster than real time), best of ``--repeat`` runs;
* the same for the offline supervised ``nmfsep.separate(..., dictionaries=...)``, with
  its defaults (activations under ``Policy.dictionary_beta``) and under the stream's
  Kullback-Leibler (``beta=1``);
* the relative L2 difference between the streamed sources and the offline ones
  under the stream's divergence (Kullback-Leibler, ``beta=1``; offline, ``separate
  --dict`` defaults to ``Policy.dictionary_beta``): the stream's own stopping alone;
* the latency (``SourceStream.latency``: ``n_fft``, and the HPSS filter's look-ahead
  with a drum dictionary) and the block size.

Wall-clock numbers depend on the machine and on what else runs on it; the
script prints the core count with them.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import nmfsep
from nmfsep import synth
from nmfsep.stream import DEFAULT_BLOCK_SIZE

from .arguments import positive_float, positive_int


def dictionaries(sr: int) -> list[nmfsep.Dictionary]:
    """Dictionaries learned from another seed, tempo and chord progression."""
    train = synth.drums_and_guitar(duration=6.0, sr=sr, seed=7, tempo=120,
                                   progression=("Em", "D", "G", "C"))
    return [nmfsep.learn_dictionary(source, sr, name=name)
            for source, name in zip(train.sources, train.names, strict=True)]


def best_time(run, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(sr: int, seconds: float, block_size: int, repeat: int) -> dict:
    dicts = dictionaries(sr)
    mix = synth.drums_and_guitar(duration=seconds, sr=sr, seed=0).mixture

    def streamed():
        return np.concatenate(list(nmfsep.stream(mix, sr, dicts, block_size=block_size)),
                              axis=-1)

    def offline():
        return nmfsep.separate(mix, sr, dictionaries=dicts).sources

    def offline_kl():
        return nmfsep.separate(mix, sr, dictionaries=dicts, beta=1.0).sources

    t_stream, out_stream = best_time(streamed, repeat)
    t_offline, _ = best_time(offline, repeat)
    t_offline_kl, same_divergence = best_time(offline_kl, repeat)
    difference = (np.linalg.norm(out_stream - same_divergence)
                  / np.linalg.norm(same_divergence))
    return dict(sr=sr, seconds=seconds, block_size=block_size,
                block_ms=round(1000 * block_size / sr, 1),
                latency_samples=nmfsep.stream(mix, sr, dicts, block_size=block_size).latency,
                components=sum(d.n_components for d in dicts),
                rtf_stream=t_stream / seconds, rtf_offline=t_offline / seconds,
                rtf_offline_kl=t_offline_kl / seconds,
                stream_vs_offline=float(difference))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=positive_float, default=60.0, help="mixture length")
    parser.add_argument("--rates", default="22050,44100", help="sample rates, comma-separated")
    parser.add_argument("--block-size", type=positive_int, default=DEFAULT_BLOCK_SIZE,
                        help="samples per block")
    parser.add_argument("--repeat", type=positive_int, default=2, help="runs; the best is kept")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    rows = [measure(int(sr), args.seconds, args.block_size, args.repeat)
            for sr in args.rates.split(",")]
    print(f"streaming supervised separation, {args.seconds:g} s mixture, "
          f"{os.cpu_count()} cores (real-time factor = time / duration, lower is faster)")
    print(f"{'sr':>6} {'K':>4} {'block':>9} {'latency':>8} {'RTF stream':>11} "
          f"{'RTF offline':>12} {'RTF offline beta 1':>19} {'stream vs offline':>18}")
    for r in rows:
        print(f"{r['sr']:>6} {r['components']:>4} {r['block_ms']:>7.0f}ms "
              f"{r['latency_samples']:>8} {r['rtf_stream']:>11.3f} {r['rtf_offline']:>12.3f} "
              f"{r['rtf_offline_kl']:>19.3f} "
              f"{r['stream_vs_offline']:>18.1e}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(dict(cores=os.cpu_count(), results=rows), handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
