"""Running medians of short windows along one axis of a 2-D array, exactly and in threads.

The HPSS features (:func:`nmfsep.features.percussive_mask`) filter the whole
spectrogram with running medians across time and across frequency.  scipy's
rank filter does it one line at a time and holds the GIL, so it uses one
core.  Here the median of each window of ``length`` values is taken by a
selection network: the ``length`` shifted views of the padded array go
through a fixed sequence of element-wise minima and maxima (Batcher's
odd-even merge sort, pruned to the comparisons the middle output depends
on).  Each step is a numpy ufunc over a block of rows that stays in the
cache, and the blocks run in threads (:mod:`nmfsep.threads`).

A median selects one of its inputs, so the result is identical to
``scipy.ndimage.median_filter`` with a ``(1, length)`` or ``(length, 1)``
footprint, value for value; ``tests/test_running_median.py`` holds it to that.

>>> import numpy as np
>>> from nmfsep.running_median import running_median
>>> running_median(np.array([[1.0, 9.0, 2.0, 8.0, 3.0]]), 3, axis=1)
array([[1., 2., 8., 3., 3.]])
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .threads import run_split

__all__ = ["running_median", "median_network", "MAX_NETWORK_LENGTH"]

#: Longest window taken by a network; longer ones go to scipy's rank filter
#: (the network's size grows as length · log² length).
MAX_NETWORK_LENGTH = 33

#: Values per block of rows: every shifted view of a block stays in the cache.
BLOCK_VALUES = 1 << 16

#: scipy.ndimage's edge modes and numpy.pad's names for the same extension.
_PAD_MODES = {"nearest": "edge", "reflect": "symmetric", "mirror": "reflect", "wrap": "wrap"}

#: Arrays smaller than this are filtered in the calling thread.
_PARALLEL_VALUES = 1 << 18


@cache
def median_network(length: int) -> tuple[tuple[int, int, bool, bool], ...]:
    """The comparators that take the median of ``length`` values (``length`` odd).

    Batcher's odd-even merge sort on the next power of two, with the
    comparators against the padding (infinite values) left out, pruned back
    from the middle wire: only the comparators it depends on remain, and of
    each only the outputs that are used later.

    Returns
    -------
    tuple of (low, high, keep_min, keep_max)
        In order: wire ``low`` takes the minimum of wires ``low`` and ``high``
        (when ``keep_min``), wire ``high`` the maximum (when ``keep_max``).
        After the last one, wire ``length // 2`` holds the median.
    """
    if length < 1 or length % 2 == 0:
        raise ValueError(f"a median network needs an odd length, got {length}")
    size = 1
    while size < length:
        size *= 2
    pairs = []
    merged = 1
    while merged < size:
        step = merged
        while step >= 1:
            for j in range(step % merged, size - step, 2 * step):
                for i in range(min(step, size - j - step)):
                    if (i + j) // (2 * merged) == (i + j + step) // (2 * merged):
                        pairs.append((i + j, i + j + step))
            step //= 2
        merged *= 2
    needed = {length // 2}
    network = []
    for low, high in reversed([(a, b) for a, b in pairs if b < length]):
        keep_min, keep_max = low in needed, high in needed
        if keep_min or keep_max:
            network.append((low, high, keep_min, keep_max))
            needed |= {low, high}
    return tuple(reversed(network))


def running_median(V: np.ndarray, length: int, axis: int,
                   mode: str = "nearest", *, threads: int | None = None) -> np.ndarray:
    """Median of every window of ``length`` values along ``axis`` of a 2-D array.

    Parameters
    ----------
    V : np.ndarray, shape=(rows, columns), finite
    length : int
        Odd window length, centred on each value.
    axis : {0, 1}
    mode : {"nearest", "reflect", "mirror", "wrap"}
        How the edges are extended, with scipy.ndimage's meaning.
    threads : int, optional
        Threads over blocks of rows; by default :func:`nmfsep.threads.default_threads`
        for a large array, else one.

    Returns
    -------
    np.ndarray, shape=V.shape, dtype of V
        Identical to ``scipy.ndimage.median_filter(V, size, mode=mode)`` with
        ``size`` ``(1, length)`` for axis 1 or ``(length, 1)`` for axis 0.
    """
    V = np.asarray(V)
    if axis not in (0, 1) or V.ndim != 2:
        raise ValueError(f"running_median works along axis 0 or 1 of a 2-D array, "
                         f"got axis {axis} of shape {V.shape}")
    half = length // 2
    if (length % 2 == 0 or length > MAX_NETWORK_LENGTH or mode not in _PAD_MODES
            or V.shape[axis] <= half or V.size == 0):
        return _scipy_median(V, length, axis, mode)
    widths = [(0, 0), (0, 0)]
    widths[axis] = (half, half)
    padded = np.pad(V, widths, mode=_PAD_MODES[mode])
    out = np.empty_like(V)
    rows = max(1, BLOCK_VALUES // max(1, V.shape[1]))
    network = median_network(length)
    n_rows, n_columns = V.shape

    def windows(first: int, last: int) -> list[np.ndarray]:
        if axis == 0:
            return [padded[first + shift : last + shift] for shift in range(length)]
        return [padded[first:last, shift : shift + n_columns] for shift in range(length)]

    def task(first_row: int, last_row: int) -> None:
        buffers = np.empty((length + 1, min(rows, last_row - first_row), n_columns),
                           dtype=V.dtype)
        for first in range(first_row, last_row, rows):
            last = min(first + rows, last_row)
            wires = windows(first, last)
            _select(wires, buffers[:, : last - first], network)
            out[first:last] = wires[length // 2]

    if V.size < _PARALLEL_VALUES and threads is None:
        threads = 1
    run_split(task, n_rows, threads=threads)
    return out


def _select(wires: list[np.ndarray], buffers: np.ndarray,
            network: tuple[tuple[int, int, bool, bool], ...]) -> None:
    """Run the comparators on ``wires`` (views of the input at first), in place.

    ``buffers`` holds one more block than there are wires: a wire's result goes
    into a free block (or over the wire's own block), never into the input.
    """
    free = list(range(len(buffers)))
    slot: list[int | None] = [None] * len(wires)

    def take(wire: int) -> np.ndarray:
        if slot[wire] is None:
            slot[wire] = free.pop()
        return buffers[slot[wire]]

    for low, high, keep_min, keep_max in network:
        a, b = wires[low], wires[high]
        if keep_min and keep_max:
            spare = free.pop()
            np.minimum(a, b, out=buffers[spare])
            wires[high] = np.maximum(a, b, out=take(high))
            if slot[low] is not None:
                free.append(slot[low])
            slot[low] = spare
            wires[low] = buffers[spare]
        elif keep_min:
            wires[low] = np.minimum(a, b, out=take(low))
        else:
            wires[high] = np.maximum(a, b, out=take(high))


def _scipy_median(V: np.ndarray, length: int, axis: int, mode: str) -> np.ndarray:
    """The running median by scipy's one-dimensional rank filter, line by line."""
    from scipy.ndimage import median_filter

    lines = np.ascontiguousarray(V if axis == 1 else V.T)
    out = np.empty_like(lines)
    for row, line in enumerate(lines):
        median_filter(line, size=length, mode=mode, output=out[row])
    return out if axis == 1 else np.ascontiguousarray(out.T)
