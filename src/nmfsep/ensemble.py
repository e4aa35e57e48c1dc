"""Several factorizations of one recording, combined into one set of masks.

NMF from another starting point, with another number of components or with
other frames finds other components, and a blind grouping makes other mistakes
with them.  Each extra run is factorized as its
:class:`~nmfsep.policy.RunPlan` says (two random starts, then half again as
many components, then frames half as long), grouped by the same strategy,
and its sources are matched to those of the first run (the one whose components a
:class:`~nmfsep.separate.Separation` shows).  The masks are then the
normalized geometric mean of the runs' ratio masks, a product of experts: a
bin goes to a source when the runs agree, and a mistake of one run is outvoted
by the others.  A small floor added to every mask before the mean limits how
far one run can veto a source (the policy's ``floor``, larger for pitched
instruments alone, whose voices share partials that the runs give to one voice
or another).
The masks of a run with other frames are interpolated onto the
first run's frames and bins.  The masks still add up to one, so the sources
still add up to the mixture.

How many runs are combined, and how they differ, is the policy's
(:attr:`nmfsep.policy.Policy.run_plans`, ``auto_runs``); their cost and gain
are measured in ``docs/performance.md`` and ``docs/benchmarks.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .grouping import GroupingContext
from .masks import soft_masks, source_models
from .spectral import STFTConfig, grid_positions

__all__ = ["Run", "Grouper", "align_labels", "combine_runs", "regroup_runs"]

#: Frames per block when whole-recording sums are taken (bounded memory).
_BLOCK = 2048


@dataclass(frozen=True)
class Run:
    """One factorization of the mixture, grouped into the sources.

    Attributes
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    labels : np.ndarray of int, shape=(K,)
        The source of each component, numbered as in the first run.
    stft : STFTConfig or None
        The STFT of a run factorized at another frame length; its masks are
        interpolated onto the first run's frames and bins.  None: the first
        run's STFT.
    context : GroupingContext or None
        The grouping context of a run with its own STFT (its spectrogram), to
        regroup it; None: the first run's.
    """

    W: np.ndarray
    H: np.ndarray
    labels: np.ndarray
    stft: STFTConfig | None = None
    context: GroupingContext | None = None


def _ratio_masks(run: Run, n_sources: int, first: int, last: int,
                 config: STFTConfig | None = None) -> np.ndarray:
    """``run``'s ratio masks at frames ``first:last`` of ``config``'s grid."""
    if run.stft is None or run.stft == config:
        return soft_masks(source_models(run.W, run.H[:, first:last], run.labels, n_sources))
    if config is None:
        raise ValueError("a run with its own STFT needs the STFT of the grid to combine on")
    return _interpolated_masks(run, n_sources, *grid_positions(run.stft, config, first, last))


def _interpolated_masks(run: Run, n_sources: int, frames: np.ndarray,
                        bins: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of ``run``'s ratio masks at fractional ``frames`` and ``bins``."""
    frame_low, frame_weight = _cell(frames, run.H.shape[1])
    start, stop = int(frame_low.min()), int(frame_low.max()) + 2
    masks = soft_masks(source_models(run.W, run.H[:, start:stop], run.labels, n_sources))
    frame_low -= start
    frame_high = np.minimum(frame_low + 1, masks.shape[-1] - 1)
    masks = masks[..., frame_low] * (1 - frame_weight) + masks[..., frame_high] * frame_weight
    bin_low, bin_weight = _cell(bins, run.W.shape[0])
    bin_high = np.minimum(bin_low + 1, run.W.shape[0] - 1)
    bin_weight = bin_weight[:, None].astype(np.float32)
    return masks[:, bin_low] * (1 - bin_weight) + masks[:, bin_high] * bin_weight


def _cell(positions: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each fractional position's grid cell (clipped to the grid) and its upper end's weight."""
    positions = np.clip(positions, 0, size - 1)
    low = np.minimum(np.floor(positions).astype(int), max(size - 2, 0))
    return low, (positions - low).astype(np.float32)


def align_labels(reference: Run, run: Run, n_sources: int) -> np.ndarray:
    """The labels of ``run`` renumbered so that each source matches the reference's.

    Sources are matched one to one (Hungarian algorithm) to maximize the sum
    over time-frequency bins of the products of their ratio masks.

    Returns
    -------
    np.ndarray of int, shape=(K,)
    """
    return _aligned(reference, (run,), n_sources)[0].labels


def _aligned(reference: Run, runs: tuple[Run, ...], n_sources: int,
             config: STFTConfig | None = None, block: int = _BLOCK) -> tuple[Run, ...]:
    """``runs`` with their labels renumbered to match ``reference`` (:func:`align_labels`).

    The reference's masks are computed once per block of frames for all runs;
    ``config`` is the reference's STFT (needed for runs with their own).
    """
    overlaps = [np.zeros((n_sources, n_sources)) for _ in runs]
    n_frames = reference.H.shape[1]
    for first in range(0, n_frames, block):
        last = min(n_frames, first + block)
        ours = _ratio_masks(reference, n_sources, first, last).reshape(n_sources, -1)
        ours = ours.astype(np.float64)
        for overlap, run in zip(overlaps, runs, strict=True):
            theirs = _ratio_masks(run, n_sources, first, last, config).reshape(n_sources, -1)
            overlap += ours @ theirs.T.astype(np.float64)
    aligned = []
    for overlap, run in zip(overlaps, runs, strict=True):
        # imported here: scipy.optimize takes longer to import than the stream's start-up
        # may spend (the command line does not need it to read, separate and write)
        from scipy.optimize import linear_sum_assignment

        ours_index, theirs_index = linear_sum_assignment(-overlap)
        renumber = np.empty(n_sources, dtype=int)
        renumber[theirs_index] = ours_index
        aligned.append(replace(run, labels=renumber[np.asarray(run.labels, dtype=int)]))
    return tuple(aligned)


def combine_runs(models: np.ndarray, runs: tuple[Run, ...], n_sources: int, first: int = 0,
                 last: int | None = None, config: STFTConfig | None = None,
                 floor: float = 1e-6) -> np.ndarray:
    """The first run's source models combined with the ``runs``' for frames ``first:last``.

    Parameters
    ----------
    models : np.ndarray, shape=(n_sources, bins, frames)
        :func:`nmfsep.masks.source_models` of the first run.
    runs : tuple of Run
        The other runs; with none, ``models`` is returned as it is.
    first, last : int
        The frames of ``models``.
    config : STFTConfig, optional
        The first run's STFT, onto whose grid the masks of runs with their own
        STFT are interpolated.
    floor : float
        Added to every run's ratio masks before their logarithm (the policy's
        ``floor`` or ``floor_without_drums``).

    Returns
    -------
    np.ndarray, shape=models.shape, float32
        The geometric mean of every run's ratio masks (plus ``floor``),
        to be normalized by :func:`nmfsep.masks.soft_masks` like a model.
    """
    if not runs:
        return models
    last = models.shape[-1] + first if last is None else last
    log_sum = np.log(soft_masks(models).astype(np.float64) + floor)
    for run in runs:
        log_sum += np.log(_ratio_masks(run, n_sources, first, last, config) + floor)
    return np.exp(log_sum / (len(runs) + 1)).astype(np.float32)


#: callable(W, H, context) -> labels: the grouping strategy, on a run's own context
#: (None: the first run's).
Grouper = Callable[[np.ndarray, np.ndarray, GroupingContext | None], np.ndarray]


def regroup_runs(runs: tuple[Run, ...], reference: Run, n_sources: int, *, group: Grouper,
                 config: STFTConfig | None = None, block: int = _BLOCK) -> tuple[Run, ...]:
    """Every run grouped by ``group`` (:data:`Grouper`), its sources matched to ``reference``'s.

    ``config`` is the reference's STFT; ``block`` the frames per block of the
    matching's sums (bounded memory).

    Returns
    -------
    tuple of Run
    """
    grouped = tuple(replace(run, labels=group(run.W, run.H, run.context)) for run in runs)
    return _aligned(reference, grouped, n_sources, config, block)
