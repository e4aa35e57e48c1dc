"""Independent pieces in threads: the ranges, the errors, and results that do not change."""

import numpy as np
import pytest

from nmfsep import spectral, threads


@pytest.mark.parametrize("n_items, parts", [(10, 3), (2, 8), (7, 1), (0, 4), (9, 9)])
def test_ranges_cover_every_item_once_in_order(n_items, parts):
    ranges = threads.split_ranges(n_items, parts)
    covered = [i for start, stop in ranges for i in range(start, stop)]
    assert covered == list(range(n_items))
    assert len(ranges) <= max(1, parts)
    assert all(stop > start for start, stop in ranges)


def test_run_split_calls_every_range_and_raises_the_first_error():
    seen = []
    threads.run_split(lambda a, b: seen.extend(range(a, b)), 11, threads=3)
    assert sorted(seen) == list(range(11))

    def fail(a, b):
        raise RuntimeError(f"piece {a}:{b}")

    with pytest.raises(RuntimeError, match="piece 0:"):
        threads.run_split(fail, 4, threads=2)


def test_a_transform_in_threads_equals_each_signal_alone(rng):
    config = spectral.STFTConfig(512, 128)
    y = rng.standard_normal((3, 2, 128 * 400)).astype(np.float32)
    p0 = config.transform.p_min
    p1 = config.transform.p_max(y.shape[-1])
    assert 6 * (p1 - p0) >= spectral.PARALLEL_FRAMES  # the threaded path
    together = spectral.transform_frames(y, config, p0, p1)
    for index in np.ndindex(y.shape[:-1]):
        alone = spectral.transform_frames(y[index], config, p0, p1)
        np.testing.assert_array_equal(together[index], alone)
