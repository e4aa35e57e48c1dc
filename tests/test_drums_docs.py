"""docs/drums.md's Python example runs as written; docs/cli.md documents the drum commands."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import soundfile as sf

from nmfsep import synth
from nmfsep.cli import build_parser

DOCS = Path(__file__).resolve().parent.parent / "docs"


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(), re.S)


def test_the_drums_pages_python_example_runs_in_a_fresh_namespace(tmp_path, monkeypatch):
    blocks = python_blocks(DOCS / "drums.md")
    assert blocks, "docs/drums.md has no Python example"
    example = synth.drums_and_guitar(duration=2.0, sr=22050, seed=3)
    sf.write(tmp_path / "loop.wav", example.sources[0].T, 22050, subtype="FLOAT")
    monkeypatch.chdir(tmp_path)
    for index, block in enumerate(blocks):
        namespace: dict = {}  # no import the page does not write itself
        exec(compile(block, f"docs/drums.md, Python block {index}", "exec"), namespace)
    names = json.loads((tmp_path / "stems" / "loop" / "drums.json").read_text())["stems"]
    assert [stem["name"] for stem in names] == ["kick", "snare", "hihat"]
    assert namespace["sep"].names == ["kick", "snare", "hihat"]
    assert namespace["kick"].shape == example.sources[0].shape


def _options(command: str) -> list[str]:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [option for action in commands.choices[command]._actions
            for option in action.option_strings
            if option.startswith("--") and option not in ("--help", "--quiet", "--verbose")]


def test_the_command_line_reference_has_a_section_for_each_drum_command_with_its_options():
    text = (DOCS / "cli.md").read_text()
    sections = re.split(r"^## ", text, flags=re.M)
    for command in ("drums", "learn-drums"):
        section = next(s for s in sections if s.startswith(f"`nmfsep {command} "))
        for option in _options(command):
            assert f"`{option}" in section or f"{option} " in section, (command, option)
    drums = next(s for s in sections if s.startswith("`nmfsep drums "))
    assert "drums.json" in drums and "`separated`" in drums and "`kick,snare,hihat`" in drums
