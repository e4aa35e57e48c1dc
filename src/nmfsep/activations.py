"""Activations of fixed dictionaries for many independent batches of frames.

With ``W`` fixed, the multiplicative update of ``H`` treats every column on
its own, so batches of columns that :func:`nmfsep.nmf.factorize` would solve
one call at a time (``fixed_W=True``, each with its own stopping) can be
solved together: their columns are laid side by side and every iteration
runs over all the batches still active, in a few large products instead of
many small ones.  Each batch keeps its own stopping rule, exactly as
``factorize`` applies it to that batch alone: its objective is recorded at
the start and every ``check_every`` iterations, and the batch stops (its
activations are then final) when the objective fell by at most ``tol``
times its last recorded value, or after ``max_iter`` iterations.  The
activations and the iteration counts are those of one ``factorize`` call per
batch, up to the order of floating-point sums (which may move a stop by one
check where the decrease equals the tolerance to within rounding).

>>> import numpy as np
>>> from nmfsep.activations import batch_activations
>>> rng = np.random.default_rng(0)
>>> W = rng.random((20, 3)); W /= W.sum(axis=0)
>>> V = rng.random((20, 12)).astype(np.float32)
>>> H0 = np.full((3, 12), 1.0, dtype=np.float32)
>>> H, n_iter = batch_activations(V, W, H0, [4, 4, 4], max_iter=30)
>>> H.shape, n_iter.shape
((3, 12), (3,))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import sweeps
from .errors import ParameterError
from .nmf import _LIMIT_TOLERANCE, _eps, check_options

__all__ = ["batch_activations", "check_relaxation"]


def batch_activations(
    V: np.ndarray,
    W: np.ndarray,
    H: np.ndarray,
    sizes: Sequence[int],
    *,
    beta: float = 1.0,
    max_iter: int = 200,
    tol: float = 1e-4,
    check_every: int = 10,
    relaxation: float = 1.0,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Activations of fixed basis spectra for consecutive, independent batches of columns.

    Batch ``b`` is the columns ``V[:, s_b : s_b + sizes[b]]``; its result is that of
    ``factorize(V_b, K, W=W, H=H_b, fixed_W=True, beta=beta, max_iter=max_iter,
    tol=tol, check_every=check_every)`` with ``V_b`` and ``H_b`` its columns.

    Parameters
    ----------
    V : np.ndarray, shape=(n_rows, n_cols), non-negative, float32 or float64
        The batches side by side (each already scaled as its own call would be).
    W : np.ndarray, shape=(n_rows, n_components)
        The fixed basis spectra.
    H : np.ndarray, shape=(n_components, n_cols)
        The starting activations (for example
        :func:`nmfsep.dictionary.initial_activations`); not modified.
    sizes : sequence of int
        Columns of each batch, in order; they add up to ``n_cols``.
    beta : float in [0, 2]
        The beta-divergence: 0 Itakura-Saito, 1 Kullback-Leibler, 2 Euclidean.
    max_iter : int
    tol : float
        As in :func:`~nmfsep.nmf.factorize`, for each batch alone; 0 runs
        every batch for ``max_iter`` iterations.
    check_every : int
        Iterations between two measures of each batch's objective.
    relaxation : float in [1, 2)
        Over-relaxation of the multiplicative update: its factor is raised to
        ``relaxation`` times the usual exponent, a longer step along the same
        direction (1, the default, is the update of ``factorize``).  The
        stopping rule is unchanged; a batch whose objective rose at a check
        (which the plain update never does) stops with the activations of the
        check before.  Without checks (``tol`` 0) nothing guards the longer steps.
    threads : int, optional
        Threads sweeping the columns (see :class:`nmfsep.sweeps.Workspace`); by
        default one for a small ``V``, else :func:`nmfsep.sweeps.default_threads`.

    Returns
    -------
    H : np.ndarray, shape=(n_components, n_cols), V's dtype
        The activations of every batch.
    n_iter : np.ndarray of int, shape=(n_batches,)
        The iterations each batch ran.

    Raises
    ------
    ParameterError
        If the shapes or the sizes do not match, or an option is out of range.
    """
    V = np.asarray(V)
    dtype = np.float64 if V.dtype == np.float64 else np.float32
    V = np.ascontiguousarray(V, dtype=dtype)
    W = np.ascontiguousarray(W, dtype=dtype)
    H = np.array(H, dtype=dtype, order="C")
    sizes = np.asarray(sizes, dtype=np.int64).reshape(-1)
    check_options(beta=beta, max_iter=max_iter, tol=tol)
    if V.ndim != 2 or W.shape[0] != V.shape[0] or H.shape != (W.shape[1], V.shape[1]):
        raise ParameterError(f"W {W.shape} and H {H.shape} do not match V {V.shape}")
    if sizes.size == 0 or sizes.min() < 1 or sizes.sum() != V.shape[1]:
        raise ParameterError(f"batch sizes must be positive and add up to the {V.shape[1]} "
                             f"columns of V, got {sizes.tolist()}")
    if not isinstance(check_every, (int, np.integer)) or check_every < 1:
        raise ParameterError(f"check_every must be a positive integer, got {check_every!r}")
    relaxation = check_relaxation(relaxation)
    eps = _eps(np.dtype(dtype))
    if beta == 0:
        V = np.maximum(V, eps)
    solver = _Solver(V, W, beta, eps, threads, relaxation)
    try:
        return solver.run(H, sizes, max_iter, tol if tol > 0 else 0.0, check_every)
    finally:
        solver.close()


def check_relaxation(relaxation: float) -> float:
    """``relaxation`` as a float, checked to lie in [1, 2).

    Raises
    ------
    ParameterError
        Outside [1, 2) (1 is the plain update; 2 doubles its exponent, past
        which the steps overshoot).
    """
    if not 1.0 <= relaxation < 2.0:
        raise ParameterError(f"relaxation must be in [1, 2), got {relaxation!r}")
    return float(relaxation)


class _Solver:
    """The sweeps over the active columns: updates of ``H``, and per-column objectives."""

    def __init__(self, V, W, beta, eps, threads, relaxation=1.0) -> None:
        self.V, self.W, self.beta, self.eps = V, W, beta, eps
        self.exponent = sweeps.gamma(beta) * relaxation
        self.relaxed = relaxation != 1
        # the KL denominator as sweeps.mu_iteration forms it: W's column sums, plus eps
        self.colsum = W.sum(axis=0)[:, None] + eps if beta == 1 else None
        self.gram = W.T @ W if beta == 2 else None
        # small problems, as in factorize: one thread, single-threaded BLAS (unless asked)
        small = V.size < (1 << 20) and threads is None
        self.ws = sweeps.Workspace(
            V.shape[0], W.shape[1],
            min(sweeps.default_block(V.shape[0], V.dtype.itemsize), V.shape[1]), V.dtype,
            threads=1 if small else threads, blas_threads=1 if small else None)

    def close(self) -> None:
        """Stop the workspace's threads."""
        self.ws.close()

    def _blocks(self, columns: np.ndarray) -> dict[int, np.ndarray] | None:
        """The blocks of ``V``'s ``columns`` as :meth:`_sweep` takes them, each gathered
        from ``V`` in one copy (:func:`nmfsep.sweeps.column_blocks`); None for a large ``V``."""
        ranges = _even_ranges(len(columns), self.ws.threads, self.ws.block)
        return sweeps.column_blocks(self.V, ranges, self.ws.block,
                                    None if len(columns) == self.V.shape[1] else columns)

    def run(self, H, sizes, max_iter, tol, check_every):
        """Iterate every batch to its stop; return the activations and the iteration counts."""
        out = H.copy()
        n_iter = np.full(sizes.size, max_iter, dtype=np.int64)
        active = np.arange(sizes.size)     # the batches still iterating
        columns = np.arange(H.shape[1])    # their columns, numbered as in V
        V = self.V  # its active columns, when the sweeps read them in place (no blocks)
        blocks = self._blocks(columns)
        WtV = self.W.T @ V if self.beta == 2 else None
        x_sums = (V.sum(axis=0, dtype=np.float64)
                  if tol and _divergence_beta(self.beta) == 1 else None)
        last = np.zeros(sizes.size)
        losses = np.empty(H.shape[1])
        before = H.copy() if self.relaxed else None  # the activations of the last check
        for iteration in range(1, max_iter + 1):
            # the sweep of this iteration also measures the activations of the one before
            checked = iteration - 1
            measure = bool(tol) and checked % check_every == 0
            saved = H.copy() if measure and checked else None
            self._sweep(V, blocks, H, WtV, losses if measure else None, x_sums)
            if not measure:
                continue
            current = np.add.reduceat(losses[: H.shape[1]],
                                      np.cumsum(sizes[active]) - sizes[active])
            previous = last[active]
            last[active] = current
            if not checked:
                continue
            stop = (previous - current) <= tol * np.abs(previous)
            if not stop.any():
                if before is not None:
                    before = saved
                continue
            n_iter[active[stop]] = checked
            leaving = np.repeat(stop, sizes[active])
            final = saved
            if before is not None:  # an over-relaxed step may climb: keep the lower check
                rose = np.repeat(stop & (current > previous), sizes[active])
                final = np.where(rose, before, saved)
                n_iter[active[stop & (current > previous)]] = checked - check_every
                before = saved[:, ~leaving]
            out[:, columns[leaving]] = final[:, leaving]
            keep = ~leaving
            active, columns = active[~stop], columns[keep]
            if not active.size:
                return out, n_iter
            H = np.ascontiguousarray(H[:, keep])
            blocks = self._blocks(columns)
            if blocks is None:
                V = np.ascontiguousarray(V[:, keep])
            if WtV is not None:
                WtV = np.ascontiguousarray(WtV[:, keep])
            if x_sums is not None:
                x_sums = x_sums[keep]
        out[:, columns] = H
        return out, n_iter

    def _sweep(self, V, blocks, H, WtV, losses, x_sums) -> None:
        """Update ``H`` in place; with ``losses``, first store each column's objective.

        ``blocks``: ``V``'s blocks from :meth:`_blocks`, or None to read ``V`` in place.
        """
        W, beta, eps = self.W, self.beta, self.eps
        block = self.ws.block

        def sweep(lane, first: int, last: int) -> None:
            for start in range(first, last, block):
                stop = min(start + block, last)
                Vb = V[:, start:stop] if blocks is None else blocks[start]
                Hb = H[:, start:stop]
                A, B = lane.fields(stop - start)
                num, den = lane.small(stop - start)
                if beta != 2 or losses is not None:
                    np.matmul(W, Hb, out=A)
                if losses is not None:
                    losses[start:stop] = _column_divergence(Vb, A, B, beta)
                    if x_sums is not None:
                        losses[start:stop] -= x_sums[start:stop]
                if beta == 2:
                    num[...] = WtV[:, start:stop]
                    np.matmul(self.gram, Hb, out=den)
                    den += eps
                else:
                    A += eps
                    has_b = sweeps.ratio_fields_of_model(Vb, A, B, beta)
                    np.matmul(W.T, A, out=num)
                    if has_b:
                        np.matmul(W.T, B, out=den)
                        den += eps
                    else:
                        den = self.colsum
                np.divide(num, den, out=num)
                if self.exponent != 1:
                    np.power(num, self.exponent, out=num)
                Hb *= num

        self.ws.map(sweep, _even_ranges(H.shape[1], self.ws.threads, block))


def _even_ranges(n_cols: int, threads: int, block: int) -> list[tuple[int, int]]:
    """Column ranges of about equal widths, one per thread, none narrower than half a block."""
    lanes = max(1, min(threads, n_cols // max(1, block // 2)))
    edges = [n_cols * i // lanes for i in range(lanes + 1)]
    return [(edges[i], edges[i + 1]) for i in range(lanes)]


def _divergence_beta(beta: float) -> float:
    """``beta``, or the 0 or 1 whose formula :func:`nmfsep.nmf.beta_divergence` uses for it."""
    if abs(beta) < _LIMIT_TOLERANCE:
        return 0
    if abs(beta - 1) < _LIMIT_TOLERANCE:
        return 1
    return beta


def _column_divergence(X: np.ndarray, Y: np.ndarray, T: np.ndarray, beta: float) -> np.ndarray:
    """The beta-divergence of each column of ``X`` from the model ``Y`` (``T`` a work buffer).

    The per-column form of :func:`nmfsep.nmf.beta_divergence`, in the same
    precision; for ``beta == 1`` the column sums of ``X`` are left out (the
    caller subtracts them once per batch).
    """
    beta = _divergence_beta(beta)
    if X.dtype == np.float64 or beta not in (0, 1, 2):
        return _exact_column_divergence(X, Y, beta)
    np.maximum(Y, 1e-12, out=T)
    if beta == 2:
        T -= X
        return 0.5 * np.einsum("ij,ij->j", T, T, dtype=np.float64)
    if beta == 1:  # X log(X / Y) + Y in float32, one sum in float64
        ratio = X / T
        np.maximum(ratio, np.finfo(np.float32).tiny, out=ratio)
        np.log(ratio, out=ratio)
        ratio *= X
        ratio += T
        return ratio.sum(axis=0, dtype=np.float64)
    np.divide(np.maximum(X, 1e-12), T, out=T)
    logs = np.log(T)
    T -= logs
    return T.sum(axis=0, dtype=np.float64) - T.shape[0]


def _exact_column_divergence(X: np.ndarray, Y: np.ndarray, beta: float) -> np.ndarray:
    """:func:`_column_divergence` in float64 (float64 data, or a beta other than 0, 1, 2)."""
    eps = _eps(np.dtype(np.float64))
    X = X.astype(np.float64)
    Y = np.maximum(Y, eps, dtype=np.float64)
    if beta == 2:
        Y -= X
        return 0.5 * np.einsum("ij,ij->j", Y, Y)
    if beta == 1:
        ratio = X / Y
        np.maximum(ratio, np.finfo(np.float64).tiny, out=ratio)
        np.log(ratio, out=ratio)
        ratio *= X
        return ratio.sum(axis=0) + Y.sum(axis=0)
    if beta == 0:
        ratio = np.maximum(X, eps) / Y
        return (ratio - np.log(ratio)).sum(axis=0) - X.shape[0]
    return np.sum(X**beta + (beta - 1) * Y**beta - beta * X * Y ** (beta - 1),
                  axis=0) / (beta * (beta - 1))
