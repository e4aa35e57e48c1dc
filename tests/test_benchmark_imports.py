"""Every benchmark module imports first, as ``python -m benchmarks.<name>`` would import it.

A circular import between benchmark modules shows only when the cycle is entered from
one particular module (``python -m benchmarks.drums`` once failed that way while every
test, importing another module first, passed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import importlib, sys
failed = []
names, sys.argv = sys.argv[1:], ["benchmark", "--help"]  # a __main__ that runs prints its help
for name in names:
    for loaded in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except SystemExit as exc:
        if exc.code not in (0, None):
            failed.append(f"{name}: exit {exc.code}")
    except Exception as exc:  # noqa: BLE001
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join("FAILED " + line for line in failed))
"""


def _modules() -> list[str]:
    names = []
    for path in sorted((ROOT / "benchmarks").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_benchmark_module_imports_on_its_own():
    modules = _modules()
    assert "benchmarks.drums.__main__" in modules and len(modules) > 20
    run = subprocess.run([sys.executable, "-c", CHECK, *modules], cwd=ROOT,
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    assert [line for line in run.stdout.splitlines() if line.startswith("FAILED ")] == []


def test_a_missing_bench_package_names_itself_and_the_setup_script():
    from benchmarks.quality.generate import _bench_module

    assert _bench_module("json", "a test").dumps([]) == "[]"
    with pytest.raises(RuntimeError) as raised:
        _bench_module("no_such_package_nmfsep.corpus", "the chorale category")
    assert str(raised.value) == ("the chorale category needs no_such_package_nmfsep, which is "
                                 "not installed; run bash benchmarks/quality/setup.sh")
