"""The drum benchmark: nmfsep's drum split beside libnmfd's NMFD recipe, on the same audio.

    python -m benchmarks.drums                      # both halves + real recordings, docs/drums.md
    python -m benchmarks.drums --half tuning        # the tuning half only (no docs)
    python -m benchmarks.drums --variants           # settings variants on the tuning half
    python -m benchmarks.drums --docs-only          # rewrite docs/drums.md from the results

Items: the drum-kit categories of :mod:`benchmarks.quality.drumkit` (tuning
half items 0-7, reporting half 8-15) and, as a check never tuned on, the four
drum performances of ``../shared/real-tuning`` (gmd*: kick, snare, hi-hat).
Every stem is scored by name: BSS Eval v3 SDR (``nmfsep.metrics.evaluate``,
``permute=False``), median over the pieces of the items of a category.  A stem
a method does not give (``rest`` left out) is scored as silence.  Speed:
seconds of computation per minute of audio, both methods in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.quality.drumkit import CATEGORIES, FIRST_ITEMS
from benchmarks.quality.generate import Item, build
from nmfsep.metrics import evaluate

from ..arguments import positive_int
from . import libnmfd_recipe

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results"
CACHE = ROOT / "benchmarks" / "quality" / "results" / "cache" / "libnmfd-estimates"
REAL = ROOT.parent / "shared" / "real-tuning"
REAL_CATEGORY = "real: kick+snare+hihat"
NMFSEP = "nmfsep drums"
LIBNMFD = "libnmfd NMFD recipe"
PIECE_NAMES = ("kick", "snare", "hihat", "toms", "cymbals")


# --------------------------------------------------------------------------- items

#: This benchmark's halves: by kit list (benchmarks/quality/drumkit.py), not by parity.
HALVES = {"tuning": range(0, FIRST_ITEMS), "reporting": range(FIRST_ITEMS, 2 * FIRST_ITEMS)}


def rendered_items(half: str, categories: list[str], n_items: int | None = None) -> list[Item]:
    indices = list(HALVES[half])[: n_items or None]
    return [build(c, i) for c in categories for i in indices]


def real_items(log=print) -> list[Item]:
    """The drum performances of ../shared/real-tuning (kick, snare, hi-hat), or none."""
    if not REAL.is_dir():
        log(f"no real recordings: {REAL} is missing; the real section is skipped")
        return []
    items = []
    for folder in sorted(REAL.glob("gmd*")):
        meta = json.loads((folder / "meta.json").read_text())
        names = list(meta["stems"])
        stems = []
        for name in names:
            audio, sr = sf.read(folder / f"{name}.flac", dtype="float32", always_2d=True)
            stems.append(audio.T[:1])
        sources = np.stack(stems)
        items.append(Item(name=folder.name, category=REAL_CATEGORY, sr=sr,
                          mixture=sources.sum(axis=0), sources=sources, names=names,
                          info=dict(kit=meta.get("kit"), source=meta.get("source", {}).get("repo"),
                                    licence=meta.get("licence"))))
    return items


# --------------------------------------------------------------------------- methods


def pieces_of(item: Item) -> tuple[str, ...]:
    return tuple(n for n in item.names if n in PIECE_NAMES)


def run_nmfsep(item: Item, settings=None, *, rest="auto") -> tuple[np.ndarray, dict]:
    """``nmfsep.drums.separate_drums`` with its defaults (or ``settings``)."""
    from nmfsep.drums import separate_drums

    sep = separate_drums(item.mixture, item.sr, pieces=pieces_of(item), rest=rest,
                         settings=settings)
    return _by_name(item, sep.names, sep.sources), dict(rest=sep.rest_included,
                                                        reason=sep.rest_reason)


def run_libnmfd(item: Item) -> tuple[np.ndarray, dict]:
    """libnmfd's recipe (:mod:`benchmarks.drums.libnmfd_recipe`); a rest component with a band."""
    pieces = pieces_of(item)
    rest = "rest" in item.names
    stems = libnmfd_recipe.separate(item.mixture[0], item.sr, pieces, rest=rest)
    names = list(pieces) + (["rest"] if rest else [])
    return _by_name(item, names, stems[:, None, :]), {}


def _by_name(item: Item, names: list[str], stems: np.ndarray) -> np.ndarray:
    """Stems in the item's order; silence for a stem the method did not give."""
    out = np.zeros(item.sources.shape, dtype=np.float32)
    for j, name in enumerate(item.names):
        if name in names:
            out[j] = stems[names.index(name)]
    return out


def _cache_key(item: Item) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(item.mixture).tobytes()).hexdigest()[:16]
    recipe = hashlib.sha256(json.dumps(libnmfd_recipe.RECIPE, sort_keys=True).encode()
                            ).hexdigest()[:8]
    return f"{item.name}-{digest}-{recipe}"


def cached_libnmfd(item: Item) -> tuple[np.ndarray, dict, float]:
    """libnmfd's stems for ``item`` (deterministic), from the cache when computed before."""
    path = CACHE / f"{_cache_key(item)}.npz"
    if path.exists():
        with np.load(path) as data:
            return data["stems"], {}, float(data["seconds"])
    libnmfd_recipe.templates(pieces_of(item))  # learned once, not part of the item's time
    started = time.perf_counter()
    stems, info = run_libnmfd(item)
    seconds = time.perf_counter() - started
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, stems=stems, seconds=seconds)
    tmp.replace(path)
    return stems, info, seconds


# --------------------------------------------------------------------------- scoring


def score(item: Item, estimates: np.ndarray) -> list[dict]:
    scores = evaluate(item.sources, estimates, permute=False)
    rows = []
    for j, name in enumerate(item.names):
        silent = not np.any(estimates[j])
        rows.append(dict(piece=name, sdr=float(scores.sdr[j]) if not silent else -60.0,
                         sir=float(scores.sir[j]), sar=float(scores.sar[j]),
                         si_sdr=float(scores.si_sdr[j]), silent=silent))
    return rows


def run(items: list[Item], methods: dict, log=print, *, fresh_libnmfd: bool = False) -> list:
    """Every method on every item; one record per (item, method, piece)."""
    records = []
    for item in items:
        seconds_audio = item.mixture.shape[-1] / item.sr
        for name, method in methods.items():
            if method == "libnmfd":
                if fresh_libnmfd:
                    started = time.perf_counter()
                    estimates, info = run_libnmfd(item)
                    seconds = time.perf_counter() - started
                else:
                    estimates, info, seconds = cached_libnmfd(item)
            else:
                started = time.perf_counter()
                estimates, info = method(item)
                seconds = time.perf_counter() - started
            rows = score(item, estimates)
            for row in rows:
                records.append(dict(row, item=item.name, category=item.category, method=name,
                                    kit=item.info.get("kit"), half=item.info.get("half", "real"),
                                    seconds=seconds, audio_seconds=seconds_audio, **info))
            log(f"{item.name:22s} {name:34s} " + " ".join(
                f"{r['piece']} {r['sdr']:6.2f}" for r in rows) + f"  ({seconds:.1f} s)")
    return records


def medians(records: list[dict], *, by: str = "category") -> dict:
    """Median SDR per method and ``by`` (category, or category/piece)."""
    table: dict[str, dict[str, list[float]]] = {}
    for r in records:
        key = r["category"] if by == "category" else f"{r['category']} / {r['piece']}"
        table.setdefault(r["method"], {}).setdefault(key, []).append(r["sdr"])
    return {m: {k: float(np.median(v)) for k, v in cols.items()} for m, cols in table.items()}


def print_table(records: list[dict], title: str, log=print) -> None:
    table = medians(records)
    columns = list(dict.fromkeys(r["category"] for r in records))
    log(f"\n{title}: median SDR by name (dB)")
    log(f"{'method':34s}" + "".join(f"{c:>18s}" for c in columns) + f"{'worst':>8s}")
    for method, row in table.items():
        values = [row.get(c, np.nan) for c in columns]
        log(f"{method:34s}" + "".join(f"{v:18.2f}" for v in values)
            + f"{np.nanmin(values):8.2f}")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.drums", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--half", choices=("tuning", "reporting", "both"), default="both")
    parser.add_argument("--categories", default=",".join(CATEGORIES),
                        help="comma-separated subset of " + ", ".join(CATEGORIES))
    parser.add_argument("--items", type=positive_int, default=None,
                        help="items per category and half")
    parser.add_argument("--no-real", action="store_true", help="skip ../shared/real-tuning")
    parser.add_argument("--variants", action="store_true",
                        help="nmfsep settings variants (benchmarks/drums/variants.py) on the "
                             "tuning half, beside libnmfd; writes results/variants.json")
    parser.add_argument("--only", default=None,
                        help="with --variants: only variants whose name contains one of these "
                             "comma-separated words")
    parser.add_argument("--fresh-libnmfd", action="store_true",
                        help="rerun libnmfd instead of reading its cached stems (its speed)")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--docs-only", action="store_true")
    args = parser.parse_args(argv)
    from .report import write_docs

    if args.docs_only:
        print(f"wrote {write_docs(RESULTS, ROOT / 'docs').relative_to(ROOT)}")
        return 0
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    categories = args.categories.split(",")
    command = shlex.join(["python", "-m", "benchmarks.drums",
                          *(argv if argv is not None else sys.argv[1:])])
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    from benchmarks.quality.report import machine

    where = machine()
    if args.variants:
        from .variants import VARIANTS

        chosen = {name: v for name, v in VARIANTS.items()
                  if not args.only or any(w in name for w in args.only.split(","))}
        # the variants are told whether a band plays (rest kept or not): they compare the
        # split itself; the decision is measured by the default run
        methods = {name: (lambda item, s=settings: run_nmfsep(item, s,
                                                              rest="rest" in item.names))
                   for name, settings in chosen.items()}
        methods[LIBNMFD] = "libnmfd"
        items = rendered_items("tuning", categories, args.items)
        records = run(items, methods, log)
        print_table(records, "tuning half, variants", log)
        result = dict(command=command, started=started, machine=where, records=records,
                      variants={n: str(s) for n, s in chosen.items()})
        RESULTS.mkdir(exist_ok=True)
        name = "variants" if not args.only and args.items is None else "variants-partial"
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1))
        return 0
    methods = {NMFSEP: run_nmfsep, LIBNMFD: "libnmfd"}
    halves = ["tuning", "reporting"] if args.half == "both" else [args.half]
    records = []
    for half in halves:
        part = run(rendered_items(half, categories, args.items), methods, log,
                   fresh_libnmfd=args.fresh_libnmfd)
        print_table(part, f"{half} half", log)
        records += part
    if not args.no_real:
        part = run(real_items(log), methods, log, fresh_libnmfd=args.fresh_libnmfd)
        if part:
            print_table(part, "real recordings (a check, never tuned on)", log)
        records += part
    result = dict(command=command, started=started, machine=where, halves=halves,
                  categories=categories, records=records)
    RESULTS.mkdir(exist_ok=True)
    complete = args.half == "both" and args.items is None and not args.no_real \
        and categories == list(CATEGORIES)
    path = RESULTS / ("drums.json" if complete else "drums-partial.json")
    path.write_text(json.dumps(result, indent=1))
    log(f"wrote {path.relative_to(ROOT)}")
    if complete and not args.no_docs:
        log(f"wrote {write_docs(RESULTS, ROOT / 'docs').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
