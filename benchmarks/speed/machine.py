"""The machine's limit for one NMF iteration, measured in the same run.

``limit = n_products * 2*M*N*K / F  +  passes * 4*M*N / B``

* ``F``: sgemm throughput, the best of several float32 ``(n x n) @ (n x n)``
  products with all cores (GFLOP/s);
* ``B``: memory bandwidth of an element-wise pass, the best of several
  ``c = a / b`` on float32 arrays far larger than the caches, counting
  the bytes read and written;
* ``n_products`` and ``passes`` (full-size float32 arrays read or written by
  element-wise work) per beta are in :data:`COUNTS`.
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np

# (products of 2*M*N*K flops, element-wise full-size array passes) per iteration.
# beta=1: per half-update one product for W@H, one for the numerator; the
#   ratio V/(WH) reads two arrays and writes one (the denominator is a
#   column/row sum of a factor).
# beta=0: W@H, numerator and denominator products; V*(WH)^-2 and (WH)^-1:
#   two reads, two writes.
# beta=2: W^T V and V H^T only (the other terms are K x K Gram products); no
#   element-wise pass.
COUNTS = {1.0: (4, 6), 0.0: (6, 8), 2.0: (2, 0)}


def _best(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(repeats: int = 7) -> dict:
    """Measure ``F`` (GFLOP/s) and ``B`` (GB/s) on this machine now."""
    rng = np.random.default_rng(0)
    n = 2048
    A = rng.random((n, n), dtype=np.float32)
    B_ = rng.random((n, n), dtype=np.float32)
    C = np.empty((n, n), dtype=np.float32)
    t = _best(lambda: np.matmul(A, B_, out=C), repeats)
    flops = 2 * n**3 / t / 1e9
    size = 32 * 1024 * 1024
    a = rng.random(size, dtype=np.float32) + 0.5
    b = rng.random(size, dtype=np.float32) + 0.5
    c = np.empty(size, dtype=np.float32)
    t = _best(lambda: np.divide(a, b, out=c), repeats)
    bandwidth = 3 * 4 * size / t / 1e9
    return {"sgemm_gflops": flops, "bandwidth_gbs": bandwidth}


def limit(shape: tuple[int, int], rank: int, beta: float, machine: dict) -> float:
    """Seconds one iteration needs at least on ``machine`` (see the module docstring)."""
    M, N = shape
    products, passes = COUNTS[float(beta)]
    compute = products * 2.0 * M * N * rank / (machine["sgemm_gflops"] * 1e9)
    memory = passes * 4.0 * M * N / (machine["bandwidth_gbs"] * 1e9)
    return compute + memory


def describe() -> dict:
    """CPU model, cores, memory, load and library versions."""
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "cores": os.cpu_count(), "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as handle:
            info["memory_gib"] = round(int(handle.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    info["load"] = os.getloadavg()
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [f"{p.get('internal_api')} {p.get('version')} threads={p.get('num_threads')}"
                        for p in threadpool_info()]
    except ImportError:
        pass
    return info
