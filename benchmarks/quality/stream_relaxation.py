"""The stream's over-relaxed activations: quality and iterations against the plain update.

``nmfsep.stream`` solves each batch's activations with the dictionaries fixed
(:func:`nmfsep.activations.batch_activations`); raising the multiplicative
update's factor to a power above 1 (over-relaxation) reaches the same
stopping tolerance in fewer iterations.  This measures, for every rendered
category with training clips, the median SDR of the streamed sources and the
iterations per batch for each relaxation, on one half of the items
(``supervised.half_of``: even index = tuning, odd = reporting), and writes
docs/stream-relaxation.md.  The relaxation was chosen on the tuning half.

    python -m benchmarks.quality.stream_relaxation --half tuning
    python -m benchmarks.quality.stream_relaxation --half reporting

``--tolerances 1e-4,1.5e-4,2e-4,3e-4`` measures instead, at the stream's relaxation, looser
stopping tolerances than the offline factorization's (fewer iterations): the speed the
stream buys, at the cost shown.  ``TOLERANCE` in `nmfsep/stream.py`` is the loosest whose worst
category on the tuning half moves by at most :data:`NOISE_DB`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

import nmfsep
from nmfsep.config import SeparationConfig
from nmfsep.metrics import evaluate

from ..arguments import positive_float, positive_int
from .generate import CATEGORIES, build
from .supervised import half_of, learned

#: The largest change of a category's median SDR (dB) that the stream's stopping tolerance
#: may cost on the tuning half: below the tenth of a dB that the benchmark's tables show.
NOISE_DB = 0.02

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DOC = ROOT / "docs" / "stream-relaxation.md"
stream_module = importlib.import_module("nmfsep.stream")
activations_module = importlib.import_module("nmfsep.activations")


def streamed(item, dictionaries, relaxation: float,
             tol: float | None = None) -> tuple[np.ndarray, list[int]]:
    """The item streamed with this relaxation (and stopping tolerance, else the default's),
    and the iterations of every batch."""
    iterations: list[int] = []
    solve = activations_module.batch_activations
    changed = {"relaxation": relaxation, **({} if tol is None else {"tol": tol})}

    def counted(*args, **options):
        H, n_iter = solve(*args, **{**options, **changed})
        iterations.extend(n_iter.tolist())
        return H, n_iter

    stream_module.batch_activations = counted
    try:
        blocks = list(nmfsep.stream(item.mixture, item.sr, dictionaries))
    finally:
        stream_module.batch_activations = solve
    return np.concatenate(blocks, axis=-1), iterations


def run(half: str, items: int, duration: float, relaxations: list[float],
        categories: list[str], tolerances: list[float] | None = None) -> list[dict]:
    """Stream every item of ``half`` at each relaxation; or, with ``tolerances``, at the
    stream's relaxation with each stopping tolerance (stored under ``relaxation``)."""
    records = []
    settings = [(r, None) for r in relaxations] if not tolerances else \
        [(stream_module.RELAXATION, t) for t in tolerances]
    for category in categories:
        for index in (i for i in range(items) if half_of(i) == half):
            item = build(category, index, duration)
            dictionaries = learned(item)
            for relaxation, tol in settings:
                estimates, iterations = streamed(item, dictionaries, relaxation, tol)
                sdr = evaluate(item.sources, estimates, permute=True).sdr
                records.append(dict(category=category, item=index,
                                    relaxation=relaxation if tol is None else tol,
                                    sdr=[float(x) for x in sdr],
                                    iterations=float(np.mean(iterations))))
                print(f"{category:24s} {index} {relaxation:4.2f} {tol or '':6} "
                      + " ".join(f"{x:6.2f}" for x in sdr)
                      + f"  {np.mean(iterations):6.1f} it", file=sys.stderr, flush=True)
    return records


def summary(records: list[dict]) -> tuple[list[float], dict[str, dict[float, tuple]]]:
    """Per category and relaxation: median SDR over every source of every item, iterations."""
    relaxations = sorted({r["relaxation"] for r in records})
    rows: dict[str, dict[float, tuple]] = {}
    for category in dict.fromkeys(r["category"] for r in records):
        rows[category] = {}
        for relaxation in relaxations:
            chosen = [r for r in records
                      if r["category"] == category and r["relaxation"] == relaxation]
            rows[category][relaxation] = (
                float(np.median([x for r in chosen for x in r["sdr"]])),
                float(np.mean([r["iterations"] for r in chosen])))
    return relaxations, rows


def write_doc(results: dict[str, dict],
              tolerance_results: dict[str, dict] | None = None) -> None:
    lines = ["# The stream's over-relaxed activations",
             "",
             "Generated by `python -m benchmarks.quality.stream_relaxation` (the sweep on the "
             "tuning half chose `RELAXATION` in `nmfsep/stream.py`; the reporting half checks it). "
             "Each rendered category's items are streamed (`nmfsep.stream`, dictionaries "
             "learned from each source's training clip) with the activations' update raised "
             "to each relaxation; the table gives the median SDR over every source of every "
             "item (dB, BSS Eval v3, permutation solved) and the mean iterations per batch. "
             "Categories are ordered by the change at the chosen relaxation, worst first.",
             ""]
    chosen = stream_module.RELAXATION
    for half in ("tuning", "reporting"):
        if half not in results:
            continue
        result = results[half]
        relaxations, rows = summary(result["records"])
        lines += [f"## {half.capitalize()} half", "",
                  f"- Command: `{result['command']}`",
                  f"- Date: {result['started']}; nmfsep {nmfsep.__version__}", ""]
        header = "| category | " + " | ".join(
            f"SDR {r:g} | iterations {r:g}" for r in relaxations) + " | SDR change at " \
            f"{chosen:g} |"
        lines += [header, "|---|" + "---:|" * (2 * len(relaxations) + 1)]
        plain = relaxations[0]

        changes = {category: values.get(chosen, values[plain])[0] - values[plain][0]
                   for category, values in rows.items()}
        for category in sorted(rows, key=changes.get):
            cells = " | ".join(f"{rows[category][r][0]:.2f} | {rows[category][r][1]:.0f}"
                               for r in relaxations)
            lines.append(f"| {category} | {cells} | {changes[category]:+.2f} |")
        lines.append("")
    lines += _tolerance_sections(tolerance_results or {})
    DOC.write_text("\n".join(lines))


def _tolerance_sections(results: dict[str, dict]) -> list[str]:
    """The stopping tolerance at the stream's relaxation: the sweep that chose
    ``TOLERANCE` in `nmfsep/stream.py``."""
    if not results:
        return []
    default = SeparationConfig().tol
    lines = ["## The stopping tolerance", "",
             f"At the stream's relaxation ({stream_module.RELAXATION:g}), each batch stopped "
             f"at the offline factorization's tolerance ({default:g}) and at looser ones: "
             "fewer iterations, a faster stream, at the cost in each category shown. The "
             f"stream's default, `TOLERANCE` in `nmfsep/stream.py` = {stream_module.TOLERANCE:g}, "
             "is the loosest tolerance whose worst category on the tuning half moves by at "
             f"most {NOISE_DB:g} dB (below the tenth of a dB the quality tables show); "
             "the reporting half checks it. Categories ordered by the change at the "
             "loosest tolerance, worst first.", ""]
    for half in ("tuning", "reporting"):
        if half not in results:
            continue
        result = results[half]
        tolerances, rows = summary(result["records"])
        loosest = tolerances[-1]
        lines += [f"### {half.capitalize()} half", "",
                  f"- Command: `{result['command']}`",
                  f"- Date: {result['started']}; nmfsep {nmfsep.__version__}", "",
                  "| category | " + " | ".join(f"SDR tol {t:g} | iterations {t:g}"
                                              for t in tolerances)
                  + " | " + " | ".join(f"change at {t:g}" for t in tolerances[1:]) + " |",
                  "|---|" + "---:|" * (3 * len(tolerances) - 1)]
        first = tolerances[0]
        for category in sorted(rows, key=lambda c: rows[c][loosest][0] - rows[c][first][0]):
            cells = " | ".join(f"{rows[category][t][0]:.2f} | {rows[category][t][1]:.0f}"
                               for t in tolerances)
            changes = " | ".join(f"{rows[category][t][0] - rows[category][first][0]:+.2f}"
                                 for t in tolerances[1:])
            lines.append(f"| {category} | {cells} | {changes} |")
        changes = {t: min(rows[c][t][0] - rows[c][first][0] for c in rows)
                   for t in tolerances[1:]}
        worst = " / ".join(f"{change:+.2f} at {t:g}" for t, change in changes.items())
        lines += ["", f"Worst category's change: {worst}; the loosest tolerance within "
                      f"{NOISE_DB:g} dB: {loosest_within(changes, first):g}.", ""]
    return lines


def loosest_within(changes: dict[float, float], reference: float) -> float:
    """The loosest tolerance whose worst category's change (dB, as printed: to a hundredth),
    and every tighter one's, is at most :data:`NOISE_DB`; ``reference`` when none is."""
    chosen = reference
    for tol in sorted(changes):
        if round(changes[tol], 2) < -NOISE_DB:
            break
        chosen = tol
    return chosen


def _stored(kind: str) -> dict[str, dict]:
    """The stored runs of ``kind`` (relaxation or tolerance), by half."""
    results = {}
    for half in ("tuning", "reporting"):
        path = HERE / "results" / f"stream-{kind}-{half}.json"
        if path.exists():
            results[half] = json.loads(path.read_text())
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.stream_relaxation",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--half", choices=("tuning", "reporting"), required=True)
    parser.add_argument("--items", type=positive_int, default=8,
                        help="items per category (both halves)")
    parser.add_argument("--duration", type=positive_float, default=10.0, help="seconds per item")
    parser.add_argument("--relaxations", default="1,1.5,1.9")
    parser.add_argument("--categories", default=",".join(CATEGORIES))
    parser.add_argument("--tolerances", default=None,
                        help="instead of the relaxations: the stream's relaxation with each of "
                             "these stopping tolerances (comma-separated, the default first)")
    args = parser.parse_args(argv)
    kind = "tolerance" if args.tolerances else "relaxation"
    out = HERE / "results" / f"stream-{kind}-{args.half}.json"
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    tolerances = [float(x) for x in args.tolerances.split(",")] if args.tolerances else None
    records = run(args.half, args.items, args.duration,
                  [float(x) for x in args.relaxations.split(",")], args.categories.split(","),
                  tolerances)
    command = shlex.join(["python", "-m", "benchmarks.quality.stream_relaxation",
                          *(argv if argv is not None else sys.argv[1:])])
    out.write_text(json.dumps(dict(command=command, started=started, records=records), indent=1))
    write_doc(*(_stored(kind) for kind in ("relaxation", "tolerance")))
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
