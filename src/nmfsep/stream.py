"""Block-by-block supervised separation, for recordings of any length.

With every source's dictionary fixed, the activations of a frame depend only
on that frame (see :func:`nmfsep.dictionary.initial_activations`), so the
mixture can be separated a block at a time with bounded memory and latency.
Every frame an input block completes is separated when the block comes, in
batches of ``block_size // hop`` frames that each stop on their own objective,
as one factorization per batch would; the activations of all those batches are
solved together (:func:`nmfsep.activations.batch_activations`), in a few large
products instead of many small ones.  A file is read many batches at a time
(:data:`FILE_SAMPLES`) for that reason.
The STFT frames that straddle two blocks are handled by keeping the last
``n_fft`` input samples and overlap-adding the masked frames with the
canonical dual window, exactly as :func:`nmfsep.spectral.istft` does, so the
streamed sources add up to the mixture.  With the plain update
(``relaxation=1``) they match the offline ``nmfsep.separate(y, sr,
dictionaries=...)`` result (see ``docs/supervised.md`` for the measured
tolerance); by default the updates are over-relaxed (:data:`RELAXATION`),
which stops sooner at the same tolerance.
With a dictionary named a drum part beside others, the masks are weighed by
the mixture's percussive mask as offline (:func:`nmfsep.priors.dictionary_prior`):
its median filter across time needs half its length of frames on either side,
so the frames are separated that many frames after the input completes them,
and the previous frames' spectrogram is kept for the filter.

>>> import nmfsep
>>> train = nmfsep.synth.drums_and_guitar(duration=3.0, seed=7)
>>> dicts = [nmfsep.learn_dictionary(s, train.sr, name=n, n_components=8)
...          for s, n in zip(train.sources, train.names)]
>>> mix = nmfsep.synth.drums_and_guitar(duration=2.0, seed=0)
>>> blocks = list(nmfsep.stream(mix.mixture, mix.sr, dicts, block_size=8192))
>>> sum(b.shape[-1] for b in blocks) == mix.mixture.shape[-1]
True
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .activations import batch_activations, check_relaxation
from .audio import (
    OutputSink,
    as_channels,
    audio_info,
    check_sample_rate,
    check_source_paths,
    check_write_format,
    open_outputs,
)
from .config import SeparationConfig, make_config
from .dictionary import Dictionary, initial_activations, stack_dictionaries
from .errors import AudioError, AudioWarning, ParameterError
from .features import median_filter_lengths, percussive_mask
from .masks import MaskPrior, soft_masks, source_models
from .nmf import check_options
from .priors import dictionary_prior
from .spectral import STFTConfig, mixture_spectrogram, overlap_add, transform_frames
from .sweeps import _blas_limiter

__all__ = ["SourceStream", "stream", "stream_file", "DEFAULT_BLOCK_SIZE"]

DEFAULT_BLOCK_SIZE = 1 << 15
#: Samples (times channels) that :func:`stream_file` reads at a time, in whole
#: batches of ``block_size``: the activations of that many batches are solved
#: together, and the memory stays bounded.
FILE_SAMPLES = 1 << 21
#: Frames transformed, and whose complex sources are rebuilt, at a time: few
#: enough for the caches.
MASK_FRAMES = 64
#: Frames from which the channels' transforms and the sources' rebuilding run in
#: threads.
PARALLEL_FRAMES = 128


#: Over-relaxation of the activations' updates (:func:`nmfsep.activations.batch_activations`):
#: the same stopping tolerance in fewer iterations. Chosen on the tuning half of the
#: rendered categories, checked on the reporting half (docs/stream-relaxation.md,
#: ``python -m benchmarks.quality.stream_relaxation``).
RELAXATION = 1.9

#: Stopping tolerance of each batch's activations (``tol`` of
#: :func:`nmfsep.activations.batch_activations`), looser than the offline factorization's
#: :attr:`~nmfsep.config.SeparationConfig.tol`: fewer iterations for a change of quality
#: below what the benchmark's tables show. Chosen on the tuning half of the rendered
#: categories as the loosest tolerance whose worst category moves by at most
#: ``benchmarks.quality.stream_relaxation.NOISE_DB``, checked on the reporting half
#: (docs/stream-relaxation.md, ``python -m benchmarks.quality.stream_relaxation
#: --tolerances``).
TOLERANCE = 2e-4


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """A context in which BLAS runs in the calling thread alone (when threadpoolctl is there)."""
    limiter = _blas_limiter()
    return contextlib.nullcontext() if limiter is None else limiter(limits=1, user_api="blas")


def _each(fn: Callable[[int], None], items: Iterable[int], frames: int) -> None:
    """``fn(item)`` for every item: in threads (numpy and the FFTs release the GIL) when
    there are several and ``frames`` is enough to pay for them."""
    items = list(items)
    if len(items) < 2 or frames < PARALLEL_FRAMES:
        for item in items:
            fn(item)
        return
    with ThreadPoolExecutor(min(len(items), os.cpu_count() or 1)) as pool:
        for future in [pool.submit(fn, item) for item in items]:
            future.result()


def _extended(array: np.ndarray, extra: int) -> np.ndarray:
    """``array`` followed by ``extra`` zeros along its last axis: a fresh (calloc'd)
    array, into which only ``array`` is copied, not np.pad's explicit pass over the zeros."""
    out = np.zeros(array.shape[:-1] + (array.shape[-1] + extra,), dtype=array.dtype)
    out[..., : array.shape[-1]] = array
    return out


def _blocks_of(y: np.ndarray, block_size: int) -> Iterator[np.ndarray]:
    for start in range(0, y.shape[-1], block_size):
        yield y[..., start : start + block_size]


class SourceStream:
    """An iterator over blocks of separated sources.

    Each item is a float32 array of shape ``(n_sources, channels, n)``; laid end
    to end they have the length of the input and add up to it.  Made by
    :func:`stream`.

    Attributes
    ----------
    names : list of str
        The sources, in order (the dictionaries' names).
    sr : int
    stft : STFTConfig
    latency : int
        Samples of input needed beyond an output sample before it is final:
        ``n_fft``, and half the HPSS filter's frames when HPSS weighs the
        masks; add the input block size for the delay of a live stream.
    n_batches, n_frames : int
        Batches of frames and frames separated so far.
    frame_iterations : int
        The activations' iterations summed over those frames (each frame counts
        its batch's): over ``n_frames``, the mean a frame needed.
    """

    def __init__(self, blocks: Iterable[np.ndarray], sr: int, config: SeparationConfig,
                 stft: STFTConfig, batch_frames: int,
                 dictionaries: Sequence[Dictionary] | None = None,
                 relaxation: float = 1.0, tol: float | None = None,
                 prior: MaskPrior | None = None) -> None:
        self.W, self.labels, self.names = stack_dictionaries(dictionaries or config.dictionaries)
        self.sr = sr
        self.stft = stft
        self._hpss = prior  # its mask set for the frames being separated
        self._lengths = median_filter_lengths(sr, stft.hop, stft.n_bins, config.policy)
        # frames separated only once the input reaches this many beyond
        self._lookahead = 0 if prior is None else self._lengths.frames // 2
        self._history = np.zeros((stft.n_bins, 0), dtype=np.float32)  # V before the frames
        self.latency = stft.n_fft + self._lookahead * stft.hop
        self._blocks = iter(blocks)
        self._options = dict(beta=config.divergence(streamed=True),
                             max_iter=config.iterations(streamed=True),
                             tol=config.tol if tol is None else tol,
                             relaxation=relaxation)
        self._mask_power = config.mask_power
        self._power = config.spectrogram_power
        self._batch = batch_frames
        self._mid = stft.transform.m_num_mid
        self._next_frame = stft.transform.p_min
        start = self._frame_start(self._next_frame)
        self._channels: int | None = None
        self._buffer = np.zeros((0, -start))  # input samples from index self._buffer_start
        self._buffer_start = start
        self._output = np.zeros((len(self.names), 0, 0))
        self._output_start = start
        self._received = 0
        self._emitted = 0
        self._frames: np.ndarray | None = None  # the STFT of the frames being separated
        self._masks: np.ndarray | None = None  # and their masks
        self._done = False
        self.n_batches = self.n_frames = self.frame_iterations = 0

    @property
    def n_sources(self) -> int:
        """Number of sources."""
        return len(self.names)

    @property
    def prior(self) -> MaskPrior | None:
        """The HPSS expert beside the dictionaries (:func:`nmfsep.priors.dictionary_prior`),
        with the mask of the frames separated last; None without it."""
        return self._hpss

    def _frame_start(self, p: int) -> int:
        return p * self.stft.hop - self._mid

    def __iter__(self) -> SourceStream:
        return self

    def __next__(self) -> np.ndarray:
        while not self._done:
            block = next(self._blocks, None)
            if block is None:
                self._done = True
                out = self._advance(final=True)
            else:
                self._take(block)
                out = self._advance(final=False)
            if out.shape[-1]:
                return out
        raise StopIteration

    def _take(self, block: np.ndarray) -> None:
        block = as_channels(block)
        finite = np.isfinite(block).all(axis=0)
        if not finite.all():
            first = self._received + int(np.argmin(finite))
            raise AudioError(f"the input holds NaN or Inf samples (the first at sample {first}, "
                             f"{first / self.sr:.3f} s)")
        if self._channels is None:
            self._channels = block.shape[0]
            # float32, as as_channels gives the samples and as the offline transforms work
            self._buffer = np.zeros((self._channels, self._buffer.shape[1]), dtype=np.float32)
            self._output = np.zeros((self.n_sources, self._channels, 0), dtype=np.float32)
        elif block.shape[0] != self._channels:
            raise ParameterError(f"a block has {block.shape[0]} channels, the stream "
                                 f"{self._channels}")
        self._buffer = np.concatenate([self._buffer, block], axis=1)
        self._received += block.shape[1]

    def _advance(self, final: bool) -> np.ndarray:
        """Separate every frame the input now allows; return the samples made final."""
        if final and self._received == 0:  # no block, or only empty ones
            raise AudioError("the input has no samples")
        if self._channels is None:
            return np.zeros((self.n_sources, 0, 0), dtype=np.float32)
        n_fft, hop = self.stft.n_fft, self.stft.hop
        if final:
            # every frame that starts before the end, zero-padded as the offline STFT pads
            last = -(-(self._received + self._mid) // hop)  # first frame starting at/after end
            # and for the HPSS filter, the offline STFT's frames beyond, which add no sample
            offline_end = self.stft.transform.p_max(self.stft.padded_length(self._received))
            ahead = max(0, offline_end - last) if self._hpss is not None else 0
            needed = self._frame_start(last + ahead - 1) + n_fft - self._buffer_start
            short = needed - self._buffer.shape[1]
            if short > 0:
                self._buffer = _extended(self._buffer, short)
            end_frame = last + ahead
        else:
            available = self._buffer_start + self._buffer.shape[1]
            end_frame = (available - n_fft + self._mid) // hop + 1
            ahead = self._lookahead
        if self._next_frame < end_frame - ahead:
            # Threads of this module's own, each with one BLAS thread: BLAS's own threads,
            # idle between calls, would spin on the cores they need.
            with _one_blas_thread():
                self._separate_frames(self._next_frame, end_frame - ahead - self._next_frame,
                                      ahead)
            self._next_frame = end_frame - ahead
        final_until = self._received if final else min(self._received,
                                                       self._frame_start(self._next_frame))
        out = self._emit(final_until)
        # the input is kept until its samples are emitted (the last source is made from it)
        drop = min(final_until, self._frame_start(self._next_frame)) - self._buffer_start
        if drop > 0:
            self._buffer = self._buffer[:, drop:]
            self._buffer_start += drop
        return out

    def _separate_frames(self, first: int, count: int, ahead: int = 0) -> None:
        """Separate frames ``first:first + count``: batches of ``batch_frames``, solved jointly.

        ``ahead`` more frames are transformed for the HPSS filter alone.
        """
        X = self._spectrogram(first, count + ahead)
        V = mixture_spectrogram(X, self._power)
        if self._hpss is not None:
            self._set_percussive_mask(V, count)
        X, V = X[..., :count], np.ascontiguousarray(V[:, :count])
        sizes = self._batch_sizes(first, count)
        at = 0
        for size in sizes:  # each batch scaled by its own level, as a call of its own would be
            scale = float(np.ascontiguousarray(V[:, at : at + size]).mean(dtype=np.float64))
            if scale > 0:
                V[:, at : at + size] /= np.float32(scale)
            at += size
        H, n_iter = batch_activations(V, self.W, initial_activations(V, self.W.shape[1]),
                                      sizes, **self._options)
        self.n_batches += len(sizes)
        self.n_frames += count
        self.frame_iterations += int(np.dot(n_iter, sizes))
        self._rebuild(X, H, first)

    def _batch_sizes(self, first: int, count: int) -> list[int]:
        """Frames ``first:first + count`` cut into batches where the stream's grid cuts them.

        The grid's batches are ``batch_frames`` long and end where a block of as
        many frames lets the look-ahead frames in, so that the batches do not
        depend on how much input comes at a time: all of it at once, or one
        batch's block after another.
        """
        origin = self.stft.transform.p_min - self._lookahead
        sizes, at, end = [], first, first + count
        while at < end:
            cut = min(end, at + self._batch - (at - origin) % self._batch)
            sizes.append(cut - at)
            at = cut
        return sizes

    def _set_percussive_mask(self, V: np.ndarray, count: int) -> None:
        """The HPSS expert's mask of the first ``count`` frames of ``V``, as offline.

        The median across time of a frame reaches half its length on either
        side: the kept history before, ``V``'s frames beyond ``count`` after; at
        the recording's ends the filter extends them as the offline one does.
        """
        context = np.concatenate([self._history, V], axis=1)
        before = self._history.shape[1]
        mask = percussive_mask(context, self._lengths.frames, self._lengths.bins)
        self._hpss = replace(self._hpss, mask=mask[:, before : before + count])
        self._history = context[:, : before + count][:, -self._lookahead :].copy()

    def _spectrogram(self, first: int, count: int) -> np.ndarray:
        """The mixture's STFT frames ``first:first + count``, complex64, a thread per channel."""
        shape = (self._channels, self.stft.n_bins, count)
        if self._frames is None or self._frames.shape != shape:
            # kept for the next read of as many frames: the largest array of a read, too
            # large for the allocator to reuse its pages, would be faulted in afresh
            self._frames = np.empty(shape, dtype=np.complex64)
        X = self._frames

        def transform(channel: int) -> None:
            for a in range(0, count, MASK_FRAMES):  # a few frames at a time, in the caches
                b = min(count, a + MASK_FRAMES)
                X[channel, :, a:b] = transform_frames(self._buffer[channel], self.stft,
                                                      first + a, first + b,
                                                      origin=self._buffer_start)

        _each(transform, range(self._channels), count)
        return X

    def _rebuild(self, X: np.ndarray, H: np.ndarray, first: int) -> None:
        """Mask ``X`` (frames from ``first``) and overlap-add the sources into the output.

        All but the last: the masks sum to one and the inverse STFT is linear,
        so the last source is the input less the others (:meth:`_emit`).
        """
        n_fft, count = self.stft.n_fft, X.shape[-1]
        stop = self._frame_start(first + count - 1) + n_fft
        if stop - self._output_start > self._output.shape[-1]:
            grow = stop - self._output_start - self._output.shape[-1]
            self._output = _extended(self._output, grow)
        shape = (self.n_sources, self.stft.n_bins, count)
        if self._masks is None or self._masks.shape != shape:
            self._masks = np.empty(shape, dtype=np.float32)  # reused as self._frames is
        models = source_models(self.W, H, self.labels, self.n_sources, out=self._masks)
        if self._hpss is not None:
            self._hpss.weigh(models, self._mask_power)
        masks = soft_masks(models, self._mask_power, out=models)

        channels = X.shape[0]

        def add(task: int) -> None:
            source, channel = divmod(task, channels)
            for a in range(0, count, MASK_FRAMES):  # a few frames at a time, in the caches
                b = min(count, a + MASK_FRAMES)
                Y = X[channel, :, a:b] * masks[source, :, a:b]
                begin = self._frame_start(first + a)
                end = self._frame_start(first + b - 1) + n_fft
                self._output[source, channel,
                             begin - self._output_start : end - self._output_start] \
                    += overlap_add(Y, self.stft, begin, end, first_frame=first + a)

        _each(add, range((self.n_sources - 1) * channels), count)

    def _emit(self, until: int) -> np.ndarray:
        """Hand out output samples ``[emitted, until)`` and forget them."""
        begin = max(self._emitted, 0)
        if until <= begin:
            return np.zeros((self.n_sources, self._channels, 0), dtype=np.float32)
        a, b = begin - self._output_start, until - self._output_start
        out = self._output[..., a:b].astype(np.float32)
        mixture = self._buffer[:, begin - self._buffer_start : until - self._buffer_start]
        out[-1] = mixture - self._output[:-1, :, a:b].sum(axis=0)
        self._output = self._output[..., b:]
        self._output_start = until
        self._emitted = until
        return out


def stream(
    y: np.ndarray | Iterable[np.ndarray],
    sr: int,
    dictionaries: Sequence[Dictionary] | None = None,
    *,
    config: SeparationConfig | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    relaxation: float = RELAXATION,
    tol: float = TOLERANCE,
    **options: Any,
) -> SourceStream:
    """Separate a recording block by block with fixed dictionaries (supervised).

    Parameters
    ----------
    y : np.ndarray or iterable of np.ndarray
        The whole mixture, shape=(samples,) or (channels, samples), cut here
        into blocks of ``block_size``; or any iterable of such blocks (for
        example from :func:`soundfile.blocks`, transposed), of any lengths and
        the same number of channels.
    sr : int
    dictionaries : sequence of Dictionary, optional
        One per source; every source must have one (no free components).
        Or give them in ``config``.
    config : SeparationConfig, optional
        The separation's parameters (``beta``, ``mask_power``,
        ``spectrogram_power``, ``max_iter``, ``n_fft``, ``hop``, ``window``);
        ``options`` replace some of them.  Its ``tol`` is the offline
        factorization's; the stream's is ``tol`` below.  Without ``beta`` the
        activations are fitted under Kullback-Leibler, under which the
        relaxation and tolerance were chosen (offline, a supervised separation
        defaults to the policy's ``dictionary_beta``:
        :meth:`~nmfsep.config.SeparationConfig.divergence`).
    block_size : int
        Samples per block when ``y`` is an array; also the frames of a batch
        (``block_size // hop``), the frames whose objective decides when their
        iterations stop.  The batches a block completes are solved together.
        Latency: an output sample is final once the input reaches ``n_fft``
        samples beyond it, and half the HPSS filter's frames more with a drum
        dictionary (:attr:`SourceStream.latency`); each block's final samples
        come out as soon as that block is in, so a live stream's delay is the
        block plus that latency.
    relaxation : float in [1, 2)
        Over-relaxation of the activations' updates
        (:func:`nmfsep.activations.batch_activations`); 1 is the plain update of
        the offline separation, which the stream then matches with the same
        iterations.
    tol : float
        Each batch of frames stops when its objective fell by at most ``tol``
        times its last value over the last ten iterations (the ``check_every``
        of :func:`nmfsep.activations.batch_activations`, as
        :func:`nmfsep.nmf.factorize` stops); 0 runs ``max_iter`` iterations.  The
        default, :data:`TOLERANCE`, is looser than the offline factorization's.
    **options
        Fields of :class:`~nmfsep.config.SeparationConfig`.

    Returns
    -------
    SourceStream
        Iterate it for blocks of shape ``(n_sources, channels, n)``.

    Raises
    ------
    ParameterError
        If a dictionary does not fit ``sr`` or the STFT parameters, or a
        parameter is out of range.
    """
    check_sample_rate(sr, "stream")
    if not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ParameterError(f"block_size must be a positive integer, got {block_size!r}")
    relaxation = check_relaxation(relaxation)
    check_options(tol=tol)
    if dictionaries is not None:
        options["dictionaries"] = dictionaries
    config = make_config(config, **options)
    if not config.supervised or config.n_free_components:
        raise ParameterError("a stream needs a dictionary for every source and no free "
                             "components")
    plan = config.resolve(sr=int(sr), n_samples=0)
    stft = plan.stft
    if isinstance(y, np.ndarray):
        y = _blocks_of(as_channels(y), int(block_size))
    return SourceStream(y, int(sr), config, stft,
                        batch_frames=max(1, int(block_size) // stft.hop),
                        dictionaries=plan.dictionaries, relaxation=relaxation, tol=tol,
                        prior=dictionary_prior(plan))


def stream_file(
    path_in: str | os.PathLike,
    out_paths: Sequence[str | os.PathLike],
    dictionaries: Sequence[Dictionary] | None = None,
    *,
    config: SeparationConfig | None = None,
    force: bool = False,
    subtype: str | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    tol: float = TOLERANCE,
    callback: Callable[[int, int], None] | None = None,
    **options: Any,
) -> dict:
    """Separate an audio file of any length with :func:`stream`, one output file per source.

    The input is read and the outputs written a block at a time, so memory
    does not grow with the file's length.  Each output goes to a temporary
    file beside it and is renamed into place at the end; on any error no
    partial output is left.

    Parameters
    ----------
    path_in : path
        Any format libsndfile reads.
    out_paths : sequence of paths
        One ``.wav`` or ``.flac`` per dictionary, in order.
    dictionaries : sequence of Dictionary, optional
        Or give them in ``config``.
    config : SeparationConfig, optional
        As in :func:`stream`, with ``options`` replacing some of its fields.
    force : bool
        Overwrite existing outputs.
    subtype : str, optional
        soundfile subtype; float WAV and 24-bit FLAC by default.
    block_size : int
        Samples per batch of frames, as in :func:`stream`.  The file is read
        ``FILE_SAMPLES // channels`` samples at a time, rounded down to whole
        batches (at least one), and the batches of each read are solved
        together; that bounds the memory.
    tol : float
        Each batch's stopping tolerance, as in :func:`stream`.
    callback : callable(samples_done, samples_total), optional
        Progress, after every read.
    **options
        Fields of :class:`~nmfsep.config.SeparationConfig` (``beta``,
        ``max_iter``, ``mask_power``, …).

    Returns
    -------
    dict
        ``sr``, ``channels``, ``n_samples``, ``names``, ``paths``, ``stft``, the
        activations' stopping ``tol`` and ``relaxation``, ``mask_experts``
        (:meth:`nmfsep.masks.MaskPrior.describe`, or None), the
        ``percussive_prior`` applied (0 without the HPSS expert) and ``activations``:
        the ``batches`` and ``frames`` solved and their ``frame_iterations``
        (:class:`SourceStream`).

    Warns
    -----
    AudioWarning
        If the input is silent (every sample zero): the outputs are silent too.

    Raises
    ------
    AudioError
        If the input cannot be read or holds non-finite samples.
    OutputError
        If an output exists (without ``force``) or cannot be written.
    ParameterError
        If the outputs do not match the dictionaries or a dictionary does not fit.
    """
    path_in = Path(path_in)
    out_paths = check_source_paths(out_paths, path_in, force)  # never the input
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) \
            or block_size < 1:
        raise ParameterError(f"block_size must be a positive number of samples, not "
                             f"{block_size!r}")
    if dictionaries is not None:
        options["dictionaries"] = dictionaries
    config = make_config(config, **options)
    count = len(config.dictionaries or ())
    if len(out_paths) != count:
        raise ParameterError(f"{len(out_paths)} output paths for {count} "
                             f"dictionaries; give one path per source")
    sr, channels, total = audio_info(path_in)
    for path in out_paths:
        check_write_format(path, channels, sr)
    read_size = block_size * max(1, FILE_SAMPLES // (block_size * channels))
    separated = stream(_file_blocks(path_in, read_size), sr, config=config,
                       block_size=block_size, tol=tol)
    done = 0
    with contextlib.ExitStack() as stack:
        sinks = open_outputs(stack, out_paths, sr, channels, force=force, subtype=subtype)
        # A block is written while the next is separated (one at a time, in order); the
        # writer is left, its last block written, before the outputs close or are removed.
        writer = stack.enter_context(ThreadPoolExecutor(1))
        writing = None
        heard = False
        for block in _named(separated, path_in):
            if writing is not None:
                writing.result()
            writing = writer.submit(_write_block, sinks, block)
            done += block.shape[-1]
            heard = heard or bool(block.any())
            if callback is not None:
                callback(done, max(total, done))
        if writing is not None:
            writing.result()
        for sink in sinks:
            sink.close()
    if not heard:  # the sources add up to the input: it is silent
        warnings.warn(f"{path_in}: the recording is silent: every source is silence",
                      AudioWarning, stacklevel=2)
    prior = separated.prior
    return dict(sr=sr, channels=channels, n_samples=done, names=separated.names,
                paths=out_paths, stft=separated.stft, tol=tol, relaxation=RELAXATION,
                mask_experts=None if prior is None else prior.describe(),
                percussive_prior=0.0 if prior is None else prior.strength,
                activations=dict(batches=separated.n_batches, frames=separated.n_frames,
                                 frame_iterations=separated.frame_iterations))


def _named(blocks: Iterator[np.ndarray], path: Path) -> Iterator[np.ndarray]:
    """``blocks``, an audio error among them said of ``path``."""
    try:
        yield from blocks
    except AudioError as exc:
        if str(exc).startswith(f"{path}:"):
            raise
        raise AudioError(f"{path}: {exc}") from None


def _write_block(sinks: Sequence[OutputSink], block: np.ndarray) -> None:
    """Each source of ``block`` (sources, channels, n) to its output."""
    for sink, samples in zip(sinks, block, strict=True):
        sink.write(samples)


def _file_blocks(path: Path, block_size: int) -> Iterator[np.ndarray]:
    try:
        with sf.SoundFile(str(path)) as handle:
            while True:
                block = handle.read(block_size, dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    return
                yield block.T
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"{path}: corrupt or truncated audio data ({exc})") from None
