import warnings

import numpy as np
import pytest

from nmfsep.errors import ParameterError
from nmfsep.metrics import bss_eval, evaluate, si_sdr


@pytest.fixture
def signals(rng):
    n = 20_000
    refs = rng.standard_normal((3, n))
    refs[1] = np.convolve(refs[1], [1.0, 0.5, 0.2], mode="same")
    ests = refs + 0.3 * rng.standard_normal((3, n)) + 0.2 * refs[[1, 2, 0]]
    ests[0] = np.convolve(ests[0], [0.9, 0.3], mode="same")
    return refs, ests


def test_bss_eval_matches_mir_eval(signals):
    mir_eval = pytest.importorskip("mir_eval")
    refs, ests = signals
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mir_eval.separation.bss_eval_sources(refs, ests, compute_permutation=False)
    np.testing.assert_allclose(np.array(bss_eval(refs, ests)), np.array(expected[:3]), atol=1e-4)


def test_permutation_is_solved(signals):
    refs, ests = signals
    direct = evaluate(refs, ests, permute=False)
    shuffled = evaluate(refs, ests[[2, 0, 1]])
    np.testing.assert_array_equal(shuffled.permutation, [1, 2, 0])
    np.testing.assert_allclose(shuffled.sdr, direct.sdr, atol=1e-9)


def test_si_sdr_known_values(rng):
    x = rng.standard_normal(1000)
    assert si_sdr(x, 3 * x) > 100
    noise = rng.standard_normal(1000)
    noise -= (noise @ x) / (x @ x) * x
    noise *= np.linalg.norm(x) / np.linalg.norm(noise) / np.sqrt(10)  # 10 dB below
    assert si_sdr(x, x + noise) == pytest.approx(10.0, abs=1e-9)


def test_silent_reference_gives_nan_row_not_a_crash(rng):
    refs = rng.standard_normal((2, 5000))
    refs[1] = 0
    ests = refs + 0.1 * rng.standard_normal((2, 5000))
    scores = evaluate(refs, ests)
    assert np.isfinite(scores.sdr[0]) and scores.sdr[0] > 15
    assert np.isnan(scores.sdr[1])


def test_multichannel_signals_are_accepted(rng):
    refs = rng.standard_normal((2, 2, 4000))
    scores = evaluate(refs, refs + 0.01 * rng.standard_normal((2, 2, 4000)))
    assert np.all(scores.sdr > 30)


def test_evaluate_refuses_what_it_cannot_score_with_a_clear_error():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((2, 4000))
    est = ref + 0.1 * rng.standard_normal((2, 4000))
    with pytest.raises(ParameterError, match=r"references of shape \(4000, 2\): more sources "
                                             r"than samples"):
        evaluate(ref.T, est.T)  # it once read this as 4000 sources, for ever
    with pytest.raises(ParameterError, match="estimates hold NaN or Inf"):
        evaluate(ref, est * np.nan)
    with pytest.raises(ParameterError, match="filter_length must be a positive integer, got 0"):
        evaluate(ref, est, filter_length=0)
    with pytest.raises(ParameterError, match="references must be an array of numbers"):
        evaluate([["a"] * 4000] * 2, est)
    with pytest.raises(ParameterError, match="the reference has 4000 samples, the estimate 100"):
        si_sdr(ref[0], est[0, :100])


def test_evaluate_of_silent_references_gives_nan_scores():
    est = np.random.default_rng(0).standard_normal((2, 4000))
    scores = evaluate(np.zeros_like(est), est)
    assert np.all(np.isnan(scores.sdr)) and sorted(scores.permutation.tolist()) == [0, 1]
