"""Several factorizations of one recording, combined into one set of masks.

NMF from another starting point, with another number of components or with
other frames finds other components, and a blind grouping makes other mistakes
with them.  Each extra run is factorized as its :class:`RunPlan` says (two
random starts, then half again as many components, then frames half as long;
:data:`RUN_PLANS`), grouped by the same strategy, and its sources are matched
to those of the first run (the one whose components a
:class:`~nmfsep.separate.Separation` shows).  The masks are then the
normalized geometric mean of the runs' ratio masks, a product of experts: a
bin goes to a source when the runs agree, and a mistake of one run is outvoted
by the others.  A small floor added to every mask before the mean limits how
far one run can veto a source: :data:`FLOOR`, and a larger
:data:`FLOOR_WITHOUT_DRUMS` for pitched instruments alone, whose voices share
partials that the runs give to one voice or another.
The masks of a run with other frames are interpolated onto the
first run's frames and bins.  The masks still add up to one, so the sources
still add up to the mixture.

On the quality benchmark (``docs/benchmarks.md``), five runs raise the mean of
the four category medians from 6.7 dB (one run) to 7.2 dB on its items and from
6.1 to 7.6 dB on held-out items (three runs: 7.2 and 7.1).  Each extra run is
one more factorization and grouping: a 60 s stereo clip takes 20 s with five
runs, 12 s with three and 6 s with one (``python -m benchmarks.speed.runs``).
:func:`nmfsep.separate` therefore combines five runs by default only for
recordings up to a minute (:func:`nmfsep.separate.default_n_runs`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import linear_sum_assignment

from .masks import MaskPrior, soft_masks, source_models
from .spectral import STFTConfig, grid_positions

if TYPE_CHECKING:  # grouping needs more than the masks; only its type is named here
    from .grouping import GroupingContext

__all__ = ["Run", "RunPlan", "RUN_PLANS", "run_plan", "align_labels", "combine_runs",
           "block_masks", "factorize_runs", "regroup_runs", "FLOOR", "FLOOR_WITHOUT_DRUMS"]

#: Added to every run's ratio mask before the geometric mean, so that one run
#: that gives a source nothing in a bin does not silence it for all.
FLOOR = 1e-6

#: The floor when no drum source is weighed by HPSS (pitched instruments
#: alone): a run that gives a voice's partial to another voice then vetoes
#: less.  Chorales gain in every item set of the quality benchmark and piano
#: + voice loses in none; beside drums it loses (``benchmarks/quality/notes.md``,
#: tenth round).
FLOOR_WITHOUT_DRUMS = 1e-3

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
             config: STFTConfig | None = None) -> tuple[Run, ...]:
    """``runs`` with their labels renumbered to match ``reference`` (:func:`align_labels`).

    The reference's masks are computed once per block of frames for all runs;
    ``config`` is the reference's STFT (needed for runs with their own).
    """
    overlaps = [np.zeros((n_sources, n_sources)) for _ in runs]
    n_frames = reference.H.shape[1]
    for first in range(0, n_frames, _BLOCK):
        last = min(n_frames, first + _BLOCK)
        ours = _ratio_masks(reference, n_sources, first, last).reshape(n_sources, -1)
        ours = ours.astype(np.float64)
        for overlap, run in zip(overlaps, runs, strict=True):
            theirs = _ratio_masks(run, n_sources, first, last, config).reshape(n_sources, -1)
            overlap += ours @ theirs.T.astype(np.float64)
    aligned = []
    for overlap, run in zip(overlaps, runs, strict=True):
        ours_index, theirs_index = linear_sum_assignment(-overlap)
        renumber = np.empty(n_sources, dtype=int)
        renumber[theirs_index] = ours_index
        aligned.append(replace(run, labels=renumber[np.asarray(run.labels, dtype=int)]))
    return tuple(aligned)


def combine_runs(models: np.ndarray, runs: tuple[Run, ...], n_sources: int, first: int = 0,
                 last: int | None = None, config: STFTConfig | None = None,
                 floor: float = FLOOR) -> np.ndarray:
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
        Added to every run's ratio masks before their logarithm
        (:data:`FLOOR`, or :data:`FLOOR_WITHOUT_DRUMS`).

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


def block_masks(W: np.ndarray, H: np.ndarray, labels: np.ndarray, n_sources: int,
                mask_power: float, first: int, last: int, prior: MaskPrior | None = None,
                runs: tuple[Run, ...] = (), config: STFTConfig | None = None) -> np.ndarray:
    """The sources' soft masks for frames ``first:last``, as the rebuild makes them.

    Returns
    -------
    np.ndarray, shape=(n_sources, bins, last - first), float32
        The first run's models combined with ``runs``' (:func:`combine_runs`;
        the floor is :data:`FLOOR` when ``prior`` weighs a drum source, else
        :data:`FLOOR_WITHOUT_DRUMS`), weighed by ``prior``
        (:class:`nmfsep.masks.MaskPrior`), normalized.
    """
    drums = prior is not None and prior.source is not None
    models = combine_runs(source_models(W, H[:, first:last], labels, n_sources), runs,
                          n_sources, first, last, config,
                          floor=FLOOR if drums else FLOOR_WITHOUT_DRUMS)
    if prior is not None:
        prior.weigh(models, mask_power, first, last)
    return soft_masks(models, mask_power)


@dataclass(frozen=True)
class RunPlan:
    """How one extra run differs from the first.

    Attributes
    ----------
    init : str
        "random" or the first run's initialization.
    component_scale : float
        Its number of components, relative to the first run's.
    frame_scale : float
        Its STFT frame length and hop, relative to the first run's.
    """

    init: str = "random"
    component_scale: float = 1.0
    frame_scale: float = 1.0


#: Runs 1, 2, … of an ensemble: runs 1 and 2 start from random factors, run 3
#: has half again as many components and run 4 frames half as long, both from
#: the first run's initialization; runs beyond start from random factors.
#: Chosen with the quality benchmark (``benchmarks/quality/notes.md``).
RUN_PLANS = (RunPlan(), RunPlan(), RunPlan(init="first", component_scale=1.5),
             RunPlan(init="first", frame_scale=0.5))


def run_plan(index: int) -> RunPlan:
    """The plan of run ``index`` (1, 2, …): :data:`RUN_PLANS`, then random starts."""
    if index < 1:
        raise ValueError(f"run 0 is the first run, not an extra one; got {index}")
    return RUN_PLANS[index - 1] if index <= len(RUN_PLANS) else RunPlan()


#: callable(index, seed) -> (W, H, stft, context): run ``index`` made as its plan says.
Factorizer = Callable[[int, int | None],
                      tuple[np.ndarray, np.ndarray, STFTConfig | None, "GroupingContext | None"]]
#: callable(W, H, context) -> labels: the grouping strategy, on a run's own context
#: (None: the first run's).
Grouper = Callable[[np.ndarray, np.ndarray, "GroupingContext | None"], np.ndarray]


def factorize_runs(
    n_runs: int, reference: Run, n_sources: int, *, factorize: Factorizer, group: Grouper,
    random_state: int | None, config: STFTConfig | None = None,
) -> tuple[Run, ...]:
    """The ``n_runs - 1`` runs beside ``reference``, their sources matched to its.

    Parameters
    ----------
    n_runs : int
        Runs in all, counting the reference.
    reference : Run
    n_sources : int
    factorize : callable(index, seed) -> (W, H, stft, context)
        Run ``index`` (1, 2, …), made as :func:`run_plan` says, with ``seed``
        for its random start; ``stft`` and ``context`` are None unless its STFT
        is not the reference's.
    group : callable(W, H, context) -> labels
        The grouping strategy of the reference (``context`` None: the reference's).
    random_state : int or None
        Run ``r`` uses seed ``random_state + r`` (None: fresh randomness).
    config : STFTConfig, optional
        The reference's STFT; needed when a run has its own.

    Returns
    -------
    tuple of Run
    """
    grouped = []
    for index in range(1, n_runs):
        seed = None if random_state is None else random_state + index
        W, H, stft, context = factorize(index, seed)
        grouped.append(Run(W, H, group(W, H, context), stft, context))
    return _aligned(reference, tuple(grouped), n_sources, config)


def regroup_runs(runs: tuple[Run, ...], reference: Run, n_sources: int, *, group: Grouper,
                 config: STFTConfig | None = None) -> tuple[Run, ...]:
    """Every run grouped by ``group`` (:data:`Grouper`), its sources matched to ``reference``'s.

    Returns
    -------
    tuple of Run
    """
    grouped = tuple(replace(run, labels=group(run.W, run.H, run.context)) for run in runs)
    return _aligned(reference, grouped, n_sources, config)
