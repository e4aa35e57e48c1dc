"""The factorization of supervised and semi-supervised separation, with learned dictionaries.

Supervised (Smaragdis, Raj & Shashanka 2007): the mixture is factorized with
the dictionaries' basis spectra held fixed and only the activations free;
each source is rebuilt from its own dictionary's components.  Semi-supervised:
free components are added and learned from the mixture, to take whatever the
dictionaries do not explain; they form one more source, ``rest``, or several
(``rest1``, ``rest2``, …) grouped by a blind strategy.

Reached through ``nmfsep.separate(y, sr, dictionaries=[...])``; the rest of
the pipeline (masks, inverse STFT) is the blind one's (:mod:`nmfsep.pipeline`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import grouping as grouping_
from .config import Plan, SeparationConfig
from .dictionary import initial_activations, stack_dictionaries
from .nmf import NMFResult, ProgressCallback, factorize, initialize

__all__ = ["DictionaryFactors", "factorize_with_dictionaries", "factorize_beside"]


@dataclass
class DictionaryFactors:
    """A factorization with dictionaries, grouped.

    Attributes
    ----------
    W : np.ndarray, shape=(bins, K)
        Every column sums to one; the dictionaries' columns are theirs unchanged.
    H : np.ndarray, shape=(K, frames)
        At the spectrogram's own scale.
    labels : np.ndarray of int, shape=(K,)
        One source per dictionary, in order, then the free components' sources.
    result : NMFResult
        The factorization itself (its loss history and iterations).
    """

    W: np.ndarray
    H: np.ndarray
    labels: np.ndarray
    result: NMFResult


def _unit_columns(W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale every column of W to sum to one, moving its scale into H."""
    sums = W.sum(axis=0, dtype=np.float64)
    sums = np.where(sums > 0, sums, 1.0)
    return (W / sums).astype(W.dtype), (H * sums[:, None]).astype(H.dtype)


def factorize_beside(V: np.ndarray, W_known: np.ndarray, n_free: int, *, beta: float = 1.0,
                     init: str = "nndsvda", max_iter: int = 200, tol: float = 1e-4,
                     l1_H: float = 0.0, continuity: float = 0.0,
                     random_state: int | None = None,
                     callback: ProgressCallback | None = None) -> NMFResult:
    """Factorize ``V`` with the atoms ``W_known`` held fixed and ``n_free`` components free.

    The free components start from ``init`` (each summing to one, as the atoms
    do), every activation at an equal share of its frame
    (:func:`nmfsep.dictionary.initial_activations`).

    Parameters
    ----------
    V : np.ndarray, shape=(bins, frames)
    W_known : np.ndarray, shape=(bins, K_known)
        Atoms that each sum to one; they come first in the result's ``W``.
    n_free : int
    beta, init, max_iter, tol, l1_H, continuity, random_state, callback
        As for :func:`nmfsep.nmf.factorize`.

    Returns
    -------
    NMFResult
    """
    W = W_known
    if n_free:
        W_free, _ = initialize(V, n_free, method=init, random_state=random_state)
        W = np.concatenate([W_known, W_free / W_free.sum(axis=0, keepdims=True)], axis=1)
    n_components = W.shape[1]
    return factorize(V, n_components, beta=beta, W=W, H=initial_activations(V, n_components),
                     fixed_W=np.arange(n_components) < W_known.shape[1], max_iter=max_iter,
                     tol=tol, l1_H=l1_H, continuity=continuity, random_state=random_state,
                     callback=callback)


def factorize_with_dictionaries(V: np.ndarray, scale: float, config: SeparationConfig,
                                plan: Plan, *, sr: int,
                                callback: ProgressCallback | None = None) -> DictionaryFactors:
    """Factorize the unit-mean spectrogram ``V`` with the dictionaries of ``config`` held fixed.

    Parameters
    ----------
    V : np.ndarray, shape=(bins, frames)
        The mixture's spectrogram scaled to a mean of 1
        (:func:`nmfsep.recording.unit_spectrogram`).
    scale : float
        That scale; the activations are returned at the spectrogram's own.
    config : SeparationConfig
        With ``dictionaries``; ``n_free_components``, ``grouping`` and the
        factorization's options.
    plan : Plan
        ``config`` resolved for the recording (the sources' names).
    sr : int
    callback : callable(iteration, loss), optional

    Returns
    -------
    DictionaryFactors
    """
    W_known, labels, _ = stack_dictionaries(plan.dictionaries or config.dictionaries)
    n_free = config.n_free_components
    result = factorize_beside(
        V, W_known, n_free, beta=plan.beta, init=config.init, max_iter=plan.max_iter,
        tol=config.tol, l1_H=config.l1_H, continuity=config.continuity,
        random_state=config.random_state, callback=callback)
    fixed = np.arange(result.W.shape[1]) < W_known.shape[1]
    W, H = _unit_columns(result.W, result.H * np.float32(scale))
    W[:, fixed] = W_known
    if n_free:
        n_known = len(plan.dictionaries or config.dictionaries)
        n_free_sources = plan.n_sources - n_known
        free_labels = np.zeros(n_free, dtype=int)
        if n_free_sources > 1:
            context = grouping_.GroupingContext(sr=sr, V=V, random_state=config.random_state,
                                                hop=plan.stft.hop, policy=config.policy,
                                                power=config.spectrogram_power)
            free_labels = grouping_.group(W[:, ~fixed], H[~fixed], n_free_sources,
                                          config.grouping, context=context)
        labels = np.concatenate([labels, n_known + free_labels])
    return DictionaryFactors(W=W, H=H, labels=labels, result=result)
