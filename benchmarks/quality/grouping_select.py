"""Candidate groupings of one factorization and criteria that choose among them (issue 24).

Every candidate is a labelling of the first run's components: the registry's strategies
(:data:`nmfsep.grouping.STRATEGIES`), a low/high split by each component's log spectral
centroid (a filter-bank-like grouping; on the items collected it equals
``spectral``, so it is left out of the candidates), and ``auto`` (scored with its experts: the
separation's own sources).  A criterion computed from the factorization alone (never from
the true sources) scores each candidate; a selector takes the best-scoring one.  The
oracle labels give the ceiling of the same factorization.

Criteria (higher is better):

* ``purity``: each source's share of its own model energy that lies in time-frequency bins
  where it dominates the soft masks, averaged over sources.  A grouping whose sources sit on
  top of each other (one giant source and slivers, or two sources sharing every bin) scores
  low; sources that own their bins score high.
* ``independence``: one minus the mean correlation between the grouped sources'
  log-energy envelopes over time.
* ``purity*independence``: their product.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nmfsep import grouping as grouping_
from nmfsep.masks import soft_masks, source_models
from nmfsep.metrics import evaluate

STRATEGIES = ("spectral", "timbre", "timbre+time", "mfcc+drums", "percussive")
CANDIDATES = (*STRATEGIES, "auto")
CRITERIA = ("purity", "independence", "purity*independence")


def centroid_labels(W: np.ndarray, n_sources: int, sr: int) -> np.ndarray:
    """Sources as bands: k-means of the components' log spectral centroids, low to high."""
    freqs = np.linspace(0, sr / 2, W.shape[0])
    centroid = np.log((W * freqs[:, None]).sum(0) / (W.sum(0) + 1e-12) + 20.0)
    labels = grouping_.kmeans(centroid[:, None], n_sources, random_state=0)
    order = np.argsort([centroid[labels == j].mean() if np.any(labels == j) else np.inf
                        for j in range(n_sources)])
    return np.argsort(order)[labels]


def candidate_labels(sep) -> dict[str, np.ndarray]:
    """Each candidate's labels for the separation's first run."""
    n = sep.n_sources
    context = sep.context
    out = {}
    for name in STRATEGIES:
        out[name] = grouping_.group(sep.W, sep.H, n, name, context=context)
    out["auto"] = np.asarray(sep.labels)
    return out


def purity(W: np.ndarray, H: np.ndarray, labels: np.ndarray, n: int) -> float:
    """Mean over sources of the share of its model energy in bins where it dominates."""
    models = source_models(W, H, labels, n)
    masks = soft_masks(models)
    own = (models * masks).sum(axis=(1, 2)) / (models.sum(axis=(1, 2)) + 1e-12)
    return float(own.mean())


def independence(W: np.ndarray, H: np.ndarray, labels: np.ndarray, n: int) -> float:
    """One minus the mean correlation of the sources' log-energy envelopes."""
    scale = W.sum(axis=0)
    env = np.stack([np.log((scale[labels == j, None] * H[labels == j]).sum(0) + 1e-9)
                    for j in range(n)])
    corr = np.corrcoef(env)
    upper = corr[np.triu_indices(n, 1)]
    return float(1.0 - np.nanmean(upper))


def score(criterion: str, W, H, labels, n) -> float:
    if criterion == "purity":
        return purity(W, H, labels, n)
    if criterion == "independence":
        return independence(W, H, labels, n)
    return purity(W, H, labels, n) * independence(W, H, labels, n)


def evaluate_record(record: dict) -> dict:
    """Median SDR of every candidate, the oracle and every selector on one cached item."""
    sep, refs = record["separation"], record["sources"]
    n = sep.n_sources
    labels = candidate_labels(sep)
    sdr = {}
    for name, lab in labels.items():
        if name == "auto":
            sdr[name] = float(np.median(record["auto_sdr"]))
        else:
            sdr[name] = float(np.median(evaluate(refs, sep.regroup(labels=lab).sources).sdr))
    sdr["oracle"] = float(np.median(evaluate(
        refs, sep.regroup(labels=record["oracle"]).sources).sdr))
    scores = {c: {name: score(c, sep.W, sep.H, lab, n) for name, lab in labels.items()}
              for c in CRITERIA}
    return dict(category=record["category"], index=record["index"], sdr=sdr, scores=scores)


def select(row: dict, criterion: str, pool: tuple[str, ...]) -> float:
    """The SDR of the candidate of ``pool`` that ``criterion`` scores best on this item."""
    scores = {**row["scores"][criterion],
              "learned affinity": row["scores"][criterion].get("learned", -np.inf)}
    best = max(pool, key=lambda name: scores[name])
    return row["sdr"][best]


SELECTORS = {f"select {c} over {label}": (c, pool) for c in CRITERIA
             for label, pool in (("all", CANDIDATES), ("strategies", STRATEGIES),
                                 ("auto and learned", ("auto", "learned affinity")))}


def table(rows: list[dict], half: str) -> tuple[list[str], dict]:
    from .grouping_study import half_of
    rows = [r for r in rows if half_of(r["index"]) == half]
    categories = sorted({r["category"] for r in rows})
    learned = all("learned affinity" in r["sdr"] for r in rows)
    methods = [*CANDIDATES, "oracle", *(m for m in SELECTORS
                                        if learned or "learned" not in m)]
    if learned:
        methods.insert(len(CANDIDATES), "learned affinity")
    med = {}
    for cat in categories:
        rs = [r for r in rows if r["category"] == cat]
        for m in methods:
            vals = ([select(r, *SELECTORS[m]) for r in rs] if m in SELECTORS
                    else [r["sdr"][m] for r in rs])
            med[cat, m] = float(np.median(vals))
    for cat in categories:
        med[cat, "best fixed strategy"] = max(med[cat, m] for m in STRATEGIES)
    methods.insert(methods.index("oracle"), "best fixed strategy")
    categories.sort(key=lambda c: med[c, "auto"])
    lines = [f"### {half} half (median over items of each item's median SDR, dB; "
             "worst category for `auto` first)", "",
             "| method | " + " | ".join(f"{c} ({sum(r['category'] == c for r in rows)})"
                                        for c in categories) + " | worst |",
             "|---|" + "---:|" * (len(categories) + 1)]
    for m in methods:
        vals = [med[c, m] for c in categories]
        lines.append(f"| {m} | " + " | ".join(f"{v:.1f}" for v in vals)
                     + f" | {min(vals):.1f} |")
    return lines, med


RENDERED = ("drums+guitar", "piano+voice", "bass+drums+piano", "chorale")
#: The most a new default may lose on a rendered category of the original four, in dB.
RENDERED_LOSS_DB = 0.3


def verdict(medians: dict) -> list[str]:
    """Whether the learned affinity may replace ``auto``: the rule of issue 24, in words."""
    lines = ["## What was tried, and the verdict", "",
             "* Candidate selection (design a): the registry's strategies and a low/high "
             "log-centroid split (identical to `spectral` on these items, so dropped) for the "
             "same factorization, one chosen per item by `purity` (share of each source's "
             "model energy in the bins it dominates), `independence` (one minus the "
             "correlation of the sources' log envelopes) or their product.  Rows "
             "`select ...`; `select C over auto and learned` chooses per item between "
             "`auto` and the learned affinity.",
             "* Learned pairwise affinity (design b): `learned affinity`, the `learned` "
             "strategy of nmfsep.grouping, weights in `Policy.affinity_*`, fitted by "
             "`python -m benchmarks.quality.grouping_affinity --fit-only` on the tuning half.",
             ""]
    for half in ("tuning", "reporting"):
        med = medians[half]
        cats = sorted({c for c, _ in med})
        if not all((c, "learned affinity") in med for c in cats):
            lines.append(f"* {half} half: the learned affinity was not measured on every "
                         "category.")
            continue
        worst_auto = min(med[c, "auto"] for c in cats)
        worst_learned = min(med[c, "learned affinity"] for c in cats)
        losses = [med[c, "auto"] - med[c, "learned affinity"] for c in cats if c in RENDERED]
        max_loss = max(losses) if losses else float("nan")
        lines.append(f"* {half} half: worst category {worst_learned:.1f} dB with the learned "
                     f"affinity against {worst_auto:.1f} dB with `auto`; largest loss on the "
                     f"four rendered categories {max_loss:.1f} dB (allowed "
                     f"{RENDERED_LOSS_DB} dB).")
    med = medians["reporting"]
    cats = sorted({c for c, _ in med})
    ok = all((c, "learned affinity") in med for c in cats) and (
        min(med[c, "learned affinity"] for c in cats) > min(med[c, "auto"] for c in cats)
        and all(med[c, "auto"] - med[c, "learned affinity"] <= RENDERED_LOSS_DB
                for c in cats if c in RENDERED))
    lines += ["", "Verdict: " + ("the learned affinity passes the rule of issue 24 on the "
                                 "reporting half." if ok else
                                 "the learned affinity does not pass the rule of issue 24 "
                                 "(better worst category and no rendered category more than "
                                 f"{RENDERED_LOSS_DB} dB lower), so `auto` stays the default; "
                                 "`learned` is offered as a strategy (`--grouping learned`)."),
              ""]
    return lines


def write_report(records, out: Path, command: str, rows_cache: Path | None = None,
                 budget: float | None = None) -> None:
    """Evaluate the records (each row cached in ``rows_cache``) and write the tables.

    With ``budget`` (seconds), records not yet evaluated when it runs out are left out.
    """
    import time
    start = time.time()
    done = json.loads(rows_cache.read_text()) if rows_cache and rows_cache.exists() else {}
    rows = []
    for record in records:
        key = f"{record['category']}-{record['index']}"
        if key not in done:
            if budget is not None and time.time() - start > budget:
                continue
            done[key] = evaluate_record(record)
            if rows_cache:
                rows_cache.write_text(json.dumps(done))
        if "learned" not in done[key]["scores"][CRITERIA[0]]:
            sep = record["separation"]
            lab = grouping_.group(sep.W, sep.H, sep.n_sources, "learned", context=sep.context)
            for c in CRITERIA:
                done[key]["scores"][c]["learned"] = score(c, sep.W, sep.H, lab, sep.n_sources)
            if rows_cache:
                rows_cache.write_text(json.dumps(done))
        rows.append(done[key])
    learned = rows_cache.parent / "affinity.json" if rows_cache else None
    if learned is not None and learned.exists():
        fitted = {f"{r['category']}-{r['index']}": r["affinity"]
                  for r in json.loads(learned.read_text())["rows"]}
        for row in rows:
            key = f"{row['category']}-{row['index']}"
            if key in fitted:
                row["sdr"]["learned affinity"] = fitted[key]
    lines = ["# Grouping study (issue 24): candidate selection on the same factorization", "",
             f"Generated by `{command}` (benchmarks/quality/grouping_study.py and "
             "grouping_select.py); do not edit by hand.", "",
             "Each item is factorized once with nmfsep's defaults and one run; every "
             "grouping regroups that factorization.  `auto` is the separation's own sources "
             "(its experts included); the other candidates use the masks of the "
             "factorization alone.  `learned affinity`: grouping_affinity.py.  "
             "`select C over P` picks, per item, the candidate of pool P with the best "
             "criterion C, computed from W and H "
             "only (benchmarks/quality/grouping_select.py says what each criterion is).",
             "Tuning half: item index even; reporting half: odd (real categories: position "
             "in the sorted item list).", ""]
    medians = {}
    for half in ("tuning", "reporting"):
        block, medians[half] = table(rows, half)
        lines += block + [""]
    lines += verdict(medians)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
