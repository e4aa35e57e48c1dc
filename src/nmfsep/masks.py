"""Soft masks from grouped components, and the rebuilding of sources.

``mask_s = (W_s H_s)**p / sum_j (W_j H_j)**p``: the masks of all sources add
up to one in every time-frequency bin (where the model is silent each source
gets an equal share), so the rebuilt sources add up to the mixture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ParameterError
from .policy import DEFAULT_POLICY

__all__ = ["source_models", "soft_masks", "apply_masks", "MaskPrior", "TemplateDrums",
           "unite_drums", "check_prior_strength", "check_mask_power", "share_weights"]


def source_models(W: np.ndarray, H: np.ndarray, labels: np.ndarray, n_sources: int,
                  out: np.ndarray | None = None) -> np.ndarray:
    """Each source's model spectrogram ``W_s @ H_s``.

    Parameters
    ----------
    W, H : np.ndarray
    labels : np.ndarray of int, shape=(K,)
    n_sources : int
    out : np.ndarray, shape=(n_sources, bins, frames), optional
        Where to write them (a buffer reused from call to call).

    Returns
    -------
    np.ndarray, shape=(n_sources, bins, frames)
    """
    labels = np.asarray(labels)
    models = out if out is not None else \
        np.empty((n_sources, W.shape[0], H.shape[1]), dtype=np.result_type(W, H))
    for source in range(n_sources):
        members = labels == source
        np.matmul(W[:, members], H[members], out=models[source])
    return models


def soft_masks(models: np.ndarray, power: float = 1.0,
               out: np.ndarray | None = None) -> np.ndarray:
    """Masks that sum to one over sources.

    Parameters
    ----------
    models : np.ndarray, shape=(n_sources, bins, frames), non-negative
    power : float
        1 (default) for ratio masks, 2 for Wiener masks.
    out : np.ndarray of float32, shape=models.shape, optional
        Where to write them; may be ``models`` itself.

    Returns
    -------
    np.ndarray, shape=models.shape, in [0, 1], summing to 1 over axis 0
    """
    check_mask_power(power)
    real = np.float32 if models.dtype == np.float32 else np.float64
    weighted = np.asarray(models, dtype=real)
    if power != 1:
        weighted = weighted ** real(power)
    total = weighted.sum(axis=0)
    silent = total <= np.finfo(real).tiny * 1e6
    total[silent] = 1
    masks = np.divide(weighted, total, out=out)
    masks[:, silent] = 1.0 / models.shape[0]
    return masks.astype(np.float32, copy=False)


def apply_masks(X: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Apply every source's mask to every channel of the complex mixture STFT.

    Parameters
    ----------
    X : np.ndarray, shape=(channels, bins, frames), complex
    masks : np.ndarray, shape=(n_sources, bins, frames)

    Returns
    -------
    np.ndarray, shape=(n_sources, channels, bins, frames), complex
    """
    return masks[:, np.newaxis] * X[np.newaxis]


def check_mask_power(power: float) -> float:
    """``power`` of :func:`soft_masks` as a float, if it is positive; else ParameterError."""
    power = float(power)
    if not power > 0 or not np.isfinite(power):
        raise ParameterError(f"mask power must be positive, got {power}")
    return power


def check_prior_strength(strength: float) -> float:
    """``strength`` of the HPSS weights (``percussive_prior``) as a float, if it is 0 or more.

    Raises
    ------
    ParameterError
        If it is negative or not a number.
    """
    strength = float(strength)
    if not np.isfinite(strength) or strength < 0:
        raise ParameterError(f"percussive_prior must be 0 or more, got {strength}")
    return strength


@dataclass(frozen=True)
class TemplateDrums:
    """A second model of the drums: drum templates held fixed beside free components.

    Its drum mask is that of a supervised separation with a dictionary of
    drum templates (:func:`nmfsep.priors.template_drums`): the templates'
    model weighed by the percussive mask to ``strength``, the free
    components' by its complement, to the mask power, normalized.

    Attributes
    ----------
    W : np.ndarray, shape=(bins, K)
        The templates' atoms, then the free components.
    H : np.ndarray, shape=(K, frames)
    is_drum : np.ndarray of bool, shape=(K,)
        The templates' atoms.
    strength : float
        Exponent of the HPSS weights of the two models.
    """

    W: np.ndarray = field(repr=False)
    H: np.ndarray = field(repr=False)
    is_drum: np.ndarray = field(repr=False)
    strength: float = DEFAULT_POLICY.dictionary_percussive_prior

    def drum_mask(self, percussive: np.ndarray | None, mask_power: float = 1.0,
                  first: int = 0, last: int | None = None) -> np.ndarray:
        """The templates' drum mask of frames ``first:last``, shape=(bins, frames), in [0, 1].

        Parameters
        ----------
        percussive : np.ndarray or None, shape=(bins, all frames)
            The mixture's percussive mask; None for no HPSS weights.
        mask_power : float
        first, last : int
        """
        models = source_models(self.W, self.H[:, first:last], np.where(self.is_drum, 0, 1), 2)
        hpss = MaskPrior(source=0, mask=percussive, strength=self.strength)
        return soft_masks(hpss.weigh(models, mask_power, first, last), mask_power)[0]


def unite_drums(masks: np.ndarray, source: int, drums: np.ndarray) -> np.ndarray:
    """Give ``source`` the larger of its mask and ``drums``; the others share what is left.

    Every other source keeps its part of the rest (its mask scaled by
    ``(1 - united) / (1 - mask of source)``), so the masks still add up to one.

    Parameters
    ----------
    masks : np.ndarray, shape=(n_sources, bins, frames), summing to one over sources
        Changed in place.
    source : int
    drums : np.ndarray, shape=(bins, frames), in [0, 1]

    Returns
    -------
    np.ndarray
        ``masks``.

    >>> m = np.array([[[0.2, 0.9]], [[0.5, 0.1]], [[0.3, 0.0]]], dtype=np.float32)
    >>> united = unite_drums(m, 0, np.array([[0.6, 0.5]], dtype=np.float32))
    >>> united[:, 0].astype(float).round(3).tolist()
    [[0.6, 0.9], [0.25, 0.1], [0.15, 0.0]]
    """
    own = masks[source]
    united = np.maximum(own, drums.astype(np.float32, copy=False))
    left = 1 - own
    others = np.divide(1 - united, left, out=np.zeros_like(left), where=left > 1e-6)
    for index in range(masks.shape[0]):
        if index != source:
            masks[index] *= others
    # where the others held nothing to share, the drums take the bin whole
    masks[source] = np.where(left > 1e-6, united, 1)
    return masks


@dataclass(frozen=True)
class MaskPrior:
    """Experts beside the factorization in the masks: HPSS across time, registers across frequency.

    With a drum ``source`` and its percussive ``mask``, a median-filter HPSS
    is a second opinion in the masks: the NMF model of the drum source is
    weighted by the percussive mask ``P`` and every other source's model by
    ``1 - P``, each to the power ``strength`` (a product of two experts), so
    a bin goes to the drums when both the factorization and HPSS say so.
    With ``register``, each source's model is also weighted across frequency:
    a bass line holds the low register under drums
    (:func:`nmfsep.grouping.low_register_weights`); drums beside one other
    source, or the voices of a chorale, hold their shares of the long-term
    spectrum (:func:`share_weights`).
    With ``consistent``, the rebuilt sources are one more expert: the masks
    are estimated again, once, from the magnitudes of the STFT of the sources
    they rebuild (:meth:`nmfsep.model.Model.masks`).
    The masks still add up to one.

    Attributes
    ----------
    source : int or None
        Index of the percussive source, or None for no HPSS weights.
    mask : np.ndarray or None, shape=(bins, frames), in [0, 1]
        The percussive mask of the mixture (:func:`nmfsep.features.percussive_mask`).
    strength : float
        Exponent of the HPSS weights; 0 leaves the masks of the NMF alone.
    register : np.ndarray or None, shape=(n_sources, bins)
        Weights across frequency for each source, applied as they are, or None.
    consistent : bool
        Estimate the masks again from the STFT of the sources they rebuild
        (their magnitudes to the mask power, normalized): the rebuilt signals
        smear what a mask cuts sharply across frames and bins.
    register_kind : str or None
        What ``register`` holds: ``"bass line"`` (the low register) or
        ``"shares"`` (each source's share of the spectrum); None if unknown.
    templates : TemplateDrums or None
        A second model of the drums: with it the drum ``source`` gets the
        larger of its mask and the templates' drum mask (:func:`unite_drums`,
        :meth:`unite`).
    """

    source: int | None = None
    mask: np.ndarray | None = field(default=None, repr=False)
    strength: float = 0.5
    register: np.ndarray | None = field(default=None, repr=False)
    consistent: bool = False
    register_kind: str | None = None
    templates: TemplateDrums | None = field(default=None, repr=False)

    def describe(self) -> dict[str, Any]:
        """Which experts weigh the masks, for the record (``separation.json``).

        Returns
        -------
        dict
            ``hpss``: None, or the drum ``source`` and the ``strength`` applied;
            ``register``: None, ``"bass line"``, ``"shares"``, or ``"given"``
            for weights whose kind was not said;
            ``consistent``: whether the masks are estimated again from the
            rebuilt sources; ``drum_templates``: whether the drum templates'
            model widens the drums' mask.
        """
        hpss = None
        if self.source is not None and self.mask is not None and self.strength > 0:
            hpss = {"source": int(self.source), "strength": round(float(self.strength), 6)}
        register = None if self.register is None else (self.register_kind or "given")
        return {"hpss": hpss, "register": register, "consistent": bool(self.consistent),
                "drum_templates": self.templates is not None and self.source is not None}

    def weigh(self, models: np.ndarray, mask_power: float = 1.0, first: int = 0,
              last: int | None = None) -> np.ndarray:
        """Weigh the models of frames ``first:last`` in place, for masks of ``mask_power``.

        Parameters
        ----------
        models : np.ndarray, shape=(n_sources, bins, last - first)
            :func:`source_models` of those frames.
        mask_power : float
            The power :func:`soft_masks` will raise the models to; the weights
            are taken to ``strength / mask_power`` so that the masks carry
            ``P ** strength`` whatever the power (and ``register`` as it is).

        Returns
        -------
        np.ndarray
            ``models``, weighed.
        """
        if self.register is not None:
            weights = np.asarray(self.register, dtype=np.float32) ** np.float32(1 / mask_power)
            for index in range(models.shape[0]):
                models[index] *= weights[index][:, None]
        if self.source is None or self.mask is None or self.strength == 0:
            return models
        exponent = np.float32(self.strength / mask_power)
        P = np.asarray(self.mask[:, first:last], dtype=np.float32)
        percussive = P**exponent
        harmonic = (1 - P) ** exponent
        for index in range(models.shape[0]):
            models[index] *= percussive if index == self.source else harmonic
        return models


    def unite(self, masks: np.ndarray, mask_power: float = 1.0, first: int = 0,
              last: int | None = None) -> np.ndarray:
        """With :attr:`templates`, the drums' masks of frames ``first:last`` widened in place.

        Parameters
        ----------
        masks : np.ndarray, shape=(n_sources, bins, last - first)
            :func:`soft_masks` of the weighed models of those frames.
        mask_power : float

        Returns
        -------
        np.ndarray
            ``masks``.
        """
        if self.templates is None or self.source is None:
            return masks
        drums = self.templates.drum_mask(self.mask, mask_power, first, last)
        return unite_drums(masks, self.source, drums)


def share_weights(profiles: np.ndarray, smooth_bins: int = DEFAULT_POLICY.share_smooth_bins,
                  strength: float = DEFAULT_POLICY.share_strength) -> np.ndarray:
    """Register weights from each source's share of the long-term spectrum.

    In a chorale each voice keeps to its own range, and drums spread over
    other frequencies than the guitar they accompany; yet a factorization
    often lends one source's partials to another in a few frames.  Weighting
    each source's mask by ``(share_j(f) + 1e-3) ** strength``, where
    ``share_j(f)`` is the source's part of the mixture's long-term spectrum at
    frequency ``f`` (smoothed over ``smooth_bins`` bins), asks each bin to go
    to a source that holds that register over the whole recording as well.

    Parameters
    ----------
    profiles : np.ndarray, shape=(n_sources, bins)
        Each source's long-term magnitude spectrum (its masks times the
        mixture's, summed over frames).
    smooth_bins : int
        Width of the moving average across frequency; 1 leaves the shares
        alone (:attr:`nmfsep.policy.Policy.share_smooth_bins`).
    strength : float
        The exponent (:attr:`nmfsep.policy.Policy.share_strength`).

    Returns
    -------
    np.ndarray, shape=(n_sources, bins), float32
        :attr:`MaskPrior.register` weights, ``(share + 1e-3) ** strength``.
    """
    profiles = np.asarray(profiles, dtype=np.float64)
    if smooth_bins > 1:
        # here, not at the top: scipy.ndimage is slow to import and the stream
        # does without it
        from scipy.ndimage import uniform_filter1d

        profiles = uniform_filter1d(profiles, smooth_bins, axis=1)
    total = profiles.sum(axis=0, keepdims=True)
    share = np.divide(profiles, total, out=np.full_like(profiles, 1 / len(profiles)),
                      where=total > 0)
    return ((share + 1e-3) ** strength).astype(np.float32)
