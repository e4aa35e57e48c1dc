"""The NMFD engine: against a direct float64 implementation, step by step, and against libnmfd."""

import numpy as np
import pytest

from benchmarks.quality import drum_nmfd
from nmfsep.errors import ParameterError
from nmfsep.nmf import beta_divergence
from nmfsep.nmfd import (
    component_spectrograms,
    convolve,
    factorize,
    normalize,
    update_H,
    update_W,
)

BETAS = [0.0, 0.5, 1.0, 1.5, 2.0]


def shift(A, t):
    """Columns moved ``t`` to the right (left for negative ``t``), zeros filled in."""
    out = np.zeros_like(A)
    n = A.shape[1]
    if abs(t) >= n:
        return out
    if t >= 0:
        out[:, t:] = A[:, : n - t]
    else:
        out[:, : n + t] = A[:, -t:]
    return out


def naive_model(W, H):
    return sum(W[:, t, :] @ shift(H, t) for t in range(W.shape[1]))


def naive_update_H(V, W, H, beta):
    L = naive_model(W, H)
    g = 1 / (2 - beta) if beta < 1 else 1.0
    num = sum(W[:, t, :].T @ shift(V * L ** (beta - 2), -t) for t in range(W.shape[1]))
    den = sum(W[:, t, :].T @ shift(L ** (beta - 1), -t) for t in range(W.shape[1]))
    return H * (num / den) ** g


def naive_update_W(V, W, H, beta):
    L = naive_model(W, H)
    g = 1 / (2 - beta) if beta < 1 else 1.0
    new = W.copy()
    for t in range(W.shape[1]):
        num = (V * L ** (beta - 2)) @ shift(H, t).T
        den = L ** (beta - 1) @ shift(H, t).T
        new[:, t, :] = W[:, t, :] * (num / den) ** g
    return new


@pytest.fixture
def problem(rng):
    F, N, K, T = 30, 60, 3, 5
    W = rng.random((F, T, K)) + 0.05
    H = rng.random((K, N)) + 0.05
    V = naive_model(rng.random((F, T, K)), rng.random((K, N))) + 0.01 * rng.random((F, N))
    return V, W, H


def test_convolve_is_the_sum_of_shifted_products(problem):
    V, W, H = problem
    np.testing.assert_allclose(convolve(W, H), naive_model(W, H), rtol=1e-12)


def test_component_spectrograms_add_up_to_the_model(problem):
    _, W, H = problem
    parts = component_spectrograms(W, H, [[0, 2], [1]])
    np.testing.assert_allclose(parts.sum(axis=0), naive_model(W, H), rtol=1e-12)
    np.testing.assert_allclose(parts[1], naive_model(W[:, :, [1]], H[[1]]), rtol=1e-12)


def test_shorter_recording_than_the_templates(rng):
    W, H = rng.random((6, 8, 2)), rng.random((2, 3))
    np.testing.assert_allclose(convolve(W, H), naive_model(W, H), rtol=1e-12)


@pytest.mark.parametrize("beta", BETAS)
def test_updates_match_the_direct_implementation(problem, beta):
    V, W, H = problem
    np.testing.assert_allclose(update_H(V, W, H, beta, eps=0.0), naive_update_H(V, W, H, beta),
                               rtol=1e-10)
    np.testing.assert_allclose(update_W(V, W, H, beta, eps=0.0), naive_update_W(V, W, H, beta),
                               rtol=1e-10)


@pytest.mark.parametrize("beta", BETAS + [0.3])
def test_divergence_never_rises_step_by_step(problem, beta):
    V, W, H = problem
    losses = [beta_divergence(V, approx=convolve(W, H), beta=beta)]
    for _ in range(25):
        H = update_H(V, W, H, beta)
        losses.append(beta_divergence(V, approx=convolve(W, H), beta=beta))
        W = update_W(V, W, H, beta)
        losses.append(beta_divergence(V, approx=convolve(W, H), beta=beta))
    steps = np.diff(losses)
    assert np.all(steps <= 1e-10 * losses[0]), steps.max()
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("beta", [0.0, 1.0, 2.0, 0.6])
def test_factorize_loss_history_never_rises_with_partly_fixed_templates(problem, beta):
    V, W, H = problem
    result = factorize(V, W=W, H=H, beta=beta, fixed_W=[1], max_iter=40, check_every=1,
                       dtype=np.float64)
    losses = np.array([loss for _, loss in result.loss_history])
    assert len(losses) == 41
    assert np.all(np.diff(losses) <= 1e-10 * losses[0])
    np.testing.assert_array_equal(result.W[:, :, 1], W[:, :, 1])
    free = result.W[:, :, [0, 2]].sum(axis=(0, 1))
    np.testing.assert_allclose(free, 1.0, rtol=1e-12)  # normalized templates


def test_normalize_keeps_the_model(problem):
    _, W, H = problem
    before = convolve(W, H)
    W, H = W.copy(), H.copy()
    normalize(W, H)
    np.testing.assert_allclose(convolve(W, H), before, rtol=1e-12)
    np.testing.assert_allclose(W.sum(axis=(0, 1)), 1.0)


def test_float32_follows_float64(problem):
    V, W, H = problem
    r32 = factorize(V, W=W, H=H, max_iter=20, dtype=np.float32)
    r64 = factorize(V, W=W, H=H, max_iter=20, dtype=np.float64)
    assert r32.W.dtype == np.float32 and r32.H.dtype == np.float32
    np.testing.assert_allclose(r32.approximation, r64.approximation, rtol=2e-3, atol=1e-5)


def test_fixed_templates_and_activations_recover_a_planted_activation(rng):
    F, N, K, T = 40, 80, 2, 6
    W = rng.random((F, T, K)) + 0.01
    H = np.zeros((K, N))
    H[0, [5, 30, 55]] = [1.0, 2.0, 0.5]
    H[1, [12, 40]] = [1.5, 1.0]
    V = naive_model(W, H)
    result = factorize(V, W=W, H=np.full((K, N), 0.5), fixed_W=True, max_iter=500,
                       dtype=np.float64, beta=1.0)
    np.testing.assert_allclose(result.H, H, atol=0.02)


def test_bad_arguments_are_named():
    V = np.ones((4, 5))
    with pytest.raises(ParameterError, match="beta"):
        factorize(V, 2, beta=3)
    with pytest.raises(ParameterError, match="template_frames"):
        factorize(V, 2, template_frames=0)
    with pytest.raises(ParameterError, match="non-negative"):
        factorize(-V, 2)
    with pytest.raises(ParameterError, match="do not match"):
        factorize(V, 2, W=np.ones((3, 2, 2)))
    with pytest.raises(ParameterError, match="KL only"):
        factorize(V, 2, beta=2, variant="libnmfd")


# --------------------------------------------------------------------------- libnmfd

def _libnmfd_inputs(rng):
    F, N, K, T = 50, 90, 3, 8
    W0 = rng.random((F, T, K)) + 0.01
    W0 /= W0.sum(axis=(0, 1))
    H0 = rng.random((K, N)) + 0.1
    V = naive_model(rng.random((F, T, K)), rng.random((K, N)) ** 4) * 3.0 + 1e-3
    return V, W0, H0


@pytest.mark.parametrize("fix_W", [False, True])
def test_libnmfd_variant_is_libnmfd(rng, fix_W):
    nmfconv = pytest.importorskip("libnmfd.core.nmfconv")
    V, W0, H0 = _libnmfd_inputs(rng)
    K, T = W0.shape[2], W0.shape[1]
    with drum_nmfd.quiet():  # libnmfd's notebook progress bars need Jupyter otherwise
        W_ref, H_ref, parts_ref, _, _ = nmfconv.nmfd(
            V, num_comp=K, num_frames=V.shape[1], num_iter=12, num_template_frames=T,
            init_W=[W0[:, :, k].copy() for k in range(K)], init_H=H0.copy(), fix_W=fix_W)
    ours = factorize(V, W=W0, H=H0, max_iter=12, variant="libnmfd", fixed_W=fix_W,
                     dtype=np.float64)
    np.testing.assert_allclose(ours.W, np.stack(W_ref, axis=2), rtol=1e-9)
    # libnmfd fits V / (EPS + sum(V)); the variant scales H back so that it models V
    scale = V.sum()
    np.testing.assert_allclose(ours.H, H_ref * scale, rtol=1e-9)
    # its component spectrograms carry the model's guard EPS; ours do not
    parts = component_spectrograms(ours.W, ours.H)
    np.testing.assert_allclose(parts / scale, np.stack(parts_ref), rtol=1e-9, atol=1e-15)


def test_libnmfd_variant_differs_from_the_mm_updates(rng):
    V, W0, H0 = _libnmfd_inputs(rng)
    lib = factorize(V, W=W0, H=H0, max_iter=12, variant="libnmfd", dtype=np.float64)
    mm = factorize(V, W=W0, H=H0, max_iter=12, dtype=np.float64)
    assert not np.allclose(lib.H, mm.H, rtol=1e-3)
    # the MM updates reach a lower divergence in as many iterations
    assert mm.loss < lib.loss
