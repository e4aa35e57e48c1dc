"""Supervised and semi-supervised separation with learned dictionaries.

Supervised (Smaragdis, Raj & Shashanka 2007): the mixture is factorized with
the dictionaries' basis spectra held fixed and only the activations free;
each source is rebuilt from its own dictionary's components.  Semi-supervised:
free components are added and learned from the mixture, to take whatever the
dictionaries do not explain; they form one more source, ``rest``, or several
(``rest1``, ``rest2``, …) grouped by a blind strategy.

Reached through ``nmfsep.separate(y, sr, dictionaries=[...])``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import grouping as grouping_
from .dictionary import Dictionary, dictionaries_stft, initial_activations, stack_dictionaries
from .errors import ParameterError
from .nmf import ProgressCallback, factorize, initialize
from .separate import Separation, rebuild_sources
from .spectral import mixture_spectrogram, stft

__all__ = ["separate_with_dictionaries", "source_names", "free_source_names"]


def free_source_names(n_free_sources: int) -> list[str]:
    """``["rest"]`` for one source of free components, ``["rest1", "rest2", …]`` for more."""
    if n_free_sources == 1:
        return ["rest"]
    return [f"rest{i + 1}" for i in range(n_free_sources)]


def source_names(dictionaries: Sequence[Dictionary], n_free_components: int = 0,
                 n_sources: int | None = None) -> list[str]:
    """The names of the sources a separation with these dictionaries makes, in order.

    Parameters
    ----------
    dictionaries : sequence of Dictionary
    n_free_components : int
    n_sources : int, optional
        All sources; by default one per dictionary, plus ``rest`` if there are
        free components.

    Raises
    ------
    ParameterError
        If the counts are inconsistent or two sources would share a name.
    """
    _, _, names = stack_dictionaries(dictionaries)
    n_known = len(names)
    if not isinstance(n_free_components, (int, np.integer)) or n_free_components < 0:
        raise ParameterError(f"n_free_components must be an integer >= 0, got "
                             f"{n_free_components!r}")
    n_free_sources = (1 if n_free_components else 0) if n_sources is None else n_sources - n_known
    if n_free_components == 0 and n_free_sources != 0:
        raise ParameterError(
            f"n_sources={n_sources} but there are {n_known} dictionaries and no free "
            f"components; give n_free_components to learn the other sources"
        )
    if n_free_components and not 1 <= n_free_sources <= n_free_components:
        raise ParameterError(
            f"n_sources={n_sources} with {n_known} dictionaries leaves {n_free_sources} sources "
            f"for the {n_free_components} free components; it must be between {n_known + 1} "
            f"and {n_known + n_free_components}"
        )
    free = free_source_names(n_free_sources) if n_free_sources else []
    clash = set(names) & set(free)
    if clash:
        raise ParameterError(f"a dictionary is named {clash.pop()!r} like the source of the free "
                             f"components; rename the dictionary")
    return names + free


def _unit_columns(W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale every column of W to sum to one, moving its scale into H."""
    sums = W.sum(axis=0, dtype=np.float64)
    sums = np.where(sums > 0, sums, 1.0)
    return (W / sums).astype(W.dtype), (H * sums[:, None]).astype(H.dtype)


def separate_with_dictionaries(
    y: np.ndarray,
    sr: int,
    dictionaries: Sequence[Dictionary],
    *,
    n_free_components: int = 0,
    n_sources: int | None = None,
    grouping: str = "auto",
    beta: float = 1.0,
    n_fft: int | None = None,
    hop: int | None = None,
    window: str | None = None,
    spectrogram_power: float = 1.0,
    mask_power: float = 1.0,
    init: str = "nndsvda",
    max_iter: int = 200,
    tol: float = 1e-4,
    l1_H: float = 0.0,
    continuity: float = 0.0,
    random_state: int | None = 0,
    callback: ProgressCallback | None = None,
) -> Separation:
    """Separate ``y`` (already validated, ``(channels, samples)``) with dictionaries.

    Parameters
    ----------
    dictionaries : sequence of Dictionary
        One per known source; the sources come in this order and take their names.
    n_free_components : int
        Components learned from the mixture besides the dictionaries'; 0 is
        supervised separation.
    n_sources : int, optional
        All sources, known and unknown; by default one per dictionary, plus one
        (``rest``) if there are free components.  More than that splits the
        free components into several sources by ``grouping``.
    grouping : str
        Strategy for the free components when they make several sources.
    Others
        As in :func:`nmfsep.separate`; the STFT parameters not given are the
        dictionaries'.

    Returns
    -------
    Separation
        With ``names``; the columns of ``W`` sum to one and those of the
        dictionaries are theirs unchanged.
    """
    config = dictionaries_stft(dictionaries, sr, n_fft=n_fft, hop=hop, window=window,
                               spectrogram_power=spectrogram_power)
    W_known, labels, _ = stack_dictionaries(dictionaries)
    names = source_names(dictionaries, n_free_components, n_sources)
    n_known = len(dictionaries)
    n_free_sources = len(names) - n_known
    if n_free_sources > 1 and grouping not in grouping_.STRATEGIES.keys() - {"manual"}:
        choices = ", ".join(sorted(grouping_.STRATEGIES.keys() - {"manual"}))
        raise ParameterError(f"grouping {grouping!r} cannot split the free components; "
                             f"choose one of {choices}")

    X = stft(y, config)
    V = mixture_spectrogram(X, spectrogram_power)
    scale = float(V.mean(dtype=np.float64))
    V_unit = V / np.float32(scale) if scale > 0 else V
    W = W_known
    if n_free_components:
        W_free, _ = initialize(V_unit, n_free_components, method=init,
                               random_state=random_state)
        W = np.concatenate([W_known, W_free / W_free.sum(axis=0, keepdims=True)], axis=1)
    n_components = W.shape[1]
    fixed = np.arange(n_components) < W_known.shape[1]
    result = factorize(
        V_unit, n_components, beta=beta, W=W, H=initial_activations(V_unit, n_components),
        fixed_W=fixed, max_iter=max_iter, tol=tol, l1_H=l1_H, continuity=continuity,
        random_state=random_state, callback=callback,
    )
    W, H = _unit_columns(result.W, result.H * np.float32(scale if scale > 0 else 1.0))
    W[:, fixed] = W_known
    if n_free_components:
        free_labels = np.zeros(n_free_components, dtype=int)
        if n_free_sources > 1:
            free_labels = grouping_.group(W[:, ~fixed], H[~fixed], n_free_sources, grouping,
                                          sr=sr, V=V_unit, random_state=random_state)
        labels = np.concatenate([labels, n_known + free_labels])
    n_sources = len(names)
    sources = rebuild_sources(X, W, H, labels, n_sources, mask_power, config, y.shape[1])
    parameters = dict(
        n_sources=n_sources, n_components=n_components, beta=beta,
        grouping="dictionaries" if n_free_sources <= 1 else grouping,
        dictionaries=[item.name for item in dictionaries],
        n_free_components=int(n_free_components), n_fft=config.n_fft, hop=config.hop,
        window=config.window, spectrogram_power=spectrogram_power, mask_power=mask_power,
        init=init, max_iter=max_iter, tol=tol, l1_H=l1_H, continuity=continuity,
        random_state=random_state, n_iter=result.n_iter, converged=result.converged,
    )
    return Separation(
        sources=sources, W=W, H=H, labels=labels, sr=sr, stft=config, beta=beta,
        mask_power=mask_power, loss_history=result.loss_history, parameters=parameters,
        spectrogram=V_unit, mixture_stft=X, names=names,
    )
