"""Each stage's own machine limit: the least time this machine needs for the stage's work.

The rates are measured in the same run (:func:`benchmarks.speed.machine.measure`):
``F``, float32 sgemm GFLOP/s with all cores, and ``B``, the bandwidth of an
element-wise pass.  A stage's work is counted as flops at ``F`` plus bytes at
``B`` (M bins, N frames, K components, C channels, S sources, L samples, n the FFT size):

=================  ==========================================================
read               the float WAV, read and written once: ``2 * 4 C L`` bytes
STFT               a real FFT per frame and channel (``2.5 n log2 n`` flops),
                   the complex frames written (``8 C M N``) and the spectrogram
                   (``4 M N``)
factorization      runs × iterations × :func:`benchmarks.speed.machine.limit` (the
                   first run's shape for every run)
loss checks        per evaluation on its own, a product ``W H`` and three passes
                   over ``M N`` floats
grouping features  the HPSS filters read V twice and write both filtered arrays
                   and the mask: five passes (the medians' comparisons are not
                   counted: a floor)
masks              each source's mask written and the mixture's STFT read and
                   the masked STFT written: ``S (4 + 16 C) M N`` bytes
inverse STFT       an inverse FFT per frame, channel and source
write              every source's samples read and written: ``2 * 4 S C L`` bytes
=================  ==========================================================
"""

from __future__ import annotations

import math

from .machine import limit


def stage_limits(facts: dict, machine: dict) -> dict[str, float]:
    """Seconds each stage needs at least (see the module docstring).

    Parameters
    ----------
    facts : dict
        ``bins``, ``frames``, ``rank``, ``runs``, ``iterations``, ``evaluations`` (the
        objective computed on its own), ``channels``, ``sources``,
        ``samples``, ``n_fft`` and ``beta`` of the separation.
    machine : dict
        ``sgemm_gflops`` and ``bandwidth_gbs``.
    """
    flops, bandwidth = machine["sgemm_gflops"] * 1e9, machine["bandwidth_gbs"] * 1e9
    M, N, K = facts["bins"], facts["frames"], facts["rank"]
    C, S, L, n = facts["channels"], facts["sources"], facts["samples"], facts["n_fft"]
    fft = 2.5 * n * math.log2(n)
    field = 4.0 * M * N
    return {
        "read": 2 * 4.0 * C * L / bandwidth,
        "STFT": C * N * fft / flops + (2 * C + 1) * field / bandwidth,
        "factorization": facts.get("runs", 1) * facts["iterations"]
        * limit((M, N), K, facts["beta"], machine),
        "loss checks": facts["evaluations"] * (2.0 * M * N * K / flops + 3 * field / bandwidth),
        "grouping features": 5 * field / bandwidth,
        "masks": S * (1 + 4 * C) * field / bandwidth,
        "inverse STFT": S * C * N * fft / flops,
        "write": 2 * 4.0 * S * C * L / bandwidth,
    }
