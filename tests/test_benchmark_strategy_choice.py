"""The strategy-choice study (benchmarks/quality/strategy_choice.py): its criteria against
their formulas on factorizations made by hand, and its rows on the built-in example."""

from __future__ import annotations

import numpy as np
import pytest
from mixtures import drums_and_guitar_item

import nmfsep
from benchmarks.quality.strategy_choice import (
    BEST,
    CANDIDATES,
    CRITERIA,
    Row,
    candidates,
    criteria,
    summary,
)
from nmfsep.metrics import evaluate


def _factors():
    """Four components: 0 and 1 low and early, 2 and 3 high and late (disjoint)."""
    W = np.zeros((8, 4))
    W[:4, 0], W[:4, 1] = [1, 2, 1, 0], [0, 1, 2, 1]
    W[4:, 2], W[4:, 3] = [1, 1, 0, 0], [0, 0, 1, 1]
    H = np.zeros((4, 10))
    H[0, :5], H[1, :5] = [1, 2, 3, 2, 1], [2, 2, 1, 1, 1]
    H[2, 5:], H[3, 5:] = [1, 1, 2, 1, 1], [3, 1, 1, 1, 2]
    return W, H


def test_sources_apart_in_time_and_frequency_do_not_overlap_at_all():
    W, H = _factors()
    apart = criteria(W, H, np.array([0, 0, 1, 1]), 2)
    assert apart["overlap"] == 0 and apart["overlap of the smaller"] == 0
    assert apart["spectral similarity"] == 0
    mixed = criteria(W, H, np.array([0, 1, 0, 1]), 2)
    for name in CRITERIA:
        assert mixed[name] > apart[name], name


def test_the_criteria_follow_their_formulas():
    W, H = _factors()
    labels = np.array([0, 1, 0, 1])
    a, b = W[:, [0, 2]] @ H[[0, 2]], W[:, [1, 3]] @ H[[1, 3]]
    common = np.minimum(a, b).sum()
    values = criteria(W, H, labels, 2)
    assert values["overlap"] == pytest.approx(common / (a.sum() + b.sum()))
    assert values["overlap of the smaller"] == pytest.approx(common / min(a.sum(), b.sum()))
    floor = 1e-9 * (a.sum() + b.sum())
    assert values["envelope correlation"] == pytest.approx(
        np.corrcoef(np.log(a.sum(0) + floor), np.log(b.sum(0) + floor))[0, 1])
    x, y = a.sum(1), b.sum(1)
    assert values["spectral similarity"] == pytest.approx(
        x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def test_an_empty_source_counts_as_constant_and_three_sources_average_their_pairs():
    W, H = _factors()
    values = criteria(W, H, np.array([0, 0, 0, 0]), 2)
    assert values["envelope correlation"] == 1.0 and values["overlap"] == 0
    models = [W[:, [0]] @ H[[0]], W[:, [1]] @ H[[1]], W[:, 2:] @ H[2:]]
    spectra = [m.sum(axis=1) for m in models]
    cosines = [spectra[i] @ spectra[j] / (np.linalg.norm(spectra[i]) * np.linalg.norm(spectra[j]))
               for i, j in ((0, 1), (0, 2), (1, 2))]
    three = criteria(W, H, np.array([0, 1, 2, 2]), 3)
    assert three["spectral similarity"] == pytest.approx(np.mean(cosines))
    total = sum(m.sum() for m in models)
    assert three["overlap"] == pytest.approx(np.minimum(models[0], models[1]).sum() / total)


def test_the_best_and_the_chosen_candidates_and_the_summary():
    row = Row("x-0", "drums+guitar", {"auto": [1.0, 3.0], "timbre": [4.0, 4.0]},
              {"auto": dict.fromkeys(CRITERIA, 0.2), "timbre": dict.fromkeys(CRITERIA, 0.1)})
    assert row.best() == "timbre" and row.chosen(CRITERIA[0]) == "timbre"
    others = {c: [0.0, 0.0] for c in CANDIDATES if c not in row.sdr}
    table = summary([row._replace(sdr={**row.sdr, **others})])
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    values = dict(zip(header[1:], (float(v) for v in table[2].strip("|").split("|")[1:]),
                      strict=True))
    assert values["auto"] == 2.0 and values[BEST] == 4.0 and values[f"by {CRITERIA[0]}"] == 4.0


@pytest.fixture(scope="module")
def example_row():
    item = drums_and_guitar_item()
    separation = nmfsep.separate(item.mixture, item.sr, n_sources=2, n_runs=1)
    return item, separation, candidates(item, separation, ("auto", "timbre"))


def test_a_row_scores_autos_own_separation_and_the_regrouped_one(example_row):
    item, separation, row = example_row
    assert row.sdr["auto"] == pytest.approx(evaluate(item.sources, separation.sources).sdr.tolist(),
                                            abs=1e-3)
    timbre = separation.regroup(grouping="timbre")
    assert row.sdr["timbre"] == pytest.approx(evaluate(item.sources, timbre.sources).sdr.tolist())
    assert row.measures["timbre"] == pytest.approx(
        criteria(timbre.W, timbre.H, np.asarray(timbre.labels), 2))
    assert np.median(row.sdr[row.best()]) == max(np.median(v) for v in row.sdr.values())
