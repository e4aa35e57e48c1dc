"""Activations of fixed dictionaries for many batches at once, against one factorize per batch."""

import numpy as np
import pytest

from nmfsep.activations import batch_activations
from nmfsep.dictionary import initial_activations
from nmfsep.errors import ParameterError
from nmfsep.nmf import factorize

N_ROWS, K = 200, 10
# Batches of several widths; the third is silent.
SIZES = [8, 16, 5, 32, 7, 20, 1]


def batches(rng, dtype, sizes=SIZES):
    """Basis spectra that sum to one, and batches of columns that each fit them differently."""
    W = rng.random((N_ROWS, K)) ** 3
    W /= W.sum(axis=0)
    parts = []
    for size in sizes:
        H = rng.random((K, size)) ** 4 * 10
        V = (W @ H) * rng.gamma(rng.uniform(0.5, 30), size=(N_ROWS, size))
        parts.append((V / V.mean()).astype(dtype))
    parts[2][:] = 0
    return W, parts


def one_call_per_batch(W, parts, **options):
    results = [factorize(V, K, W=W, H=initial_activations(V, K), fixed_W=True,
                         dtype=V.dtype, **options) for V in parts]
    return (np.concatenate([r.H for r in results], axis=1),
            np.array([r.n_iter for r in results]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 1.5, 2.0])
def test_batches_solved_together_equal_one_factorize_per_batch(rng, beta, dtype):
    W, parts = batches(rng, dtype)
    V = np.concatenate(parts, axis=1)
    options = dict(beta=beta, max_iter=300, tol=1e-4)
    H, n_iter = batch_activations(V, W, initial_activations(V, K), SIZES, **options)
    expected_H, expected_n_iter = one_call_per_batch(W, parts, **options)
    assert len(set(expected_n_iter)) >= 3  # the batches stop at different iterations
    assert n_iter.tolist() == expected_n_iter.tolist()
    assert H.dtype == dtype and H.shape == expected_H.shape
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    assert np.abs(H - expected_H).max() <= tolerance * np.abs(expected_H).max()


def test_batches_in_several_threads_equal_one_factorize_per_batch(rng):
    W, parts = batches(rng, np.float32, sizes=[300, 64, 500, 90, 200, 256])
    V = np.concatenate(parts, axis=1)
    H, n_iter = batch_activations(V, W, initial_activations(V, K), [p.shape[1] for p in parts],
                                  max_iter=200, tol=1e-4, threads=2)
    expected_H, expected_n_iter = one_call_per_batch(W, parts, max_iter=200, tol=1e-4)
    assert n_iter.tolist() == expected_n_iter.tolist()
    assert np.abs(H - expected_H).max() <= 1e-5 * np.abs(expected_H).max()


def test_without_a_tolerance_every_batch_runs_every_iteration(rng):
    W, parts = batches(rng, np.float32)
    V = np.concatenate(parts, axis=1)
    H, n_iter = batch_activations(V, W, initial_activations(V, K), SIZES, max_iter=25, tol=0)
    expected_H, _ = one_call_per_batch(W, parts, max_iter=25, tol=0)
    assert n_iter.tolist() == [25] * len(SIZES)
    assert np.abs(H - expected_H).max() <= 1e-5 * np.abs(expected_H).max()


def test_a_silent_batch_keeps_zero_activations_and_the_start_is_not_modified(rng):
    W, parts = batches(rng, np.float32)
    V = np.concatenate(parts, axis=1)
    start = initial_activations(V, K)
    kept = start.copy()
    H, n_iter = batch_activations(V, W, start, SIZES, max_iter=50)
    silent = slice(sum(SIZES[:2]), sum(SIZES[:3]))
    assert np.all(H[:, silent] == 0) and n_iter[2] == 10
    assert np.array_equal(start, kept)


def test_zero_iterations_return_the_start(rng):
    W, parts = batches(rng, np.float32)
    V = np.concatenate(parts, axis=1)
    start = initial_activations(V, K)
    H, n_iter = batch_activations(V, W, start, SIZES, max_iter=0)
    assert np.array_equal(H, start) and n_iter.tolist() == [0] * len(SIZES)


@pytest.mark.parametrize(("sizes", "message"), [
    ([10, 10], "batch sizes must be positive and add up to the 89 columns"),
    ([89, 0], "batch sizes must be positive"),
    ([], "batch sizes must be positive"),
])
def test_batch_sizes_that_do_not_cover_the_columns_are_rejected(rng, sizes, message):
    W, parts = batches(rng, np.float32)
    V = np.concatenate(parts, axis=1)
    with pytest.raises(ParameterError, match=message):
        batch_activations(V, W, initial_activations(V, K), sizes)


def test_mismatched_shapes_and_options_are_rejected(rng):
    W, parts = batches(rng, np.float32)
    V = np.concatenate(parts, axis=1)
    with pytest.raises(ParameterError, match="do not match V"):
        batch_activations(V, W[:-1], initial_activations(V, K), SIZES)
    with pytest.raises(ParameterError, match="beta must be in"):
        batch_activations(V, W, initial_activations(V, K), SIZES, beta=3.0)
    with pytest.raises(ParameterError, match="check_every must be a positive integer"):
        batch_activations(V, W, initial_activations(V, K), SIZES, check_every=0)
