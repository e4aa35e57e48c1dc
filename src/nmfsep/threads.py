"""Threads for nmfsep's own loops: how many, and running independent pieces in them.

numpy's array operations, BLAS and scipy's FFTs release the GIL on large
arrays, so independent pieces of work (frame ranges of a sweep, the channels
or sources of a transform) run in parallel in Python threads; each piece is
computed exactly as it would be alone, so the results do not depend on the
number of threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["default_threads", "split_ranges", "run_split"]


def default_threads() -> int:
    """Threads for nmfsep's loops: the cores this process may use, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def split_ranges(n_items: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ranges as equal as can be, covering ``range(n_items)``.

    Empty ranges are left out, so fewer ranges come back when ``n_items < parts``.
    """
    parts = max(1, min(parts, n_items))
    edges = [round(i * n_items / parts) for i in range(parts + 1)]
    return [(edges[i], edges[i + 1]) for i in range(parts) if edges[i + 1] > edges[i]]


def run_split(task: Callable[[int, int], None], n_items: int, *,
              threads: int | None = None) -> None:
    """Call ``task(start, stop)`` over contiguous ranges covering ``range(n_items)``.

    The ranges run in parallel threads (one range each, ``threads`` at most,
    :func:`default_threads` by default); with one range, in the calling
    thread.  The first exception raised by a task is raised here.

    Parameters
    ----------
    task : callable(start, stop) -> None
        Works on items ``start:stop`` alone (the ranges share nothing it writes).
    n_items : int
    threads : int, optional
    """
    ranges = split_ranges(n_items, default_threads() if threads is None else threads)
    if len(ranges) <= 1:
        for start, stop in ranges:
            task(start, stop)
        return
    with ThreadPoolExecutor(len(ranges), thread_name_prefix="nmfsep") as pool:
        for future in [pool.submit(task, start, stop) for start, stop in ranges]:
            future.result()
