"""The objective measured inside the sweeps equals the one computed on its own.

``factorize`` checks its objective every ``check_every`` iterations; the numpy
engine measures it in the next iteration's sweep (which reads ``V`` and
rebuilds ``W H`` anyway) and undoes that iteration when the check stops the
run or falls back to a checkpoint.  These tests hold the measurement against
:func:`nmfsep.nmf.objective` and the whole run against the same run with
every check computed on its own.
"""

import numpy as np
import pytest

from nmfsep import nmf, sweeps


@pytest.fixture
def problem(rng):
    V = (rng.random((60, 410)) ** 3 + 0.01).astype(np.float32)
    W, H = nmf.initialize(V, 6, method="random", random_state=2)
    return V, W, H


@pytest.mark.parametrize("beta", sweeps.MEASURED_BETAS)
@pytest.mark.parametrize("updates", [(True, True), (True, False), (False, True),
                                     (False, False)], ids=["HW", "H", "W", "none"])
@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_sweep_measures_the_divergence_it_starts_from(problem, beta, updates, threads,
                                                        dtype):
    V, W, H = (a.astype(dtype) for a in problem)
    if beta == 0:
        V = np.maximum(V, nmf._eps(V.dtype))
    expected = nmf.beta_divergence(V, W, H, beta)
    ws = sweeps.Workspace(V.shape[0], W.shape[1], 32, V.dtype, threads=threads)
    W_plain, H_plain = W.copy(), H.copy()
    sweeps.mu_iteration(V, W_plain, H_plain, beta, ws, nmf._eps(V.dtype),
                        update_H=updates[0], update_W=updates[1])
    measured = sweeps.mu_iteration(V, W, H, beta, ws, nmf._eps(V.dtype),
                                   update_H=updates[0], update_W=updates[1], measure=True)
    ws.close()
    assert measured == pytest.approx(expected, rel=1e-9 if dtype == np.float64 else 1e-6)
    # measuring changes nothing in the iteration itself
    np.testing.assert_array_equal(W, W_plain)
    np.testing.assert_array_equal(H, H_plain)


def test_a_sweep_refuses_to_measure_what_it_cannot(problem):
    V, W, H = problem
    ws = sweeps.Workspace(V.shape[0], W.shape[1], 32, V.dtype, threads=1)
    with pytest.raises(ValueError, match="measures beta"):
        sweeps.mu_iteration(V, W, H, 0.5, ws, 1e-12, measure=True)


def _run_both(monkeypatch, V, **options):
    fused = nmf.factorize(V, 6, random_state=1, **options)
    with monkeypatch.context() as patch:
        patch.setattr(nmf._NumpyIterator, "measures", property(lambda self: False))
        separate = nmf.factorize(V, 6, random_state=1, **options)
    return fused, separate


@pytest.mark.parametrize("beta", sweeps.MEASURED_BETAS)
@pytest.mark.parametrize("solver", ["mu", "amu"])
@pytest.mark.parametrize("options", [{}, {"fixed_W": True}, {"l1_H": 0.05}, {"inner": 2}],
                         ids=["plain", "fixed-W", "l1", "inner"])
def test_checks_in_the_sweeps_leave_the_run_unchanged(monkeypatch, problem, beta, solver,
                                                      options):
    V = problem[0]
    if options.get("fixed_W"):
        options = {**options, "W": problem[1]}
    fused, separate = _run_both(monkeypatch, V, beta=beta, solver=solver, tol=1e-4,
                                max_iter=250, **options)
    assert fused.n_iter == separate.n_iter
    assert fused.converged == separate.converged
    np.testing.assert_array_equal(fused.W, separate.W)
    np.testing.assert_array_equal(fused.H, separate.H)
    assert [i for i, _ in fused.loss_history] == [i for i, _ in separate.loss_history]
    np.testing.assert_allclose([v for _, v in fused.loss_history],
                               [v for _, v in separate.loss_history], rtol=1e-6)


def test_an_uphill_check_falls_back_to_its_checkpoint_as_before(monkeypatch, problem):
    # An over-relaxation far too strong for the MM step: the checks find the
    # objective went up and fall back, which the fused checks must reproduce.
    monkeypatch.setattr(nmf, "RELAX", 4.0)
    V = problem[0]
    fused, separate = _run_both(monkeypatch, V, beta=1.0, solver="amu", tol=1e-5,
                                max_iter=120)
    losses = [v for _, v in separate.loss_history]
    assert any(b == a for a, b in zip(losses[:-1], losses[1:], strict=True))  # a fallback
    assert fused.n_iter == separate.n_iter
    np.testing.assert_array_equal(fused.W, separate.W)
    np.testing.assert_array_equal(fused.H, separate.H)


def test_the_final_objective_is_that_of_the_factors_returned(problem):
    V = problem[0]
    for tol in (0.0, 1e-3):
        result = nmf.factorize(V, 6, random_state=1, tol=tol, max_iter=80)
        assert result.loss_history[-1][1] == pytest.approx(
            nmf.objective(V, result.W, result.H), rel=1e-6)


@pytest.mark.parametrize("beta", sweeps.MEASURED_BETAS)
def test_the_torch_backend_checks_on_its_device_with_the_same_result(monkeypatch, problem,
                                                                     beta):
    pytest.importorskip("torch")
    from nmfsep.torch_backend import TorchIterator

    V = problem[0]
    options = dict(beta=beta, tol=1e-3, max_iter=250, backend="torch", device="cpu",
                   random_state=1)
    fused = nmf.factorize(V, 6, **options)
    with monkeypatch.context() as patch:
        patch.setattr(TorchIterator, "measures", property(lambda self: False))
        separate = nmf.factorize(V, 6, **options)
    assert fused.converged and fused.n_iter == separate.n_iter < 250
    np.testing.assert_array_equal(fused.W, separate.W)
    np.testing.assert_array_equal(fused.H, separate.H)
    np.testing.assert_allclose([v for _, v in fused.loss_history],
                               [v for _, v in separate.loss_history], rtol=1e-6)
