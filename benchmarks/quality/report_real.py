"""The section of ``docs/benchmarks.md`` on the real recordings, from ``results/real.json``.

Generated like the rest of the page (by ``python -m benchmarks.quality --real`` or
``--docs-only``): edit this file or the benchmark, never the page.
"""

from __future__ import annotations

import numpy as np

from .halves import REPORTING, real_halves
from .merge import merged_lines
from .report import DEFAULT, PLAIN_ORACLE, _detail, _medians, method_text

TITLE = "Real recordings (../shared/real-tuning)"
#: The grouping should come within this of the oracle grouping of a plain NMF (issue 31).
ORACLE_GAP_DB = 2.0


def worst_first(records: list[dict], categories: list[str], method: str = DEFAULT) -> list[str]:
    """``categories`` by ``method``'s median SDR, lowest first (those it lacks last)."""
    table = _medians(records).get(method, {})
    return sorted(categories, key=lambda c: (c not in table, table.get(c, 0.0)))


def _methods_present(result: dict) -> list[str]:
    present = {r["method"] for r in result["records"]}
    return [m["name"] for m in result["methods"] if m["name"] in present]


def _median_table(records: list[dict], categories: list[str], methods: list[str]) -> str:
    table = _medians(records)
    lines = ["| method | " + " | ".join(categories) + " |",
             "|---|" + "---:|" * len(categories)]
    for m in methods:
        row = table.get(m, {})
        cells = [f"{row[c]:.1f}" if c in row else "–" for c in categories]
        name = f"**{m}**" if m == DEFAULT else m
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def reporting_half(records: list[dict]) -> list[dict]:
    """The records of each category's reporting half (odd positions among its sorted items)."""
    halves: dict[str, str] = {}
    for category in dict.fromkeys(r["category"] for r in records):
        halves.update(real_halves(r["item"] for r in records if r["category"] == category))
    return [r for r in records if halves[r["item"]] == REPORTING]


def _targets(records: list[dict], categories: list[str], anchors: tuple[str, ...]) -> str:
    table = _medians(records)
    lines = [f"| category | {DEFAULT} | best blind anchor | margin | ≥ every blind anchor | "
             f"{PLAIN_ORACLE} | gap | within {ORACLE_GAP_DB:g} dB |",
             "|---|---:|---|---:|---|---:|---:|---|"]
    for c in categories:
        mine = table.get(DEFAULT, {}).get(c)
        present = [(table[a][c], a) for a in anchors if a in table and c in table[a]]
        if mine is None or not present:
            continue
        best, name = max(present)
        oracle = table.get(PLAIN_ORACLE, {}).get(c, float("nan"))
        lines.append(
            f"| {c} | {mine:.1f} | {name} {best:.1f} | {mine - best:+.1f} | "
            f"{'yes' if mine >= best else 'no'} | {oracle:.1f} | {mine - oracle:+.1f} | "
            f"{'yes' if mine >= oracle - ORACLE_GAP_DB else 'no'} |")
    return "\n".join(lines)


def _per_recording(records: list[dict], category: str, methods: list[str]) -> str:
    rows = [r for r in records if r["category"] == category]
    items = list(dict.fromkeys(r["item"] for r in rows))
    labels = [item.split("-", 1)[1] if "-" in item else item for item in items]
    lines = ["| method | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(items)]
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        if not mine:
            continue
        cells = []
        for item in items:
            values = [r["sdr"] for r in mine if r["item"] == item]
            cells.append(f"{np.median(values):.1f}" if values else "–")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _recordings_table(result: dict) -> str:
    lines = ["| item | sources (stems) | stem levels, dB re. the sum of all stems | left out |",
             "|---|---|---|---|"]
    for name, info in result["items"].items():
        sources = "; ".join(f"{s}: {' + '.join(stems)}" for s, stems in info["stems"].items())
        levels = ", ".join(f"{s} {v:.1f}" for s, v in info["levels_db"].items())
        left = ", ".join(info["left_out"]) or "–"
        lines.append(f"| {name} | {sources} | {levels} | {left} |")
    return "\n".join(lines)


def real_section(result: dict, anchors: tuple[str, ...], described: set[str]) -> str:
    """The page's section on the real recordings.

    Parameters
    ----------
    result : dict
        ``results/real.json``.
    anchors : tuple of str
        The blind anchors that ``nmfsep (defaults)`` should beat.
    described : set of str
        Methods the page already describes (the rest are described here).
    """
    records = result["records"]
    methods = _methods_present(result)
    categories = worst_first(records, result["categories"])
    info = result.get("machine", {})
    excerpt = (f"the first {result['excerpt_seconds']:g} s of each excerpt"
               if result.get("excerpt_seconds") else "each recording's whole excerpt (≤ 30 s)")
    out = [
        f"## {TITLE}",
        "",
        f"Real recordings with their true stems, from `{result['folder']}` (outside the "
        "repository: its README gives the sources and licences; nothing of it is copied "
        "here). Each item is one recording's stems summed into the category's sources, and "
        "the mixture is the sum of those sources (re-summed from the stems, so it is exact); a "
        f"stem more than {-result['silence_db']:g} dB below the sum of the recording's stems "
        "counts as silent and is left out. These categories are for rejecting changes that "
        "do not generalize, never for fitting constants: the grouping is also judged on "
        "other recordings of the same kinds that are not in the folder.",
        "",
        f"- Command: `{result['command']}`; rewritten from the results by "
        "`python -m benchmarks.quality --docs-only`",
        f"- Date: {result['started']}; run time {result['seconds'] / 60:.0f} min; nmfsep "
        f"{info.get('nmfsep', '?')} at commit {info.get('commit', '?')}, "
        f"{info.get('cpu', '?')}",
        *merged_lines(result),
        f"- Data: {excerpt}, mono, {len(result['items'])} items (table at the end of this "
        "section)",
        "- Scoring as above (BSS Eval v3, median over every source of every item); the "
        "outputs of a method with named outputs (NMFD: one per drum piece) are scored "
        "against the source of their name, the others' permutation is solved.",
    ]
    for name, reason in sorted(result.get("unavailable", {}).items()):
        out.append(f"- **{name}** did not run: {reason}")
    out += [
        "",
        "### Median SDR per category (dB), worst category first",
        "",
        "Categories ordered by nmfsep's defaults, lowest first.",
        "",
        _median_table(records, categories, methods),
        "",
        "### Reporting half, worst category first",
        "",
        "The same medians over the reporting half only (in each category, the items at odd "
        "positions of its sorted item names: `benchmarks/quality/halves.py`), categories "
        "ordered by nmfsep's defaults, lowest first.",
        "",
        _median_table(reporting_half(records), worst_first(reporting_half(records),
                                                           result["categories"]), methods),
        "",
        "### Targets",
        "",
        "nmfsep's defaults against the best blind anchor of each category (" +
        ", ".join(a for a in anchors if a in methods) + f"), and within {ORACLE_GAP_DB:g} dB "
        "of plain NMF with oracle grouping.",
        "",
        _targets(records, categories, anchors),
        "",
    ]
    for c in categories:
        description = result.get("descriptions", {}).get(c, "")
        out += [f"### {c}", "", f"{description[0].upper()}{description[1:]}." if description
                else "", "", _detail(records, c, methods), "",
                "Median SDR over the sources of each recording (dB):", "",
                _per_recording(records, c, methods), ""]
    new = [m for m in result["methods"] if m["name"] in methods and m["name"] not in described]
    if new:
        out += ["### Methods not described above", ""]
        for m in new:
            out.append(f"- **{m['name']}** ({m['kind']}): {method_text(m)}")
        out.append("")
    out += ["### The recordings", "", _recordings_table(result)]
    return "\n".join(out)
