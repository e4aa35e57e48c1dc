"""Turn the benchmark's JSON results into ``docs/benchmarks.md`` and its figure.

The page is generated: edit this file or the benchmark, never the page.
"""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path

import numpy as np

from nmfsep.policy import DEFAULT_POLICY

from .merge import merged_lines

TARGET_MARGIN_DB = {"drums+guitar": 2.0, "bass+drums+piano": 2.0}
DEFAULT = "nmfsep (defaults)"
RUNS = "nmfsep runs=1"
PLAIN_ORACLE = "plain NMF, oracle grouping"


#: The code a measurement depends on (the stored results and the docs aside).
MEASURED_CODE = ("src", "benchmarks", ":(exclude,glob)benchmarks/**/results/**")


def git_commit(here: Path | None = None) -> str:
    """The short commit of the repository at ``here`` (this one by default), or "unknown"
    outside a git checkout.

    ``-dirty`` follows it when the library's or the benchmarks' code differs from that
    commit's (uncommitted changes): the measurement is then of code no commit holds.
    """
    here = Path(__file__).parent if here is None else here
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True, cwd=here).stdout.strip()
        root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                              text=True, check=True, cwd=here).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no",
                                  "--", *MEASURED_CODE], capture_output=True, text=True,
                                 check=True, cwd=root).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if changed else "")


def machine() -> dict:
    """Where the benchmark ran: CPU, cores, Python and library versions, git commit."""
    import librosa
    import numpy
    import scipy
    import sklearn

    import nmfsep

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = git_commit()
    import os
    return dict(cpu=cpu, cores=os.cpu_count(), system=platform.platform(),
                python=platform.python_version(), numpy=numpy.__version__,
                scipy=scipy.__version__, librosa=librosa.__version__,
                sklearn=sklearn.__version__, nmfsep=nmfsep.__version__, commit=commit)


def _medians(records, key="sdr"):
    table: dict[str, dict[str, list[float]]] = {}
    for r in records:
        table.setdefault(r["method"], {}).setdefault(r["category"], []).append(r[key])
    return {m: {c: float(np.median(v)) for c, v in cats.items()} for m, cats in table.items()}


def _table(records, categories, key, methods=None, fmt="{:.1f}"):
    table = _medians(records, key)
    methods = methods or list(table)
    lines = ["| method | " + " | ".join(categories) + " |",
             "|---|" + "---:|" * len(categories)]
    for m in methods:
        row = table.get(m, {})
        cells = [fmt.format(row[c]) if c in row else "–" for c in categories]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _detail(records, category, methods):
    rows = [r for r in records if r["category"] == category]
    names = list(dict.fromkeys(r["source"] for r in rows))
    lines = ["| method | SDR | SIR | SAR | SI-SDR | SDRi | "
             + " | ".join(f"SDR {n}" for n in names) + " | s/item |",
             "|---|" + "---:|" * (6 + len(names))]
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        if not mine:
            continue
        cells = [np.median([r[k] for r in mine]) for k in ("sdr", "sir", "sar", "si_sdr", "sdri")]
        cells += [np.median([r["sdr"] for r in mine if r["source"] == n]) for n in names]
        seconds = np.median([r["seconds"] for r in mine])
        lines.append(f"| {m} | " + " | ".join(f"{c:.1f}" for c in cells) + f" | {seconds:.1f} |")
    return "\n".join(lines)


def _targets(records, categories, anchors, method=DEFAULT):
    table = _medians(records)
    lines = [f"| category | {method} | best blind anchor | margin | needed | "
             "plain NMF oracle | verdict |", "|---|---:|---|---:|---:|---:|---|"]
    for c in categories:
        mine = table.get(method, {}).get(c)
        present = [(table[a][c], a) for a in anchors if a in table and c in table[a]]
        if mine is None or not present:
            continue
        best, name = max(present)
        need = TARGET_MARGIN_DB.get(c, 0.0)
        oracle = table.get(PLAIN_ORACLE, {}).get(c, float("nan"))
        ok = mine - best >= need if need else mine > best
        if c == "drums+guitar":
            ok = ok and mine >= oracle
        lines.append(f"| {c} | {mine:.1f} | {name} {best:.1f} | {mine - best:+.1f} | "
                     f"{'≥ ' + format(need, '.0f') if need else '> 0'}"
                     f"{' and ≥ oracle' if c == 'drums+guitar' else ''} | {oracle:.1f} | "
                     f"{'met' if ok else 'not met'} |")
    return "\n".join(lines)


def _figure(records, categories, methods, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = _medians(records)
    fig, ax = plt.subplots(figsize=(11, 4.8))
    width = 0.8 / len(methods)
    cmap = plt.get_cmap("tab20")
    for i, m in enumerate(methods):
        values = [table.get(m, {}).get(c, np.nan) for c in categories]
        ax.bar(np.arange(len(categories)) + (i - (len(methods) - 1) / 2) * width, values, width,
               label=m, color=cmap(i % 20), edgecolor="black" if m == DEFAULT else "none")
    ax.set_xticks(np.arange(len(categories)), categories)
    ax.set_ylabel("median SDR (dB)")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_title("Separation quality by method and category (BSS Eval v3, higher is better)")
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _sweep_section(sweep: dict) -> str:
    records = sweep["records"]
    categories = sweep["categories"]
    table = _medians(records)
    lines = [
        "## Evidence for the defaults",
        "",
        "nmfsep variants on the same items, one parameter changed at a time from the "
        "defaults (median SDR in dB; `mean` is the mean of the category medians). Each "
        "variant is one factorization (`n_runs=1`), so the rows compare factorizations and "
        "groupings; the combination of runs is measured in the tables above.",
        "",
        f"Command: `{sweep['command']}` ({sweep['items_per_category']} items per category, "
        f"{sweep['started']}, {sweep['seconds'] / 60:.0f} min).",
        "",
        "| variant | " + " | ".join(categories) + " | mean |",
        "|---|" + "---:|" * (len(categories) + 1),
    ]
    for m in [x["name"] for x in sweep["methods"]]:
        row = table.get(m, {})
        values = [row.get(c, np.nan) for c in categories]
        lines.append(f"| {m} | " + " | ".join(f"{v:.1f}" for v in values)
                     + f" | {np.nanmean(values):.1f} |")
    return "\n".join(lines)


def _heldout_section(heldout: dict) -> str:
    records, categories = heldout["records"], heldout["categories"]
    names = [m["name"] for m in heldout["methods"]]
    first = min(int(name.rsplit("-", 1)[1]) for name in heldout["items"])
    return "\n".join([
        "## Held-out check: other items, other instruments",
        "",
        "The defaults were chosen on the items above. Here they run on items that played "
        f"no part in choosing them (indices {first} to "
        f"{first + heldout['items_per_category'] - 1} of each category: other grooves, "
        "patches, songs and chorales), rendered with another soundfont (MuseScore "
        "General instead of FluidR3 GM: other recordings of every instrument). Median SDR "
        "in dB. *What was tried* says which items earlier rounds looked at: the seventh "
        "round's low register for a bass line, the eighth round's share of the spectrum "
        "(the chorales, drums + guitar) and the ninth round's consistent masks (the "
        "mixtures with drums) were chosen on these items too, each among six other sets, "
        "so only the piano + voice column of this section is still held out.",
        "",
        f"Command: `{heldout['command']}` ({heldout['started']}, "
        f"{heldout['seconds'] / 60:.0f} min).",
        "",
        _table(records, categories, "sdr", names),
    ])


def method_text(method: dict) -> str:
    """What a stored method does: its docstring as run, else its note, else today's docstring
    (the registry's, for a run stored before the method had one)."""
    text = " ".join(method["doc"].split()) or method["note"]
    if not text:
        from .methods import methods
        text = next((" ".join((m.run.__doc__ or "").split()) for m in methods()
                     if m.name == method["name"]), "")
    return text


def write_docs(results: Path, docs: Path) -> Path:
    """Write ``docs/benchmarks.md`` and ``docs/figures/quality.png`` from the JSON results."""
    from .methods import BLIND_ANCHORS

    result = json.loads((results / "quality.json").read_text())
    records, categories = result["records"], result["categories"]
    names = [m["name"] for m in result["methods"]]
    figure = docs / "figures" / "quality.png"
    _figure(records, categories, names, figure)
    info = result.get("machine", {})
    out = [
        "# Quality benchmark",
        "",
        "<!-- generated by `python -m benchmarks.quality`; do not edit by hand -->",
        "",
        "How cleanly nmfsep separates realistic mixtures, next to the tools users have today "
        "and the oracles that bound what any grouping or any mask could do, all in one run.",
        "",
        f"- Command: `{result['command']}` (after `bash benchmarks/quality/setup.sh`); "
        "this page is rewritten from the stored results by "
        "`python -m benchmarks.quality --docs-only` (and by a run without `--no-docs`)",
        f"- Date: {result['started']}; run time {result['seconds'] / 60:.0f} min",
        *merged_lines(result),
        f"- Machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores, "
        f"{info.get('system', '?')}; Python {info.get('python', '?')}, numpy "
        f"{info.get('numpy', '?')}, scipy {info.get('scipy', '?')}, librosa "
        f"{info.get('librosa', '?')}, scikit-learn {info.get('sklearn', '?')}; "
        f"nmfsep {info.get('nmfsep', '?')} at commit {info.get('commit', '?')}",
        f"- Data: {result['items_per_category']} items per category, "
        f"{result['duration']:g} s each, mono, 22.05 kHz (see *The data* below)",
        "",
        "## Median SDR per category (dB)",
        "",
        "Median over every source of every item of the category; BSS Eval v3 "
        "(`nmfsep.metrics.evaluate`, equal to mir_eval's `bss_eval_sources`), permutation "
        "solved. Higher is better.",
        "",
        _table(records, categories, "sdr", names),
        "",
        "![median SDR per method and category](figures/quality.png)",
        "",
        "## Median SDR improvement over the unprocessed mixture (dB)",
        "",
        _table(records, categories, "sdri", names),
        "",
        "## Targets",
        "",
        "nmfsep's defaults against the best blind anchor (NMF-MFCC, HPSS, the crossover "
        "filterbank, the low-frequency centroid, NMFD) of each "
        "category; on drums + guitar also against plain NMF with oracle grouping.",
        "",
        _targets(records, categories, BLIND_ANCHORS),
        "",
    ]
    if any(r["method"] == RUNS for r in records):
        out += [
            f"The same targets for `{RUNS}`: one factorization instead of the "
            f"{DEFAULT_POLICY.auto_runs} whose "
            "masks the defaults combine on recordings up to a minute (`nmfsep.ensemble`); "
            "it is what longer recordings get by default.",
            "",
            _targets(records, categories, BLIND_ANCHORS, RUNS),
            "",
        ]
    from .report_widened import widened_section
    widened = widened_section(results, BLIND_ANCHORS)
    if widened:
        out += [widened, ""]
    for c in categories:
        out += [f"## {c}", "", _detail(records, c, names), ""]
    real_path = results / "real.json"
    if real_path.exists():
        from .report_real import real_section
        out += [real_section(json.loads(real_path.read_text()), BLIND_ANCHORS, set(names)), ""]
    out += ["## The methods", ""]
    for m in result["methods"]:
        out.append(f"- **{m['name']}** ({m['kind']}): {method_text(m)}")
    out += [
        "",
        "*blind* methods see only the mixture and the number of sources; *oracle* ones also "
        "see the true stems (*filterbank, best bands* uses them only to assign its bands to "
        "sources, as the best a fixed filterbank could do: a bound, not an anchor; the blind "
        "*filterbank, crossover* cuts the same bands by the mixture alone). A *supervised* "
        "method may also see one "
        "training clip per source.",
        "",
        "## The data",
        "",
        "Generated by `benchmarks/quality/generate.py` (deterministic; rendered audio is "
        "cached in `benchmarks/quality/results/cache/`): MIDI written by the generator (or, "
        "for the chorales, taken from music21's bundled Bach chorales), each source rendered "
        "on its own with fluidsynth and the FluidR3 General MIDI soundfont, mixed to mono, "
        "levels within ±3 dB of each other, and summed, so the stems add up to the mixture "
        "exactly. Each source also has a 10 s training clip of the same instrument playing "
        "other material.",
        "",
        "| item | material |",
        "|---|---|",
    ]
    for name, info_item in result["items"].items():
        detail = ", ".join(f"{k}={v}" for k, v in info_item.items() if k != "programs")
        out.append(f"| {name} | {detail} |")
    heldout_path = results / "heldout.json"
    if heldout_path.exists():
        out += ["", _heldout_section(json.loads(heldout_path.read_text()))]
    sweep_path = results / "sweep.json"
    if sweep_path.exists():
        out += ["", _sweep_section(json.loads(sweep_path.read_text()))]
    notes = results.parent / "notes.md"
    if notes.exists():
        out += ["", notes.read_text().strip()]
    page = docs / "benchmarks.md"
    page.write_text("\n".join(out) + "\n")
    return page
