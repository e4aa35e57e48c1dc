"""The fast engine: blocked iterations equal the reference updates; HALS; the torch backend."""

import numpy as np
import pytest

from nmfsep import nmf, sweeps
from nmfsep.errors import ParameterError

factorize, objective, beta_divergence = nmf.factorize, nmf.objective, nmf.beta_divergence

BETAS = [0.0, 0.5, 1.0, 1.5, 2.0]
FIXED = np.array([True, False, True, False, False])


@pytest.fixture
def data(rng):
    V = rng.random((40, 203)) ** 2 + 0.01
    W, H = nmf.initialize(V, 5, method="random", random_state=3, dtype=np.float64)
    return V, W, H


def reference_iteration(V, W, H, beta, fixed=None, **penalty):
    H = nmf.update_H(V, W, H, beta, **penalty)
    return nmf.update_W(V, W, H, beta, fixed_columns=fixed), H


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("block", [7, 64, 1000])
@pytest.mark.parametrize("penalty", [{}, {"l1_H": 0.4}, {"continuity": 2.0}],
                         ids=["plain", "l1", "continuity"])
@pytest.mark.parametrize("fixed", [None, FIXED], ids=["free", "partly-fixed"])
@pytest.mark.parametrize("threads", [1, 3])
def test_blocked_iteration_equals_the_reference_updates(data, beta, block, penalty, fixed,
                                                         threads):
    V, W0, H0 = data
    W_ref, H_ref = W0, H0
    W, H = W0.copy(), H0.copy()
    ws = sweeps.Workspace(V.shape[0], 5, block, np.float64, threads=threads)
    eps = nmf._eps(V.dtype)
    continuity = penalty.get("continuity", 0.0)
    step = None
    if continuity:
        def step(H_, num, den):
            return nmf._continuity_step(H_, num, den, beta, continuity, eps)

    for _ in range(5):
        W_ref, H_ref = reference_iteration(V, W_ref, H_ref, beta, fixed, **penalty)
        sweeps.mu_iteration(V, W, H, beta, ws, eps, fixed_columns=fixed,
                            l1_H=penalty.get("l1_H", 0.0), continuity_step=step)
    ws.close()
    np.testing.assert_allclose(W, W_ref, rtol=1e-10)
    np.testing.assert_allclose(H, H_ref, rtol=1e-10)


def test_blocked_float32_stays_float32_and_agrees_with_float64(data):
    V, W0, H0 = data
    r32 = factorize(V.astype(np.float32), 5, W=W0, H=H0, max_iter=30, tol=0, block_size=16)
    r64 = factorize(V, 5, W=W0, H=H0, max_iter=30, tol=0, dtype=np.float64)
    assert r32.W.dtype == np.float32 and r32.H.dtype == np.float32
    np.testing.assert_allclose(r32.W, r64.W, rtol=2e-3, atol=1e-6)
    assert r32.loss == pytest.approx(r64.loss, rel=1e-5)


@pytest.mark.parametrize("beta", [0.0, 1.0, 2.0])
def test_blocked_divergence_equals_the_whole_one(data, beta):
    V, W, H = data
    whole = beta_divergence(V, W, H, beta, block=V.shape[1])
    assert beta_divergence(V, W, H, beta, block=13) == pytest.approx(whole, rel=1e-12)
    V32, W32, H32 = (x.astype(np.float32) for x in (V, W, H))
    exact = beta_divergence(V32.astype(np.float64), W32.astype(np.float64),
                            H32.astype(np.float64), beta)
    assert beta_divergence(V32, W32, H32, beta, block=13) == pytest.approx(exact, rel=1e-5)


@pytest.mark.parametrize("penalty", [{}, {"l1_H": 0.5}], ids=["plain", "l1"])
@pytest.mark.parametrize("fixed", [None, FIXED], ids=["free", "partly-fixed"])
@pytest.mark.parametrize("inner", [1, 3])
def test_hals_never_increases_the_objective_on_any_half_update(data, penalty, fixed, inner):
    V, W, H = data
    W, H = W.copy(), H.copy()
    previous = objective(V, W, H, 2.0, **penalty)
    for _ in range(20):
        W_before = W.copy()
        sweeps.hals_iteration(V, W, H, update_W=False, inner=inner, **penalty)
        after_H = objective(V, W, H, 2.0, **penalty)
        sweeps.hals_iteration(V, W, H, update_H=False, fixed_columns=fixed, inner=inner)
        after_W = objective(V, W, H, 2.0, **penalty)
        if fixed is not None:
            np.testing.assert_array_equal(W[:, fixed], W_before[:, fixed])
        assert after_H <= previous * (1 + 1e-12)
        assert after_W <= after_H * (1 + 1e-12)
        previous = after_W
    assert W.min() >= 0 and H.min() >= 0


def test_hals_reaches_a_lower_euclidean_loss_than_mu_in_the_same_iterations(data):
    V, W0, H0 = data
    mu = factorize(V, 5, W=W0, H=H0, beta=2, max_iter=40, tol=0, dtype=np.float64)
    hals = factorize(V, 5, W=W0, H=H0, beta=2, max_iter=40, tol=0, dtype=np.float64,
                     solver="hals")
    assert hals.loss < mu.loss


def test_hals_and_torch_refuse_what_they_cannot_do(data):
    V, _, _ = data
    with pytest.raises(ParameterError, match="hals"):
        factorize(V, 3, beta=1.0, solver="hals")
    with pytest.raises(ParameterError, match="solver"):
        factorize(V, 3, solver="newton")
    with pytest.raises(ParameterError, match="backend"):
        factorize(V, 3, backend="jax")
    with pytest.raises(ParameterError, match="inner"):
        factorize(V, 3, inner=0)


def test_inner_H_updates_keep_the_loss_decreasing(data):
    V, W0, H0 = data
    result = factorize(V, 5, W=W0, H=H0, max_iter=30, tol=0, check_every=1, inner=3,
                       dtype=np.float64, callback=lambda i, loss: None)
    losses = [loss for _, loss in result.loss_history]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(losses, losses[1:], strict=False))


def test_no_intermediate_loss_is_computed_when_nobody_asks(data):
    V, W0, H0 = data
    result = factorize(V, 5, W=W0, H=H0, max_iter=30, tol=0)
    assert [i for i, _ in result.loss_history] == [0, 30]


@pytest.mark.parametrize("beta", BETAS)
def test_torch_backend_gives_the_numpy_result(data, beta):
    pytest.importorskip("torch")
    V, W0, H0 = data
    kwargs = dict(W=W0, H=H0, beta=beta, max_iter=40, tol=0, l1_H=0.2, fixed_W=FIXED)
    ours = factorize(V, 5, dtype=np.float64, **kwargs)
    theirs = factorize(V, 5, dtype=np.float64, backend="torch", device="cpu", **kwargs)
    np.testing.assert_allclose(theirs.W, ours.W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(theirs.H, ours.H, rtol=1e-9, atol=1e-12)
    ours32 = factorize(V, 5, **kwargs)
    theirs32 = factorize(V, 5, backend="torch", device="cpu", **kwargs)
    assert theirs32.W.dtype == np.float32
    assert theirs32.loss == pytest.approx(ours32.loss, rel=1e-4)


def test_core_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, numpy as np, nmfsep; from nmfsep.nmf import factorize; "
            "factorize(np.ones((4, 5)), 2, max_iter=2); print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("penalty", [{}, {"l1_H": 0.3}, {"continuity": 1.0}],
                         ids=["plain", "l1", "continuity"])
@pytest.mark.parametrize("check_every", [1, 4])
def test_accelerated_mu_never_increases_the_checked_objective(data, beta, penalty, check_every):
    V, W0, H0 = data
    result = factorize(V, 5, W=W0, H=H0, beta=beta, max_iter=60, tol=0, solver="amu",
                       check_every=check_every, dtype=np.float64, **penalty)
    losses = [loss for _, loss in result.loss_history]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(losses, losses[1:], strict=False))
    assert result.loss == pytest.approx(objective(V, result.W, result.H, beta, **penalty))


def test_accelerated_mu_goes_further_than_mu_in_the_same_iterations(example):
    from nmfsep.spectral import STFTConfig, mixture_spectrogram, stft

    V = mixture_spectrogram(stft(example.mixture, STFTConfig(1024, 256)))
    V = V / V.mean()
    W0, H0 = nmf.initialize(V, 10, method="random", random_state=0)
    plain = factorize(V, 10, W=W0, H=H0, max_iter=60, tol=0)
    fast = factorize(V, 10, W=W0, H=H0, max_iter=60, tol=0, solver="amu")
    assert fast.loss < plain.loss


def test_coarse_start_fits_better_than_nndsvda_and_has_every_frame(example):
    from nmfsep.spectral import STFTConfig, mixture_spectrogram, stft

    V = mixture_spectrogram(stft(example.mixture, STFTConfig(1024, 256)))
    V = V / V.mean()
    W, H = nmf.initialize(V, 10, method="coarse", random_state=0)
    assert W.shape == (V.shape[0], 10) and H.shape == (10, V.shape[1])
    assert W.dtype == np.float32 and W.min() >= 0 and H.min() >= 0
    Wn, Hn = nmf.initialize(V, 10, method="nndsvda", random_state=0)
    assert beta_divergence(V, W, H, 1.0) < beta_divergence(V, Wn, Hn, 1.0)
    tiny = V[:, :20]
    Wt, Ht = nmf.initialize(tiny, 3, method="coarse", random_state=0)
    assert Ht.shape == (3, 20) and np.all(np.isfinite(Wt))
