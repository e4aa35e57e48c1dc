"""The section of ``docs/benchmarks.md`` on the widened benchmark (issue 24), reporting half.

Reads every ``results/widened*.json`` (runs of ``python -m benchmarks.quality --widened``)
and ``results/quality.json`` (the first four categories), keeps the **reporting half**
of each category (:mod:`benchmarks.quality.halves`), and writes one table with the
categories worst first, then the issue's targets, each marked met or not met from the
numbers.  ``python -m benchmarks.quality.report_widened --freeze-baseline RESULT`` stores
the first four categories' reporting-half medians of nmfsep's defaults in that result
file (e.g. ``results/widened-reporting-original.json``, a run of the current defaults)
as ``results/baseline-issue24.json``: the "before" of the fourth target.

Generated like the rest of the page: edit this file or the benchmark, never the page.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .halves import REPORTING, half_of, rendered_index
from .merge import merged_lines
from .methods import BEST_BANDS, DRUMS_NAMED, NAMED
from .report import DEFAULT, PLAIN_ORACLE, _medians

TITLE = "Widened benchmark (issue 24): reporting half, worst category first"
SAME_ORACLE = "nmfsep NMF, oracle grouping"
STRATEGY_PREFIX = "nmfsep grouping="
#: auto may be this far below the best fixed strategy (issue 24).
STRATEGY_SLACK_DB = 0.5
#: the mean gap to the oracle grouping of the same factorization (issue 24).
ORACLE_GAP_DB = 1.5
#: the first four categories may lose at most this (issue 24).
LOSS_DB = 0.3
BASELINE = "baseline-issue24.json"
ORIGINAL = ("drums+guitar", "piano+voice", "bass+drums+piano", "chorale")


def record_half(record: dict) -> str:
    """A rendered record's half: its own ``half`` field, else from its item's index."""
    return record.get("half") or half_of(rendered_index(record["item"]))


def load(results: Path) -> tuple[list[dict], list[dict]]:
    """Every record of ``widened*.json`` and ``quality.json`` (later files win) and the runs."""
    runs, merged = [], {}
    paths = sorted(results.glob("widened*.json"))
    quality = results / "quality.json"
    for path in ([quality] if quality.exists() else []) + paths:
        result = json.loads(path.read_text())
        runs.append(dict(file=path.name, command=result["command"], started=result["started"],
                         duration=result.get("duration"), seconds=result.get("seconds", 0.0),
                         commit=result.get("machine", {}).get("commit", "?"),
                         categories=result["categories"],
                         items=result.get("items_per_category"),
                         merged=merged_lines(result, prefix="  - ")))
        for r in result["records"]:
            merged[(r["item"], r["method"], r["source"])] = r
    return list(merged.values()), runs


def reporting(records: list[dict]) -> list[dict]:
    """The records of the reporting half."""
    return [r for r in records if record_half(r) == REPORTING]


def _strategies(table: dict) -> list[str]:
    return sorted(m for m in table if m.startswith(STRATEGY_PREFIX)
                  and m != f"{STRATEGY_PREFIX}auto")


def verdicts(records: list[dict], anchors: tuple[str, ...],
             baseline: dict[str, float] | None = None) -> dict:
    """Per category: auto, its margins and the issue's targets, from the median SDRs.

    Returns
    -------
    dict
        ``categories``: category → dict of ``auto``, ``best_strategy`` (name, value),
        ``best_anchor`` (name, value), ``oracle``, ``strategy_ok``, ``anchor_ok``,
        ``before`` and ``kept`` (the first four only); ``mean_gap`` and ``gap_ok``.
    """
    table = _medians(records)
    mine = table.get(DEFAULT, {})
    out: dict[str, dict] = {}
    for c in mine:
        row: dict = dict(auto=mine[c])
        strategies = [(table[m][c], m) for m in _strategies(table) if c in table[m]]
        present = [(table[a][c], a) for a in anchors if a in table and c in table[a]]
        if strategies:
            value, name = max(strategies)
            row["best_strategy"] = (name[len(STRATEGY_PREFIX):], value)
            row["strategy_ok"] = mine[c] >= value - STRATEGY_SLACK_DB
        if present:
            value, name = max(present)
            row["best_anchor"] = (name, value)
            row["anchor_ok"] = mine[c] >= value
        if c in table.get(SAME_ORACLE, {}):
            row["oracle"] = table[SAME_ORACLE][c]
        if baseline and c in baseline:
            row["before"] = baseline[c]
            row["kept"] = mine[c] >= baseline[c] - LOSS_DB
        out[c] = row
    gaps = [row["oracle"] - row["auto"] for row in out.values() if "oracle" in row]
    mean_gap = float(np.mean(gaps)) if gaps else float("nan")
    return dict(categories=out, mean_gap=mean_gap, gap_ok=bool(gaps) and mean_gap <= ORACLE_GAP_DB)


def worst_first(found: dict) -> list[str]:
    """Categories by auto's margin to the best blind anchor, lowest first (no anchor: last)."""
    rows = found["categories"]
    return sorted(rows, key=lambda c: (("best_anchor" not in rows[c]),
                                       rows[c]["auto"] - rows[c].get("best_anchor", ("", 0))[1]))


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**not met**")


def _median_table(records: list[dict], order: list[str], anchors: tuple[str, ...]) -> str:
    table = _medians(records)
    columns = [DEFAULT, *[m for m in (NAMED, DRUMS_NAMED) if m in table], *_strategies(table),
               *[a for a in anchors if a in table],
               *[m for m in (BEST_BANDS, PLAIN_ORACLE, SAME_ORACLE) if m in table]]
    items = {c: len({r["item"] for r in records if r["category"] == c}) for c in order}
    heads = [m[len(STRATEGY_PREFIX):] if m.startswith(STRATEGY_PREFIX) else m for m in columns]
    lines = ["| category | items | " + " | ".join(heads) + " |",
             "|---|---:|" + "---:|" * len(columns)]
    for c in order:
        cells = [f"{table[m][c]:.1f}" if c in table.get(m, {}) else "–" for m in columns]
        cells[0] = f"**{cells[0]}**"
        lines.append(f"| {c} | {items[c]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _targets_table(found: dict, order: list[str]) -> str:
    lines = [f"| category | {DEFAULT} | best fixed strategy | ≥ it − {STRATEGY_SLACK_DB:g} dB "
             f"| best blind anchor | ≥ every blind anchor | {SAME_ORACLE} | gap | before | "
             f"≥ before − {LOSS_DB:g} dB |", "|---|---:|---|---|---|---|---:|---:|---:|---|"]
    for c in order:
        row = found["categories"][c]
        strategy = ("{} {:.1f}".format(*row["best_strategy"]) if "best_strategy" in row
                    else "–")
        anchor = "{} {:.1f}".format(*row["best_anchor"]) if "best_anchor" in row else "–"
        oracle = f"{row['oracle']:.1f}" if "oracle" in row else "–"
        gap = f"{row['oracle'] - row['auto']:.1f}" if "oracle" in row else "–"
        before = f"{row['before']:.1f}" if "before" in row else "–"
        lines.append(f"| {c} | {row['auto']:.1f} | {strategy} | "
                     f"{_mark(row.get('strategy_ok'))} | {anchor} | "
                     f"{_mark(row.get('anchor_ok'))} | {oracle} | {gap} | {before} | "
                     f"{_mark(row.get('kept'))} |")
    return "\n".join(lines)


def _summary(found: dict) -> list[str]:
    rows = found["categories"].values()

    def every(key: str) -> str:
        values = [row[key] for row in rows if key in row]
        if not values:
            return "not measured"
        failed = sum(not v for v in values)
        return "met" if not failed else f"**not met** ({failed} of {len(values)} categories)"

    return [f"1. `auto` ≥ the best fixed nmfsep strategy − {STRATEGY_SLACK_DB:g} dB in every "
            f"category: {every('strategy_ok')}",
            f"2. `auto` ≥ every blind anchor in every category: {every('anchor_ok')}",
            f"3. mean gap to the oracle grouping of the same factorization ≤ "
            f"{ORACLE_GAP_DB:g} dB: {found['mean_gap']:.1f} dB, "
            f"{'met' if found['gap_ok'] else '**not met**'}",
            f"4. the first four categories no more than {LOSS_DB:g} dB below before: "
            f"{every('kept')}"]


def load_baseline(results: Path) -> dict[str, float] | None:
    path = results / BASELINE
    return json.loads(path.read_text())["medians"] if path.exists() else None


def widened_section(results: Path, anchors: tuple[str, ...]) -> str:
    """The page's section on the widened benchmark; empty when no widened run exists."""
    if not list(results.glob("widened*.json")):
        return ""
    records, runs = load(results)
    kept = reporting(records)
    baseline = load_baseline(results)
    baseline_source = (json.loads((results / BASELINE).read_text())["command"]
                       if baseline else "nothing: no baseline stored")
    found = verdicts(kept, anchors, baseline)
    order = worst_first(found)
    out = [f"## {TITLE}", "",
           "Every category split in two halves (`benchmarks/quality/halves.py`: item index "
           "even = tuning half, odd = reporting half); choices are made on the tuning half and "
           "this section shows only the **reporting half**: median SDR (dB, BSS Eval v3) over "
           "every source of its items. Categories are ordered by the margin of nmfsep's "
           "defaults (`auto`) to the best blind anchor of the category, lowest first. Columns: "
           "the defaults, every fixed grouping strategy on the same factorization, the blind "
           "anchors, and the oracles: the filter bank whose bands go to the source with the most "
           "energy in them (from the true stems) and the oracle groupings (of a plain NMF, and of "
           "the defaults' own factorization).", "",
           "The categories added by the widened benchmark (at least 8 items each; the runs "
           "below may use fewer, and shorter items, as they say):", ""]
    from .widened import DESCRIPTIONS
    out += [f"- `{name}`: {text}" for name, text in DESCRIPTIONS.items()]
    out += ["", "Runs merged here (a later run's records replace an earlier one's):", ""]
    for run in runs:
        length = f"{run['duration']:g} s items" if run.get("duration") else ""
        out.append(f"- `{run['command']}` ({run['file']}; {run['started']}, "
                   f"{run['seconds'] / 60:.0f} min, commit {run['commit']}; "
                   f"{run['items']} items per category, {length})")
        out += run["merged"]
    out += ["", _median_table(kept, order, anchors), "",
            "### Targets of issue 24 (reporting half)", "",
            "Computed from the medians above; *before* is the first four categories' "
            f"reporting-half median of nmfsep's defaults stored in `results/{BASELINE}` "
            f"(from `{baseline_source}`) when the widened benchmark was made.", "",
            *_summary(found), "", _targets_table(found, order), ""]
    return "\n".join(out)


def freeze_baseline(results: Path, source: Path) -> Path:
    """Store the first four categories' reporting-half medians of nmfsep's defaults in
    ``source`` (a result file) as ``results/baseline-issue24.json``."""
    quality = json.loads(source.read_text())
    records = [r for r in reporting(quality["records"]) if r["category"] in ORIGINAL]
    medians = _medians(records).get(DEFAULT, {})
    path = results / BASELINE
    path.write_text(json.dumps(dict(source=f"results/{source.name}", command=quality["command"],
                                    started=quality["started"],
                                    commit=quality.get("machine", {}).get("commit"),
                                    medians=medians), indent=1))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.report_widened",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--freeze-baseline", metavar="RESULT", default=None,
                        help=f"write results/{BASELINE} from this result file")
    args = parser.parse_args(argv)
    results = Path(__file__).resolve().parent / "results"
    if args.freeze_baseline:
        print(f"wrote {freeze_baseline(results, Path(args.freeze_baseline))}")
    else:
        from .methods import BLIND_ANCHORS
        print(widened_section(results, BLIND_ANCHORS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
