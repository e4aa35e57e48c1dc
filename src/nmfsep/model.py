"""The model of a separation: everything that makes its masks, for any range of frames.

A :class:`Model` holds the factorization (``W``, ``H``), the source of each
component (``labels``), the other runs of an ensemble, the experts that weigh
the masks (:class:`~nmfsep.masks.MaskPrior`), the STFT and the mask power.
:meth:`Model.masks` gives the sources' masks for frames ``first:last`` of the
mixture, and :meth:`Model.rebuild` turns the mixture's frames into the
sources, one block of frames at a time.  Regrouping is a new model with other
labels (:meth:`Model.with_labels`): no new factorization.

The masks add up to one in every bin, so the sources add up to the mixture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .ensemble import Run, combine_runs
from .errors import ParameterError
from .masks import MaskPrior, soft_masks, source_models
from .policy import DEFAULT_POLICY
from .recording import Frames
from .spectral import (
    BLOCK_FRAMES,
    STFTConfig,
    frame_blocks,
    frame_margin,
    frame_samples,
    istft_samples,
    stft,
    stft_frames,
)

__all__ = ["Model", "Writer", "check_component", "check_labels"]

#: callable(source, start, samples): receives samples (channels, n) of source
#: ``source`` beginning at sample ``start``.
Writer = Callable[[int, int, np.ndarray], None]


def check_labels(labels: np.ndarray, n_components: int) -> np.ndarray:
    """``labels`` as ints, one source index >= 0 per component, every source used.

    Raises
    ------
    ParameterError
        Naming what is wrong.
    """
    given = np.asarray(labels)
    if given.dtype.kind not in "iuf" or (given.dtype.kind == "f" and given.size
                                          and not np.all(given == np.round(given))):
        raise ParameterError(f"labels must be whole source indices, got {given.tolist()!r}")
    labels = given.astype(int)
    if labels.shape != (n_components,) or labels.min() < 0:
        raise ParameterError(f"labels must give one source index >= 0 for each of the "
                             f"{n_components} components")
    missing = sorted(set(range(int(labels.max()) + 1)) - set(labels.tolist()))
    if missing:
        raise ParameterError(f"sources {missing} have no component (the labels go up to "
                             f"{int(labels.max())}: source indices count from 0 with none "
                             f"left out)")
    return labels


def check_component(k: Any, n_components: int) -> int:
    """``k`` if it is the index of one of ``n_components`` components; else ParameterError.

    Negative indices are refused: ``-1`` names no component of a factorization.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < n_components:
        raise ParameterError(f"component {k!r} does not exist; they are 0..{n_components - 1}")
    return int(k)


@dataclass(frozen=True)
class Model:
    """The factorization, its grouping and the experts: the masks of every frame.

    Attributes
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    labels : np.ndarray of int, shape=(K,)
        The source of each component.
    stft : STFTConfig
    mask_power : float
        1 ratio masks, 2 Wiener masks.
    runs : tuple of Run
        The other factorizations of an ensemble (:mod:`nmfsep.ensemble`).
    prior : MaskPrior or None
        The experts beside the factorization: HPSS weights, registers, masks
        estimated again from the sources (:attr:`MaskPrior.consistent`).
    floor : float
        Added to every run's masks before their geometric mean.
    """

    W: np.ndarray
    H: np.ndarray
    labels: np.ndarray
    stft: STFTConfig
    mask_power: float = 1.0
    runs: tuple[Run, ...] = field(default=(), repr=False)
    prior: MaskPrior | None = field(default=None, repr=False)
    floor: float = DEFAULT_POLICY.floor_without_drums

    @property
    def n_sources(self) -> int:
        """Number of sources."""
        return int(np.max(self.labels)) + 1

    @property
    def n_components(self) -> int:
        """Number of components of the first run, K."""
        return self.W.shape[1]

    @property
    def n_frames(self) -> int:
        """Frames of the factorized spectrogram."""
        return self.H.shape[1]

    def with_labels(self, labels: np.ndarray, *, prior: MaskPrior | None = None,
                    runs: tuple[Run, ...] = (), floor: float | None = None) -> Model:
        """The same factorization grouped by ``labels`` (checked), with these experts and runs."""
        labels = check_labels(labels, self.n_components)
        return replace(self, labels=labels, prior=prior, runs=runs,
                       floor=self.floor if floor is None else floor)

    def factor_masks(self, first: int, last: int) -> np.ndarray:
        """The masks of frames ``first:last`` from the factorizations and the experts' weights.

        The first run's source models combined with the other runs'
        (:func:`nmfsep.ensemble.combine_runs`), weighed by the prior, normalized,
        the drums' masks widened by the drum templates' when the prior has them
        (:meth:`MaskPrior.unite`); without the re-estimation from the rebuilt
        sources (:meth:`masks`).

        Returns
        -------
        np.ndarray, shape=(n_sources, bins, last - first), float32
        """
        n_sources = self.n_sources
        models = combine_runs(source_models(self.W, self.H[:, first:last], self.labels,
                                            n_sources),
                              self.runs, n_sources, first, last, self.stft, floor=self.floor)
        if self.prior is None:
            return soft_masks(models, self.mask_power)
        self.prior.weigh(models, self.mask_power, first, last)
        return self.prior.unite(soft_masks(models, self.mask_power), self.mask_power, first,
                                last)

    def masks(self, frames: Frames, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """The masks that rebuild the sources in frames ``first:last``, with those frames.

        They are :meth:`factor_masks`, unless the prior asks for masks
        estimated again from the sources they rebuild: then each source's
        samples around the frames are rebuilt from a wider block, their STFT
        taken, and the new masks are the magnitudes (summed over channels) to
        the mask power, normalized.  Either way the result equals that of the
        whole recording.

        Parameters
        ----------
        frames : Frames
            The mixture's STFT frames (this model's STFT).
        first, last : int

        Returns
        -------
        X : np.ndarray, shape=(channels, bins, last - first), complex64
        masks : np.ndarray, shape=(n_sources, bins, last - first), float32
        """
        if self.prior is None or not self.prior.consistent:
            return frames.get(first, last), self.factor_masks(first, last)
        config, n_samples = self.stft, frames.n_samples
        margin = frame_margin(config)
        lo, hi = max(0, first - 2 * margin), min(frames.n_frames, last + 2 * margin)
        X = frames.get(lo, hi)
        masks = self.factor_masks(lo, hi)
        start, stop = frame_samples(config, n_samples, first, last)
        magnitudes = np.empty((self.n_sources, X.shape[1], last - first), dtype=np.float32)
        masked = np.empty_like(X)
        # The STFT is linear and the masks sum to one: the last source's frames are
        # the mixture's frames less the others' (the same numbers up to rounding).
        rest = np.array(X[..., first - lo : last - lo])
        for source in range(self.n_sources - 1):
            samples = istft_samples(np.multiply(X, masks[source], out=masked), config, lo,
                                    start, stop)
            if n_samples < config.n_fft:  # shorter than a frame: one piece, padded by stft
                rebuilt = stft(samples, config)[..., first:last]
            else:
                rebuilt = stft_frames(lambda a, b, s=samples: s[..., a - start : b - start],
                                      n_samples, config, first, last)
            _channel_magnitudes(rebuilt, out=magnitudes[source])
            rest -= rebuilt
        _channel_magnitudes(rest, out=magnitudes[-1])
        return X[..., first - lo : last - lo], soft_masks(magnitudes, self.mask_power)

    def rebuild(self, frames: Frames, write: Writer, block: int = BLOCK_FRAMES) -> None:
        """Every source's samples, block by block: frames, their masks, the inverse STFT.

        For each source the calls to ``write`` come in order and cover the
        whole recording without gaps.  Memory beyond ``frames`` is bounded by
        ``block``.
        """
        config, n_samples, n_frames = self.stft, frames.n_samples, frames.n_frames
        margin, hop = frame_margin(config), config.hop
        for first, last in frame_blocks(n_frames, block):
            start = first * hop
            stop = n_samples if last == n_frames else min(n_samples, last * hop)
            if start >= stop:
                continue
            lo, hi = max(0, first - margin), min(n_frames, last + margin)
            X, masks = self.masks(frames, lo, hi)
            masked = np.empty_like(X)
            # The masks sum to one and the inverse STFT is linear: the last source
            # is the mixture less the others (the same numbers up to rounding).
            rest = np.array(frames.recording.read(start, stop), dtype=np.float32)
            for source in range(self.n_sources - 1):
                np.multiply(X, masks[source], out=masked)
                samples = istft_samples(masked, config, lo, start, stop)
                rest -= samples
                write(source, start, samples)
            write(self.n_sources - 1, start, rest)

    def sources(self, frames: Frames, block: int = BLOCK_FRAMES) -> np.ndarray:
        """Every source in memory, shape=(n_sources, channels, samples), float32."""
        out = np.empty((self.n_sources, frames.recording.channels, frames.n_samples),
                       dtype=np.float32)

        def write(source: int, start: int, samples: np.ndarray) -> None:
            out[source, :, start : start + samples.shape[-1]] = samples

        self.rebuild(frames, write, block)
        return out


def _channel_magnitudes(X: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``np.abs(X).sum(axis=0)`` into ``out``, one channel at a time (no full-size copy)."""
    np.abs(X[0], out=out)
    if len(X) > 1:
        channel = np.empty_like(out)
        for index in range(1, len(X)):
            out += np.abs(X[index], out=channel)
    return out
