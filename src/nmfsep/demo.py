"""The built-in example, end to end: make it, separate it with the defaults, score it.

>>> from nmfsep.demo import run_demo
>>> result = run_demo("demo")          # doctest: +SKIP
>>> [row["sdr"] for row in result.rows]  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import synth
from .audio import check_outputs, save
from .config import SeparationConfig
from .errors import NmfsepError
from .metrics import evaluate
from .nmf import ProgressCallback
from .pipeline import Log, Separation
from .plot import plot_overview
from .record import write_record
from .separate import separate

__all__ = ["DemoResult", "run_demo"]


@dataclass
class DemoResult:
    """What :func:`run_demo` did.

    Attributes
    ----------
    rows : list of dict
        SDR, SIR, SAR and SI-SDR per source (:meth:`nmfsep.metrics.Scores.as_rows`).
    seconds : float
        Wall time of the separation.
    separation : Separation
    files : list of Path
        What was written.
    """

    rows: list[dict]
    seconds: float
    separation: Separation
    files: list[Path]


def run_demo(out: str | os.PathLike, *, duration: float = 10.0, seed: int = 0,
             force: bool = False, callback: ProgressCallback | None = None,
             log: Log | None = None) -> DemoResult:
    """Separate the built-in drums + guitar example and score it against the truth.

    Writes ``mixture.wav``, ``truth/``, ``estimates/`` (in the truth's order),
    ``scores.json`` and, with ``nmfsep[plot]``, ``separation.png``.

    Parameters
    ----------
    out : path
        The folder.
    duration : float
        Seconds of music.
    seed : int
        The example's seed.
    force : bool
        Overwrite existing outputs.
    callback : callable(iteration, loss), optional
    log : callable(message), optional
        Told when the figure cannot be drawn.

    Returns
    -------
    DemoResult
    """
    out = Path(out)
    example = synth.drums_and_guitar(duration=duration, seed=seed)
    names = example.names
    files = ([out / "mixture.wav"] + [out / "truth" / f"{n}.wav" for n in names]
             + [out / "estimates" / f"{n}.wav" for n in names] + [out / "scores.json"])
    check_outputs(files, [], force)
    started = time.perf_counter()
    sep = separate(example.mixture, example.sr, config=SeparationConfig(n_sources=len(names)),
                   callback=callback)
    seconds = time.perf_counter() - started
    scores = evaluate(example.sources, sep.sources)
    estimates = sep.sources[scores.permutation]
    save(files[0], example.mixture, example.sr, force=force)
    for i in range(len(names)):
        save(files[1 + i], example.sources[i], example.sr, force=force)
        save(files[1 + len(names) + i], estimates[i], example.sr, force=force)
    rows = scores.as_rows(names)
    write_record(files[-1], {"seconds": seconds, "parameters": sep.parameters, "scores": rows},
                 force=force)
    try:
        ordered = sep.regroup(labels=np.argsort(scores.permutation)[sep.labels])
        files.append(plot_overview(ordered, out / "separation.png", names=names, force=force))
    except NmfsepError as exc:
        if log is not None:
            log(f"no figures: {exc}")
    return DemoResult(rows=rows, seconds=seconds, separation=sep, files=files)
