"""Cache-blocked NMF iterations: one pass over ``V`` per iteration, no full-size temporary.

The multiplicative (MM) update of ``H`` is separable over frames, so the
frames are taken in blocks small enough for the caches: for each block the
model ``W @ H_b``, the ratio fields and the update of ``H_b`` are computed
while the block is hot, then the model is rebuilt with the new ``H_b`` and its
contribution to ``W``'s numerator is accumulated.  One iteration reads ``V``
once and allocates nothing of the size of ``V``; the results are those of
:func:`nmfsep.nmf.update_H` followed by :func:`nmfsep.nmf.update_W` up to the
order of floating-point sums.

HALS (hierarchical alternating least squares, Cichocki & Phan 2009) for
``beta = 2`` with the inner repetitions of Gillis & Glineur (2012) is here
too: each row (column) update is the exact minimizer of the objective in
that row (column), so the objective never increases.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .threads import default_threads

try:  # a core dependency; without it the sweeps run in one thread
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover
    ThreadpoolController = None

__all__ = ["Workspace", "default_block", "gamma", "mu_iteration", "hals_iteration",
           "block_divergence", "MEASURED_BETAS"]


def default_block(n_rows: int, itemsize: int = 4) -> int:
    """Frames per block: a block of ``V`` of about 1 MiB, at least 64 frames."""
    return max(64, (1 << 20) // max(1, n_rows * itemsize) // 16 * 16)


#: ``V`` up to this size is swept from a copy cut into contiguous blocks
#: (:func:`column_blocks`): a block read whole is fetched faster than the same
#: columns read as short rows spread over ``V``.  The copy costs ``V``'s size
#: again, so a larger ``V`` (a long file's) is read in place.
BLOCKED_COPY_BYTES = 256 << 20


def column_blocks(V: np.ndarray, ranges: Sequence[tuple[int, int]], block: int,
                  columns: np.ndarray | None = None) -> dict[int, np.ndarray] | None:
    """``V``'s columns cut as a sweep takes them, each block a contiguous copy.

    Each range ``(first, last)`` is cut into blocks of ``block`` columns from
    ``first`` (as :meth:`Workspace.ranges` and ``Workspace.block`` give them to
    :func:`mu_iteration`); the copies are keyed by their first column and
    serve every sweep over this ``V`` (which must not change meanwhile).  None
    when the columns are more than :data:`BLOCKED_COPY_BYTES`: the sweeps then
    read ``V`` in place.

    With ``columns`` (indices into ``V``'s columns), the ranges number those
    columns alone, and each block is gathered from ``V`` in one copy.
    """
    count = V.shape[1] if columns is None else len(columns)
    if V.shape[0] * count * V.itemsize > BLOCKED_COPY_BYTES:
        return None
    if columns is None:
        return {start: np.ascontiguousarray(V[:, start : min(start + block, last)])
                for first, last in ranges for start in range(first, last, block)}
    return {start: V.take(columns[start : min(start + block, last)], axis=1)
            for first, last in ranges for start in range(first, last, block)}


class _Lane:
    """One thread's buffers: the block fields and its share of ``W``'s accumulators."""

    def __init__(self, n_rows: int, n_components: int, block: int, dtype) -> None:
        self.block = block
        self._a = np.empty(n_rows * block, dtype=dtype)
        self._b = np.empty(n_rows * block, dtype=dtype)
        self._num = np.empty(n_components * block, dtype=dtype)
        self._den = np.empty(n_components * block, dtype=dtype)
        self.acc_num = np.empty((n_rows, n_components), dtype=dtype)
        self.acc_den = np.empty((n_rows, n_components), dtype=dtype)
        self.part = np.empty((n_rows, n_components), dtype=dtype)
        self.gram_part = np.empty((n_components, n_components), dtype=dtype)
        self.hh = np.empty((n_components, n_components), dtype=dtype)
        self.rowsum = np.empty(n_components, dtype=np.float64)
        self.divergence = 0.0

    def reset(self) -> None:
        self.acc_num.fill(0)
        self.acc_den.fill(0)
        self.hh.fill(0)
        self.rowsum.fill(0)

    def fields(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Two contiguous ``(n_rows, width)`` buffers."""
        rows = self._a.size // self.block
        return (self._a[: rows * width].reshape(rows, width),
                self._b[: rows * width].reshape(rows, width))

    def small(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Two contiguous ``(n_components, width)`` buffers."""
        k = self._num.size // self.block
        return self._num[: k * width].reshape(k, width), self._den[: k * width].reshape(k, width)


class Workspace:
    """Preallocated buffers for :func:`mu_iteration`, reused across iterations.

    The frames are shared among ``threads`` Python threads, each sweeping
    its own contiguous range with single-threaded BLAS calls (numpy releases
    the GIL in them): one synchronization per sweep instead of one per small
    product, which also keeps its speed when other processes load the cores.

    Parameters
    ----------
    n_rows, n_components : int
    block : int
        Frames per block.
    dtype : np.dtype
    threads : int, optional
        :func:`default_threads` by default; 1 sweeps in the calling thread.
    blas_threads : int, optional
        BLAS threads during a single-threaded sweep (None: BLAS decides); with
        several sweep threads BLAS runs single-threaded in each.
    """

    def __init__(self, n_rows: int, n_components: int, block: int, dtype,
                 threads: int | None = None, blas_threads: int | None = None) -> None:
        self.block = int(block)
        self.dtype = np.dtype(dtype)
        self.threads = default_threads() if threads is None else max(1, int(threads))
        if _blas_limiter() is None:
            self.threads, blas_threads = 1, None
        self.blas_threads = 1 if self.threads > 1 else blas_threads
        self.lanes = [_Lane(n_rows, n_components, self.block, self.dtype)
                      for _ in range(self.threads)]
        self.gram = np.empty((n_components, n_components), dtype=self.dtype)
        self._pool: ThreadPoolExecutor | None = None

    def map(self, fn, ranges) -> None:
        """Run ``fn(lane, start, stop)`` for every range, one lane each, in parallel."""
        jobs = list(zip(self.lanes, ranges, strict=False))
        limits = (_blas_limiter()(limits=self.blas_threads, user_api="blas")
                  if self.blas_threads else contextlib.nullcontext())
        if len(jobs) == 1:
            lane, (start, stop) = jobs[0]
            with limits:
                fn(lane, start, stop)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="nmfsep")
        with limits:
            futures = [self._pool.submit(fn, lane, start, stop) for lane, (start, stop) in jobs]
            for future in futures:
                future.result()

    def ranges(self, n_cols: int) -> list[tuple[int, int]]:
        """Contiguous column ranges, one per lane, on block boundaries."""
        blocks = -(-n_cols // self.block)
        lanes = min(self.threads, blocks)
        edges = [min(n_cols, round(i * blocks / lanes) * self.block) for i in range(lanes + 1)]
        return [(edges[i], edges[i + 1]) for i in range(lanes)]

    def close(self) -> None:
        """Stop the worker threads."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


_CONTROLLER: list = []


def _blas_limiter():
    """A function ``(limits, user_api)`` -> context that limits BLAS threads, or None.

    Uses threadpoolctl when installed; its controller is made once, as
    inspecting the loaded libraries is slow.
    """
    if not _CONTROLLER:
        _CONTROLLER.append(None if ThreadpoolController is None else ThreadpoolController())
    controller = _CONTROLLER[0]
    return None if controller is None else controller.limit


def gamma(beta: float) -> float:
    """Févotte & Idier's exponent that makes the multiplicative update an MM step."""
    if beta < 1:
        return 1.0 / (2.0 - beta)
    if beta > 2:
        return 1.0 / (beta - 1.0)
    return 1.0


def _ratio_fields(Vb, W, Hb, beta, eps, A, B) -> bool:
    """Fill ``A = Vb * (W Hb)^(beta-2)`` and ``B = (W Hb)^(beta-1)`` in place.

    Returns False when ``B`` is not needed (``beta == 1``: its products are sums).
    """
    np.matmul(W, Hb, out=A)
    A += eps
    return ratio_fields_of_model(Vb, A, B, beta)


def ratio_fields_of_model(Vb, A, B, beta) -> bool:
    """From the guarded model ``A = W Hb + eps``: ``A = Vb * A^(beta-2)``, ``B = A^(beta-1)``.

    In place; returns False when ``B`` is not needed (``beta == 1``).
    """
    if beta == 1:
        np.divide(Vb, A, out=A)
        return False
    if beta == 0:
        np.reciprocal(A, out=B)
        np.multiply(B, B, out=A)
        A *= Vb
        return True
    if beta == 0.5:  # A^(-1/2) by a square root: a general power costs several times more
        np.sqrt(A, out=B)
        np.reciprocal(B, out=B)
    else:
        np.power(A, beta - 1, out=B)
    np.divide(B, A, out=A)
    A *= Vb
    return True


#: The betas whose divergence a sweep can measure (:func:`block_divergence`).
MEASURED_BETAS = (0.0, 1.0, 2.0)


def block_divergence(Vb, W, Hb, beta, eps, A, B) -> float:
    """``D_beta(Vb | max(W Hb, eps))``, computed in the buffers ``A`` and ``B``.

    The formulas and the guard of :func:`nmfsep.nmf.beta_divergence` (float32
    fields, float64 sums), without a temporary: ``A`` and ``B`` (the block's
    shape) are overwritten.  ``beta`` is one of :data:`MEASURED_BETAS`.
    """
    np.matmul(W, Hb, out=A)
    np.maximum(A, eps, out=A)
    if beta == 2:
        A -= Vb
        np.square(A, out=A)
        return 0.5 * float(A.sum(dtype=np.float64))
    if beta == 1:
        model = float(A.sum(dtype=np.float64))
        np.divide(Vb, A, out=B)
        np.maximum(B, np.finfo(B.dtype).tiny, out=B)
        np.log(B, out=B)
        B *= Vb
        return float(B.sum(dtype=np.float64)) - float(Vb.sum(dtype=np.float64)) + model
    if beta == 0:
        np.maximum(Vb, eps, out=B)
        B /= A
        np.log(B, out=A)
        B -= A
        return float(B.sum(dtype=np.float64)) - B.size
    raise ValueError(f"the sweeps measure beta in {MEASURED_BETAS}, not {beta}")


def _scale(X, numerator, denominator, exponent, eps) -> None:
    """``X *= (numerator / (denominator + eps)) ** exponent``, reusing ``numerator``."""
    denominator += eps
    np.divide(numerator, denominator, out=numerator)
    if exponent != 1:
        np.power(numerator, exponent, out=numerator)
    X *= numerator


def mu_iteration(
    V: np.ndarray, W: np.ndarray, H: np.ndarray, beta: float, ws: Workspace, eps: float, *,
    update_H: bool = True, update_W: bool = True, fixed_columns: np.ndarray | None = None,
    l1_H: float = 0.0, continuity_step=None, relax: float = 1.0, measure: bool = False,
    blocks: dict[int, np.ndarray] | None = None,
) -> float | None:
    """One MM iteration (``H`` then ``W``) in place, over blocks of frames.

    Parameters
    ----------
    V : np.ndarray, shape=(n_rows, n_cols)
    W : np.ndarray, shape=(n_rows, K), C-contiguous, updated in place
    H : np.ndarray, shape=(K, n_cols), C-contiguous, updated in place
    beta : float in [0, 2]
    ws : Workspace
    eps : float
        Guard added to every denominator and to the model.
    update_H, update_W : bool
    fixed_columns : np.ndarray of bool, optional
        Columns of ``W`` that stay.
    l1_H : float
    continuity_step : callable(H, numerator, denominator) -> H, optional
        The continuity-penalized step; it couples neighbouring frames, so
        ``H`` is then updated after a first full pass and ``W`` in a second.
    relax : float
        Over-relaxation: the MM exponent is multiplied by it (1 is the MM
        step with its per-step guarantee; above 1 usually descends faster).
    measure : bool
        Also measure, block by block while the sweep passes, the divergence
        of the incoming ``W``, ``H`` (before this iteration's updates;
        :func:`block_divergence`, ``beta`` in :data:`MEASURED_BETAS`, no
        continuity step).
    blocks : dict, optional
        ``V``'s blocks as :func:`column_blocks` cuts them for ``ws`` (the same
        numbers, read faster); by default the sweep reads ``V`` in place.

    Returns
    -------
    float or None
        That divergence, when measured.
    """
    n_cols = V.shape[1]
    exponent = gamma(beta) * relax
    if measure and (beta not in MEASURED_BETAS or (continuity_step is not None and update_H)):
        raise ValueError("a sweep measures beta 0, 1 or 2 without a continuity step")
    if continuity_step is not None and update_H:
        _continuity_pass(V, W, H, beta, ws, eps, l1_H, continuity_step)
        update_H = False
    if not (update_H or update_W or measure):
        return None
    colsum = W.sum(axis=0)[:, None] if beta == 1 else None
    if beta == 2:
        np.matmul(W.T, W, out=ws.gram)

    def sweep(lane: _Lane, first: int, last: int) -> None:
        if update_W:  # the accumulators serve W's update alone
            lane.reset()
        lane.divergence = 0.0
        for start in range(first, last, ws.block):
            stop = min(start + ws.block, last)
            width = stop - start
            Vb = V[:, start:stop] if blocks is None else blocks[start]
            Hb = H[:, start:stop]
            A, B = lane.fields(width)
            if measure:
                lane.divergence += block_divergence(Vb, W, Hb, beta, eps, A, B)
            if update_H:
                num, den = lane.small(width)
                if beta == 2:
                    np.matmul(W.T, Vb, out=num)
                    np.matmul(ws.gram, Hb, out=den)
                else:
                    has_b = _ratio_fields(Vb, W, Hb, beta, eps, A, B)
                    np.matmul(W.T, A, out=num)
                    if has_b:
                        np.matmul(W.T, B, out=den)
                    else:
                        den[...] = colsum
                if l1_H:
                    den += l1_H
                _scale(Hb, num, den, exponent, eps)
            if not update_W:
                continue
            if beta == 2:
                np.matmul(Vb, Hb.T, out=lane.part)
                lane.acc_num += lane.part
                np.matmul(Hb, Hb.T, out=lane.gram_part)
                lane.hh += lane.gram_part
                continue
            has_b = _ratio_fields(Vb, W, Hb, beta, eps, A, B)
            np.matmul(A, Hb.T, out=lane.part)
            lane.acc_num += lane.part
            if has_b:
                np.matmul(B, Hb.T, out=lane.part)
                lane.acc_den += lane.part
            else:
                lane.rowsum += Hb.sum(axis=1, dtype=np.float64)

    ranges = ws.ranges(n_cols)
    ws.map(sweep, ranges)
    if update_W:
        total = ws.lanes[0]
        for lane in ws.lanes[1 : len(ranges)]:
            total.acc_num += lane.acc_num
            total.acc_den += lane.acc_den
            total.hh += lane.hh
            total.rowsum += lane.rowsum
        _finish_W(W, beta, total, ws.gram, exponent, eps, fixed_columns)
    if not measure:
        return None
    return float(sum(lane.divergence for lane in ws.lanes[: len(ranges)]))


def _finish_W(W, beta, lane, gram, exponent, eps, fixed_columns) -> None:
    keep = W[:, fixed_columns].copy() if fixed_columns is not None else None
    if beta == 2:
        np.matmul(W, lane.hh, out=lane.part)
        denominator = lane.part
    elif beta == 1:
        denominator = lane.acc_den
        denominator[...] = lane.rowsum.astype(W.dtype)[None, :]
    else:
        denominator = lane.acc_den
    _scale(W, lane.acc_num, denominator, exponent, eps)
    if keep is not None:
        W[:, fixed_columns] = keep


def _continuity_pass(V, W, H, beta, ws, eps, l1_H, continuity_step) -> None:
    """Numerator and denominator of the ``H`` update over all frames, then the coupled step."""
    numerator = np.empty_like(H)
    denominator = np.empty_like(H)
    colsum = W.sum(axis=0)[:, None]

    def sweep(lane: _Lane, first: int, last: int) -> None:
        for start in range(first, last, ws.block):
            stop = min(start + ws.block, last)
            A, B = lane.fields(stop - start)
            has_b = _ratio_fields(V[:, start:stop], W, H[:, start:stop], beta, eps, A, B)
            np.matmul(W.T, A, out=numerator[:, start:stop])
            if has_b:
                np.matmul(W.T, B, out=denominator[:, start:stop])
            else:
                denominator[:, start:stop] = colsum

    ws.map(sweep, ws.ranges(V.shape[1]))
    denominator += l1_H
    H[...] = continuity_step(H, numerator, denominator)


def _hals_rows(X, cross, gram, l1: float, floor: float, inner: int) -> None:
    """Exact coordinate minimization of each row of ``X`` (K, n), ``inner`` times.

    Minimizes ``0.5 * tr(X^T gram X) - tr(X^T cross) + l1 * sum(X)`` over
    ``X >= floor`` row by row; ``cross`` and ``gram`` are fixed.
    """
    K = X.shape[0]
    for _ in range(inner):
        for k in range(K):
            g = gram[k, k]
            if g <= 0:
                continue
            step = cross[k] - gram[k] @ X
            if l1:
                step -= l1
            step /= g
            step += X[k]
            np.maximum(step, floor, out=X[k])


def hals_iteration(
    V: np.ndarray, W: np.ndarray, H: np.ndarray, *, update_H: bool = True,
    update_W: bool = True, fixed_columns: np.ndarray | None = None, l1_H: float = 0.0,
    inner: int = 1,
) -> None:
    """One HALS iteration for ``beta = 2`` in place: every row of ``H``, then every column of ``W``.

    With ``inner > 1`` the cheap row updates are repeated on the same
    ``W^T V`` and ``W^T W`` (Gillis & Glineur 2012), which costs ``K^2 N``
    each against the ``M N K`` of the product.  Never increases the objective.
    """
    if update_H:
        cross = W.T @ V
        gram = W.T @ W
        _hals_rows(H, cross, gram, l1_H, 0.0, inner)
    if update_W:
        cross = (V @ H.T).T
        gram = H @ H.T
        Wt = np.ascontiguousarray(W.T)
        free = np.arange(W.shape[1]) if fixed_columns is None else np.flatnonzero(~fixed_columns)
        if free.size == W.shape[1]:
            _hals_rows(Wt, cross, gram, 0.0, 0.0, inner)
        else:
            _hals_subset(Wt, cross, gram, free, inner)
        W[...] = Wt.T


def _hals_subset(X, cross, gram, rows, inner) -> None:
    for _ in range(inner):
        for k in rows:
            g = gram[k, k]
            if g <= 0:
                continue
            step = (cross[k] - gram[k] @ X) / g + X[k]
            np.maximum(step, 0.0, out=X[k])
