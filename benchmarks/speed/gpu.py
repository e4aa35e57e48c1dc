"""CPU against GPU, side by side, in one command: ``python -m benchmarks.speed.gpu``.

On the band mix's spectrogram (3 minutes, stereo 44.1 kHz, channels summed, the
default STFT) it runs 200 KL iterations with K = 20 (``tol=0``: the same work
everywhere) with the numpy engine, the torch backend on the CPU and the torch
backend on ``cuda`` when PyTorch sees a GPU, then ``nmfsep.separate`` end to end
with each.  It prints one table; a machine without a GPU prints the CPU rows
and says that the GPU rows were skipped.  ``--seconds`` shortens the audio,
``--input`` takes another recording.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import soundfile as sf

from ..arguments import positive_float

ITERATIONS = 200
RANK = 20


def devices() -> list[tuple[str, dict]]:
    """(label, factorize options) of every engine this machine can run."""
    rows = [("numpy engine (CPU)", {"backend": "numpy"})]
    try:
        import torch
    except ImportError:
        return rows
    rows.append(("torch, cpu", {"backend": "torch", "device": "cpu"}))
    if torch.cuda.is_available():
        rows.append((f"torch, cuda ({torch.cuda.get_device_name(0)})",
                     {"backend": "torch", "device": "cuda"}))
    return rows


def _spectrogram(y: np.ndarray, sr: int) -> np.ndarray:
    from nmfsep.spectral import STFTConfig, default_n_fft, mixture_spectrogram, stft

    n_fft = default_n_fft(sr)
    V = mixture_spectrogram(stft(y, STFTConfig(n_fft, n_fft // 4)))
    return V / np.float32(V.mean(dtype=np.float64))


def measure(y: np.ndarray, sr: int, options: dict) -> dict:
    """Seconds per iteration and final loss of the factorization; wall of the separation."""
    import nmfsep
    from nmfsep.nmf import factorize

    V = _spectrogram(y, sr)
    factorize(V, RANK, max_iter=2, tol=0, random_state=0, **options)  # warm up the device
    start = time.perf_counter()
    result = factorize(V, RANK, max_iter=ITERATIONS, tol=0, random_state=0, **options)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    nmfsep.separate(y, sr, **options)
    wall = time.perf_counter() - start
    return {"ms_per_iteration": 1e3 * seconds / ITERATIONS,
            "loss": result.loss_history[-1][1], "separate_seconds": wall}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed.gpu",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=positive_float, default=180.0,
                        help="seconds of the audio to use (default: 180)")
    parser.add_argument("--input", help="an audio file instead of the band mix")
    args = parser.parse_args(argv)
    from .band import band_file

    path = args.input or band_file()
    sr = sf.info(str(path)).samplerate
    y, _ = sf.read(str(path), dtype="float32", always_2d=True, frames=int(args.seconds * sr))
    y = np.ascontiguousarray(y.T)
    rows = devices()
    print(f"{y.shape[1] / sr:.0f} s, {len(y)} channel(s) at {sr} Hz; {ITERATIONS} KL "
          f"iterations, K = {RANK}")
    print(f"{'engine':<40} {'ms/iteration':>13} {'final loss':>14} {'separate s':>11}")
    for label, options in rows:
        r = measure(y, sr, options)
        print(f"{label:<40} {r['ms_per_iteration']:>13.1f} {r['loss']:>14.6g} "
              f"{r['separate_seconds']:>11.1f}")
    if not any(options.get("device") == "cuda" for _, options in rows):
        print("no GPU: PyTorch sees no CUDA device (or is not installed); the GPU rows "
              "were skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
