import numpy as np
import pytest

from nmfsep.errors import ParameterError
from nmfsep.nmf import (
    beta_divergence,
    factorize,
    initialize,
    objective,
    update_H,
    update_W,
)

BETAS = [0.0, 0.5, 1.0, 1.5, 2.0]


def naive_beta_divergence(X, Y, beta):
    """Element by element, straight from the definition."""
    total = 0.0
    for x, y in zip(X.ravel(), Y.ravel(), strict=False):
        if beta == 0:
            total += x / y - np.log(x / y) - 1
        elif beta == 1:
            total += (x * np.log(x / y) if x > 0 else 0.0) - x + y
        else:
            total += (x**beta + (beta - 1) * y**beta - beta * x * y ** (beta - 1)) / (
                beta * (beta - 1)
            )
    return total


@pytest.fixture
def data(rng):
    V = rng.random((40, 50)) ** 2 + 0.01
    W, H = initialize(V, 5, method="random", random_state=3, dtype=np.float64)
    return V, W, H


@pytest.mark.parametrize("beta", BETAS + [0.3, 1.2])
def test_beta_divergence_matches_naive_reference(data, beta):
    V, W, H = data
    assert beta_divergence(V, W, H, beta) == pytest.approx(
        naive_beta_divergence(V, W @ H, beta), rel=1e-9
    )


@pytest.mark.parametrize("limit, near", [(0.0, 5e-324), (0.0, 1e-12), (1.0, 1 + 1e-12),
                                         (1.0, 1 - 1e-12)])
def test_beta_divergence_next_to_its_limits_is_the_limit(limit, near):
    rng = np.random.default_rng(0)
    V, W, H = rng.random((20, 30)) + 0.1, rng.random((20, 4)) + 0.1, rng.random((4, 30)) + 0.1
    expected = beta_divergence(V, W, H, limit)
    assert np.isfinite(expected) and expected > 0
    assert beta_divergence(V, W, H, near) == pytest.approx(expected, rel=1e-6)


def test_beta_divergence_of_exact_fit_is_zero(data):
    _, W, H = data
    for beta in BETAS:
        assert beta_divergence(W @ H, W, H, beta) == pytest.approx(0.0, abs=1e-9)


PENALTIES = [{}, {"l1_H": 0.5}, {"continuity": 3.0}, {"l1_H": 0.2, "continuity": 1.0}]


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("penalty", PENALTIES, ids=["plain", "l1", "continuity", "both"])
@pytest.mark.parametrize("fixed", [None, np.array([True, False, True, False, False])],
                         ids=["free", "partly-fixed"])
def test_objective_never_increases_on_any_single_update(data, beta, penalty, fixed):
    V, W, H = data
    previous = objective(V, W, H, beta, **penalty)
    for _ in range(25):
        H = update_H(V, W, H, beta, **penalty)
        after_H = objective(V, W, H, beta, **penalty)
        W_new = update_W(V, W, H, beta, fixed_columns=fixed)
        if fixed is not None:
            np.testing.assert_array_equal(W_new[:, fixed], W[:, fixed])
        W = W_new
        after_W = objective(V, W, H, beta, **penalty)
        assert after_H <= previous * (1 + 1e-9)
        assert after_W <= after_H * (1 + 1e-9)
        previous = after_W
    assert np.all(np.isfinite(W)) and np.all(np.isfinite(H))


def test_penalties_do_their_job(rng):
    V = rng.random((30, 80)) + 0.1
    W, H = initialize(V, 4, method="random", random_state=0, dtype=np.float64)
    plain = factorize(V, 4, W=W, H=H, max_iter=150, tol=0, dtype=np.float64)
    smooth = factorize(V, 4, W=W, H=H, max_iter=150, tol=0, dtype=np.float64, continuity=5.0)
    sparse = factorize(V, 4, W=W, H=H, max_iter=150, tol=0, dtype=np.float64, l1_H=2.0)

    def roughness(H):
        return np.sum(np.diff(H, axis=1) ** 2) / np.sum(H**2)

    assert roughness(smooth.H) < 0.5 * roughness(plain.H)
    assert sparse.H.sum() / np.abs(sparse.W).sum() < plain.H.sum() / np.abs(plain.W).sum()


@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_agrees_with_scikit_learn_mu_from_the_same_start(rng, beta):
    sklearn = pytest.importorskip("sklearn.decomposition")
    V = rng.random((30, 40)) + 0.05
    W0, H0 = initialize(V, 4, method="random", random_state=1, dtype=np.float64)
    ours = factorize(V, 4, W=W0, H=H0, beta=beta, max_iter=100, tol=0, dtype=np.float64)
    # scikit-learn factorizes X (samples, features) = V.T ≈ H.T @ W.T
    model = sklearn.NMF(4, solver="mu", beta_loss=beta, init="custom", max_iter=100, tol=0)
    Ht = model.fit_transform(V.T, W=H0.T.copy(), H=W0.T.copy())
    # scikit-learn's W is our H.T and updates it first, as we update H first
    np.testing.assert_allclose(model.components_.T, ours.W, rtol=1e-6)
    np.testing.assert_allclose(Ht.T, ours.H, rtol=1e-6)
    assert beta_divergence(V, ours.W, ours.H, beta) == pytest.approx(
        beta_divergence(V, model.components_.T, Ht.T, beta), rel=1e-3
    )


def test_planted_exact_factorization_is_recovered(rng):
    W_true = rng.random((60, 4)) ** 3
    H_true = rng.random((4, 70)) ** 3
    V = W_true @ H_true
    result = factorize(V, 4, beta=1.0, max_iter=2000, tol=0, dtype=np.float64, random_state=0)
    relative = np.linalg.norm(result.W @ result.H - V) / np.linalg.norm(V)
    assert relative < 0.02


def test_float32_and_float64_agree(rng):
    V = rng.random((50, 60)) + 0.01
    r32 = factorize(V, 6, max_iter=100, tol=0, dtype=np.float32, random_state=0)
    r64 = factorize(V, 6, max_iter=100, tol=0, dtype=np.float64, random_state=0)
    assert r32.W.dtype == np.float32 and r64.W.dtype == np.float64
    assert r32.loss == pytest.approx(r64.loss, rel=1e-3)


def test_fixed_W_keeps_W_and_fixed_H_keeps_H(rng):
    V = rng.random((20, 30))
    W0, H0 = initialize(V, 3, method="random", random_state=0)
    only_H = factorize(V, 3, W=W0, H=H0, fixed_W=True, max_iter=20)
    np.testing.assert_array_equal(only_H.W, W0)
    assert not np.array_equal(only_H.H, H0)
    only_W = factorize(V, 3, W=W0, H=H0, fixed_H=True, max_iter=20)
    np.testing.assert_array_equal(only_W.H, H0)


def test_tol_stops_early_and_history_is_recorded_every_few_iterations(rng):
    V = rng.random((30, 30))
    seen = []
    result = factorize(V, 3, max_iter=500, tol=1e-3, check_every=5,
                       callback=lambda i, loss: seen.append(i))
    assert result.converged and result.n_iter < 500
    assert [i for i, _ in result.loss_history] == seen
    assert all(i % 5 == 0 for i in seen)
    losses = [loss for _, loss in result.loss_history]
    assert losses == sorted(losses, reverse=True)


@pytest.mark.parametrize("beta", BETAS)
def test_zeros_and_tiny_values_never_give_nan(beta):
    V = np.zeros((16, 20))
    V[3, 5] = 1e-30
    V[:, 10] = 1e-8
    for init in ["nndsvda", "random"]:
        result = factorize(V, 3, beta=beta, init=init, max_iter=30)
        assert np.all(np.isfinite(result.W)) and np.all(np.isfinite(result.H))
        assert np.isfinite(result.loss)


def test_nndsvd_initialization_is_nonnegative_and_close(rng):
    V = rng.random((40, 30)) ** 2
    for method in ["nndsvd", "nndsvda"]:
        W, H = initialize(V, 5, method=method)
        assert W.min() >= 0 and H.min() >= 0
    W, H = initialize(V, 5, method="nndsvd", dtype=np.float64)
    Wr, Hr = initialize(V, 5, method="random", random_state=0, dtype=np.float64)
    assert np.linalg.norm(V - W @ H) < np.linalg.norm(V - Wr @ Hr)
    rank_one = np.outer(rng.random(40), rng.random(30))
    W, H = initialize(rank_one, 3, method="nndsvd", dtype=np.float64)
    assert np.linalg.norm(rank_one - W @ H) < 1e-9 * np.linalg.norm(rank_one)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"beta": 2.5}, "beta must be in"), ({"n_components": 0}, "n_components"),
     ({"max_iter": -1}, "max_iter"), ({"l1_H": -1.0}, "penalty")],
)
def test_bad_parameters_are_named(rng, kwargs, message):
    V = rng.random((5, 5))
    args = {"n_components": 2, **kwargs}
    with pytest.raises(ParameterError, match=message):
        factorize(V, **args)


def test_negative_or_nan_V_is_rejected():
    with pytest.raises(ParameterError, match="non-negative"):
        factorize(-np.ones((3, 3)), 1)
    with pytest.raises(ParameterError, match="NaN"):
        factorize(np.full((3, 3), np.nan), 1)


def test_the_square_root_path_of_beta_one_half_is_the_general_power_s():
    """beta = 0.5 takes square roots instead of powers in the update and the objective."""
    from nmfsep.activations import _exact_column_divergence
    from nmfsep.nmf import _ratio_terms
    from nmfsep.sweeps import ratio_fields_of_model

    rng = np.random.default_rng(3)
    V = (rng.random((40, 30)) * 3).astype(np.float32)
    model = (rng.random((40, 30)) * 3 + 1e-3).astype(np.float32)
    num, den = _ratio_terms(V, model, 0.5, 1e-9)
    guarded = model.astype(np.float64) + 1e-9
    np.testing.assert_allclose(num, V * guarded ** -1.5, rtol=1e-6)
    np.testing.assert_allclose(den, guarded ** -0.5, rtol=1e-6)
    A, B = model.copy(), np.empty_like(model)
    assert ratio_fields_of_model(V, A, B, 0.5)
    np.testing.assert_allclose(A, V * model.astype(np.float64) ** -1.5, rtol=1e-6)
    np.testing.assert_allclose(B, model.astype(np.float64) ** -0.5, rtol=1e-6)
    X, Y = V.astype(np.float64), model.astype(np.float64)
    general = np.sum(X**0.5 - 0.5 * Y**0.5 - 0.5 * X * Y**-0.5, axis=0) / -0.25
    np.testing.assert_allclose(_exact_column_divergence(X, Y, 0.5), general, rtol=1e-12)
