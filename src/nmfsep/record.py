"""The record of what a separation did (``separation.json``), from the library.

One function makes the record of a separation, whichever way it ran (in
memory, block by block, regrouped from saved components); one writes it, atomically.
The command line, the batch runner and the studio all use them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .audio import atomic_path
from .pipeline import Separation

__all__ = ["separation_record", "stream_record", "write_record", "component_table"]


def component_table(separation: Separation) -> list[dict[str, Any]]:
    """Each component's source and readable features (:meth:`Separation.features`)."""
    features = separation.features()
    rows = []
    for k in range(separation.n_components):
        row: dict[str, Any] = {"index": k, "source": int(separation.labels[k])}
        row.update({name: round(float(values[k]), 6) for name, values in features.items()})
        rows.append(row)
    return rows


def separation_record(separation: Separation, *, names: Sequence[str],
                      files: Sequence[str | os.PathLike], input: str | os.PathLike | None = None,
                      seconds: float | None = None, **extra: Any) -> dict[str, Any]:
    """Everything a separation did, as plain data for ``separation.json``.

    Parameters
    ----------
    separation : Separation
    names : sequence of str
        The sources' names, in order.
    files : sequence of paths
        The sources' files, in order.
    input : path, optional
        The mixture's file.
    seconds : float, optional
        Wall time of the separation.
    **extra
        More entries (``from``, ``dictionaries``, …).

    Returns
    -------
    dict
        ``parameters`` (resolved), ``decision`` (what ``auto`` decided and
        why), ``mask_experts``, ``sources`` (name, file, components, and the
        drum piece when ``auto`` split drums alone into pieces),
        ``labels``, every component's features, the loss history, the memory
        path (``block_by_block``) and the time of each stage.
    """
    recording = separation.frames.recording
    labels = np.asarray(separation.labels)
    prior = separation.prior
    decision = separation.decision
    pieces = decision.kit[0] if decision is not None and len(decision.kit) == 1 else ()
    record = {
        "nmfsep_version": __version__,
        "input": None if input is None else str(input),
        "sample_rate": recording.sr,
        "channels": recording.channels,
        "duration_s": recording.n_samples / recording.sr,
        "seconds": None if seconds is None else round(seconds, 3),
        "block_by_block": separation.frames.X is None,
        "parameters": separation.parameters,
        "decision": None if separation.decision is None else separation.decision.describe(),
        "mask_experts": None if prior is None else prior.describe(),
        "sources": [{"name": name, "file": Path(file).name,
                     "components": np.flatnonzero(labels == index).tolist(),
                     **({"piece": pieces[index]} if pieces else {})}
                    for index, (name, file) in enumerate(zip(names, files, strict=True))],
        "labels": labels.tolist(),
        "components": component_table(separation),
        "loss_history": [{"iteration": i, "loss": loss}
                         for i, loss in separation.loss_history],
        "timings": {stage: round(value, 3) for stage, value in separation.timings.items()},
    }
    record.update(extra)
    return record


def stream_record(*, input: str | os.PathLike, sr: int, channels: int, n_samples: int,
                  seconds: float, names: Sequence[str], files: Sequence[str | os.PathLike],
                  parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The record of a streamed supervised separation (:func:`nmfsep.stream.stream_file`)."""
    record = {
        "nmfsep_version": __version__,
        "input": str(input),
        "sample_rate": sr,
        "channels": channels,
        "duration_s": n_samples / sr,
        "seconds": round(seconds, 3),
        "stream": True,
        "parameters": parameters,
        "sources": [{"name": name, "file": Path(file).name}
                    for name, file in zip(names, files, strict=True)],
    }
    record.update(extra)
    return record


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


def write_record(path: str | os.PathLike, record: dict[str, Any], *,
                 force: bool = False) -> Path:
    """Write ``record`` as indented JSON, atomically (never over a file without ``force``)."""
    path = Path(path)
    with atomic_path(path, force=force) as tmp:
        tmp.write_text(json.dumps(record, indent=2, default=_json_default) + "\n")
    return path
