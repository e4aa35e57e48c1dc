"""Run one implementation on one workload in a fresh process and print a JSON line.

``python -m benchmarks.speed.worker METHOD WORKLOAD BETA ITERATIONS``

A process per run keeps each one's peak memory (``VmHWM``) its own; BLAS
memory is invisible to ``tracemalloc``, so the kernel's count is used.
"""

from __future__ import annotations

import json
import sys
import time
import traceback

import numpy as np

from nmfsep.nmf import beta_divergence, factorize, objective

from .workloads import problem


def _status(field: str) -> float:
    """A ``/proc/self/status`` memory field in MiB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def run_nmfsep(V, W0, H0, beta, iterations, **kwargs):
    result = factorize(V, W0.shape[1], W=W0, H=H0, beta=beta, max_iter=iterations, tol=0,
                       dtype=np.float32, **kwargs)
    return result.W, result.H


def run_nmfsep_torch(V, W0, H0, beta, iterations):
    return run_nmfsep(V, W0, H0, beta, iterations, backend="torch", device="cpu")


def run_sklearn(V, W0, H0, beta, iterations):
    from sklearn.decomposition import NMF

    model = NMF(W0.shape[1], solver="mu", beta_loss=beta, init="custom", max_iter=iterations,
                tol=0)
    # scikit-learn factorizes X (samples, features) = V.T ≈ H.T @ W.T
    Ht = model.fit_transform(V.T, W=H0.T.copy(), H=W0.T.copy())
    return model.components_.T, Ht.T


def run_librosa(V, W0, H0, beta, iterations):
    import librosa
    from sklearn.decomposition import NMF

    class SameStart(NMF):
        """scikit-learn's NMF started from the benchmark's common W0, H0."""

        def fit_transform(self, X, y=None, W=None, H=None):
            return super().fit_transform(X, W=H0.T.copy(), H=W0.T.copy())

    transformer = SameStart(W0.shape[1], solver="mu", beta_loss=beta, init="custom",
                            max_iter=iterations, tol=0)
    W, H = librosa.decompose.decompose(V, transformer=transformer)
    return W, H


def run_torchnmf(V, W0, H0, beta, iterations):
    import torch
    from torchnmf.nmf import NMF

    # torchnmf: V (N, C) ≈ H @ W.T with H (N, R), W (C, R); our W is its H.
    model = NMF(W=torch.from_numpy(H0.T.copy()), H=torch.from_numpy(W0.copy()))
    model.fit(torch.from_numpy(V), beta=beta, tol=-1e30, max_iter=iterations)
    return model.H.detach().numpy(), model.W.detach().numpy().T


def run_nimfa(V, W0, H0, beta, iterations):
    import nimfa

    update, obj = {1.0: ("divergence", "div"), 2.0: ("euclidean", "fro")}[beta]
    model = nimfa.Nmf(V, seed=None, W=W0.copy(), H=H0.copy(), rank=W0.shape[1],
                      max_iter=iterations, update=update, objective=obj, test_conv=None)
    fit = model()
    return np.asarray(fit.basis()), np.asarray(fit.coef())


METHODS = {
    "nmfsep": run_nmfsep,
    "nmfsep-torch": run_nmfsep_torch,
    "scikit-learn": run_sklearn,
    "librosa": run_librosa,
    "torchnmf": run_torchnmf,
    "nimfa": run_nimfa,
}


def trace(V, beta, target, max_iter, check_every=5, **kwargs):
    """nmfsep from its own initialization until the loss reaches ``target``.

    Returns the trace ``[(iteration, seconds, loss)]``; the time excludes the
    loss evaluations the trace itself needs (measured and subtracted).
    """
    K = kwargs.pop("n_components")
    probe_W = np.ones((V.shape[0], K), np.float32)
    probe_H = np.ones((K, V.shape[1]), np.float32)
    costs = []
    for _ in range(3):
        start = time.perf_counter()
        objective(V, probe_W, probe_H, beta)
        costs.append(time.perf_counter() - start)
    eval_cost = min(costs)
    points = []
    start = time.perf_counter()

    def callback(iteration, loss):
        elapsed = time.perf_counter() - start - len(points) * eval_cost
        points.append((iteration, elapsed, loss))
        if loss <= target:
            raise StopIteration

    try:
        factorize(V, K, beta=beta, max_iter=max_iter, tol=0, check_every=check_every,
                  dtype=np.float32, callback=callback, random_state=0, **kwargs)
    except StopIteration:
        pass
    return points, eval_cost


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    method, workload, beta, iterations = argv[0], argv[1], float(argv[2]), int(argv[3])
    options = json.loads(argv[4]) if len(argv) > 4 else {}
    V, W0, H0, _ = problem(workload)
    out = {"method": method, "workload": workload, "beta": beta, "iterations": iterations,
           "shape": list(V.shape), "rank": int(W0.shape[1]), "options": options}
    baseline = _status("VmRSS")
    try:
        if method == "trace":
            points, eval_cost = trace(V, beta, options.pop("target"), iterations,
                                      n_components=int(W0.shape[1]), **options)
            out.update(trace=points, eval_cost=eval_cost)
        else:
            start = time.perf_counter()
            W, H = METHODS[method](V, W0, H0, beta, iterations, **options)
            out["seconds"] = time.perf_counter() - start
            out["peak_mib"] = _status("VmHWM")
            out["loss"] = beta_divergence(V.astype(np.float64), np.asarray(W, np.float64),
                                          np.asarray(H, np.float64), beta)
    except Exception as exc:  # report the failure, do not hide it
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc(limit=3)
    out["baseline_mib"] = baseline
    out.setdefault("peak_mib", _status("VmHWM"))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
