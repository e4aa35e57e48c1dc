"""Short-time Fourier transform with perfect reconstruction.

The frames, phases, sample ranges and canonical dual window of
:class:`scipy.signal.ShortTimeFFT` (:mod:`nmfsep.stft_grid` computes them
without importing scipy.signal), so that ``istft(stft(y))`` gives back ``y``
for any length.  The transforms themselves are computed here, many frames to
one FFT call (:func:`transform_frames`, :func:`overlap_add`): ShortTimeFFT's
own methods make one FFT call per frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from .errors import ParameterError
from .stft_grid import FrameGrid, window
from .threads import default_threads, run_split

__all__ = ["STFTConfig", "stft", "istft", "default_n_fft", "mixture_spectrogram",
           "transform_frames", "overlap_add", "stft_frames", "istft_samples", "frame_margin",
           "frame_samples", "frame_blocks", "grid_positions", "BLOCK_FRAMES", "Reader"]

#: callable(start, stop) -> samples ``start:stop`` of a signal, shape=(channels, stop - start).
Reader = Callable[[int, int], np.ndarray]

#: Frames per block of the passes that hold one block at a time (about 12 s at
#: 44.1 kHz with the default 93 ms frames).  Small enough that a stereo block's
#: complex frames stay under glibc's largest mmap threshold (32 MiB): the
#: allocator then reuses the memory of one block for the next instead of
#: mapping, faulting in and unmapping fresh pages for each (docs/performance.md
#: measures the rebuild at several block lengths).
BLOCK_FRAMES = 512

#: Frames per FFT call of :func:`overlap_add` (bounds its temporaries to a few
#: times ``channels × n_fft × 64`` floats; the order of its sums depends on it).
CHUNK_FRAMES = 64

#: Frames per FFT call of :func:`transform_frames` (each frame's FFT is the same
#: whatever the chunk; fewer calls cost less).
TRANSFORM_CHUNK_FRAMES = 32

#: Frames (summed over channels or sources) from which :func:`transform_frames` takes
#: its signals in parallel threads
#: (:func:`nmfsep.threads.run_split`); the results are the same either way.
PARALLEL_FRAMES = 512

#: Frames per inverse FFT call from which :func:`overlap_add` lets scipy's FFT
#: use several threads (each transform is the same either way).
PARALLEL_FFT_FRAMES = 64


def default_n_fft(sr: int) -> int:
    """The power of two nearest to 93 ms at ``sr`` (4096 at 44.1 kHz, 2048 at 22.05 kHz).

    Chosen with the quality benchmark (``docs/benchmarks.md``): against 46 ms
    frames, separation with oracle grouping is better in every category and
    the default blind separation in three of four.
    """
    return int(2 ** max(6, round(np.log2(0.0929 * sr))))


@dataclass(frozen=True)
class STFTConfig:
    """STFT parameters: frame length ``n_fft``, ``hop`` and ``window`` name.

    Raises
    ------
    ParameterError
        If the window and hop cannot reconstruct the signal.
    """

    n_fft: int = 2048
    hop: int = 512
    window: str = "hann"

    def __post_init__(self) -> None:
        if int(self.n_fft) < 16:
            raise ParameterError(f"n_fft must be at least 16, got {self.n_fft}")
        if not 1 <= int(self.hop) <= int(self.n_fft) // 2:
            raise ParameterError(
                f"hop must be between 1 and n_fft/2 = {self.n_fft // 2} for the frames to "
                f"overlap and reconstruct the signal, got {self.hop}"
            )
        try:
            window(self.window, 8)
        except (ValueError, TypeError):
            raise ParameterError(f"unknown window {self.window!r}") from None

    @property
    def n_bins(self) -> int:
        """Number of frequency bins, ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    @cached_property
    def transform(self) -> FrameGrid:
        """The windows and frame grid of :class:`scipy.signal.ShortTimeFFT` for these parameters."""
        return FrameGrid(window(self.window, self.n_fft), self.hop)

    def padded_length(self, n_samples: int) -> int:
        """Signals shorter than one frame are zero-padded to one frame."""
        return max(int(n_samples), self.n_fft)

    def n_frames(self, n_samples: int) -> int:
        """Number of frames the STFT of ``n_samples`` samples has."""
        length = self.padded_length(n_samples)
        return self.transform.p_max(length) - self.transform.p_min


def stft(y: np.ndarray, config: STFTConfig) -> np.ndarray:
    """Complex STFT of every channel.

    Parameters
    ----------
    y : np.ndarray, shape=(..., samples)
    config : STFTConfig

    Returns
    -------
    X : np.ndarray, shape=(..., n_bins, n_frames), complex64 for float32 input
    """
    y = np.asarray(y)
    if y.shape[-1] < 1:
        raise ParameterError("cannot take the STFT of a signal with no samples")
    short = config.padded_length(y.shape[-1]) - y.shape[-1]
    if short:
        y = np.concatenate([y, np.zeros((*y.shape[:-1], short), dtype=y.dtype)], axis=-1)
    transform = config.transform
    return transform_frames(y, config, transform.p_min, transform.p_max(y.shape[-1]))


def istft(X: np.ndarray, config: STFTConfig, n_samples: int) -> np.ndarray:
    """Inverse STFT, exact for any ``X`` that :func:`stft` made.

    Parameters
    ----------
    X : np.ndarray, shape=(..., n_bins, n_frames)
    config : STFTConfig
    n_samples : int
        Length of the signal to rebuild.

    Returns
    -------
    y : np.ndarray, shape=(..., n_samples), float32 for complex64 input
    """
    return overlap_add(X, config, 0, config.padded_length(n_samples))[..., :n_samples]


def _real_dtype(dtype: np.dtype) -> type:
    return np.float32 if dtype in (np.float32, np.complex64) else np.float64


def transform_frames(x: np.ndarray, config: STFTConfig, p0: int, p1: int, *,
                     origin: int = 0) -> np.ndarray:
    """Frames ``p0:p1`` of the STFT of ``x``: ``config.transform.stft(x, p0=p0, p1=p1)``.

    Frame ``p`` is centred on sample ``p * hop``; samples outside ``x`` are zeros.

    Parameters
    ----------
    x : np.ndarray, shape=(..., samples), real
    config : STFTConfig
    p0, p1 : int
        Frame range, in ShortTimeFFT's numbering (the first frame of a whole
        signal is ``config.transform.p_min``).
    origin : int
        The sample of the signal that ``x[..., 0]`` is, when ``x`` is a piece
        of it (a stream's buffer).

    Returns
    -------
    np.ndarray, shape=(..., n_bins, p1 - p0), complex64 for float32 input, else complex128
    """
    transform = config.transform
    hop, width, middle = config.hop, transform.m_num, transform.m_num_mid
    real = _real_dtype(np.asarray(x).dtype)
    x = np.asarray(x, dtype=real)
    count = max(0, p1 - p0)
    out = np.empty((*x.shape[:-1], config.n_bins, count),
                   dtype=np.complex64 if real is np.float32 else np.complex128)
    if count == 0:
        return out
    begin, end = p0 * hop - middle - origin, (p1 - 1) * hop - middle + width - origin
    piece = x[..., max(0, begin) : max(0, min(x.shape[-1], end))]
    before = max(0, -begin)
    after = end - begin - before - piece.shape[-1]
    if before or after:
        piece = np.pad(piece, [(0, 0)] * (x.ndim - 1) + [(before, after)])
    window = np.roll(transform.win.real.astype(real), -middle)
    signals = piece.reshape(-1, piece.shape[-1])
    spectra = out.reshape(-1, config.n_bins, count)

    def transform_signals(lo: int, hi: int) -> None:
        frames = sliding_window_view(signals[lo:hi], width, axis=-1)[..., ::hop, :]
        for first in range(0, count, TRANSFORM_CHUNK_FRAMES):
            last = min(count, first + TRANSFORM_CHUNK_FRAMES)
            chunk = np.roll(frames[:, first:last, :], -middle, axis=-1)
            chunk *= window
            spectra[lo:hi, :, first:last] = np.swapaxes(
                scipy.fft.rfft(chunk, n=config.n_fft, axis=-1), -1, -2)

    run_split(transform_signals, len(signals), threads=_threads(len(signals) * count))
    return out


def overlap_add(X: np.ndarray, config: STFTConfig, k0: int, k1: int, *,
                first_frame: int | None = None) -> np.ndarray:
    """Samples ``k0:k1`` of the inverse STFT: ``config.transform.istft(X, k0=k0, k1=k1)``.

    Parameters
    ----------
    X : np.ndarray, shape=(..., n_bins, frames)
        Column ``i`` is frame ``first_frame + i``.
    config : STFTConfig
    k0, k1 : int
        Sample range (``k1 - k0`` at least half a window, as ShortTimeFFT
        asks), from the first sample of frame ``first_frame`` to the last of
        ``X``'s last frame.
    first_frame : int, optional
        The frame of ``X``'s first column: ``config.transform.p_min``, the
        first frame of a whole signal, unless ``X`` holds later frames alone
        (a stream's batch); the frames before it count as zeros.

    Returns
    -------
    np.ndarray, shape=(..., k1 - k0), float32 for complex64 input, else float64
    """
    transform = config.transform
    hop, width, middle = config.hop, transform.m_num, transform.m_num_mid
    p_min = transform.p_min if first_frame is None else first_frame
    k_min = p_min * hop - middle  # where frame p_min begins: transform.k_min for a whole signal
    real = _real_dtype(X.dtype)
    q_max = X.shape[-1] + p_min
    k_max = (q_max - 1) * hop + width - middle
    if not k_min <= k0 < k1 <= k_max or k1 - k0 < width - middle:
        raise ValueError(f"samples {k0}:{k1} are not within {k_min}:{k_max}, "
                         f"or fewer than half a window")
    q0 = max(p_min, (k0 + middle - width) // hop + 1)  # the first frame reaching sample k0
    q1 = min(-(-(k1 + middle) // hop), q_max)  # the first frame starting at or after k1
    origin = q0 * hop - middle  # the sample where frame q0 begins
    length = (q1 - q0 - 1) * hop + width
    out = np.zeros((*X.shape[:-2], max(length, 0)), dtype=real)
    window = transform.dual_win.real.astype(real)[:, np.newaxis]
    # Frames as rows (irfft along the last axis): a hop-long slice of every frame
    # of a chunk is then added to the output as one (frames, hop) view, no copy.
    by_rows = width % hop == 0 and middle % hop == 0 and width <= config.n_fft
    # the inverse FFTs of a chunk in scipy's threads (the adds hold the GIL)
    batch = int(np.prod(X.shape[:-2])) * min(CHUNK_FRAMES, q1 - q0)
    workers = default_threads() if batch >= PARALLEL_FFT_FRAMES else 1
    for first in range(q0, q1, CHUNK_FRAMES):
        last = min(q1, first + CHUNK_FRAMES)
        start = (first - q0) * hop
        chunk = X[..., first - p_min : last - p_min]
        if by_rows:  # the rolled frame's r-th slice is a slice of the frame itself
            rows = scipy.fft.irfft(np.swapaxes(chunk, -1, -2), n=config.n_fft, axis=-1,
                                   workers=workers)
            count = last - first
            for r in range(width // hop):
                source = (r * hop - middle) % config.n_fft
                piece = rows[..., source : source + hop]
                piece *= window[r * hop : (r + 1) * hop, 0]
                at = start + r * hop
                target = out[..., at : at + count * hop]
                target = target.reshape(*target.shape[:-1], count, hop)
                target += piece
            continue
        frames = scipy.fft.irfft(chunk, n=config.n_fft, axis=-2, workers=workers)
        frames = np.roll(frames, middle, axis=-2)[..., :width, :]
        frames *= window
        if width % hop == 0:  # each hop-long slice of the frames, laid end to end
            count = last - first
            for r in range(width // hop):
                slices = np.swapaxes(frames[..., r * hop : (r + 1) * hop, :], -1, -2)
                at = start + r * hop
                out[..., at : at + count * hop] += slices.reshape(*slices.shape[:-2], -1)
        else:
            for j in range(last - first):
                at = start + j * hop
                out[..., at : at + width] += frames[..., :, j]
    result = np.zeros((*X.shape[:-2], k1 - k0), dtype=real)
    lo, hi = max(k0, origin), min(k1, origin + length)
    if hi > lo:
        result[..., lo - k0 : hi - k0] = out[..., lo - origin : hi - origin]
    return result


def _threads(signal_frames: int) -> int | None:
    """Threads for a transform of this many frames in all: one for short transforms."""
    return None if signal_frames >= PARALLEL_FRAMES else 1


def mixture_spectrogram(X: np.ndarray, power: float = 1.0) -> np.ndarray:
    """The non-negative matrix to factorize: channel-summed spectrogram.

    Parameters
    ----------
    X : np.ndarray, shape=(channels, n_bins, n_frames), complex
    power : float
        1 for magnitude, 2 for power; the channels are combined in power,
        ``V = (sum_c |X_c|^2) ** (power / 2)``, so the stereo image does not
        cancel.

    Returns
    -------
    V : np.ndarray, shape=(n_bins, n_frames), real
    """
    channels = X.reshape(int(np.prod(X.shape[:-2])), *X.shape[-2:])
    energy = np.empty(X.shape[-2:], dtype=X.real.dtype)

    def combine(lo: int, hi: int) -> None:
        # per channel re^2 + im^2, then the channels in order: the sums of the plain
        # formula, in buffers of these rows instead of four temporaries per channel
        rows, squares, imag = energy[lo:hi], np.empty_like(energy[lo:hi]), None
        for index, channel in enumerate(channels[:, lo:hi]):
            target = rows if index == 0 else squares
            np.multiply(channel.real, channel.real, out=target)
            imag = np.multiply(channel.imag, channel.imag, out=imag)
            target += imag
            if index:
                rows += squares
        if power == 1:
            np.sqrt(rows, out=rows)
        elif power != 2:
            np.power(rows, power / 2, out=rows)

    run_split(combine, energy.shape[0], threads=_threads(channels.shape[0] * X.shape[-1]))
    return energy


def grid_positions(source: STFTConfig, target: STFTConfig, first: int,
                   last: int) -> tuple[np.ndarray, np.ndarray]:
    """Where ``target``'s frames ``first:last`` and bins fall in ``source``'s grid.

    Frames are matched by their centres in time and bins by frequency, so the
    positions are fractional: ``source`` frame 2.5 lies halfway between its
    frames 2 and 3.

    Returns
    -------
    frames : np.ndarray, shape=(last - first,)
        Fractional frame indices of ``source``.
    bins : np.ndarray, shape=(target.n_bins,)
        Fractional bin indices of ``source``.
    """
    centres = (np.arange(first, last) + target.transform.p_min) * target.hop
    frames = centres / source.hop - source.transform.p_min
    bins = np.arange(target.n_bins) * (source.n_fft / target.n_fft)
    return frames, bins


def frame_blocks(n_frames: int, block: int) -> Iterator[tuple[int, int]]:
    """``(first, last)`` of consecutive blocks of ``block`` frames covering ``n_frames``."""
    for first in range(0, n_frames, block):
        yield first, min(n_frames, first + block)


def frame_margin(config: STFTConfig) -> int:
    """Frames on each side of a block whose windows can reach into it."""
    return -(-config.n_fft // config.hop) + 1


def frame_samples(config: STFTConfig, n_samples: int, first: int, last: int) -> tuple[int, int]:
    """The samples :func:`stft_frames` reads for frames ``first:last``; ``start`` on a hop."""
    transform = config.transform
    start = max(0, first - frame_margin(config)) * config.hop
    stop = min(n_samples, (transform.p_min + last - 1) * config.hop - transform.m_num_mid
               + transform.m_num)
    return start, stop


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
        Frame range, as columns of :func:`stft` of the whole signal.

    Returns
    -------
    np.ndarray, shape=(channels, bins, last - first), complex64
        Equal to ``stft(y, config)[..., first:last]``.
    """
    start, stop = frame_samples(config, n_samples, first, last)
    shift = start // config.hop  # the piece starts at frame shift's hop
    piece = np.asarray(read(start, stop), dtype=np.float32)
    p_min = config.transform.p_min
    return transform_frames(piece, config, p_min + first - shift, p_min + last - shift)


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
