"""One file of a batch: separate it into a folder and return its record.

This is the only place where the batch calls the separation library.  The
batch machinery (:mod:`nmfsep.batch.worker`) gives :func:`separate_track` a
fresh, empty staging folder and publishes what it writes there into the
track's folder afterwards, so this function needs to know nothing about
atomicity across files, retries or the manifest.
"""

from __future__ import annotations

from pathlib import Path

from ..export import separate_track as separate_into
from ..resources import plan_memory

__all__ = ["separate_track", "task_memory", "RECORD_NAME"]

#: The record of a track, written last.
RECORD_NAME = "separation.json"


def separate_track(input_path: Path, track_dir: Path, options) -> dict:
    """Separate ``input_path`` and write its sources and record into ``track_dir``.

    Parameters
    ----------
    input_path : Path
        The audio file.
    track_dir : Path
        An existing, empty folder: receives ``<name>.<format>`` per source and
        ``separation.json`` (:func:`nmfsep.export.separate_track`).
    options : TrackOptions

    Returns
    -------
    dict
        The record written to ``separation.json``.

    Raises
    ------
    NmfsepError
        Naming the file and the problem (unreadable audio, bad parameters...).
    """
    return separate_into(input_path, track_dir, config=options.config,
                         names=list(options.names), fmt=options.format, stream=options.stream,
                         force=True)


def task_memory(frames: int, channels: int, sr: int, options) -> int:
    """Peak bytes :func:`separate_track` needs for a file of this size.

    Parameters
    ----------
    frames, channels, sr : int
        From the file's header.
    options : TrackOptions

    Returns
    -------
    int
        What the pipeline's memory plan needs at the least (block by block
        when the whole STFT would not fit; :func:`nmfsep.resources.plan_memory`).
    """
    plan = options.config.resolve(sr=sr, n_samples=frames)
    memory = plan_memory(frames, channels=channels, sr=sr, n_sources=plan.n_sources,
                         n_components=plan.n_components, n_fft=plan.stft.n_fft,
                         hop=plan.stft.hop, n_runs=plan.n_runs, keep_sources=False,
                         signal_bytes=8 * channels * frames, max_memory=2**62)
    return min(memory.in_memory, memory.streamed)
