"""Which experts weigh the masks beside the factorization, and what they are built from.

- When the grouping makes a drum source: HPSS across time, and the low
  register for a bass line (:func:`nmfsep.grouping.percussive_prior`).
- With the default grouping, each source's share of the long-term spectrum
  (:func:`nmfsep.masks.share_weights`), measured on the masks of the
  factorizations themselves, when the sources keep to registers of their own:
  drums and one other source (whose HPSS weights are then taken to
  :data:`HPSS_SCALE_BESIDE_SHARES` of their strength when several runs are
  combined), or
  :data:`MIN_SHARE_SOURCES` or more pitched sources without drums (a chorale,
  a quartet).
- With a drum source, the sources rebuilt from those masks: the masks are
  estimated again from the STFT of the rebuilt sources
  (:attr:`nmfsep.masks.MaskPrior.consistent`).

>>> import nmfsep
>>> example = nmfsep.synth.drums_and_guitar(duration=2.0)
>>> sep = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_runs=1)
>>> sep.prior.source  # the drums, weighed by HPSS
0
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import grouping as grouping_
from .ensemble import Run, block_masks
from .masks import MaskPrior, check_prior_strength, share_weights
from .spectral import STFTConfig

__all__ = ["mask_prior", "source_profiles", "MIN_SHARE_SOURCES", "HPSS_SCALE_BESIDE_SHARES",
           "PERCUSSIVE_PRIOR"]

#: Pitched sources, without drums, from which each source's share of the
#: long-term spectrum weighs its masks.  With two (piano and voice in one
#: range) the shares hold no register to go by, and they lose.
MIN_SHARE_SOURCES = 3

#: Default strength of the HPSS weights (``percussive_prior`` of
#: :func:`nmfsep.separate`): chosen on the quality benchmark
#: (``benchmarks/quality/notes.md``, twelfth round): against 0.5, 0.75 gains
#: 0.27 dB on bass + drums + piano over seven item sets (five better, none
#: worse) and leaves drums + guitar as it was; one run's masks gain 0.26 and
#: 0.36 dB (drums + guitar, bass + drums + piano).
PERCUSSIVE_PRIOR = 0.75

#: Beside the shares, the drums and one other source of an ensemble (more than
#: one run) take the HPSS weights to this fraction of ``percussive_prior``
#: (0.375 by default): the shares and the combined runs already say where the
#: drums sit, and full-strength HPSS weights on top cut into the other source.
#: One run's masks lose with it, so they keep the full strength.
HPSS_SCALE_BESIDE_SHARES = 0.5


def _takes_shares(prior: MaskPrior | None, n_sources: int) -> bool:
    """True when the sources keep to registers of their own (see the module).

    Beside drums only one other source takes them: with two or more, a bass
    line's register may apply instead, and the shares lose beside it.
    """
    if prior is None or prior.source is None:
        return n_sources >= MIN_SHARE_SOURCES
    return n_sources == 2


def source_profiles(V: np.ndarray, W: np.ndarray, H: np.ndarray, labels: np.ndarray,
                    n_sources: int, mask_power: float = 1.0, *, runs: tuple[Run, ...] = (),
                    prior: MaskPrior | None = None, config: STFTConfig | None = None,
                    spectrogram_power: float = 1.0, block: int = 1024) -> np.ndarray:
    """Each source's long-term magnitude spectrum: its masks times the mixture's, over frames.

    The masks are computed by blocks of frames (:func:`nmfsep.ensemble.block_masks`),
    combined over ``runs`` as in the rebuild, so memory stays bounded.

    Parameters
    ----------
    V : np.ndarray, shape=(bins, frames)
        The mixture's spectrogram, as factorized (any scale).
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    labels : np.ndarray, shape=(K,)
    n_sources : int
    mask_power : float
    runs : tuple of Run
        The other factorizations of an ensemble.
    prior : MaskPrior, optional
        Experts that weigh the masks (the HPSS weights of a drum source).
    config : STFTConfig, optional
        The first run's STFT (needed for runs with their own).
    spectrogram_power : float
        The power ``V`` was taken to; the profiles are of magnitudes.
    block : int
        Frames per block: the temporaries are a few times ``n_sources × bins × block``
        floats (small beside ``V`` and the percussive mask held with it).

    Returns
    -------
    np.ndarray, shape=(n_sources, bins), float64
    """
    n_frames = V.shape[1]
    profiles = np.zeros((n_sources, V.shape[0]))
    for first in range(0, n_frames, block):
        last = min(n_frames, first + block)
        magnitude = V[:, first:last]
        if spectrogram_power != 1:
            magnitude = magnitude ** np.float32(1 / spectrogram_power)
        masks = block_masks(W, H, labels, n_sources, mask_power, first, last, prior=prior,
                            runs=runs, config=config)
        masks *= magnitude
        profiles += masks.sum(axis=-1, dtype=np.float64)
    return profiles


def mask_prior(strategy: str, context: grouping_.GroupingContext, strength: float, *,
               W: np.ndarray, H: np.ndarray, labels: np.ndarray, mask_power: float = 1.0,
               runs: tuple[Run, ...] = (), config: STFTConfig | None = None,
               spectrogram_power: float = 1.0) -> MaskPrior | None:
    """The experts that weigh the masks of this grouping, or None.

    Parameters
    ----------
    strategy : str
        The grouping strategy; the share weights are the default grouping's
        (``"auto"``).
    context : GroupingContext
        With ``V``, the spectrogram that was factorized.
    strength : float
        ``percussive_prior``: the exponent of the HPSS weights; 0 turns every
        expert off.
    W, H, labels : np.ndarray
        The grouped factorization (the first run of an ensemble).
    mask_power : float
    runs : tuple of Run
        The other runs of an ensemble, whose masks the share weights measure too.
    config : STFTConfig, optional
        The first run's STFT.
    spectrogram_power : float
        The power of ``context.V``.

    Returns
    -------
    MaskPrior or None
    """
    if check_prior_strength(strength) == 0 or context.V is None:
        return None
    prior = grouping_.percussive_prior(strategy, context, strength, W=W, H=H, labels=labels)
    if prior is not None and prior.source is not None:
        prior = replace(prior, consistent=True)
    n_sources = int(np.max(labels)) + 1
    if strategy != "auto" or not _takes_shares(prior, n_sources):
        return prior
    if prior is not None and prior.source is not None and runs:
        prior = replace(prior, strength=prior.strength * HPSS_SCALE_BESIDE_SHARES)
    profiles = source_profiles(context.V, W, H, labels, n_sources, mask_power, runs=runs,
                               prior=prior, config=config, spectrogram_power=spectrogram_power)
    return replace(prior or MaskPrior(), register=share_weights(profiles), register_kind="shares")
