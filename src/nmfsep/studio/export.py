"""What leaves the studio: audio for the page, and the stems zip with its record.

The stems zip holds one 32-bit float WAV per source (they add up to the
mixture), ``separation.json`` (the record: recording, parameters, sources and
their components, the ``--groups`` text and the command that rebuilds the same
sources) and ``factorization.npz``, so that after unzipping into ``DIR``,
``nmfsep separate FILE --from DIR --groups ...`` rebuilds the sources from
exactly these components.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

from .assignment import command_line, groups_text
from .describe import describe_all
from .engine import Model, Recording
from .session import Rendered

__all__ = ["wav_bytes", "write_stems_zip", "record", "stem_name", "folder_name"]


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    """A WAV file (32-bit float) of ``y``, shape=(channels, samples)."""
    buffer = io.BytesIO()
    sf.write(buffer, np.ascontiguousarray(np.asarray(y, dtype=np.float32).T), sr,
             format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def stem_name(recording: Recording) -> str:
    """The recording's name without extension, reduced to safe file-name characters."""
    stem = re.sub(r"[^\w.+-]+", "_", Path(recording.name).stem).strip("._")
    return stem or "recording"


def folder_name(recording: Recording) -> str:
    """The folder the page tells the user to unzip the stems into."""
    return f"{stem_name(recording)}_stems"


def _plain(value):
    """A numpy value as the Python value it holds, for JSON."""
    return value.tolist() if isinstance(value, (np.generic, np.ndarray)) else str(value)


def record(recording: Recording, model: Model, rendered: Rendered) -> dict:
    """``separation.json`` of an export: the library's record, with the assignment made here."""
    assignment = rendered.assignment
    features = model.features()
    words = describe_all(features)
    out = model.record()
    out.update({
        "made_by": "nmfsep studio",
        "sources": [{"name": name, "file": f"{name}.wav", "components": assignment.members(s)}
                    for s, name in enumerate(assignment.names)],
        "labels": list(assignment.labels),
        "groups": groups_text(assignment),
        "command": command_line(recording.name, folder_name(recording), assignment),
        "components": [
            {"index": k, "source": assignment.labels[k], "words": words[k],
             **{name: round(float(values[k]), 6) for name, values in features.items()}}
            for k in range(model.n_components)],
    })
    return json.loads(json.dumps(out, default=_plain))


def write_stems_zip(path: Path, model: Model, rendered: Rendered) -> Path:
    """Write the stems zip of the sources in ``rendered`` to ``path``.

    Returns
    -------
    Path
        ``path``.
    """
    recording = model.recording
    factorization = path.with_name(path.stem + "-factorization.npz")
    model.save_factorization(factorization)
    try:
        with zipfile.ZipFile(path, "w") as archive:
            for name, source in zip(rendered.assignment.names, rendered.sources, strict=True):
                archive.writestr(f"{name}.wav", wav_bytes(source, recording.sr),
                                 compress_type=zipfile.ZIP_STORED)
            archive.writestr("separation.json", json.dumps(
                record(recording, model, rendered), indent=2) + "\n",
                compress_type=zipfile.ZIP_DEFLATED)
            archive.write(factorization, "factorization.npz", compress_type=zipfile.ZIP_STORED)
    finally:
        factorization.unlink(missing_ok=True)
    return path
