"""The grouping study of issue 24: candidate groupings of one factorization, judged offline.

Step 1, ``collect``: every item of the chosen categories (rendered, drum-kit and real) is
factorized once with nmfsep's defaults and one run (``n_runs=1``); the separation, the true
sources and the oracle labels (:func:`benchmarks.quality.methods.oracle_labels`) are cached
under ``/work/cache/grouping-study`` (``--cache``).  Step 2, ``evaluate``: every grouping
under study (the registry's strategies, ``auto``, the oracle and the selectors of
:mod:`benchmarks.quality.grouping_select`) regroups each cached factorization, and the
medians per category and half (item index even: tuning, odd: reporting; real categories:
position in the sorted item list) are written to ``docs/grouping.md``.

    python -m benchmarks.quality.grouping_study collect --categories real,drumkit,rendered
    python -m benchmarks.quality.grouping_study evaluate
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np

from ..arguments import positive_int

CACHE = Path(os.environ.get("NMFSEP_GROUPING_STUDY", "/work/cache/grouping-study"))
RENDERED = ("drums+guitar", "piano+voice", "bass+drums+piano", "chorale")
DRUMKIT = ("drumkit-3", "drumkit-4", "drumkit-3+band", "drumkit-4+band")
N_ITEMS = 8


def half_of(index: int) -> str:
    """Even item index: tuning half; odd: reporting half (the benchmark's convention)."""
    return "tuning" if index % 2 == 0 else "reporting"


def items_of(group: str, n_items: int = N_ITEMS, duration: float = 15.0):
    """``(category, index, item)`` of a group of categories: rendered, drumkit or real."""
    from . import generate
    if group == "real":
        from . import real
        folder = real.locate()
        for category in real.CATEGORIES:
            items = sorted(real.build_category(category, folder), key=lambda i: i.name)
            for index, item in enumerate(items):
                yield category, index, item
        return
    if group == "drumkit":
        from . import drumkit  # noqa: F401  (registers the drum-kit categories)
    for category in (DRUMKIT if group == "drumkit" else RENDERED):
        for index in range(n_items):
            yield category, index, generate.build(category, index, duration)


def record_path(category: str, index: int, cache: Path = CACHE) -> Path:
    return cache / f"{category.replace(':', '_')}-{index}.pkl"


def collect(groups: list[str], n_items: int, cache: Path = CACHE) -> None:
    """Factorize every item once (one run) and cache it with its truth and oracle labels."""
    import nmfsep
    from nmfsep.metrics import evaluate

    from .methods import oracle_labels
    cache.mkdir(parents=True, exist_ok=True)
    for group in groups:
        for category, index, item in items_of(group, n_items):
            path = record_path(category, index, cache)
            if path.exists():
                continue
            start = time.time()
            sep = nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names), n_runs=1)
            oracle = oracle_labels(sep.W, sep.H, item.sources, sep.stft)
            record = dict(category=category, index=index, name=item.name, names=item.names,
                          separation=sep, sources=item.sources, oracle=oracle,
                          auto_sdr=evaluate(item.sources, sep.sources).sdr.tolist(),
                          auto_decision=sep.decision.describe() if sep.decision else None)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(record))
            tmp.replace(path)
            print(f"{category} {index} {item.name}: {time.time() - start:.1f} s, auto "
                  f"{np.median(record['auto_sdr']):.2f} dB", flush=True)


def load(cache: Path = CACHE):
    """The cached records, one at a time: every category's item 0, then item 1, ..."""
    paths = cache.glob("*.pkl")
    for path in sorted(paths, key=lambda p: (int(p.stem.rsplit("-", 1)[1]), p.name)):
        yield pickle.loads(path.read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.grouping_study",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("collect", "evaluate"))
    parser.add_argument("--categories", default="real,drumkit,rendered",
                        help="groups of categories: real, drumkit, rendered")
    parser.add_argument("--items", type=positive_int, default=N_ITEMS,
                        help="items per rendered category")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--budget", type=float, default=None,
                        help="evaluate: seconds after which no new item is evaluated")
    parser.add_argument("--out", type=Path, default=Path("docs/grouping.md"))
    args = parser.parse_args(argv)
    if args.step == "collect":
        collect(args.categories.split(","), args.items, args.cache)
        return 0
    from .grouping_select import write_report
    command = " ".join(["python -m benchmarks.quality.grouping_study", *sys.argv[1:]])
    write_report(load(args.cache), args.out, command, args.cache / "rows.json",
                 args.budget)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
