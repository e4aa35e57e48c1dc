"""The optional PyTorch backend of :func:`nmfsep.nmf.factorize` (``backend="torch"``).

The same multiplicative MM updates as the numpy engine, run by PyTorch on a
GPU when there is one (``device="cuda"``) or on the CPU.  Imported only when
asked for: ``import nmfsep`` never imports torch.  Install with
``pip install "nmfsep[torch]"``.
"""

from __future__ import annotations

import numpy as np

from .errors import ParameterError
from .sweeps import MEASURED_BETAS, gamma

__all__ = ["TorchIterator", "default_device"]


def _torch():
    try:
        import torch
    except ImportError:
        raise ParameterError(
            "backend 'torch' needs PyTorch: pip install \"nmfsep[torch]\""
        ) from None
    return torch


def default_device() -> str:
    """``"cuda"`` when PyTorch sees a GPU, else ``"cpu"``."""
    return "cuda" if _torch().cuda.is_available() else "cpu"


class TorchIterator:
    """Runs MU iterations on torch copies of ``W`` and ``H``; :meth:`sync` copies them back.

    Parameters
    ----------
    V : np.ndarray, shape=(n_rows, n_cols)
    W, H : np.ndarray
        The factors; written back in place by :meth:`sync`.
    beta : float in [0, 2]
    eps : float
        The guard of every denominator, as in the numpy engine.
    device : str, optional
        Torch device; :func:`default_device` when None.
    fixed_columns : np.ndarray of bool, optional
    l1_H : float
    """

    def __init__(self, V, W, H, beta, *, eps, device=None, fixed_columns=None, l1_H=0.0):
        torch = _torch()
        self.torch = torch
        self.device = torch.device(device or default_device())
        self.W_out, self.H_out = W, H
        self.V = torch.as_tensor(np.ascontiguousarray(V)).to(self.device)
        self.W = torch.as_tensor(W).to(self.device, copy=True)
        self.H = torch.as_tensor(H).to(self.device, copy=True)
        self.beta, self.eps, self.l1_H = float(beta), float(eps), float(l1_H)
        self.gamma = gamma(beta)
        self.fixed = None
        if fixed_columns is not None:
            self.fixed = torch.as_tensor(np.asarray(fixed_columns, dtype=bool)).to(self.device)

    def _fields(self, W, H):
        """``(V * WH^(beta-2), WH^(beta-1))``; the second is None for beta = 1."""
        WH = W @ H
        WH += self.eps
        if self.beta == 1:
            return WH.reciprocal_().mul_(self.V), None
        if self.beta == 0:
            inv = WH.reciprocal_()
            return inv * inv * self.V, inv
        den = WH.pow(self.beta - 1)
        return (den / WH).mul_(self.V), den

    def _scale(self, X, numerator, denominator) -> None:
        step = numerator.div_(denominator.add_(self.eps))
        if self.gamma != 1:
            step.pow_(self.gamma)
        X.mul_(step)

    @property
    def measures(self) -> bool:
        """Whether an iteration can measure the divergence it starts from (on the device)."""
        return self.beta in MEASURED_BETAS

    def divergence(self) -> float:
        """``D_beta(V | max(W H, eps))`` of the current factors, computed on the device."""
        torch, V = self.torch, self.V
        WH = torch.clamp(self.W @ self.H, min=self.eps)
        if self.beta == 2:
            return 0.5 * float(((WH - V) ** 2).sum(dtype=torch.float64))
        if self.beta == 1:
            ratio = torch.clamp(V / WH, min=torch.finfo(V.dtype).tiny)
            return float((V * torch.log(ratio)).sum(dtype=torch.float64)
                         - V.sum(dtype=torch.float64) + WH.sum(dtype=torch.float64))
        ratio = torch.clamp(V, min=self.eps) / WH
        return float((ratio - torch.log(ratio)).sum(dtype=torch.float64)) - ratio.numel()

    def __call__(self, *, update_H: bool, update_W: bool, measure: bool = False) -> float | None:
        """One iteration; with ``measure``, the divergence of ``W``, ``H`` before it."""
        divergence = self.divergence() if measure else None
        self._iterate(update_H, update_W)
        return divergence

    def _iterate(self, update_H: bool, update_W: bool) -> None:
        W, H = self.W, self.H
        if update_H:
            if self.beta == 2:
                numerator, denominator = W.T @ self.V, (W.T @ W) @ H
            else:
                num, den = self._fields(W, H)
                numerator = W.T @ num
                denominator = (W.sum(dim=0)[:, None].expand_as(H).clone() if den is None
                               else W.T @ den)
                del num, den
            if self.l1_H:
                denominator += self.l1_H
            self._scale(H, numerator, denominator)
        if update_W:
            keep = W[:, self.fixed].clone() if self.fixed is not None else None
            if self.beta == 2:
                numerator, denominator = self.V @ H.T, W @ (H @ H.T)
            else:
                num, den = self._fields(W, H)
                numerator = num @ H.T
                denominator = (H.sum(dim=1)[None, :].expand_as(W).clone() if den is None
                               else den @ H.T)
                del num, den
            self._scale(W, numerator, denominator)
            if keep is not None:
                W[:, self.fixed] = keep

    def close(self) -> None:
        """Release the device copies."""
        self.V = self.W = self.H = None

    def sync(self) -> None:
        """Copy the current factors into the numpy arrays given at construction."""
        self.W_out[...] = self.W.cpu().numpy()
        self.H_out[...] = self.H.cpu().numpy()

    def load(self) -> None:
        """Copy the numpy arrays given at construction onto the device (after a restore)."""
        self.W.copy_(self.torch.as_tensor(self.W_out))
        self.H.copy_(self.torch.as_tensor(self.H_out))
