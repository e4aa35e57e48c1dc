"""Convolutive NMF (NMFD): each component a spectrogram patch of ``T`` frames.

Pure array functions with no audio knowledge, beside :mod:`nmfsep.nmf`.  The
model (Smaragdis 2004; Dittmar & Müller 2016) is

    Λ = Σ_t W_t · shift_t(H),      t = 0 … T-1

with ``V`` of shape ``(n_rows, n_cols)``, the templates ``W`` of shape
``(n_rows, T, K)`` (``W[:, t, :]`` is ``W_t``, ``W[:, :, k]`` component ``k``'s
patch) and the activations ``H`` of shape ``(K, n_cols)``; ``shift_t`` moves
the columns ``t`` frames to the right and fills with zeros.

Stacking the lags turns the model into one product, ``Λ = Wcat @ Hlag`` with
``Wcat = W.reshape(n_rows, T*K)`` and ``Hlag`` (``T*K`` rows, row ``t*K + k``
being ``H[k]`` shifted by ``t``): no Python loop over frames, and every large
step a single matrix product.  Since ``Λ`` is linear in ``Wcat`` and in ``H``
with non-negative coefficients, the multiplicative updates of Févotte & Idier
(2011) with the exponent ``gamma(beta)`` are majorization-minimization steps
for either factor, for every ``beta`` in [0, 2]: the divergence never
increases.  The ``H`` update is the ratio of the sums over lags

    H ← H ∘ ( Σ_t W_tᵀ shift_-t(V Λ^(β-2)) / Σ_t W_tᵀ shift_-t(Λ^(β-1)) )^γ.

``variant="libnmfd"`` runs libnmfd's NMFD iteration instead (KL only,
:func:`libnmfd_iteration` says exactly how it differs), for comparisons with
that reference implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import nmf
from .errors import ParameterError
from .nmf import _eps, beta_divergence
from .sweeps import gamma

__all__ = [
    "NMFDResult",
    "convolve",
    "lagged",
    "component_spectrograms",
    "update_H",
    "update_W",
    "normalize",
    "libnmfd_iteration",
    "factorize",
    "LIBNMFD_EPS",
]

ProgressCallback = Callable[[int, float], None]

#: libnmfd's guard (``libnmfd.utils.EPS``), used by ``variant="libnmfd"``.
LIBNMFD_EPS = 2.0**-52


@dataclass
class NMFDResult:
    """The outcome of :func:`factorize`.

    Attributes
    ----------
    W : np.ndarray, shape=(n_rows, T, n_components)
        The templates; ``W[:, :, k]`` is component ``k``'s spectrogram patch.
    H : np.ndarray, shape=(n_components, n_cols)
        The activations.
    loss_history : list of (iteration, loss)
        The divergence, checked every few iterations.
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
        """The last measured divergence."""
        return self.loss_history[-1][1] if self.loss_history else float("nan")

    @property
    def approximation(self) -> np.ndarray:
        """``Λ``, shape=(n_rows, n_cols)."""
        return convolve(self.W, self.H)


def lagged(H: np.ndarray, T: int) -> np.ndarray:
    """The stacked shifted activations ``Hlag``, shape=(T * K, n_cols).

    Row ``t * K + k`` is ``H[k]`` shifted ``t`` frames to the right (zeros first).
    """
    K, n_cols = H.shape
    out = np.zeros((T, K, n_cols), dtype=H.dtype)
    for t in range(min(T, n_cols)):
        out[t, :, t:] = H[:, : n_cols - t]
    return out.reshape(T * K, n_cols)


def _unlag_sum(G: np.ndarray, T: int, K: int) -> np.ndarray:
    """``Σ_t shift_-t(G_t)`` for ``G`` (T*K, n_cols) stacked by lag (adjoint of :func:`lagged`)."""
    n_cols = G.shape[1]
    G = G.reshape(T, K, n_cols)
    out = G[0].copy()
    for t in range(1, min(T, n_cols)):
        out[:, : n_cols - t] += G[t, :, t:]
    return out


def _flat(W: np.ndarray) -> np.ndarray:
    """``Wcat`` (n_rows, T*K), a view of a C-contiguous ``W``."""
    return W.reshape(W.shape[0], -1)


def convolve(W: np.ndarray, H: np.ndarray) -> np.ndarray:
    """The model ``Λ = Σ_t W_t · shift_t(H)``.

    Parameters
    ----------
    W : np.ndarray, shape=(n_rows, T, K)
    H : np.ndarray, shape=(K, n_cols)

    Returns
    -------
    np.ndarray, shape=(n_rows, n_cols)
    """
    W = np.ascontiguousarray(W)
    return _flat(W) @ lagged(H, W.shape[1])


def component_spectrograms(W: np.ndarray, H: np.ndarray,
                           groups: list[list[int]] | None = None) -> np.ndarray:
    """The model of each component (or of each group of components) alone.

    Parameters
    ----------
    W : np.ndarray, shape=(n_rows, T, K)
    H : np.ndarray, shape=(K, n_cols)
    groups : list of lists of int, optional
        Components summed together; one per component by default.

    Returns
    -------
    np.ndarray, shape=(n_groups, n_rows, n_cols)
    """
    groups = [[k] for k in range(H.shape[0])] if groups is None else groups
    out = np.zeros((len(groups), W.shape[0], H.shape[1]), dtype=np.result_type(W, H))
    for g, members in enumerate(groups):
        if len(members):
            out[g] = convolve(W[:, :, members], H[members])
    return out


def _fields(V, approx, beta, eps):
    """``(V Λ^(β-2), Λ^(β-1))``; the second is None for ``beta == 1`` (a field of ones)."""
    guarded = approx + eps
    if beta == 1:
        return V / guarded, None
    if beta == 2:
        return V, approx
    if beta == 0:
        inv = 1.0 / guarded
        return V * inv * inv, inv
    return V * guarded ** (beta - 2), guarded ** (beta - 1)


def _ones_H_denominator(Wcat: np.ndarray, T: int, K: int, n_cols: int) -> np.ndarray:
    """``Σ_t W_tᵀ shift_-t(1)`` without the field of ones: per frame, the lags that fit."""
    sums = Wcat.sum(axis=0).reshape(T, K)
    cumulative = np.cumsum(sums, axis=0)  # cumulative[j] = sum over lags 0..j
    out = np.empty((K, n_cols), dtype=Wcat.dtype)
    last = cumulative[T - 1][:, None]
    out[:] = last
    for n in range(max(0, n_cols - T + 1), n_cols):
        out[:, n] = cumulative[n_cols - 1 - n]
    return out


def update_H(V: np.ndarray, W: np.ndarray, H: np.ndarray, beta: float = 1.0, *,
             approx: np.ndarray | None = None, eps: float | None = None) -> np.ndarray:
    """One MM update of ``H`` with ``W`` fixed; returns the new ``H`` (the inputs stay).

    The divergence ``D_beta(V | Λ)`` never increases.

    Parameters
    ----------
    V : np.ndarray, shape=(n_rows, n_cols)
    W : np.ndarray, shape=(n_rows, T, K)
    H : np.ndarray, shape=(K, n_cols)
    beta : float in [0, 2]
    approx : np.ndarray, optional
        ``convolve(W, H)`` if already computed.

    Returns
    -------
    np.ndarray, shape=(K, n_cols)
    """
    eps = _eps(V.dtype) if eps is None else eps
    W = np.ascontiguousarray(W)
    n_rows, T, K = W.shape
    Wcat = _flat(W)
    approx = Wcat @ lagged(H, T) if approx is None else approx
    num_field, den_field = _fields(V, approx, beta, eps)
    numerator = _unlag_sum(Wcat.T @ num_field, T, K)
    if den_field is None:
        denominator = _ones_H_denominator(Wcat, T, K, V.shape[1])
    else:
        denominator = _unlag_sum(Wcat.T @ den_field, T, K)
    step = numerator / (denominator + eps)
    g = gamma(beta)
    return H * (step if g == 1 else step**g)


def update_W(V: np.ndarray, W: np.ndarray, H: np.ndarray, beta: float = 1.0, *,
             fixed_components: np.ndarray | None = None, approx: np.ndarray | None = None,
             eps: float | None = None) -> np.ndarray:
    """One MM update of every lag of ``W`` with ``H`` fixed; returns the new ``W``.

    Components flagged in ``fixed_components`` (bool, shape=(K,)) keep their
    templates.  The divergence never increases.

    Returns
    -------
    np.ndarray, shape=(n_rows, T, K)
    """
    eps = _eps(V.dtype) if eps is None else eps
    W = np.ascontiguousarray(W)
    n_rows, T, K = W.shape
    Hlag = lagged(H, T)
    Wcat = _flat(W)
    approx = Wcat @ Hlag if approx is None else approx
    num_field, den_field = _fields(V, approx, beta, eps)
    numerator = num_field @ Hlag.T
    if den_field is None:
        denominator = np.broadcast_to(Hlag.sum(axis=1)[None, :], Wcat.shape)
    else:
        denominator = den_field @ Hlag.T
    step = numerator / (denominator + eps)
    g = gamma(beta)
    new = (Wcat * (step if g == 1 else step**g)).reshape(W.shape)
    if fixed_components is not None and np.any(fixed_components):
        new[:, :, fixed_components] = W[:, :, fixed_components]
    return new


def normalize(W: np.ndarray, H: np.ndarray, free: np.ndarray | None = None) -> None:
    """Scale each free template to unit sum and its activations the other way, in place.

    ``Λ`` does not change (up to rounding); templates of zero sum are left alone.
    """
    sums = W.sum(axis=(0, 1), dtype=np.float64)
    scale = np.where(sums > 0, sums, 1.0)
    if free is not None:
        scale = np.where(free, scale, 1.0)
    W /= scale.astype(W.dtype)[None, None, :]
    H *= scale.astype(H.dtype)[:, None]


def libnmfd_iteration(V_unit: np.ndarray, W: np.ndarray, H: np.ndarray, *,
                      fixed_components: np.ndarray | None = None,
                      fixed_H: bool = False) -> None:
    """One iteration of libnmfd's ``nmfd`` (KL), in place on ``W`` and ``H``.

    ``V_unit`` is the spectrogram divided by ``EPS + V.sum()``, as libnmfd does
    before its first iteration.  What libnmfd does differently from
    :func:`update_H` / :func:`update_W`:

    * the model carries a guard, ``Λ = Σ_t W_t shift_t(H) + EPS``, and the
      ratio field is ``V / (Λ + EPS)``;
    * ``W`` is updated first, every lag from the same ratio field, then ``H``
      from that same field (computed before the ``W`` update) with the
      updated ``W``;
    * the ``H`` update is the *average over lags of per-lag ratios*,
      ``H ← H ∘ (1/T) Σ_t [W_tᵀ shift_-t(Q)] / [W_tᵀ 1 + EPS]``, not the ratio
      of the sums over lags (which is the MM step); so the divergence may rise;
    * after the update every template (fixed ones included) is scaled to unit
      sum over bins and lags, without the inverse scaling of ``H``, so ``Λ``
      changes between iterations.
    """
    eps = LIBNMFD_EPS
    n_rows, T, K = W.shape
    n_cols = H.shape[1]
    Wcat = _flat(W)
    Hlag = lagged(H, T)
    approx = Wcat @ Hlag + eps
    Q = V_unit / (approx + eps)
    if fixed_components is None or not np.all(fixed_components):
        step = (Q @ Hlag.T) / (np.broadcast_to(Hlag.sum(axis=1)[None, :], Wcat.shape) + eps)
        if fixed_components is not None and np.any(fixed_components):
            step.reshape(W.shape)[:, :, fixed_components] = 1.0
        Wcat *= step
    if not fixed_H:
        G = (Wcat.T @ Q).reshape(T, K, n_cols)
        colsums = Wcat.sum(axis=0).reshape(T, K)
        total = G[0] / (colsums[0][:, None] + eps)
        for t in range(1, T):
            # shift_-t(Q) is zero in the last t frames, so is that lag's ratio there
            total[:, : n_cols - t] += G[t, :, t:] / (colsums[t][:, None] + eps)
        H *= total / T
    sums = W.sum(axis=(0, 1))
    W *= (1.0 / (eps + sums))[None, None, :]


def _validate(V, n_components, W, H, T, beta, max_iter, tol, check_every, variant):
    nmf._validate_data(V, n_components)
    nmf.check_options(beta=beta, max_iter=max_iter, tol=tol)
    if not isinstance(T, (int, np.integer)) or T < 1:
        raise ParameterError(f"template_frames must be a positive integer, got {T!r}")
    if not isinstance(check_every, (int, np.integer)) or check_every < 1:
        raise ParameterError(f"check_every must be a positive integer, got {check_every!r}")
    if variant not in ("mm", "libnmfd"):
        raise ParameterError(f"unknown variant {variant!r}; use 'mm' or 'libnmfd'")
    if variant == "libnmfd" and beta != 1:
        raise ParameterError(f"variant 'libnmfd' is KL only (beta=1), got beta={beta}")
    for name, array in (("W", W), ("H", H)):
        if array is not None and (not np.all(np.isfinite(array)) or np.min(array) < 0):
            raise ParameterError(f"{name} must be finite and non-negative")


def _start(V, n_components, T, W, H, rng, dtype):
    """Random factors (half-normal, scaled to ``V``) for the ones not given."""
    n_rows, n_cols = V.shape
    scale = np.sqrt(max(float(V.mean(dtype=np.float64)), 1e-12) / (n_components * T))
    if W is None:
        W = scale * np.abs(rng.standard_normal((n_rows, T, n_components)))
    if H is None:
        H = scale * np.abs(rng.standard_normal((n_components, n_cols)))
    return (np.array(W, dtype=dtype, order="C"), np.array(H, dtype=dtype, order="C"))


def factorize(
    V: np.ndarray,
    n_components: int | None = None,
    *,
    template_frames: int = 8,
    beta: float = 1.0,
    W: np.ndarray | None = None,
    H: np.ndarray | None = None,
    fixed_W: bool | np.ndarray = False,
    fixed_H: bool = False,
    max_iter: int = 30,
    tol: float = 0.0,
    check_every: int = 5,
    normalize_templates: bool = True,
    variant: str = "mm",
    dtype=np.float32,
    random_state: int | np.random.Generator | None = None,
    callback: ProgressCallback | None = None,
) -> NMFDResult:
    """Factorize ``V ≈ Σ_t W_t · shift_t(H)`` by minimizing the beta-divergence.

    Parameters
    ----------
    V : np.ndarray, shape=(n_rows, n_cols), non-negative
    n_components : int, optional
        K; taken from ``W`` or ``H`` when given.
    template_frames : int
        T, the frames of each template; taken from ``W`` when given.
    beta : float in [0, 2]
        0 Itakura-Saito, 1 Kullback-Leibler (default), 2 Euclidean.
    W : np.ndarray, shape=(n_rows, T, K), optional
        Initial (or fixed) templates; random when not given.
    H : np.ndarray, shape=(K, n_cols), optional
        Initial activations; random when not given.
    fixed_W : bool or np.ndarray of bool, shape=(K,)
        True keeps every template; a mask (or a list of indices) keeps those.
    fixed_H : bool
        Keep ``H`` as given.
    max_iter : int
    tol : float
        Stop when the relative decrease of the divergence between two checks
        falls below ``tol``; 0 runs all ``max_iter`` iterations.
    check_every : int
        Iterations between evaluations of the divergence.
    normalize_templates : bool
        After each update scale the free templates to unit sum and their
        activations the other way (``Λ`` unchanged): the scale stays in ``H``.
    variant : {"mm", "libnmfd"}
        "mm": the MM updates, ``H`` then ``W``; the divergence never increases.
        "libnmfd": libnmfd's iteration (KL only; see :func:`libnmfd_iteration`),
        on ``V`` scaled to unit sum; ``H`` is scaled back at the end, so the
        result models ``V`` itself.
    dtype : np.float32 (default) or np.float64
    random_state : int, Generator or None
    callback : callable(iteration, loss), optional
        Called at every check.

    Returns
    -------
    NMFDResult
    """
    V = np.asarray(V)
    if W is not None and np.ndim(W) != 3:
        raise ParameterError(f"W must be 3-D (rows, template frames, components), got "
                             f"shape {np.shape(W)}")
    if n_components is None:
        if W is not None:
            n_components = np.shape(W)[2]
        elif H is not None:
            n_components = np.shape(H)[0]
        else:
            raise ParameterError("give n_components, W or H")
    T = int(np.shape(W)[1]) if W is not None else template_frames
    _validate(V, n_components, W, H, T, beta, max_iter, tol, check_every, variant)
    V = V.astype(dtype, copy=False)
    rng = np.random.default_rng(random_state)
    W, H = _start(V, n_components, T, W, H, rng, dtype)
    if W.shape != (V.shape[0], T, n_components) or H.shape != (n_components, V.shape[1]):
        raise ParameterError(f"W {W.shape} and H {H.shape} do not match V {V.shape} with "
                             f"{n_components} components of {T} frames")
    fixed = nmf._fixed_columns(fixed_W, n_components)
    free = ~fixed
    eps = _eps(dtype)
    if variant == "libnmfd":
        return _factorize_libnmfd(V, W, H, fixed, fixed_H, max_iter, callback)
    if beta == 0:
        V = np.maximum(V, eps)

    history: list[tuple[int, float]] = []

    def check(iteration: int) -> float:
        value = beta_divergence(V, approx=convolve(W, H), beta=beta)
        history.append((iteration, value))
        if callback is not None:
            callback(iteration, value)
        return value

    last = check(0)
    converged = False
    iteration = 0
    for iteration in range(1, max_iter + 1):
        if not fixed_H:
            H = update_H(V, W, H, beta, eps=eps)
        if free.any():
            W = update_W(V, W, H, beta, fixed_components=fixed, eps=eps)
            if normalize_templates:
                normalize(W, H, free)
        if iteration == max_iter or iteration % check_every == 0:
            current = check(iteration)
            if tol > 0 and (last - current) <= tol * abs(last):
                converged = True
                break
            last = current
        if fixed_H and not free.any():
            break
    return NMFDResult(W=W, H=H, loss_history=history, n_iter=iteration, converged=converged)


def _factorize_libnmfd(V, W, H, fixed, fixed_H, max_iter, callback) -> NMFDResult:
    scale = LIBNMFD_EPS + float(V.sum(dtype=np.float64))
    V_unit = V / V.dtype.type(scale)
    history = []
    for _ in range(max_iter):
        libnmfd_iteration(V_unit, W, H, fixed_components=fixed, fixed_H=fixed_H)
    H = H * H.dtype.type(scale)
    loss = beta_divergence(V, approx=convolve(W, H), beta=1.0)
    history.append((max_iter, loss))
    if callback is not None:
        callback(max_iter, loss)
    return NMFDResult(W=W, H=H, loss_history=history, n_iter=max_iter, converged=False)
