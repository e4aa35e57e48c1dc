"""Run the quality benchmark: every method on every item, one run, one table.

    python -m benchmarks.quality            # full run: 8 items per category, writes docs
    python -m benchmarks.quality --quick    # 1 item per category, JSON only
    python -m benchmarks.quality --sweep    # nmfsep parameter variants (evidence for defaults)
    python -m benchmarks.quality --docs-only   # rewrite docs/benchmarks.md from the results
    python -m benchmarks.quality --real     # only the real recordings (../shared/real-tuning)
    python -m benchmarks.quality --widened --half reporting   # the widened categories' half
    python -m benchmarks.quality.regroup --help  # variants of the mask stage, many item sets

Set up a fresh machine first with ``bash benchmarks/quality/setup.sh``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from nmfsep.metrics import evaluate

from ..arguments import non_negative_int, positive_float, positive_int
from . import real
from .generate import CATEGORIES, ITEMS_PER_CATEGORY, build
from .halves import half_of, real_halves, rendered_index, select
from .merge import MergeMismatch, check_mergeable, merge_results
from .methods import Method, methods, unavailable
from .report import machine, write_docs

#: Seconds per rendered item of the full run (results/quality.json).
DURATION = 15.0

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results"


def score(item, estimates: np.ndarray, permute: bool = True) -> list[dict]:
    """Per-source BSS Eval and SI-SDR and SDR improvement over the mixture.

    The permutation is solved, unless ``permute`` is False: then estimate ``j`` is scored
    as source ``j`` (for methods whose outputs are named).
    """
    scores = evaluate(item.sources, estimates, permute=permute)
    base = evaluate(item.sources, np.stack([item.mixture] * len(item.names)), permute=False)
    rows = scores.as_rows(item.names)
    for row, mixture_sdr in zip(rows, base.sdr, strict=True):
        row["sdri"] = row["sdr"] - float(mixture_sdr)
    return rows


def halves_of(items: list, *, rendered: bool) -> dict[str, str]:
    """Each item's half (:mod:`benchmarks.quality.halves`): by its index when rendered, by
    its position among its category's sorted item names when real."""
    if rendered:
        return {item.name: half_of(rendered_index(item.name)) for item in items}
    out: dict[str, str] = {}
    for category in dict.fromkeys(item.category for item in items):
        out.update(real_halves(item.name for item in items if item.category == category))
    return out


def run(items: list, chosen: list[Method], log=print, halves: dict[str, str] | None = None
        ) -> list[dict]:
    """Every applicable method on every item; one record per (item, method, source).

    ``halves`` maps item names to their half, recorded as each record's ``half``.
    """
    records = []
    for item in items:
        for method in chosen:
            if not method.applies(item):
                continue
            start = time.perf_counter()
            estimates = method.run(item)
            seconds = time.perf_counter() - start
            assert estimates.shape == item.sources.shape, (method.name, estimates.shape)
            rows = score(item, estimates, permute=not method.by_name)
            for row in rows:
                records.append(dict(row, item=item.name, category=item.category,
                                    method=method.name, kind=method.kind, seconds=seconds,
                                    half=(halves or {}).get(item.name)))
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
    width = max([18, *(len(c) + 2 for c in categories)])
    print(f"\nmedian {key.upper()} (dB)")
    print(f"{'method':34s}" + "".join(f"{c:>{width}s}" for c in categories))
    for method, row in table.items():
        print(f"{method:34s}" + "".join(
            f"{row[c]:{width}.2f}" if c in row else f"{'-':>{width}s}" for c in categories))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="one item per category; write results/quick.json, not the docs")
    parser.add_argument("--items", type=positive_int, default=None,
                        help=f"items per category ({ITEMS_PER_CATEGORY})")
    parser.add_argument("--duration", type=positive_float, default=DURATION,
                        help="seconds per item")
    parser.add_argument("--categories", default=None,
                        help="comma-separated subset of "
                        + ", ".join([*CATEGORIES, *real.CATEGORIES]))
    parser.add_argument("--real", action="store_true",
                        help="only the real recordings' categories; results/real.json")
    parser.add_argument("--no-real", action="store_true",
                        help="not the real recordings' categories (a full run has them)")
    parser.add_argument("--real-dir", default=None,
                        help=f"the folder of real recordings (${real.ENV_VAR}, else "
                             "../shared/real-tuning beside the repository)")
    parser.add_argument("--real-seconds", type=positive_float, default=None,
                        help="only the first seconds of each real recording (a partial run)")
    parser.add_argument("--methods", default=None,
                        help="only methods whose name contains one of these comma-separated words")
    parser.add_argument("--sweep", action="store_true",
                        help="run nmfsep parameter variants instead (evidence for the defaults)")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--first-item", type=non_negative_int, default=0,
                        help="index of the first item of each category (e.g. 12: items not "
                             "used to choose the defaults)")
    parser.add_argument("--soundfont", default=None,
                        help="render with this soundfont instead of FluidR3 GM (held-out "
                             "instruments); results go to results/heldout.json, not the docs")
    parser.add_argument("--half", choices=("tuning", "reporting", "all"), default="all",
                        help="only the items of this half (even index tuning, odd reporting; "
                             "benchmarks.quality.halves); all by default")
    parser.add_argument("--widened", action="store_true",
                        help="the widened benchmark (issue 24): the categories beyond the first "
                             "four, results/widened.json, and its section of the docs")
    parser.add_argument("--tag", default=None,
                        help="with --widened: results/widened-<tag>.json (the report merges "
                             "every results/widened*.json)")
    parser.add_argument("--merge", action="store_true",
                        help="put this run's records (e.g. a new method's, with --methods) into "
                             "the stored result file this run would write, keeping its other "
                             "records, instead of replacing the file; the items and settings "
                             "must be the stored run's")
    parser.add_argument("--docs-only", action="store_true",
                        help="only rewrite docs/benchmarks.md from results/quality.json and "
                             "results/sweep.json (after runs made with --no-docs)")
    args = parser.parse_args(argv)
    if args.docs_only:
        print(f"wrote {write_docs(RESULTS, ROOT / 'docs').relative_to(ROOT)}")
        return 0
    if not _chosen(args):
        parser.error(f"--methods {args.methods!r} names none of the methods: "
                     + ", ".join(m.name for m in _available(args)))

    n_items = args.items or (1 if args.quick else ITEMS_PER_CATEGORY)
    named = args.categories.split(",") if args.categories else None
    if args.widened and not named:
        from .widened import WIDENED
        named = list(WIDENED)
    unknown = [c for c in named or [] if c not in CATEGORIES and c not in real.CATEGORIES]
    if unknown:
        parser.error(f"unknown categories: {', '.join(unknown)}")
    held_out = args.soundfont is not None or args.first_item != 0
    real_categories = [c for c in named or [] if c in real.CATEGORIES]
    if args.real and not real_categories:
        real_categories = list(real.CATEGORIES)
    elif (not named and not args.no_real and not args.quick and not args.sweep
          and not held_out):
        real_categories = list(real.CATEGORIES)
    if args.real:
        categories = []
    else:
        categories = [c for c in named if c in CATEGORIES] if named else list(CATEGORIES)
    ran = False
    if categories:
        run_rendered(args, argv, categories, n_items, held_out)
        ran = True
    if real_categories:
        ran = run_real(args, argv, real_categories) or ran
    return 0 if ran else 1


def _available(args) -> list[Method]:
    """The methods of this run before ``--methods`` chooses: the sweep's variants or all."""
    if args.sweep:
        from .sweep import variants
        return variants()
    return methods()


def _chosen(args) -> list[Method]:
    chosen = _available(args)
    if args.methods:
        words = [w.strip() for w in args.methods.split(",")]
        chosen = [m for m in chosen if any(w in m.name for w in words)]
    return chosen


def _describe(chosen: list[Method]) -> list[dict]:
    return [dict(name=m.name, kind=m.kind, doc=(m.run.__doc__ or "").strip(), note=m.note,
                 by_name=m.by_name) for m in chosen]


def _command(argv: list[str] | None) -> str:
    return shlex.join(["python", "-m", "benchmarks.quality",
                       *(argv if argv is not None else sys.argv[1:])])


def stored_run(path: Path, planned: dict) -> dict:
    """The run stored at ``path``, checked to take the ``planned`` run's records (``--merge``).

    Called before scoring, so that a run that could not be merged is refused at
    once, not after it has run.  Exits with a one-line message (no traceback)
    when there is no stored run or it was made on other items or settings.
    """
    if not path.exists():
        raise SystemExit(f"python -m benchmarks.quality: --merge: {path} does not exist; "
                         "run without --merge first")
    stored = json.loads(path.read_text())
    try:
        check_mergeable(stored, planned)
    except MergeMismatch as mismatch:
        raise SystemExit(f"python -m benchmarks.quality: --merge into {path}: "
                         f"{mismatch}") from None
    return stored


def store(path: Path, result: dict, merge: bool) -> None:
    """Write ``result`` to ``path``; with ``merge``, into the run stored there.

    Exits with a one-line message (no traceback) when there is no stored run
    or it was made on other items or settings (:func:`stored_run`, which the
    runs call before scoring as well).
    """
    if merge:
        result = merge_results(stored_run(path, result), result)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(path)


def run_real(args, argv: list[str] | None, categories: list[str]) -> bool:
    """The real recordings' categories; False (after one line) when their folder is missing."""
    try:
        folder = real.locate(args.real_dir)
    except real.RealFolderMissing as missing:
        print(missing, file=sys.stderr)
        return False
    n_items = args.items or (1 if args.quick else None)
    items = real.build_all(folder, categories, n_items, args.real_seconds)
    halves = halves_of(items, rendered=False)
    items = [item for item in items if args.half in ("all", halves[item.name])]
    chosen = _chosen(args)
    shown = (real.DEFAULT_NAME if os.path.abspath(folder) == os.path.abspath(real.DEFAULT_FOLDER)
             else str(folder))
    partial = bool(args.quick or args.methods or args.items or args.real_seconds
                   or args.sweep or len(categories) < len(real.CATEGORIES)
                   or args.half != "all")
    planned = dict(
        command=_command(argv), folder=shown, excerpt_seconds=args.real_seconds,
        silence_db=real.SILENCE_DB, categories=categories, half=args.half,
        descriptions={c: real.CATEGORIES[c].description for c in categories},
        items={item.name: dict(item.info, category=item.category, names=item.names)
               for item in items},
        methods=_describe(chosen), unavailable=unavailable(),
    )
    path = RESULTS / ("real.json" if args.merge or not partial else "real-partial.json")
    if args.merge:
        stored_run(path, planned)
    print(f"{len(items)} real items x {len(chosen)} methods ({folder})", file=sys.stderr)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    where = machine()
    t0 = time.perf_counter()
    records = run(items, chosen, log=lambda s: print(s, file=sys.stderr, flush=True),
                  halves=halves)
    result = dict(planned, started=started, seconds=time.perf_counter() - t0, machine=where,
                  records=records)
    RESULTS.mkdir(exist_ok=True)
    store(path, result, args.merge)
    print_table(records, "sdr")
    print(f"\nwrote {path.relative_to(ROOT)}")
    if (args.merge or not partial) and not args.no_docs:
        docs = write_docs(RESULTS, ROOT / "docs")
        print(f"wrote {docs.relative_to(ROOT)}")
    return True


def run_rendered(args, argv: list[str] | None, categories: list[str], n_items: int,
                 held_out: bool) -> None:
    """The rendered categories: results/quality.json (or quick, sweep, heldout)."""
    if args.soundfont is not None:
        from . import generate
        generate.SOUNDFONT_OVERRIDE = args.soundfont
    indices = select(range(args.first_item, args.first_item + n_items), args.half)
    items = [build(c, i, args.duration) for c in categories for i in indices]
    chosen = _chosen(args)
    planned = dict(
        command=_command(argv), items_per_category=n_items, half=args.half,
        duration=args.duration, categories=categories,
        items={item.name: item.info for item in items}, methods=_describe(chosen),
    )
    name = ("widened" if args.widened else "heldout" if held_out else
            "sweep" if args.sweep else ("quick" if args.quick else "quality"))
    partial = bool(args.methods or args.categories or args.half != "all"
                   or n_items != ITEMS_PER_CATEGORY or args.duration != DURATION)
    if name == "quality" and partial and not args.merge:
        name = "quality-partial"  # the full run's file holds the full run only
    path = RESULTS / f"{name}.json"
    if args.widened:
        parts = ["widened", *([args.half] if args.half != "all" else []),
                 *([args.tag] if args.tag else [])]
        path = RESULTS / ("-".join(parts) + ".json")
    if args.merge:
        stored_run(path, planned)
    print(f"{len(items)} items x {len(chosen)} methods", file=sys.stderr)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    where = machine()  # the commit that runs, not one made while it runs
    t0 = time.perf_counter()
    records = run(items, chosen, log=lambda s: print(s, file=sys.stderr, flush=True),
                  halves=halves_of(items, rendered=True))
    result = dict(planned, started=started, seconds=time.perf_counter() - t0, machine=where,
                  records=records)
    RESULTS.mkdir(exist_ok=True)
    store(path, result, args.merge)
    print_table(records, "sdr")
    print_table(records, "sdri")
    print(f"\nwrote {path.relative_to(ROOT)}")
    whole = not args.methods and not args.categories and (args.widened or args.half == "all")
    if not args.quick and not args.no_docs and not held_out and (whole or args.merge):
        docs = write_docs(RESULTS, ROOT / "docs")
        print(f"wrote {docs.relative_to(ROOT)}")


if __name__ == "__main__":
    raise SystemExit(main())
