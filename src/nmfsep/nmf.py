"""The factorization engine: beta-divergence NMF by multiplicative updates.

Pure array functions with no audio knowledge.  ``V ≈ W @ H`` with ``V`` of
shape ``(n_rows, n_cols)`` (frequency bins × frames), ``W`` ``(n_rows, K)`` and
``H`` ``(K, n_cols)``.

The updates are the majorization-minimization (MM) updates of Févotte & Idier
(2011), with the exponent ``gamma(beta)`` that makes the objective
non-increasing at every step for any ``beta`` in [0, 2].  The optional
penalties on ``H`` keep that guarantee:

* L1 sparsity ``l1_H * sum(H)`` enters the denominator of the update, which is
  the exact minimizer of an auxiliary function for every ``beta``;
* temporal continuity ``continuity * sum_k sum_t (H[k, t] - H[k, t-1])**2``
  (Virtanen 2007, without his per-row normalization so the objective stays a
  fixed function) is majorized by a separable quadratic; each element's
  auxiliary function is then minimized by a safeguarded Newton search, and an
  element whose step would not lower its auxiliary function keeps its value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import sweeps
from .errors import ParameterError
from .torch_backend import TorchIterator

__all__ = [
    "NMFResult",
    "beta_divergence",
    "check_options",
    "factorize",
    "initialize",
    "update_H",
    "update_W",
    "objective",
]

ProgressCallback = Callable[[int, float], None]

#: Over-relaxation of the exponent in ``solver="amu"``.
RELAX = 1.5


@dataclass
class NMFResult:
    """The outcome of :func:`factorize`.

    Attributes
    ----------
    W : np.ndarray, shape=(n_rows, n_components)
    H : np.ndarray, shape=(n_components, n_cols)
    loss_history : list of (iteration, loss)
        The objective (divergence plus penalties), checked every few iterations.
    n_iter : int
    converged : bool
        True if the relative change of the loss fell below ``tol``.
    """

    W: np.ndarray
    H: np.ndarray
    loss_history: list[tuple[int, float]] = field(default_factory=list)
    n_iter: int = 0
    converged: bool = False

    @property
    def loss(self) -> float:
        """The last measured objective value."""
        return self.loss_history[-1][1] if self.loss_history else float("nan")


def _eps(dtype: np.dtype) -> float:
    """The guard added to every denominator; tiny next to data scaled near 1."""
    return float(np.finfo(dtype).tiny) ** 0.5 if dtype == np.float64 else 1e-12


_gamma = sweeps.gamma


def beta_divergence(
    V: np.ndarray, W: np.ndarray | None = None, H: np.ndarray | None = None, beta: float = 1.0,
    *, approx: np.ndarray | None = None, block: int | None = None,
) -> float:
    """Beta-divergence ``D_beta(V | WH)`` summed over all elements.

    Computed over blocks of columns, so no temporary of the size of ``V``
    exists; float64 inputs are summed in float64 throughout, float32 inputs
    are evaluated in float32 and accumulated in float64 (relative error about
    1e-6, enough to stop iterations).

    Parameters
    ----------
    V : np.ndarray, shape=(n_rows, n_cols), non-negative
    W, H : np.ndarray
        Factors; or give ``approx`` (= ``W @ H``) instead.
    beta : float
        0 Itakura-Saito, 1 Kullback-Leibler, 2 half squared Euclidean.
    block : int, optional
        Columns per block; about a million elements by default.

    Returns
    -------
    float
    """
    n_cols = V.shape[1]
    step = block or max(1, (1 << 20) // max(1, V.shape[0]))
    total = 0.0
    for start in range(0, n_cols, step):
        cols = slice(start, min(n_cols, start + step))
        Y = approx[:, cols] if approx is not None else W @ H[:, cols]
        total += _divergence_block(V[:, cols], Y, beta)
    return float(total)


#: A β this close to 0 or 1 is computed by the formula of the limit: the
#: general one divides by ``β (β - 1)`` and loses every digit there (β = 5e-324
#: overflowed).
_LIMIT_TOLERANCE = 1e-9


def _divergence_block(X: np.ndarray, Y: np.ndarray, beta: float) -> float:
    if abs(beta) < _LIMIT_TOLERANCE:
        beta = 0
    elif abs(beta - 1) < _LIMIT_TOLERANCE:
        beta = 1
    exact = X.dtype == np.float64 or beta not in (0, 1, 2)
    work = np.float64 if exact else np.float32
    eps = _eps(np.dtype(work)) if exact else 1e-12
    X = X.astype(work, copy=False)
    Y = np.maximum(Y, eps, dtype=work)
    if beta == 2:
        Y -= X
        return 0.5 * float(np.einsum("ij,ij->", Y, Y, dtype=np.float64))
    if beta == 1:
        ratio = X / Y
        np.maximum(ratio, np.finfo(work).tiny, out=ratio)
        np.log(ratio, out=ratio)
        ratio *= X
        return float(ratio.sum(dtype=np.float64) - X.sum(dtype=np.float64)
                     + Y.sum(dtype=np.float64))
    if beta == 0:
        ratio = np.maximum(X, eps) / Y
        logs = np.log(ratio)
        ratio -= logs
        return float(ratio.sum(dtype=np.float64)) - ratio.size
    return float(
        np.sum(X**beta + (beta - 1) * Y**beta - beta * X * Y ** (beta - 1)) / (beta * (beta - 1))
    )


def _penalty(H: np.ndarray, l1_H: float, continuity: float) -> float:
    total = 0.0
    if l1_H:
        total += l1_H * float(H.sum(dtype=np.float64))
    if continuity:
        total += continuity * float(np.sum(np.diff(H.astype(np.float64), axis=1) ** 2))
    return total


def objective(
    V: np.ndarray, W: np.ndarray, H: np.ndarray, beta: float = 1.0,
    *, l1_H: float = 0.0, continuity: float = 0.0,
) -> float:
    """The function :func:`factorize` minimizes: divergence plus penalties on ``H``."""
    return beta_divergence(V, W, H, beta) + _penalty(H, l1_H, continuity)


def initialize(
    V: np.ndarray, n_components: int, *, method: str = "nndsvda",
    random_state: int | np.random.Generator | None = None, dtype=np.float32,
    beta: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Initial factors.

    Parameters
    ----------
    V : np.ndarray, shape=(n_rows, n_cols)
    n_components : int
    method : {"nndsvda", "nndsvd", "random", "coarse"}
        NNDSVD (Boutsidis & Gallopoulos 2008); "nndsvda" fills its zeros with
        the mean of ``V``; "random" draws from a half-normal scaled to ``V``;
        "coarse" factorizes ``V`` averaged over groups of
        :data:`COARSE_FACTOR` frames (NNDSVDa, then :data:`COARSE_ITER`
        accelerated iterations: a quarter of the cost of as many full ones)
        and repeats its activations back to every frame.
    random_state : int, Generator or None
    beta : float
        The divergence the "coarse" start minimizes.

    Returns
    -------
    W : np.ndarray, shape=(n_rows, n_components)
    H : np.ndarray, shape=(n_components, n_cols)
    """
    rng = np.random.default_rng(random_state)
    n_rows, n_cols = V.shape
    mean = float(V.mean(dtype=np.float64))
    if method == "random" or mean <= 0:
        scale = np.sqrt(max(mean, 1e-12) / n_components)
        W = scale * np.abs(rng.standard_normal((n_rows, n_components)))
        H = scale * np.abs(rng.standard_normal((n_components, n_cols)))
        return W.astype(dtype), H.astype(dtype)
    if method == "coarse":
        return _coarse_start(V, n_components, rng, dtype, beta)
    if method not in ("nndsvd", "nndsvda"):
        raise ParameterError(
            f"unknown init {method!r}; use 'nndsvda', 'nndsvd', 'random' or 'coarse'")
    W, H = _nndsvd(V, n_components, rng)
    if method == "nndsvda":
        W[W == 0] = mean
        H[H == 0] = mean
    return W.astype(dtype), H.astype(dtype)


#: Frames averaged together, and accelerated iterations, of the "coarse" start.
COARSE_FACTOR = 4
COARSE_ITER = 100


def _coarse_start(V, n_components, rng, dtype, beta):
    """Factorize the time-pooled ``V``, then repeat its activations to every frame."""
    n_rows, n_cols = V.shape
    factor = COARSE_FACTOR
    if n_cols < 16 * factor:
        return initialize(V, n_components, method="nndsvda", random_state=rng, dtype=dtype)
    usable = n_cols // factor * factor
    pooled = V[:, :usable].reshape(n_rows, usable // factor, factor).mean(axis=2, dtype=dtype)
    result = factorize(pooled, n_components, beta=beta, init="nndsvda", random_state=rng,
                       max_iter=COARSE_ITER, tol=0, solver="amu", dtype=dtype)
    H = np.empty((n_components, n_cols), dtype=dtype)
    H[:, :usable] = np.repeat(result.H, factor, axis=1)
    H[:, usable:] = result.H[:, -1:]
    return result.W.astype(dtype), H


def _nndsvd(V: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    rank = min(k, min(V.shape))
    U, S, Vt = _truncated_svd(V, rank, rng)
    W = np.zeros((V.shape[0], k))
    H = np.zeros((k, V.shape[1]))
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0, :] = np.sqrt(S[0]) * np.abs(Vt[0, :])
    for j in range(1, rank):
        x, y = U[:, j], Vt[j, :]
        xp, xn = np.maximum(x, 0), np.maximum(-x, 0)
        yp, yn = np.maximum(y, 0), np.maximum(-y, 0)
        norms_p = np.linalg.norm(xp) * np.linalg.norm(yp)
        norms_n = np.linalg.norm(xn) * np.linalg.norm(yn)
        u, v, sigma = (xp, yp, norms_p) if norms_p >= norms_n else (xn, yn, norms_n)
        u = u / max(np.linalg.norm(u), 1e-300)
        v = v / max(np.linalg.norm(v), 1e-300)
        W[:, j] = np.sqrt(S[j] * sigma) * u
        H[j, :] = np.sqrt(S[j] * sigma) * v
    return W, H


def _truncated_svd(V: np.ndarray, rank: int, rng: np.random.Generator):
    """Leading singular triplets; randomized range finder for large matrices.

    The products with ``V`` run in ``V``'s own dtype (no float64 copy of a
    float32 ``V``); the small factorizations in float64.
    """
    if min(V.shape) <= 4 * rank + 10 or V.size < 2_000_000:
        U, S, Vt = np.linalg.svd(V.astype(np.float64), full_matrices=False)
        return U[:, :rank], S[:rank], Vt[:rank]
    sketch = rank + 10
    work = V.dtype
    Q = V @ rng.standard_normal((V.shape[1], sketch)).astype(work)
    for _ in range(4):
        Q, _ = np.linalg.qr(Q.astype(np.float64))
        Q, _ = np.linalg.qr((V @ (V.T @ Q.astype(work))).astype(np.float64))
    B = (Q.T.astype(work) @ V).astype(np.float64)
    Ub, S, Vt = np.linalg.svd(B, full_matrices=False)
    return (Q @ Ub)[:, :rank], S[:rank], Vt[:rank]


def _ratio_terms(V: np.ndarray, approx: np.ndarray, beta: float, eps: float):
    """``(V * approx**(beta-2), approx**(beta-1))``: numerator and denominator fields."""
    if beta == 1:
        return V / (approx + eps), None
    if beta == 2:
        return V, approx
    if beta == 0:
        inv = 1.0 / (approx + eps)
        return V * inv * inv, inv
    guarded = approx + eps
    if beta == 0.5:  # by a square root: a general power costs several times more
        root = np.sqrt(guarded)
        np.reciprocal(root, out=root)
        return V * root / guarded, root
    return V * guarded ** (beta - 2), guarded ** (beta - 1)


def update_H(
    V: np.ndarray, W: np.ndarray, H: np.ndarray, beta: float = 1.0, *,
    l1_H: float = 0.0, continuity: float = 0.0, approx: np.ndarray | None = None,
) -> np.ndarray:
    """One MM update of ``H`` with ``W`` fixed; returns the new ``H`` (``H`` is not modified).

    The objective :func:`objective` never increases.
    """
    eps = _eps(V.dtype)
    approx = W @ H if approx is None else approx
    num_field, den_field = _ratio_terms(V, approx, beta, eps)
    numerator = W.T @ num_field
    if den_field is None:
        denominator = np.broadcast_to(W.sum(axis=0)[:, None], H.shape)
    else:
        denominator = W.T @ den_field
    denominator = denominator + l1_H
    if continuity:
        return _continuity_step(H, numerator, denominator, beta, continuity, eps)
    step = numerator / (denominator + eps)
    gamma = _gamma(beta)
    return H * (step if gamma == 1 else step**gamma)


def update_W(
    V: np.ndarray, W: np.ndarray, H: np.ndarray, beta: float = 1.0, *,
    fixed_columns: np.ndarray | None = None, approx: np.ndarray | None = None,
) -> np.ndarray:
    """One MM update of ``W`` with ``H`` fixed; columns in ``fixed_columns`` (bool mask) stay."""
    eps = _eps(V.dtype)
    approx = W @ H if approx is None else approx
    num_field, den_field = _ratio_terms(V, approx, beta, eps)
    numerator = num_field @ H.T
    if den_field is None:
        denominator = np.broadcast_to(H.sum(axis=1)[None, :], W.shape)
    else:
        denominator = den_field @ H.T
    step = numerator / (denominator + eps)
    gamma = _gamma(beta)
    W_new = W * (step if gamma == 1 else step**gamma)
    if fixed_columns is not None:
        W_new[:, fixed_columns] = W[:, fixed_columns]
    return W_new


def _continuity_step(H, numerator, denominator, beta, weight, eps, n_newton: int = 12):
    """Minimize each element's auxiliary function for divergence + continuity.

    With ``r = h / h_old`` the derivative of the auxiliary function is
    ``f(r) = P(r) - q r**(beta-2) + 2 w d h_old r - 2 w a`` where
    ``P(r) = p r**(beta-1)`` (beta >= 1) or ``p`` (beta < 1), ``d`` is the
    number of neighbours of the frame and ``a`` the sum of their current values.
    ``f`` is increasing and concave, so Newton's method started left of the
    root climbs to it without overshooting.
    """
    dtype = H.dtype
    Hd = H.astype(np.float64)
    p = np.asarray(denominator, dtype=np.float64)
    q = np.asarray(numerator, dtype=np.float64)
    degree = np.full(H.shape[1], 2.0)
    degree[0] = degree[-1] = 1.0
    if H.shape[1] == 1:
        degree[:] = 0.0
    neighbours = np.zeros_like(Hd)
    neighbours[:, 1:] += Hd[:, :-1]
    neighbours[:, :-1] += Hd[:, 1:]
    c = 2 * weight * degree * Hd          # coefficient of r
    b = 2 * weight * neighbours           # constant
    tiny = 1e-30

    def deriv(r):
        pr = p * r ** (beta - 1) if beta >= 1 else p
        return pr - q * r ** (beta - 2) + c * r - b

    def slope(r):
        dp = p * (beta - 1) * r ** (beta - 2) if beta >= 1 else 0.0
        return dp + q * (2 - beta) * r ** (beta - 3) + c

    def aux(r):
        if beta >= 1:
            lin = p * r**beta / beta
        else:
            lin = p * r
        if beta == 1:
            curve = -q * np.log(r)
        else:
            curve = -q * r ** (beta - 1) / (beta - 1)
        return lin + curve + 0.5 * c * r * r - b * r

    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        r = np.ones_like(Hd)
        above = deriv(r) > 0
        for _ in range(60):
            if not above.any():
                break
            r = np.where(above, r * 0.5, r)
            above = above & (deriv(r) > 0) & (r > tiny)
        for _ in range(n_newton):
            r = r - deriv(r) / slope(r)
            r = np.where(np.isfinite(r) & (r > tiny), r, tiny)
        r = np.where(aux(r) <= aux(np.ones_like(r)), r, 1.0)
    return (Hd * r).astype(dtype)


def _validate_data(V: np.ndarray, n_components: int) -> None:
    if V.ndim != 2:
        raise ParameterError(f"V must be 2-D (rows, columns), got shape {V.shape}")
    if V.size == 0:
        raise ParameterError("V is empty")
    if not np.all(np.isfinite(V)):
        raise ParameterError("V holds NaN or Inf values")
    if V.min() < 0:
        raise ParameterError(f"V must be non-negative, its minimum is {V.min()}")
    if not isinstance(n_components, (int, np.integer)) or n_components < 1:
        raise ParameterError(f"n_components must be a positive integer, got {n_components!r}")


def check_options(*, beta: float = 1.0, max_iter: int = 200, tol: float = 1e-4,
                  l1_H: float = 0.0, continuity: float = 0.0, solver: str = "mu",
                  inner: int = 1, backend: str = "numpy") -> None:
    """Raise :class:`~nmfsep.errors.ParameterError` for options :func:`factorize` refuses.

    The one check of the factorization's options: :func:`factorize` calls it,
    and so does :class:`nmfsep.config.SeparationConfig`, before any work.
    The message names the option and its value.
    """
    if not 0 <= beta <= 2:
        raise ParameterError(f"beta must be in [0, 2], got {beta}")
    if max_iter < 0:
        raise ParameterError(f"max_iter must be >= 0, got {max_iter}")
    if tol < 0:
        raise ParameterError(f"tol must be >= 0, got {tol}")
    if l1_H < 0 or continuity < 0:
        raise ParameterError("penalty weights l1_H and continuity must be >= 0")
    _validate_solver(solver, beta, continuity, inner, backend)


def factorize(
    V: np.ndarray,
    n_components: int,
    *,
    beta: float = 1.0,
    init: str = "nndsvda",
    W: np.ndarray | None = None,
    H: np.ndarray | None = None,
    fixed_W: bool | np.ndarray = False,
    fixed_H: bool = False,
    l1_H: float = 0.0,
    continuity: float = 0.0,
    max_iter: int = 200,
    tol: float = 1e-4,
    check_every: int = 10,
    dtype=np.float32,
    random_state: int | np.random.Generator | None = None,
    callback: ProgressCallback | None = None,
    solver: str = "mu",
    inner: int = 1,
    block_size: int | None = None,
    backend: str = "numpy",
    device: str | None = None,
) -> NMFResult:
    """Factorize ``V ≈ W @ H`` by minimizing the beta-divergence.

    Parameters
    ----------
    V : np.ndarray, shape=(n_rows, n_cols), non-negative
    n_components : int
        K, the number of components.
    beta : float in [0, 2]
        0 Itakura-Saito, 1 Kullback-Leibler (default), 2 Euclidean.
    init : {"nndsvda", "nndsvd", "random"}
        How to start the factors that are not given.
    W, H : np.ndarray, optional
        Initial (or fixed) factors; the missing one is initialized.
    fixed_W : bool or np.ndarray of bool, shape=(n_components,)
        True keeps all of ``W``; a mask keeps only those columns
        (for supervised and semi-supervised separation).
    fixed_H : bool
        Keep ``H`` as given.
    l1_H : float
        Weight of the L1 sparsity penalty on ``H``.
    continuity : float
        Weight of the temporal continuity penalty on ``H`` (Virtanen 2007).
    max_iter : int
    tol : float
        Stop when the relative decrease of the objective between two checks
        falls below ``tol``; 0 runs all ``max_iter`` iterations (and, without
        a ``callback``, measures the objective only at the start and the end).
    check_every : int
        Iterations between objective evaluations (the loss is costly).
    dtype : np.float32 (default) or np.float64
    random_state : int, Generator or None
    callback : callable(iteration, loss), optional
        Called at every check, for progress reporting.
    solver : {"mu", "amu", "hals"}
        "mu": the multiplicative MM updates, for any ``beta`` and penalty;
        the objective never increases, step by step.
        "amu": accelerated MU, the same updates over-relaxed (exponent times
        :data:`RELAX`); the objective is checked every ``check_every``
        iterations and, should it have increased, the factors go back to the
        last check and plain MM steps continue, so the checked objective
        never increases.
        "hals": hierarchical alternating least squares, ``beta = 2`` only,
        no ``continuity``; converges in far fewer iterations.  Both never
        increase the objective.
    inner : int
        Updates of ``H`` per update of ``W`` (HALS: repetitions of the cheap
        row updates on the same products, Gillis & Glineur 2012).
    block_size : int, optional
        Frames per block of the cache-blocked iteration (no temporary of the
        size of ``V`` is made); chosen from the cache size by default.
    backend : {"numpy", "torch"}
        "torch" runs the MU iterations with PyTorch (install the ``torch``
        extra), on ``device``.
    device : str, optional
        Torch device; "cuda" when available, else "cpu".

    Returns
    -------
    NMFResult
    """
    V = np.asarray(V)
    _validate_data(V, n_components)
    check_options(beta=beta, max_iter=max_iter, tol=tol, l1_H=l1_H, continuity=continuity,
                  solver=solver, inner=inner, backend=backend)
    V = V.astype(dtype, copy=False)
    if W is None or H is None:
        W0, H0 = initialize(V, n_components, method=init, random_state=random_state, dtype=dtype,
                            beta=beta)
        W = W0 if W is None else W
        H = H0 if H is None else H
    W = np.array(W, dtype=dtype, order="C")
    H = np.array(H, dtype=dtype, order="C")
    if W.shape != (V.shape[0], n_components) or H.shape != (n_components, V.shape[1]):
        raise ParameterError(
            f"W {W.shape} and H {H.shape} do not match V {V.shape} with {n_components} components"
        )
    fixed_columns = _fixed_columns(fixed_W, n_components)
    update_all_W = not fixed_columns.all()
    mask = fixed_columns if fixed_columns.any() else None
    if beta == 0:
        V = np.maximum(V, _eps(dtype))
    if backend == "torch":
        step = TorchIterator(V, W, H, beta, eps=_eps(dtype), device=device,
                             fixed_columns=mask, l1_H=l1_H)
    else:
        step = _numpy_iterator(V, W, H, beta, solver, inner, block_size, mask, l1_H, continuity)
    quiet = tol == 0 and callback is None
    accelerated = solver == "amu"

    def evaluate() -> float:
        step.sync()
        return objective(V, W, H, beta, l1_H=l1_H, continuity=continuity)

    def record(iteration: int, value: float) -> None:
        history.append((iteration, value))
        if callback is not None:
            callback(iteration, value)

    def advance(measure: bool = False) -> float | None:
        if measure:
            return step(update_H=not fixed_H, update_W=update_all_W, measure=True)
        return step(update_H=not fixed_H, update_W=update_all_W)

    # The objective of a checked iterate is measured by the next iteration's
    # sweep, which reads V and rebuilds W H anyway ("due"); that iteration is
    # undone when the check stops the run or falls back to its checkpoint.
    fused = getattr(step, "measures", False)
    history: list[tuple[int, float]] = []
    converged = False
    iteration = 0
    try:
        last = evaluate()
        record(0, last)
        saved = (W.copy(), H.copy()) if accelerated else None
        due = False
        for iteration in range(1, max_iter + 1):
            if due:
                due = False
                step.sync()
                before = (W.copy(), H.copy())
                current = _penalty(H, l1_H, continuity) + advance(measure=True)
                if accelerated and current > last:
                    W[...], H[...] = saved
                    step.load()
                    step.reset(relax=1.0)
                    record(iteration - 1, last)
                    advance()  # this iteration again, from the checkpoint
                else:
                    record(iteration - 1, current)
                    if accelerated:
                        saved = before
                    if tol > 0 and (last - current) <= tol * abs(last):
                        W[...], H[...] = before
                        step.load()
                        converged = True
                        iteration -= 1
                        break
                    last = current
            else:
                advance()
            checking = iteration % check_every == 0 and (accelerated or not quiet)
            if checking and fused and iteration < max_iter:
                due = True
            elif iteration == max_iter or checking:
                current = evaluate()
                if accelerated and current > last:
                    # The over-relaxed steps went uphill: back to the last
                    # checkpoint, and plain MM steps from there on.
                    W[...], H[...] = saved
                    step.reset(relax=1.0)
                    record(iteration, last)
                    continue
                record(iteration, current)
                if accelerated:
                    saved = (W.copy(), H.copy())
                if tol > 0 and (last - current) <= tol * abs(last):
                    converged = True
                    break
                last = current
            if fixed_H and not update_all_W:
                break
        step.sync()
    finally:
        step.close()
    return NMFResult(W=W, H=H, loss_history=history, n_iter=iteration, converged=converged)


class _NumpyIterator:
    """Runs iterations in place on ``W`` and ``H`` with the chosen solver."""

    def __init__(self, V, W, H, beta, solver, inner, block_size, mask, l1_H, continuity):
        self.V, self.W, self.H, self.beta = V, W, H, beta
        self.relax = RELAX if solver == "amu" and not continuity else 1.0
        self.solver, self.inner, self.mask, self.l1_H = solver, inner, mask, l1_H
        self.eps = _eps(V.dtype)
        self.continuity_step = None
        if continuity:
            def continuity_step(H_, numerator, denominator):
                return _continuity_step(H_, numerator, denominator, beta, continuity, self.eps)

            self.continuity_step = continuity_step
        block = block_size or sweeps.default_block(V.shape[0], V.dtype.itemsize)
        # Small problems: one thread, single-threaded BLAS (thread start-up costs more).
        small = V.size < (1 << 20)
        self.ws = sweeps.Workspace(V.shape[0], W.shape[1], min(block, V.shape[1]), V.dtype,
                                   threads=1 if small else None, blas_threads=1 if small else None)
        self.blocks = None if solver == "hals" else sweeps.column_blocks(
            V, self.ws.ranges(V.shape[1]), self.ws.block)

    @property
    def measures(self) -> bool:
        """Whether an iteration can measure the divergence it starts from."""
        return (self.solver != "hals" and self.continuity_step is None
                and self.beta in sweeps.MEASURED_BETAS)

    def __call__(self, *, update_H: bool, update_W: bool, measure: bool = False) -> float | None:
        """One iteration; with ``measure``, the divergence of ``W``, ``H`` before it."""
        if self.solver == "hals":
            sweeps.hals_iteration(self.V, self.W, self.H, update_H=update_H, update_W=update_W,
                                  fixed_columns=self.mask, l1_H=self.l1_H, inner=self.inner)
            return None
        divergence = None
        for _ in range(self.inner - 1 if update_H else 0):
            measured = sweeps.mu_iteration(
                self.V, self.W, self.H, self.beta, self.ws, self.eps, update_W=False,
                l1_H=self.l1_H, continuity_step=self.continuity_step, relax=self.relax,
                measure=measure and divergence is None, blocks=self.blocks)
            divergence = measured if divergence is None else divergence
        measured = sweeps.mu_iteration(
            self.V, self.W, self.H, self.beta, self.ws, self.eps, update_H=update_H,
            update_W=update_W, fixed_columns=self.mask, l1_H=self.l1_H,
            continuity_step=self.continuity_step, relax=self.relax,
            measure=measure and divergence is None, blocks=self.blocks)
        return measured if divergence is None else divergence

    def reset(self, *, relax: float) -> None:
        """Change the over-relaxation (``relax=1`` gives the plain MM steps)."""
        self.relax = relax

    def sync(self) -> None:
        """Nothing to do: the numpy iterations work on ``W`` and ``H`` themselves."""

    def load(self) -> None:
        """Nothing to do: the numpy iterations work on ``W`` and ``H`` themselves."""

    def close(self) -> None:
        """Stop the workspace's threads and let the copied blocks go."""
        self.ws.close()
        self.blocks = None


def _numpy_iterator(V, W, H, beta, solver, inner, block_size, mask, l1_H, continuity):
    return _NumpyIterator(V, W, H, beta, solver, inner, block_size, mask, l1_H, continuity)


def _validate_solver(solver, beta, continuity, inner, backend) -> None:
    if solver not in ("mu", "amu", "hals"):
        raise ParameterError(f"unknown solver {solver!r}; use 'mu', 'amu' or 'hals'")
    if solver == "hals" and (beta != 2 or continuity):
        raise ParameterError(
            f"solver 'hals' needs beta=2 and no continuity penalty, got beta={beta}, "
            f"continuity={continuity}; use solver='mu'"
        )
    if not isinstance(inner, (int, np.integer)) or inner < 1:
        raise ParameterError(f"inner must be a positive integer, got {inner!r}")
    if backend not in ("numpy", "torch"):
        raise ParameterError(f"unknown backend {backend!r}; use 'numpy' or 'torch'")
    if backend == "torch" and (solver != "mu" or continuity or inner != 1):
        raise ParameterError("backend 'torch' supports solver='mu' without continuity "
                             "and with inner=1")


def _fixed_columns(fixed_W: bool | np.ndarray, n_components: int) -> np.ndarray:
    if isinstance(fixed_W, (bool, np.bool_)):
        return np.full(n_components, bool(fixed_W))
    mask = np.asarray(fixed_W)
    if mask.dtype != bool:
        columns = mask.astype(int)
        mask = np.zeros(n_components, dtype=bool)
        mask[columns] = True
    if mask.shape != (n_components,):
        raise ParameterError(f"fixed_W must have one flag per component ({n_components})")
    return mask
