"""Variants of nmfsep's automatic policy, measured on the same factorizations.

Each item is separated once with nmfsep's defaults (every run of the
ensemble) and the :class:`nmfsep.Separation` is cached; every variant then
regroups it (``Separation.regroup(grouping="auto", policy=...)``: the policy's
decisions, grouping, experts, combined masks, rebuild) with a
:class:`nmfsep.policy.Policy` whose constants the variant sets otherwise.  A
variant costs a regrouping, not a factorization, so many can be compared on
many item sets.  This is how the defaults of the policy were explored
(``benchmarks/quality/notes.md``); the benchmark itself then measures the
defaults chosen.

    python -m benchmarks.quality.regroup --sets fl0-7,ms12-19 \\
        --categories chorale,piano+voice \\
        --variant "floor 1e-6: policy.floor_without_drums=1e-6" \\
        --variant "floor 1e-2: policy.floor_without_drums=1e-2"

An item set is ``fl`` (FluidR3 GM, the benchmark's soundfont) or ``ms``
(MuseScore General, held-out instruments) and a range of item indices:
``fl0-7`` is the benchmark's items, ``ms12-19`` its held-out check;
``--half tuning`` keeps the sets' items of the tuning half alone
(:mod:`benchmarks.quality.halves`).  The set ``real`` is the real recordings'
categories (:mod:`benchmarks.quality.real`, each recording's whole excerpt,
its half by its position among the category's sorted item names): they are
there to reject a variant that does not generalize, never to fit one; without
the folder one line says so and the rendered sets run alone.  A
variant is a name, a colon and assignments separated by commas:
``policy.FIELD=value`` sets a field of the policy (``python -c "import nmfsep;
print(nmfsep.policy.policy_field_names())"`` lists them; a warning says when
a variant changed nothing); ``separation.percussive_prior=value`` and
``separation.mask_power=value`` set what the regrouping is asked for, and
``separation.n_runs=1`` keeps the first run alone.  The table gives each
variant's median SDR per category and item set, then its mean over the
columns, its mean change from the defaults and in how many columns it is
better or worse by more than 0.05 dB.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import pickle
import re
import shlex
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

import nmfsep
from nmfsep.audio import atomic_path
from nmfsep.metrics import evaluate
from nmfsep.policy import DEFAULT_POLICY, Policy, policy_field_names

from ..arguments import positive_float, positive_int
from . import generate, real
from .generate import CATEGORIES
from .halves import select

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SEPARATIONS = generate.CACHE / "separations"
MUSESCORE = "/usr/share/sounds/sf3/MuseScore_General.sf3"
SOUNDFONT_OF_PREFIX = {"fl": None, "ms": MUSESCORE}
#: The item set of the real recordings' categories.
REAL_SET = "real"
#: The modules whose code makes the factorizations; the cache is keyed on them.
FACTORIZATION_MODULES = ("nmf.py", "sweeps.py", "spectral.py", "recording.py", "config.py",
                         "pipeline.py")
#: A column counts as better or worse beyond this change of its median, in dB.
CHANGE_DB = 0.05


@dataclass(frozen=True)
class ItemSet:
    """Items ``indices`` of every category, rendered with ``soundfont`` (None: FluidR3 GM)."""

    name: str
    soundfont: str | None
    indices: range


@dataclass(frozen=True)
class Variant:
    """A name and what it sets, as ``(target, name, value)``: ``policy`` or ``separation``."""

    name: str
    assignments: tuple[tuple[str, str, object], ...] = ()

    @property
    def policy(self) -> Policy:
        """The default policy with this variant's ``policy.`` fields."""
        changes = {name: value for target, name, value in self.assignments if target == POLICY}
        return replace(DEFAULT_POLICY, **changes) if changes else DEFAULT_POLICY


DEFAULTS = Variant("defaults")
#: The target of a variant's policy constants: ``policy.drums_share=0.3``.
POLICY = "policy"
#: The target of a variant's settings of the regrouping itself, which
#: :meth:`nmfsep.Separation.regroup` reads: ``separation.percussive_prior=0.75``.
SEPARATION = "separation"
#: Those settings: an entry of its parameters, a field, and ``n_runs``: the
#: first ``n_runs`` runs of the cached ensemble (1: the first run alone, as
#: ``nmfsep.separate(..., n_runs=1)`` makes it).
SEPARATION_SETTINGS = ("percussive_prior", "mask_power", "n_runs")


def parse_item_set(text: str) -> ItemSet:
    """``fl0-7`` or ``ms12-19``: a soundfont prefix and a range of indices, both ends kept.

    ``real``: the real recordings (every item of each real category).
    """
    if text.strip() == REAL_SET:
        return ItemSet(REAL_SET, None, range(0))
    match = re.fullmatch(r"(fl|ms)(\d+)-(\d+)", text.strip())
    if match is None or int(match[2]) > int(match[3]):
        raise ValueError(f"item set {text!r} is not real, or fl or ms and a range such as "
                         "fl0-7")
    return ItemSet(match[0], SOUNDFONT_OF_PREFIX[match[1]],
                   range(int(match[2]), int(match[3]) + 1))


def parse_variant(text: str) -> Variant:
    """``name: policy.FIELD=value, separation.SETTING=value, ...``; values are Python literals."""
    name, sep, body = text.partition(":")
    if not sep or not name.strip():
        raise ValueError(f"variant {text!r} has no name: write 'name: policy.FIELD=value'")
    assignments = []
    for part in filter(None, (p.strip() for p in body.split(","))):
        target, eq, value = part.partition("=")
        module, dot, constant = target.strip().rpartition(".")
        if not eq or not dot:
            raise ValueError(f"variant {name.strip()!r}: {part!r} is not policy.FIELD=value "
                             "or separation.SETTING=value")
        try:
            literal = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise ValueError(f"variant {name.strip()!r}: {value.strip()!r} is not a number "
                             "or another Python literal") from None
        if module == SEPARATION:
            if constant not in SEPARATION_SETTINGS:
                raise ValueError(f"variant {name.strip()!r}: a separation setting is one of "
                                 f"{', '.join(SEPARATION_SETTINGS)}, not {constant!r}")
            if constant == "n_runs" and (not isinstance(literal, int) or literal < 1):
                raise ValueError(f"variant {name.strip()!r}: n_runs must be a positive "
                                 f"integer, got {literal!r}")
        elif module != POLICY:
            raise ValueError(f"variant {name.strip()!r}: {target.strip()!r} sets neither the "
                             "policy nor the separation")
        elif constant not in policy_field_names():
            raise ValueError(f"variant {name.strip()!r}: the policy has no field {constant!r}; "
                             f"it has {', '.join(policy_field_names())}")
        assignments.append((module, constant, literal))
    if not assignments:
        raise ValueError(f"variant {name.strip()!r} sets nothing")
    return Variant(name.strip(), tuple(assignments))


def code_without_docs(source: str) -> str:
    """``source`` as its syntax tree, without comments, docstrings or layout."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                 ast.AsyncFunctionDef)):
            continue
        first = node.body[0] if node.body else None
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree)


@cache
def factorization_key() -> str:
    """A digest of the code that makes the factorizations, so a stale cache is never read.

    Docstrings and comments are left out: editing them keeps the cache.  Taken
    once, when the harness starts: the code it runs, even if the files change
    while it runs.
    """
    digest = hashlib.sha256(nmfsep.__version__.encode())
    source = Path(nmfsep.__file__).parent
    for name in FACTORIZATION_MODULES:
        digest.update(code_without_docs((source / name).read_text()).encode())
    return digest.hexdigest()[:12]


def cached_separation(item, soundfont: str | None, cache: Path = SEPARATIONS):
    """nmfsep's default separation of ``item``, from the cache or made and cached."""
    tag = "fl" if soundfont is None else Path(soundfont).stem
    path = cache / factorization_key() / f"{item.name}-{tag}-{item.mixture.shape[-1]}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    separation = nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names))
    with atomic_path(path, force=True) as partial:
        partial.write_bytes(pickle.dumps(separation))
    return separation


def with_settings(separation, variant: Variant) -> tuple:
    """``separation`` with the variant's ``separation.`` settings, and the regrouping's keywords."""
    keywords: dict = {"grouping": "auto", "policy": variant.policy}
    for target, name, value in variant.assignments:
        if target != SEPARATION:
            continue
        if name == "percussive_prior":
            keywords[name] = value
        elif name == "n_runs":
            model = replace(separation.model, runs=separation.runs[:max(0, value - 1)])
            separation = replace(separation, model=model)
        else:
            separation = replace(separation, config=replace(separation.config, **{name: value}),
                                 model=replace(separation.model, **{name: value}))
    return separation, keywords


def measure(separation, references: np.ndarray, variants: Sequence[Variant]) -> dict:
    """Every variant's SDR per source against ``references``, from one separation.

    A variant whose policy sets other HPSS filters than the separation's gets
    fresh percussive masks (:meth:`nmfsep.grouping.GroupingContext.with_policy`);
    the others share the cached ones.

    Returns
    -------
    dict
        ``sdr`` and ``changed`` (whether the sources differ from the
        defaults') per variant name, and ``reproduces``: whether the first
        variant (the defaults) gave back the separation's own sources.
    """
    result: dict = {"sdr": {}, "changed": {}}
    first = None
    for variant in variants:
        adjusted, keywords = with_settings(separation, variant)
        sources = adjusted.regroup(**keywords).sources
        if first is None:
            first = sources
            result["reproduces"] = bool(np.allclose(sources, separation.sources, atol=1e-5))
        result["sdr"][variant.name] = evaluate(references, sources).sdr.tolist()
        result["changed"][variant.name] = not np.array_equal(sources, first)
    return result


def measure_item(category: str, index: int, soundfont: str | None, duration: float,
                 variants: Sequence[Variant]) -> dict:
    """:func:`measure` on item ``index`` of ``category``, rendered with ``soundfont``."""
    generate.SOUNDFONT_OVERRIDE = soundfont
    item = generate.build(category, index, duration)
    return {"item": item.name,
            **measure(cached_separation(item, soundfont), item.sources, variants)}


#: The real items of a category by sorted name, and the jobs of a half: shared with the
#: supervised benchmark (:mod:`benchmarks.quality.real`).
real_items = real.sorted_items
real_jobs = real.jobs


def measure_real_item(category: str, position: int, variants: Sequence[Variant]) -> dict:
    """:func:`measure` on the real item at ``position`` of ``category``'s sorted items."""
    item = real_items(category)[position]
    return {"item": item.name,
            **measure(cached_separation(item, REAL_SET), item.sources, variants)}


def _median(records: list[dict], variant: str) -> float:
    return float(np.median([sdr for r in records for sdr in r["sdr"][variant]]))


def summary(records: list[dict], variants: Sequence[str]) -> list[str]:
    """The medians of each category, item sets as columns, and each variant's changes.

    Each category's block has a row per variant: its median SDR over every
    source of every item of each set, their mean, and how the variant changes
    it from the first variant (the defaults): the mean change and in how many
    sets it is better or worse by more than :data:`CHANGE_DB`.  The last block
    counts every category's sets together.
    """
    sets = list(dict.fromkeys(r["set"] for r in records))
    name_width = max(len(v) for v in variants) + 2
    lines: list[str] = []
    every: dict[str, list[float]] = {v: [] for v in variants}
    for category in dict.fromkeys(r["category"] for r in records):
        columns = [s for s in sets if any(r["category"] == category and r["set"] == s
                                          for r in records)]
        width = max(9, *(len(c) + 2 for c in columns))
        lines += ["", f"{category}: median SDR (dB) per item set",
                  " " * name_width + "".join(f"{c:>{width}s}" for c in columns)
                  + "     mean  change  better  worse"]
        base = None
        for variant in variants:
            row = np.array([_median([r for r in records if r["category"] == category
                                     and r["set"] == c], variant) for c in columns])
            base = row if base is None else base
            every[variant] += (row - base).tolist()
            change = row - base
            lines.append(f"{variant:{name_width}s}" + "".join(f"{m:{width}.2f}" for m in row)
                         + f"{row.mean():9.2f}{change.mean():+8.2f}"
                         f"{int((change > CHANGE_DB).sum()):8d}"
                         f"{int((change < -CHANGE_DB).sum()):7d}")
    lines += ["", "every category and set: mean change, sets better, sets worse"]
    for variant, change in every.items():
        change = np.array(change)
        lines.append(f"{variant:{name_width}s}{change.mean():+8.2f}"
                     f"{int((change > CHANGE_DB).sum()):8d}{int((change < -CHANGE_DB).sum()):7d}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.regroup",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="fl0-7",
                        help="comma-separated item sets such as fl0-7,ms12-19,real "
                        "(default fl0-7)")
    parser.add_argument("--categories",
                        help="comma-separated subset of " + ", ".join(CATEGORIES) + " (the "
                        "rendered sets') and " + ", ".join(real.CATEGORIES) + " (the real "
                        "set's); default: all")
    parser.add_argument("--variant", action="append", default=[],
                        metavar="'NAME: policy.FIELD=V, ...'",
                        help="a variant to compare with the defaults (repeatable)")
    parser.add_argument("--duration", type=positive_float, default=15.0, help="seconds per item")
    parser.add_argument("--half", choices=("tuning", "reporting", "all"), default="all",
                        help="only the sets' items of this half (benchmarks/quality/halves.py)")
    parser.add_argument("--jobs", type=positive_int, default=os.cpu_count() or 1,
                        help="items measured in parallel")
    parser.add_argument("--out", type=Path, default=RESULTS / "regroup.json",
                        help="where the records go (default results/regroup.json)")
    parser.add_argument("--table", type=Path, metavar="RESULTS_JSON",
                        help="only print the tables of a former run's records")
    args = parser.parse_args(argv)
    if args.table is not None:
        try:
            result = json.loads(args.table.read_text())
        except (OSError, ValueError) as error:
            parser.error(f"cannot read {args.table}: {error}")
        print(f"{result['command']}  ({result['started']}, "
              f"commit {result['machine'].get('commit', '?')})")
        print("\n".join(summary(result["records"], [v["name"] for v in result["variants"]])))
        return 0
    try:
        item_sets = [parse_item_set(s) for s in args.sets.split(",")]
        variants = [DEFAULTS, *(parse_variant(v) for v in args.variant)]
        known = [*CATEGORIES, *real.CATEGORIES]
        categories = known if args.categories is None else \
            [c.strip() for c in args.categories.split(",")]
        unknown = sorted(set(categories) - set(known))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {', '.join(known)}")
    except ValueError as error:
        parser.error(str(error))
    rendered = [c for c in categories if c in CATEGORIES]
    jobs = [(c, i, s) for s in item_sets if s.name != REAL_SET for c in rendered
            for i in select(s.indices, args.half)]
    if any(s.name == REAL_SET for s in item_sets):
        real_set = next(s for s in item_sets if s.name == REAL_SET)
        jobs += [(c, i, real_set) for c, i in
                 real_jobs([c for c in categories if c in real.CATEGORIES], args.half)]
    if not jobs:
        print("no items to measure (the sets, categories and half leave none)", file=sys.stderr)
        return 1
    factorization_key()  # before the workers start, which inherit it
    print(f"{len(jobs)} items x {len(variants)} variants", file=sys.stderr)
    started, t0 = time.strftime("%Y-%m-%d %H:%M:%S"), time.perf_counter()
    from .report import machine
    where = machine()  # the commit that runs, not one made while it runs
    records = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(measure_real_item, c, i, variants) if s.name == REAL_SET else
                   pool.submit(measure_item, c, i, s.soundfont, args.duration, variants)
                   for c, i, s in jobs]
        for (category, _, item_set), future in zip(jobs, futures, strict=True):
            record = future.result()
            record.update(category=category, set=item_set.name)
            records.append(record)
            print(f"{record['item']:22s} {item_set.name:8s} " + "  ".join(
                f"{np.median(sdr):6.2f}" for sdr in record["sdr"].values()),
                file=sys.stderr, flush=True)
    differ = [f"{r['item']} ({r['set']})" for r in records if not r["reproduces"]]
    if differ:
        print(f"warning: regrouping {len(differ)} of {len(records)} items with the defaults "
              "does not give their cached separation's sources (grouping defaults changed "
              "since they were cached?): " + ", ".join(differ), file=sys.stderr)
    for variant in variants[1:]:
        if not any(r["changed"][variant.name] for r in records):
            print(f"warning: variant {variant.name!r} changed no item's sources; is the "
                  "policy field read by the decisions it varies?", file=sys.stderr)
    print("\n".join(summary(records, [v.name for v in variants])))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(dict(
        command=shlex.join(["python", "-m", "benchmarks.quality.regroup",
                            *(argv if argv is not None else sys.argv[1:])]),
        started=started, seconds=time.perf_counter() - t0, machine=where,
        variants=[dict(name=v.name, sets=[f"{m}.{c}={x!r}" for m, c, x in v.assignments])
                  for v in variants],
        records=records), indent=1))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
