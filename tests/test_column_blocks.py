"""The sweeps read V from contiguous copies of its blocks: the same numbers as in place.

:func:`nmfsep.sweeps.column_blocks` cuts ``V`` as the sweeps take it (the
workspace's ranges and block length) and copies each block (the stream's
activations use them too, with their own ranges: ``tests/test_activations.py``); these tests hold
iterations and whole factorizations on the copies against the same on ``V``
read in place, bit for bit.
"""

import numpy as np
import pytest

from nmfsep import nmf, sweeps


@pytest.fixture
def problem(rng):
    V = (rng.random((60, 410)) ** 3 + 0.01).astype(np.float32)
    W, H = nmf.initialize(V, 6, method="random", random_state=2)
    return V, W, H


@pytest.mark.parametrize("threads", [1, 3])
def test_the_blocks_are_contiguous_copies_that_cover_every_column_once(problem, threads):
    V = problem[0]
    ws = sweeps.Workspace(V.shape[0], 6, 32, V.dtype, threads=threads)
    blocks = sweeps.column_blocks(V, ws.ranges(V.shape[1]), ws.block)
    ws.close()
    starts = sorted(blocks)
    assert all(blocks[s].flags.c_contiguous and not np.shares_memory(blocks[s], V)
               for s in starts)
    np.testing.assert_array_equal(np.concatenate([blocks[s] for s in starts], axis=1), V)
    assert len(starts) >= -(-V.shape[1] // 32)


def test_a_v_larger_than_the_budget_is_read_in_place(monkeypatch, problem):
    V = problem[0]
    ws = sweeps.Workspace(V.shape[0], 6, 32, V.dtype, threads=1)
    monkeypatch.setattr(sweeps, "BLOCKED_COPY_BYTES", V.nbytes - 1)
    assert sweeps.column_blocks(V, ws.ranges(V.shape[1]), ws.block) is None
    monkeypatch.setattr(sweeps, "BLOCKED_COPY_BYTES", V.nbytes)
    assert sweeps.column_blocks(V, ws.ranges(V.shape[1]), ws.block) is not None
    ws.close()


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("updates", [(True, True), (True, False), (False, True)],
                         ids=["HW", "H", "W"])
@pytest.mark.parametrize("threads", [1, 3])
def test_an_iteration_on_the_blocks_equals_one_on_v_in_place(problem, beta, updates, threads):
    V, W, H = problem
    if beta == 0:
        V = np.maximum(V, nmf._eps(V.dtype))
    ws = sweeps.Workspace(V.shape[0], W.shape[1], 32, V.dtype, threads=threads)
    blocks = sweeps.column_blocks(V, ws.ranges(V.shape[1]), ws.block)
    W_in_place, H_in_place = W.copy(), H.copy()
    measure = beta in sweeps.MEASURED_BETAS
    for _ in range(3):
        expected = sweeps.mu_iteration(V, W_in_place, H_in_place, beta, ws, 1e-12,
                                       update_H=updates[0], update_W=updates[1],
                                       measure=measure)
        measured = sweeps.mu_iteration(V, W, H, beta, ws, 1e-12, update_H=updates[0],
                                       update_W=updates[1], measure=measure, blocks=blocks)
        assert measured == expected
    ws.close()
    np.testing.assert_array_equal(W, W_in_place)
    np.testing.assert_array_equal(H, H_in_place)


@pytest.mark.parametrize("solver", ["mu", "amu"])
@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_a_factorization_on_the_blocks_equals_one_on_v_in_place(monkeypatch, problem, solver,
                                                                beta):
    V = np.tile(problem[0], (1, 50))  # large enough for the threaded sweeps
    copied = nmf.factorize(V, 6, beta=beta, solver=solver, random_state=1, tol=1e-4,
                           max_iter=60)
    monkeypatch.setattr(sweeps, "BLOCKED_COPY_BYTES", 0)
    in_place = nmf.factorize(V, 6, beta=beta, solver=solver, random_state=1, tol=1e-4,
                             max_iter=60)
    assert copied.n_iter == in_place.n_iter
    np.testing.assert_array_equal(copied.W, in_place.W)
    np.testing.assert_array_equal(copied.H, in_place.H)


def test_the_memory_estimates_count_the_copy_when_one_is_made(monkeypatch):
    from nmfsep import resources
    from nmfsep.spectral import STFTConfig

    options = dict(channels=2, sr=16000, n_sources=2, n_fft=1024, hop=256)
    bins = 513 * STFTConfig(n_fft=1024, hop=256).n_frames(16000 * 60)
    with_copy = (resources.estimate_memory(16000 * 60, **options),
                 resources.estimate_memory_streamed(16000 * 60, **options))
    monkeypatch.setattr(resources, "BLOCKED_COPY_BYTES", 4 * bins - 1)  # V just too large
    without = (resources.estimate_memory(16000 * 60, **options),
               resources.estimate_memory_streamed(16000 * 60, **options))
    assert [a - b for a, b in zip(with_copy, without, strict=True)] == [4 * bins, 4 * bins]
