"""Turn the drum benchmark's results into docs/drums.md (generated: edit this, never the page).

The tables come from ``benchmarks/drums/results/drums.json`` (``python -m
benchmarks.drums``) and ``variants.json`` (``--variants``); the figures from
``docs/make_drum_figures.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

NMFSEP = "nmfsep drums"
LIBNMFD = "libnmfd NMFD recipe"
PIECE_ORDER = ("kick", "snare", "hihat", "toms", "cymbals", "rest")


def _median(records, **match) -> float:
    values = [r["sdr"] for r in records if all(r.get(k) == v for k, v in match.items())]
    return float(np.median(values)) if values else float("nan")


def _category_table(records: list[dict]) -> str:
    """Median SDR by name per category, both methods, the worst category first."""
    categories = list(dict.fromkeys(r["category"] for r in records))
    rows = []
    for c in categories:
        mine, theirs = _median(records, category=c, method=NMFSEP), \
            _median(records, category=c, method=LIBNMFD)
        items = len({r["item"] for r in records if r["category"] == c})
        pieces = [p for p in PIECE_ORDER if any(r["piece"] == p and r["category"] == c
                                                for r in records)]
        detail = " · ".join(
            f"{p} {_median(records, category=c, method=NMFSEP, piece=p):.1f} / "
            f"{_median(records, category=c, method=LIBNMFD, piece=p):.1f}" for p in pieces)
        rows.append((mine - theirs, c, items, mine, theirs, detail))
    rows.sort(key=lambda r: r[3])
    lines = ["| category | items | nmfsep | libnmfd recipe | difference | per piece "
             "(nmfsep / libnmfd) |", "|---|---:|---:|---:|---:|---|"]
    for diff, c, items, mine, theirs, detail in rows:
        lines.append(f"| {c} | {items} | {mine:.1f} | {theirs:.1f} | {diff:+.1f} | {detail} |")
    return "\n".join(lines)


def real_half(records: list[dict]) -> dict[str, str]:
    """The half of each real recording: by its position in the sorted list, even = tuning.

    The project's convention for every category (the lead's NEWS, 03:40).
    """
    items = sorted({r["item"] for r in records})
    return {item: ("tuning" if i % 2 == 0 else "reporting") for i, item in enumerate(items)}


def _per_item_table(records: list[dict]) -> str:
    items = list(dict.fromkeys(r["item"] for r in records))
    halves = real_half(records)
    pieces = [p for p in PIECE_ORDER if any(r["piece"] == p for r in records)]
    lines = ["| recording | half | " + " | ".join(f"{p} (nmfsep / libnmfd)" for p in pieces)
             + " | median (nmfsep / libnmfd) |", "|---|---|" + "---:|" * (len(pieces) + 1)]
    for item in items:
        kit = halves[item]
        cells = [f"{_median(records, item=item, method=NMFSEP, piece=p):.1f} / "
                 f"{_median(records, item=item, method=LIBNMFD, piece=p):.1f}" for p in pieces]
        cells.append(f"{_median(records, item=item, method=NMFSEP):.1f} / "
                     f"{_median(records, item=item, method=LIBNMFD):.1f}")
        lines.append(f"| {item} | {kit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rest_table(records: list[dict]) -> str:
    """How often ``rest="auto"`` decided right, per category."""
    lines = ["| category | items | rest kept where a band plays | rest left out where none "
             "plays |", "|---|---:|---:|---:|"]
    for c in dict.fromkeys(r["category"] for r in records):
        per_item = {}
        for r in records:
            if r["category"] == c and r["method"] == NMFSEP:
                per_item[r["item"]] = (r.get("rest"), any(
                    x["piece"] == "rest" for x in records
                    if x["item"] == r["item"] and x["category"] == c))
        band = [kept for kept, has in per_item.values() if has]
        alone = [kept for kept, has in per_item.values() if not has]
        lines.append(f"| {c} | {len(per_item)} | "
                     f"{f'{sum(band)} of {len(band)}' if band else '–'} | "
                     f"{f'{len(alone) - sum(alone)} of {len(alone)}' if alone else '–'} |")
    return "\n".join(lines)


def _speed(records: list[dict]) -> str:
    lines = ["| items | nmfsep s per minute of audio | libnmfd s per minute of audio | "
             "nmfsep faster by |", "|---|---:|---:|---:|"]
    for label, chosen in (("drums only", [r for r in records if "band" not in r["category"]]),
                          ("with a band", [r for r in records if "band" in r["category"]])):
        per = {}
        for method in (NMFSEP, LIBNMFD):
            seen = {}
            for r in chosen:
                if r["method"] == method:
                    seen[r["item"]] = 60.0 * r["seconds"] / r["audio_seconds"]
            per[method] = float(np.median(list(seen.values()))) if seen else float("nan")
        if np.isnan(per[NMFSEP]):
            continue
        lines.append(f"| {label} | {per[NMFSEP]:.1f} | {per[LIBNMFD]:.1f} | "
                     f"{per[LIBNMFD] / per[NMFSEP]:.1f}× |")
    return "\n".join(lines)


def _variants_table(variants: dict) -> str:
    records = variants["records"]
    categories = list(dict.fromkeys(r["category"] for r in records))
    methods = list(dict.fromkeys(r["method"] for r in records))
    lines = ["| variant | " + " | ".join(categories) + " | worst |",
             "|---|" + "---:|" * (len(categories) + 1)]
    for m in methods:
        values = [_median(records, method=m, category=c) for c in categories]
        lines.append(f"| {m} | " + " | ".join(f"{v:.2f}" for v in values)
                     + f" | {min(values):.2f} |")
    return "\n".join(lines)


def write_docs(results: Path, docs: Path) -> Path:
    """Write docs/drums.md from ``results/drums.json`` and ``results/variants.json``."""
    run = json.loads((results / "drums.json").read_text())
    records = run["records"]
    rendered = {h: [r for r in records if r.get("half") == h] for h in ("tuning", "reporting")}
    real = [r for r in records if r.get("half") == "real"]
    variants_path = results / "variants.json"
    variants = json.loads(variants_path.read_text()) if variants_path.exists() else None
    m = run["machine"]
    parts = [
        "# Drums into their pieces",
        "",
        "<!-- generated by `python -m benchmarks.drums` (benchmarks/drums/report.py); "
        "do not edit -->",
        "",
        "`separate_drums(y, sr, pieces=(\"kick\", \"snare\", \"hihat\"))` (`from "
        "nmfsep.drums import separate_drums`; `nmfsep drums` on the command line, "
        "[cli.md](cli.md)) splits a drum recording into its pieces by name: NMFD "
        "(convolutive NMF, "
        "`nmfsep.nmfd`) started from drum templates that nmfsep ships "
        "(`nmfsep.drumtemplates`), then soft masks; the stems add up to the input exactly. "
        "Pieces: kick, snare, hihat, toms, cymbals (crash and ride). When something else "
        "plays (a bass, keys, a voice: decided from the recording, see *rest* below) the drum "
        "part is first taken out by nmfsep's percussive separation, split into the pieces, "
        "and the rest is `rest`.",
        "",
        "```python",
        "from nmfsep import load",
        "from nmfsep.drums import drums_file, separate_drums",
        "",
        "y, sr = load(\"loop.wav\")",
        "sep = separate_drums(y, sr, pieces=(\"kick\", \"snare\", \"hihat\"))",
        "print(sep.names, sep.rest_reason)  # rest is kept only when something else plays",
        "kick = sep.source(\"kick\")          # shape (channels, samples)",
        "",
        "record = drums_file(\"loop.wav\", \"stems\")  # stems/loop/kick.wav … and drums.json",
        "```",
        "",
        "![The shipped templates](figures/drum_templates.png)",
        "",
        "*The shipped templates at 44.1 kHz (2048-sample frames, hop 512, 186 ms): one per "
        "piece, the mean of four hydrogen kits' one-shots (ColomboAcousticDrumkit, "
        "Millo_MultiLayered3, ForzeeStereo, HardElectro1; GPL-2 / GPL-2+, every sample's kit, "
        "file, author and licence recorded in `nmfsep/data/drum_templates.npz`). Stored at a "
        "reference resolution (44.1 kHz, 2048/256, 1/24-octave bands above 1 kHz) and mapped "
        "to any sample rate and STFT.*",
        "",
        "![Activations](figures/drum_activations.png)",
        "",
        "*A groove of the tuning half (docs/make_drum_figures.py): the mixture's spectrogram "
        "and the activations NMFD found for each piece's template.*",
        "",
        "Templates of your own kit: `nmfsep learn-drums KIT_DIR -o mykit.npz`, then `nmfsep "
        "drums MIX --templates mykit.npz` (`nmfsep.drumtemplates.learn_drum_templates`). A "
        "hydrogen kit's folder (with `drumkit.xml`, as Debian's hydrogen-drumkits) gives each "
        "sample's piece by its instrument's name (\"Kick\", \"Snare Rock\", \"Hihat "
        "closed\"); any other folder by the names of its subfolders and files (`kick/`, "
        "`snare_01.wav`, `hh closed.wav`). The command says how many samples each piece got "
        "and how many files it skipped (`-v`: which, and why).",
        "",
        "## How it is measured",
        "",
        f"Command: `{run['command']}` (started {run['started']}, commit {m['commit']}, "
        f"{m['cpu']}, {m['cores']} cores, shared with other jobs).",
        "",
        "* **Rendered categories** (`benchmarks/quality/drumkit.py`, also registered in the "
        "quality benchmark): a groove (8 styles, 70-150 bpm, ghost notes, open hi-hat; toms "
        "fills or crash and ride in the four-piece items) played by a sampled kit, each piece "
        "rendered alone so the stems add up to the mixture; `+band` adds a bass and keys "
        "(General MIDI soundfont) as `rest`. Mono, 22.05 kHz, 15 s. Kits the templates were "
        "not made from: tuning half (items 0-7) AVL Red Zeppelin, BJA_Pacific, "
        "Millo_MultiLayered2, Audiophob; reporting half (items 8-15) AVL Black Pearl, The "
        "Black Pearl 1.0, rumpf_kit_z01_h2, Gimme A Hand 1.0 (a hand-percussion kit playing "
        "the roles: cajon as kick and snare, maraca and tambourine as hi-hat, bongos as "
        "toms). Every setting was chosen on the tuning half only. (The quality benchmark "
        "splits the same items by parity, even items tuning: its reporting half of the drum "
        "kit categories has items 1, 3, 5 and 7 of this page's tuning kits; its widened "
        "section says so.)",
        "* **Real recordings** (a check, never tuned on): the four drum performances of "
        "`../shared/real-tuning` (Groove MIDI performances rendered by the StemGMD authors, "
        "kick / snare / hi-hat; not copied into the project).",
        "* **Score**: each stem by its name, BSS Eval v3 SDR (`nmfsep.metrics.evaluate`, "
        "`permute=False`), median over the pieces of a category's items. A stem a method does "
        "not give (`rest` left out) counts as -60 dB.",
        "* **libnmfd's recipe** (`benchmarks/drums/libnmfd_recipe.py`): libnmfd 1.0.0's demo "
        "— STFT 2048/512 at 44.1 kHz (the mixture resampled to 44.1 kHz and the stems back), "
        "templates from one-shot folders (`init_templates(strategy=\"drums\")` on the same "
        "samples nmfsep's templates are made of, files sorted), uniform activations, 30 NMFD "
        "iterations, T = 8, α-Wiener masks with α = 1. With a band it gets one more component "
        "from libnmfd's random template for `rest`.",
        "",
        "## Reporting half (kits never used for choosing)",
        "",
        "Median SDR by name (dB), worst category first.",
        "",
        _category_table(rendered["reporting"]) if rendered["reporting"] else "(not run)",
        "",
        "## Tuning half",
        "",
        _category_table(rendered["tuning"]) if rendered["tuning"] else "(not run)",
        "",
        "## Real recordings (../shared/real-tuning, a check)",
        "",
    ]
    if real:
        halves = real_half(real)
        by_half = {h: [dict(r, category=f"{r['category']} ({h} half)") for r in real
                       if halves[r["item"]] == h] for h in ("reporting", "tuning")}
        parts += [
            "Halves as for every category: the recordings in sorted order, even positions "
            "the tuning half, odd the reporting half; the drum settings were chosen on the "
            "rendered tuning half only, and these are a check.",
            "",
            _category_table(by_half["reporting"] + by_half["tuning"] + real), "",
            _per_item_table(real), ""]
    else:
        parts += ["(../shared/real-tuning was missing in this run)", ""]
    parts += [
        "## rest: kept only when something else plays",
        "",
        "`rest=\"auto\"` measures the fraction of frames whose sustained spectrum (a median "
        "over 0.3 s, which drum hits fade out of) holds at least five narrow peaks on one "
        "harmonic series (`nmfsep.drums.band_evidence`); above 15 % (`DrumSettings."
        "band_frames`, between the largest value of the drums-only tuning items and the "
        "smallest of the band items) it keeps `rest`. Decisions in this run:",
        "",
        _rest_table([r for r in records if r.get("half") != "real"] + real),
        "",
        "## Speed",
        "",
        "Seconds of computation per minute of audio, median over items, both methods in "
        "this run (nmfsep with a band includes its percussive separation; libnmfd's "
        "template learning from the one-shots, done once, is not counted).",
        "",
        _speed(records),
        "",
    ]
    if variants:
        parts += [
            "## What was tried (tuning half)",
            "",
            f"`{variants['command']}` (started {variants['started']}): the default of that "
            "time and variants of its settings (`benchmarks/drums/variants.py`), median SDR "
            "by name; the variants are told whether a band plays, so this compares the split "
            "itself. The rows of this run are the record of what was tried; the present "
            "default (`nmfsep.drums.DrumSettings`) takes the warm-up of 10 iterations of 60 (the "
            "one variant that lifted the band categories) with 186 ms templates and Wiener "
            "masks (better on the drum-kit categories alone), and its own numbers are the "
            "tuning-half table above.",
            "",
            _variants_table(variants),
            "",
        ]
    docs.mkdir(parents=True, exist_ok=True)
    path = docs / "drums.md"
    path.write_text("\n".join(parts))
    return path
