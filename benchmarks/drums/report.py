"""Turn the drum benchmark's results into docs/drums.md (generated: edit this, never the page)."""

from __future__ import annotations

from pathlib import Path


def write_docs(results: Path, docs: Path) -> Path:
    raise NotImplementedError
