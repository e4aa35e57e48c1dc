"""The README's Python example runs as written (on short stand-ins for its files)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import nmfsep
from nmfsep import synth

README = Path(__file__).resolve().parent.parent / "README.md"


def python_block(heading: str) -> str:
    """The first ```python block after ``heading`` in the README."""
    text = README.read_text()
    after = text[text.index(heading):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_the_use_it_from_python_example_runs(tmp_path, monkeypatch):
    example = synth.drums_and_guitar(duration=2.0)
    nmfsep.save(tmp_path / "mix.wav", example.mixture, example.sr)
    nmfsep.save(tmp_path / "concert.flac", example.mixture, example.sr)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(python_block("## Use it from Python"), "README.md", "exec"), namespace)
    sep, better = namespace["sep"], namespace["better"]
    assert better.n_sources == 2 and sorted(np.concatenate(
        [np.flatnonzero(better.labels == j) for j in range(2)]).tolist()) == list(
        range(sep.n_components))
    for name in ("drums.wav", "a.wav", "b.wav", "c.wav"):
        assert (tmp_path / name).is_file()
