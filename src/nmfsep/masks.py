"""Soft masks from grouped components, and the rebuilding of sources.

``mask_s = (W_s H_s)**p / sum_j (W_j H_j)**p``: the masks of all sources add
up to one in every time-frequency bin (where the model is silent each source
gets an equal share), so the rebuilt sources add up to the mixture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ParameterError

__all__ = ["source_models", "soft_masks", "apply_masks", "PercussivePrior",
           "check_prior_strength"]


def source_models(W: np.ndarray, H: np.ndarray, labels: np.ndarray, n_sources: int) -> np.ndarray:
    """Each source's model spectrogram ``W_s @ H_s``.

    Returns
    -------
    np.ndarray, shape=(n_sources, bins, frames)
    """
    labels = np.asarray(labels)
    models = np.empty((n_sources, W.shape[0], H.shape[1]), dtype=np.result_type(W, H))
    for source in range(n_sources):
        members = labels == source
        np.matmul(W[:, members], H[members], out=models[source])
    return models


def soft_masks(models: np.ndarray, power: float = 1.0) -> np.ndarray:
    """Masks that sum to one over sources.

    Parameters
    ----------
    models : np.ndarray, shape=(n_sources, bins, frames), non-negative
    power : float
        1 (default) for ratio masks, 2 for Wiener masks.

    Returns
    -------
    np.ndarray, shape=models.shape, in [0, 1], summing to 1 over axis 0
    """
    if power <= 0:
        raise ParameterError(f"mask power must be positive, got {power}")
    weighted = models.astype(np.float64) ** power if power != 1 else models.astype(np.float64)
    total = weighted.sum(axis=0)
    silent = total <= np.finfo(np.float64).tiny * 1e6
    masks = weighted / np.where(silent, 1.0, total)
    masks[:, silent] = 1.0 / models.shape[0]
    return masks.astype(np.float32)


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


def check_prior_strength(strength: float) -> float:
    """``strength`` of a :class:`PercussivePrior` as a float, if it is 0 or more.

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
class PercussivePrior:
    """A median-filter HPSS as a second opinion in the masks of a drum source.

    With ``register``, also a third opinion across frequency: in a mixture
    with drums, a bass line holds the low register.

    The NMF model of the percussive source is weighted by the percussive mask
    ``P`` and every other source's model by ``1 - P``, each to the power
    ``strength`` (a product of two experts): a bin goes to the drums when both
    the factorization and HPSS say so.  The masks still add up to one.

    Attributes
    ----------
    source : int
        Index of the percussive source.
    mask : np.ndarray, shape=(bins, frames), in [0, 1]
        The percussive mask of the mixture (:func:`nmfsep.features.percussive_mask`).
    strength : float
        Exponent of the HPSS weights; 0 leaves the masks of the NMF alone.
    register : np.ndarray or None, shape=(n_sources, bins)
        Weights across frequency for each source, applied as they are (a
        third expert; :func:`nmfsep.grouping.low_register_weights` gives the
        low register to a bass line), or None.
    """

    source: int
    mask: np.ndarray
    strength: float = 0.5
    register: np.ndarray | None = None

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
        if self.strength == 0:
            return models
        exponent = np.float32(self.strength / mask_power)
        P = np.asarray(self.mask[:, first:last], dtype=np.float32)
        percussive = P**exponent
        harmonic = (1 - P) ** exponent
        for index in range(models.shape[0]):
            models[index] *= percussive if index == self.source else harmonic
        return models
