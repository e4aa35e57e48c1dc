"""Separation of recordings of any length in bounded memory: streamed and blocked.

The in-memory pipeline holds the signal, its complex STFT for every channel,
the masks of every source and the sources themselves: several times the size
of the spectrogram.  Here only the spectrogram ``V`` (bins × frames, float32:
about 1.3 GB for an hour at 44.1 kHz with hop 512) is held whole:

1. the audio is read block by block and ``V`` is filled block by block;
2. the factorization runs on ``V`` with the cache-blocked engine (no
   temporary of the size of ``V``);
3. the grouping's percussive mask, when a strategy asks for it, is made by
   blocks of frames with enough overlap to equal the whole computation;
4. the audio is read again block by block; for each block of frames the
   STFT, the masks and the inverse STFT of every source are computed and the
   samples are written to the outputs at once (masks that are estimated again
   from the sources they rebuild are computed on a wider block first:
   :func:`rebuild_masks`).

The frames and samples are exactly those of :func:`nmfsep.separate`: each
block's STFT is taken on a window of the signal that holds all its frames'
samples, and each block's output samples are the overlap-add of all frames
that reach them, so the results equal the in-memory ones to float32 rounding.

>>> from nmfsep.longform import separate_file
>>> result = separate_file("concert.flac", ["drums.wav", "rest.wav"])  # doctest: +SKIP
>>> result.labels, result.timings                                      # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import grouping as grouping_
from .ensemble import Run, block_masks
from .errors import AudioError, ParameterError
from .features import percussive_mask
from .masks import MaskPrior, check_prior_strength, soft_masks
from .nmf import ProgressCallback, factorize
from .priors import PERCUSSIVE_PRIOR, mask_prior
from .spectral import (
    STFTConfig,
    default_n_fft,
    mixture_spectrogram,
    overlap_add,
    stft,
    transform_frames,
)

__all__ = [
    "LongSeparation",
    "separate_file",
    "separate_streamed",
    "stft_frames",
    "istft_samples",
    "blocked_percussive_mask",
    "rebuild_blocked",
    "rebuild_masks",
]

Reader = Callable[[int, int], np.ndarray]
Writer = Callable[[int, np.ndarray], None]

#: Frames per block of the streamed passes (about 47 s at 44.1 kHz, hop 512).
BLOCK_FRAMES = 4096


@dataclass
class LongSeparation:
    """What :func:`separate_file` and :func:`separate_streamed` return (no audio in memory).

    Attributes
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    labels : np.ndarray of int, shape=(K,)
    sr : int
    stft : STFTConfig
    n_samples, channels : int
    loss_history : list of (iteration, loss)
    parameters : dict
        Everything that produced the separation, for the record.
    paths : list of Path
        The written files (:func:`separate_file` only).
    timings : dict of str to float
        Seconds spent in each stage.
    mask_experts : dict or None
        Which experts weighed the masks (:meth:`nmfsep.masks.MaskPrior.describe`).
    """

    W: np.ndarray
    H: np.ndarray
    labels: np.ndarray
    sr: int
    stft: STFTConfig
    n_samples: int
    channels: int
    loss_history: list[tuple[int, float]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    paths: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    mask_experts: dict[str, Any] | None = None


def _margin(config: STFTConfig) -> int:
    """Frames on each side of a block whose windows can reach into it."""
    return -(-config.n_fft // config.hop) + 1


def stft_frames(read: Reader, n_samples: int, config: STFTConfig, first: int,
                last: int) -> np.ndarray:
    """Frames ``first:last`` of the STFT of a signal that is read in pieces.

    Parameters
    ----------
    read : callable(start, stop) -> np.ndarray, shape=(channels, stop - start)
        Samples ``start:stop`` of the signal (``0 <= start < stop <= n_samples``).
    n_samples : int
        Length of the whole signal (at least ``config.n_fft``).
    config : STFTConfig
    first, last : int
        Frame range, as columns of :func:`nmfsep.spectral.stft` of the whole signal.

    Returns
    -------
    np.ndarray, shape=(channels, bins, last - first), complex64
        Equal to ``stft(y, config)[..., first:last]``.
    """
    start, stop = _frame_samples(config, n_samples, first, last)
    shift = start // config.hop  # the piece starts at frame shift's hop
    piece = np.asarray(read(start, stop), dtype=np.float32)
    p_min = config.transform.p_min
    return transform_frames(piece, config, p_min + first - shift, p_min + last - shift)


def _frame_samples(config: STFTConfig, n_samples: int, first: int, last: int) -> tuple[int, int]:
    """The samples :func:`stft_frames` reads for frames ``first:last``: start on a hop."""
    transform = config.transform
    start = max(0, first - _margin(config)) * config.hop
    stop = min(n_samples, (transform.p_min + last - 1) * config.hop - transform.m_num_mid
               + transform.m_num)
    return start, stop


def istft_samples(X: np.ndarray, config: STFTConfig, first: int, start: int,
                  stop: int) -> np.ndarray:
    """Samples ``start:stop`` of the inverse STFT, from the frames that reach them.

    Parameters
    ----------
    X : np.ndarray, shape=(..., bins, n)
        Frames ``first:first + n`` of a whole STFT; they must include every
        frame that reaches a sample in ``start:stop``.
    config : STFTConfig
    first : int
        Column of ``X[..., 0]`` in the whole STFT.
    start, stop : int
        Sample range; ``start`` a multiple of the hop at or after ``first * hop``.

    Returns
    -------
    np.ndarray, shape=(..., stop - start), float32
    """
    transform = config.transform
    offset = first * config.hop
    # scipy wants at least half a window of samples: start earlier and cut.
    k0 = max(transform.k_min, start - offset - config.n_fft)
    k_max = (X.shape[-1] + transform.p_min - 1) * config.hop + transform.m_num \
        - transform.m_num_mid
    k1 = min(k_max, max(stop - offset, k0 + config.n_fft, config.n_fft))
    y = overlap_add(X, config, k0, k1)[..., start - offset - k0 : stop - offset - k0]
    return y.astype(np.float32, copy=False)


def _frame_blocks(n_frames: int, block: int):
    for first in range(0, n_frames, block):
        yield first, min(n_frames, first + block)


def blocked_percussive_mask(V: np.ndarray, block: int = BLOCK_FRAMES, halo: int = 32,
                            frames: int = 17, bins: int = 17) -> np.ndarray:
    """:func:`nmfsep.features.percussive_mask` of ``V``, computed by blocks of frames.

    Each block is filtered with at least ``halo`` frames of context on both
    sides (always more than half the median filter's length ``frames`` across
    time), so the result equals the whole computation; the float64
    temporaries stay block-sized.  ``frames`` and ``bins`` are the filter
    lengths of :func:`~nmfsep.features.percussive_mask`.

    Returns
    -------
    np.ndarray, shape=V.shape, float32
    """
    n_frames = V.shape[1]
    halo = max(halo, frames // 2 + 1)
    out = np.empty(V.shape, dtype=np.float32)
    for first, last in _frame_blocks(n_frames, block):
        lo, hi = max(0, first - halo), min(n_frames, last + halo)
        out[:, first:last] = percussive_mask(V[:, lo:hi], frames, bins)[:, first - lo : last - lo]
    return out


class _BlockedContext(grouping_.GroupingContext):
    """A grouping context whose percussive mask is computed by blocks (bounded memory)."""

    @cached_property
    def percussive(self) -> np.ndarray:
        if self.V is None:
            raise ParameterError("this grouping needs the spectrogram V")
        lengths = self.filter_lengths
        return blocked_percussive_mask(self.V, frames=lengths.frames, bins=lengths.bins)


def rebuild_blocked(
    X: np.ndarray, W: np.ndarray, H: np.ndarray, labels: np.ndarray, n_sources: int,
    mask_power: float, config: STFTConfig, n_samples: int, *, block: int = BLOCK_FRAMES,
    prior: MaskPrior | None = None, runs: tuple[Run, ...] = (),
) -> np.ndarray:
    """:func:`nmfsep.separate.rebuild_sources` by blocks of frames.

    Masks exist for one block at a time, so the memory beyond ``X`` and the
    output is bounded by the block size.  ``prior`` weighs the masks
    (:class:`nmfsep.masks.MaskPrior`: HPSS, registers); ``runs`` are more
    factorizations whose masks are combined with these (:mod:`nmfsep.ensemble`).

    Returns
    -------
    np.ndarray, shape=(n_sources, channels, n_samples), float32
    """
    out = np.empty((n_sources, X.shape[0], n_samples), dtype=np.float32)

    def write(source: int, start: int, samples: np.ndarray) -> None:
        out[source, :, start : start + samples.shape[-1]] = samples

    _rebuild_pass(lambda first, last: X[..., first:last], W, H, labels, n_sources, mask_power,
                  config, n_samples, X.shape[-1], block, write, prior, runs)
    return out


def _piece_reader(piece: np.ndarray, start: int) -> Reader:
    """Read samples ``a:b`` of a signal from its ``piece`` that begins at sample ``start``."""
    return lambda a, b: piece[..., a - start : b - start]


def rebuild_masks(
    frames: Callable[[int, int], np.ndarray], W: np.ndarray, H: np.ndarray,
    labels: np.ndarray, n_sources: int, mask_power: float, config: STFTConfig,
    n_samples: int, n_frames: int, first: int, last: int,
    prior: MaskPrior | None = None, runs: tuple[Run, ...] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """The masks that rebuild the sources in frames ``first:last``, with those frames.

    They are the ensemble's masks (:func:`nmfsep.ensemble.block_masks`), unless
    ``prior.consistent`` asks to estimate them again from the sources they
    rebuild: then each source's samples around the frames are rebuilt from a
    wider block, their STFT taken, and the new masks are the magnitudes
    (summed over channels) to ``mask_power``, normalized.  Either way the
    result equals that of the whole signal.

    Parameters
    ----------
    frames : callable(first, last) -> np.ndarray, shape=(channels, bins, last - first)
        Frames of the mixture's STFT.
    W, H, labels, n_sources, mask_power, prior, runs
        As in :func:`rebuild_blocked`.
    config : STFTConfig
    n_samples, n_frames : int
        Length of the signal and of its STFT.
    first, last : int
        The frames wanted.

    Returns
    -------
    X : np.ndarray, shape=(channels, bins, last - first), complex64
    masks : np.ndarray, shape=(n_sources, bins, last - first), float32
    """
    if prior is None or not prior.consistent:
        return frames(first, last), block_masks(W, H, labels, n_sources, mask_power, first,
                                                last, prior, runs, config)
    margin = _margin(config)
    lo, hi = max(0, first - 2 * margin), min(n_frames, last + 2 * margin)
    X = frames(lo, hi)
    masks = block_masks(W, H, labels, n_sources, mask_power, lo, hi, prior, runs, config)
    start, stop = _frame_samples(config, n_samples, first, last)
    magnitudes = np.empty((n_sources, X.shape[1], last - first), dtype=np.float32)
    for source in range(n_sources):
        samples = istft_samples(X * masks[source], config, lo, start, stop)
        if n_samples < config.n_fft:  # shorter than a frame: one piece, padded by stft
            rebuilt = stft(samples, config)[..., first:last]
        else:
            rebuilt = stft_frames(_piece_reader(samples, start), n_samples, config, first,
                                  last)
        magnitudes[source] = np.abs(rebuilt).sum(axis=0)
    return X[..., first - lo : last - lo], soft_masks(magnitudes, mask_power)


def _rebuild_pass(frames, W, H, labels, n_sources, mask_power, config, n_samples, n_frames,
                  block, write, prior: MaskPrior | None = None,
                  runs: tuple[Run, ...] = ()) -> None:
    """For each block of output samples: its frames, their masks, the sources' samples."""
    margin = _margin(config)
    hop = config.hop
    for first, last in _frame_blocks(n_frames, block):
        start = first * hop
        stop = n_samples if last == n_frames else min(n_samples, last * hop)
        if start >= stop:
            continue
        lo, hi = max(0, first - margin), min(n_frames, last + margin)
        X, masks = rebuild_masks(frames, W, H, labels, n_sources, mask_power, config,
                                 n_samples, n_frames, lo, hi, prior, runs)
        for source in range(n_sources):
            masked = X * masks[source]
            write(source, start, istft_samples(masked, config, lo, start, stop))


def separate_streamed(
    read: Reader,
    n_samples: int,
    channels: int,
    sr: int,
    write: Callable[[int, int, np.ndarray], None],
    *,
    n_sources: int = 2,
    n_components: int | None = None,
    beta: float = 1.0,
    grouping: str = "auto",
    groups: Sequence[Sequence[int]] | None = None,
    n_fft: int | None = None,
    hop: int | None = None,
    window: str = "hann",
    spectrogram_power: float = 1.0,
    mask_power: float = 1.0,
    percussive_prior: float = PERCUSSIVE_PRIOR,
    init: str = "nndsvda",
    max_iter: int = 200,
    tol: float = 1e-4,
    l1_H: float = 0.0,
    continuity: float = 0.0,
    random_state: int | None = 0,
    callback: ProgressCallback | None = None,
    block_frames: int = BLOCK_FRAMES,
    solver: str = "mu",
    backend: str = "numpy",
    device: str | None = None,
) -> LongSeparation:
    """Separate a signal that is read and written in pieces; only ``V`` is held whole.

    Parameters
    ----------
    read : callable(start, stop) -> np.ndarray, shape=(channels, stop - start), float32
        Samples ``start:stop`` of the mixture; called twice over the signal.
    n_samples, channels, sr : int
    write : callable(source, start, samples)
        Receives ``samples`` (channels, n) of source ``source`` beginning at
        sample ``start``; for each source the calls come in order and cover
        ``0:n_samples`` without gaps.
    n_sources, n_components, beta, grouping, groups, n_fft, hop, window,
    spectrogram_power, mask_power, percussive_prior, init, max_iter, tol, l1_H,
    continuity, random_state, callback
        As in :func:`nmfsep.separate`, with the same defaults and the same
        results.
    block_frames : int
        Frames per block of the streamed passes; memory beyond ``V`` grows with it.
    solver, backend, device
        Passed to :func:`nmfsep.nmf.factorize` (``solver="amu"`` with
        ``init="coarse"`` converges in fewer iterations).

    Returns
    -------
    LongSeparation
    """
    if groups is not None:
        grouping, n_sources = "manual", len(groups)
    if not isinstance(n_sources, (int, np.integer)) or n_sources < 1:
        raise ParameterError(f"n_sources must be a positive integer, got {n_sources!r}")
    n_components = 10 * n_sources if n_components is None else n_components
    if not isinstance(n_components, (int, np.integer)) or n_components < n_sources:
        raise ParameterError(
            f"n_components ({n_components}) must be an integer >= n_sources ({n_sources})")
    if block_frames < 1:
        raise ParameterError(f"block_frames must be positive, got {block_frames}")
    percussive_prior = check_prior_strength(percussive_prior)
    n_fft = default_n_fft(sr) if n_fft is None else int(n_fft)
    config = STFTConfig(n_fft=n_fft, hop=n_fft // 4 if hop is None else int(hop), window=window)
    if n_samples < config.n_fft:
        raise ParameterError(f"the signal ({n_samples} samples) is shorter than one frame "
                             f"({config.n_fft}); use nmfsep.separate for it")
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    n_frames = config.n_frames(n_samples)
    V = np.empty((config.n_bins, n_frames), dtype=np.float32)
    for first, last in _frame_blocks(n_frames, block_frames):
        X = stft_frames(read, n_samples, config, first, last)
        V[:, first:last] = mixture_spectrogram(X, spectrogram_power)
    del X
    scale = float(V.mean(dtype=np.float64))
    if scale > 0:
        np.divide(V, scale, out=V)
    timings["spectrogram"] = time.perf_counter() - clock

    clock = time.perf_counter()
    result = factorize(V, n_components, beta=beta, init=init, max_iter=max_iter, tol=tol,
                       l1_H=l1_H, continuity=continuity, random_state=random_state,
                       callback=callback, solver=solver, backend=backend, device=device)
    timings["factorize"] = time.perf_counter() - clock

    clock = time.perf_counter()
    W = result.W * np.float32(scale if scale > 0 else 1.0)
    context = _BlockedContext(sr=sr, V=V, groups=groups, random_state=random_state,
                              hop=config.hop)
    labels = grouping_.group(W, result.H, n_sources, grouping, context=context)
    prior = mask_prior(grouping, context, percussive_prior, W=W, H=result.H, labels=labels,
                       mask_power=mask_power, config=config,
                       spectrogram_power=spectrogram_power)
    del V, context
    timings["grouping"] = time.perf_counter() - clock

    clock = time.perf_counter()
    _rebuild_pass(lambda lo, hi: stft_frames(read, n_samples, config, lo, hi), W, result.H,
                  labels, n_sources, mask_power, config, n_samples, n_frames, block_frames,
                  write, prior)
    timings["rebuild"] = time.perf_counter() - clock
    parameters = dict(
        n_sources=n_sources, n_components=n_components, beta=beta, grouping=grouping,
        n_fft=config.n_fft, hop=config.hop, window=window, spectrogram_power=spectrogram_power,
        mask_power=mask_power, percussive_prior=percussive_prior, init=init,
        max_iter=max_iter, tol=tol, l1_H=l1_H,
        continuity=continuity, random_state=random_state, n_iter=result.n_iter,
        converged=result.converged, block_frames=block_frames, solver=solver, backend=backend,
    )
    return LongSeparation(W=W, H=result.H, labels=labels, sr=sr, stft=config,
                          n_samples=n_samples, channels=channels,
                          loss_history=result.loss_history, parameters=parameters,
                          timings=timings,
                          mask_experts=None if prior is None else prior.describe())


def separate_file(
    path_in: str | os.PathLike,
    out_paths: Sequence[str | os.PathLike],
    *,
    force: bool = False,
    subtype: str | None = None,
    **kwargs,
) -> LongSeparation:
    """Separate an audio file of any length into one file per source, in bounded memory.

    Parameters
    ----------
    path_in : path
        Any format libsndfile reads and can seek in (WAV, FLAC, OGG, ...).
    out_paths : sequence of paths
        One ``.wav`` or ``.flac`` per source, in source order; ``n_sources``
        defaults to their number.  Each is written block by block to a
        temporary file beside it and renamed into place at the end; on any
        error no partial output is left.
    force : bool
        Overwrite existing outputs.
    subtype : str, optional
        soundfile subtype; float WAV and 24-bit FLAC by default.
    **kwargs
        Keywords of :func:`separate_streamed` (``n_components``, ``beta``,
        ``grouping``, ``groups``, ``max_iter``, ``callback``, ...).

    Returns
    -------
    LongSeparation
        With ``paths`` the written files.  Peak memory is about the
        spectrogram (4 bytes × bins × frames) plus a few hundred MB.

    Raises
    ------
    AudioError
        If the input cannot be read.
    OutputError
        If an output exists (without ``force``) or cannot be written.
    """
    import soundfile as sf

    from .audio import audio_info, check_write_format, open_outputs, write_block

    path_in = Path(path_in)
    out_paths = [Path(p) for p in out_paths]
    kwargs.setdefault("n_sources", len(out_paths))
    if kwargs.get("groups") is not None:
        kwargs["n_sources"] = len(kwargs["groups"])
    if kwargs["n_sources"] != len(out_paths):
        raise ParameterError(f"{len(out_paths)} output paths for {kwargs['n_sources']} sources; "
                             "give one path per source")
    sr, channels, n_samples = audio_info(path_in)
    for path in out_paths:
        check_write_format(path, channels, sr)
    if n_samples <= 0:
        raise AudioError(f"{path_in}: the audio has no samples")
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(sf.SoundFile(str(path_in)))

        def read(start: int, stop: int) -> np.ndarray:
            source.seek(start)
            data = source.read(stop - start, dtype="float32", always_2d=True)
            if data.shape[0] != stop - start or not np.all(np.isfinite(data)):
                raise AudioError(f"{path_in}: unreadable or non-finite samples "
                                 f"in {start}:{stop}")
            return data.T

        sinks = open_outputs(stack, out_paths, sr, channels, force=force, subtype=subtype)

        def write(index: int, start: int, samples: np.ndarray) -> None:
            write_block(sinks[index], samples)

        result = separate_streamed(read, n_samples, channels, sr, write, **kwargs)
        for sink in sinks:
            sink.close()
    result.paths = out_paths
    return result
