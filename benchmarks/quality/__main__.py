"""Run the quality benchmark: every method on every item, one run, one table.

    python -m benchmarks.quality            # full run: 8 items per category, writes docs
    python -m benchmarks.quality --quick    # 1 item per category, JSON only
    python -m benchmarks.quality --sweep    # nmfsep parameter variants (evidence for defaults)
    python -m benchmarks.quality --docs-only   # rewrite docs/benchmarks.md from the results
    python -m benchmarks.quality.regroup --help  # variants of the mask stage, many item sets

Set up a fresh machine first with ``bash benchmarks/quality/setup.sh``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from nmfsep.metrics import evaluate

from .generate import CATEGORIES, ITEMS_PER_CATEGORY, build
from .methods import Method, methods
from .report import machine, write_docs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results"


def score(item, estimates: np.ndarray) -> list[dict]:
    """Per-source BSS Eval and SI-SDR (permutation solved) and SDR improvement over the mixture."""
    scores = evaluate(item.sources, estimates)
    base = evaluate(item.sources, np.stack([item.mixture] * len(item.names)), permute=False)
    rows = scores.as_rows(item.names)
    for row, mixture_sdr in zip(rows, base.sdr, strict=True):
        row["sdri"] = row["sdr"] - float(mixture_sdr)
    return rows


def run(items: list, chosen: list[Method], log=print) -> list[dict]:
    """Every applicable method on every item; one record per (item, method, source)."""
    records = []
    for item in items:
        for method in chosen:
            if not method.applies(item):
                continue
            start = time.perf_counter()
            estimates = method.run(item)
            seconds = time.perf_counter() - start
            assert estimates.shape == item.sources.shape, (method.name, estimates.shape)
            rows = score(item, estimates)
            for row in rows:
                records.append(dict(row, item=item.name, category=item.category,
                                    method=method.name, kind=method.kind, seconds=seconds))
            log(f"{item.name:22s} {method.name:32s} SDR "
                + " ".join(f"{r['sdr']:6.2f}" for r in rows) + f"  ({seconds:.1f} s)")
    return records


def medians(records: list[dict], key: str = "sdr") -> dict[str, dict[str, float]]:
    """Median of ``key`` over all sources of all items, per method and category."""
    table: dict[str, dict[str, list[float]]] = {}
    for r in records:
        table.setdefault(r["method"], {}).setdefault(r["category"], []).append(r[key])
    return {m: {c: float(np.median(v)) for c, v in cats.items()} for m, cats in table.items()}


def print_table(records: list[dict], key: str = "sdr") -> None:
    table = medians(records, key)
    categories = list(dict.fromkeys(r["category"] for r in records))
    print(f"\nmedian {key.upper()} (dB)")
    print(f"{'method':34s}" + "".join(f"{c:>18s}" for c in categories))
    for method, row in table.items():
        print(f"{method:34s}" + "".join(
            f"{row[c]:18.2f}" if c in row else f"{'-':>18s}" for c in categories))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="one item per category; write results/quick.json, not the docs")
    parser.add_argument("--items", type=int, default=None,
                        help=f"items per category ({ITEMS_PER_CATEGORY})")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per item")
    parser.add_argument("--categories", default=None,
                        help="comma-separated subset of " + ", ".join(CATEGORIES))
    parser.add_argument("--methods", default=None,
                        help="only methods whose name contains one of these comma-separated words")
    parser.add_argument("--sweep", action="store_true",
                        help="run nmfsep parameter variants instead (evidence for the defaults)")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--first-item", type=int, default=0,
                        help="index of the first item of each category (e.g. 12: items not "
                             "used to choose the defaults)")
    parser.add_argument("--soundfont", default=None,
                        help="render with this soundfont instead of FluidR3 GM (held-out "
                             "instruments); results go to results/heldout.json, not the docs")
    parser.add_argument("--docs-only", action="store_true",
                        help="only rewrite docs/benchmarks.md from results/quality.json and "
                             "results/sweep.json (after runs made with --no-docs)")
    args = parser.parse_args(argv)
    if args.docs_only:
        print(f"wrote {write_docs(RESULTS, ROOT / 'docs').relative_to(ROOT)}")
        return 0

    n_items = args.items or (1 if args.quick else ITEMS_PER_CATEGORY)
    categories = args.categories.split(",") if args.categories else list(CATEGORIES)
    held_out = args.soundfont is not None or args.first_item != 0
    if args.soundfont is not None:
        from . import generate
        generate.SOUNDFONT_OVERRIDE = args.soundfont
    items = [build(c, i, args.duration) for c in categories
             for i in range(args.first_item, args.first_item + n_items)]
    if args.sweep:
        from .sweep import variants
        chosen = variants()
    else:
        chosen = methods()
    if args.methods:
        words = [w.strip() for w in args.methods.split(",")]
        chosen = [m for m in chosen if any(w in m.name for w in words)]
    print(f"{len(items)} items x {len(chosen)} methods", file=sys.stderr)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    where = machine()  # the commit that runs, not one made while it runs
    t0 = time.perf_counter()
    records = run(items, chosen, log=lambda s: print(s, file=sys.stderr, flush=True))
    result = dict(
        command=shlex.join(["python", "-m", "benchmarks.quality",
                            *(argv if argv is not None else sys.argv[1:])]),
        started=started, seconds=time.perf_counter() - t0, machine=where,
        items_per_category=n_items,
        duration=args.duration, categories=categories,
        items={item.name: item.info for item in items},
        methods=[dict(name=m.name, kind=m.kind, doc=(m.run.__doc__ or "").strip(), note=m.note)
                 for m in chosen],
        records=records,
    )
    name = ("heldout" if held_out else
            "sweep" if args.sweep else ("quick" if args.quick else "quality"))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=1))
    print_table(records, "sdr")
    print_table(records, "sdri")
    print(f"\nwrote {path.relative_to(ROOT)}")
    if (not args.quick and not args.no_docs and not args.methods and not args.categories
            and not held_out):
        docs = write_docs(RESULTS, ROOT / "docs")
        print(f"wrote {docs.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
