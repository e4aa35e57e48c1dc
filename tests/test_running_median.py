"""The running median by selection networks, held value for value against scipy.ndimage."""

import numpy as np
import pytest
from scipy.ndimage import median_filter

from nmfsep.features import median_along
from nmfsep.running_median import MAX_NETWORK_LENGTH, median_network, running_median

ODD_LENGTHS = range(1, MAX_NETWORK_LENGTH + 1, 2)


@pytest.mark.parametrize("length", ODD_LENGTHS)
def test_network_takes_the_median_of_every_input(length):
    rng = np.random.default_rng(length)
    values = rng.integers(0, 4, size=(length, 2000)).astype(np.float64)  # many ties
    values[:, :1000] = rng.random((length, 1000))
    wires = list(values)
    for low, high, keep_min, keep_max in median_network(length):
        smaller, larger = np.minimum(wires[low], wires[high]), np.maximum(wires[low], wires[high])
        if keep_min:
            wires[low] = smaller
        if keep_max:
            wires[high] = larger
    np.testing.assert_array_equal(wires[length // 2], np.median(values, axis=0))


def test_network_is_pruned():
    # the comparators of a median of 9 (a full sort of 9 by this construction needs more)
    assert sum(keep_min + keep_max for *_, keep_min, keep_max in median_network(9)) <= 40
    with pytest.raises(ValueError, match="odd"):
        median_network(4)


def _scipy(V, length, axis, mode):
    return median_filter(V, size=(1, length) if axis == 1 else (length, 1), mode=mode)


@pytest.mark.parametrize("mode", ["nearest", "reflect", "mirror", "wrap"])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("length", [1, 3, 9, 17, 33, 35])
def test_equals_scipy_median_filter(mode, axis, length):
    rng = np.random.default_rng(7)
    V = rng.random((61, 83)).astype(np.float32) ** 3
    V[5:9] = 0.25  # runs of equal values
    np.testing.assert_array_equal(running_median(V, length, axis, mode),
                                  _scipy(V, length, axis, mode))


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threads_and_blocks_give_the_same_values(threads, dtype):
    rng = np.random.default_rng(3)
    V = rng.random((1031, 257)).astype(dtype)  # several blocks of rows per thread
    for axis, length in ((0, 17), (1, 9)):
        np.testing.assert_array_equal(running_median(V, length, axis, threads=threads),
                                      _scipy(V, length, axis, "nearest"))


@pytest.mark.parametrize("shape", [(1, 1), (1, 40), (40, 1), (4, 5), (0, 6)])
def test_short_axes(shape):
    V = np.random.default_rng(0).random(shape)
    for axis in (0, 1):
        np.testing.assert_array_equal(running_median(V, 9, axis),
                                      _scipy(V, 9, axis, "nearest"))


def test_even_length_matches_scipy():
    V = np.random.default_rng(1).random((20, 30))
    np.testing.assert_array_equal(running_median(V, 4, 1), _scipy(V, 4, 1, "nearest"))


def test_features_median_along_is_the_running_median():
    V = np.random.default_rng(2).random((300, 200)).astype(np.float32)
    np.testing.assert_array_equal(median_along(V, 17, axis=0), _scipy(V, 17, 0, "nearest"))
    np.testing.assert_array_equal(median_along(V, 9, axis=1, mode="reflect"),
                                  _scipy(V, 9, 1, "reflect"))


def test_rejects_other_axes():
    with pytest.raises(ValueError, match="axis"):
        running_median(np.zeros((3, 3)), 3, axis=2)
