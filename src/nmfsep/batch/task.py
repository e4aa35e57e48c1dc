"""One file of a batch: separate it into a folder and return its record.

This is the only place where the batch calls the separation library.  The
batch machinery (:mod:`nmfsep.batch.worker`) gives :func:`separate_track` a
fresh, empty staging folder and publishes what it writes there into the
track's folder afterwards, so this function needs to know nothing about
atomicity across files, retries or the manifest.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

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
        ``separation.json``.
    options : SeparateOptions

    Returns
    -------
    dict
        The record written to ``separation.json``.

    Raises
    ------
    NmfsepError
        Naming the file and the problem (unreadable audio, bad parameters...).
    """
    import nmfsep
    from nmfsep.audio import atomic_path, validate_signal

    y, sr = nmfsep.load(input_path)
    y = validate_signal(y, sr, name=str(input_path))
    started = time.perf_counter()
    sep = nmfsep.separate(
        y, sr, n_sources=options.n_sources, n_components=options.n_components,
        beta=options.beta, grouping=options.grouping,
        groups=[list(g) for g in options.groups] if options.groups else None,
        n_fft=options.n_fft, hop=options.hop, max_iter=options.max_iter,
        mask_power=options.mask_power, n_runs=options.runs, random_state=options.seed,
        **({} if options.percussive_prior is None
           else {"percussive_prior": options.percussive_prior}),
    )
    elapsed = time.perf_counter() - started
    names = options.source_names()
    sources = []
    for s, (name, source) in enumerate(zip(names, sep.sources, strict=True)):
        target = nmfsep.save(track_dir / f"{name}.{options.format}", source, sr)
        sources.append({"name": name, "file": target.name,
                        "components": np.flatnonzero(sep.labels == s).tolist()})
    record = {
        "nmfsep_version": nmfsep.__version__,
        "input": str(input_path),
        "sample_rate": sr,
        "channels": int(y.shape[0]),
        "duration_s": y.shape[1] / sr,
        "seconds": round(elapsed, 3),
        "parameters": sep.parameters,
        "sources": sources,
        "labels": sep.labels.tolist(),
        "loss_history": [{"iteration": i, "loss": loss} for i, loss in sep.loss_history],
    }
    with atomic_path(track_dir / RECORD_NAME) as tmp:
        tmp.write_text(json.dumps(record, indent=2, default=_plain) + "\n")
    return record


def task_memory(frames: int, channels: int, sr: int, options) -> int:
    """Peak bytes :func:`separate_track` needs for a file of this size (the signal included).

    Parameters
    ----------
    frames, channels, sr : int
        From the file's header.
    options : SeparateOptions

    Returns
    -------
    int
        :func:`nmfsep.resources.estimate_memory` with the runs the library
        would choose, plus the decoded signal.
    """
    from nmfsep.resources import estimate_memory
    from nmfsep.separate import default_n_runs

    runs = options.runs or default_n_runs(frames, sr, options.grouping,
                                          n_sources=options.n_sources)
    return estimate_memory(frames, channels=channels, sr=sr, n_sources=options.n_sources,
                           n_components=options.n_components, n_fft=options.n_fft,
                           hop=options.hop, n_runs=runs) + 8 * channels * frames


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
