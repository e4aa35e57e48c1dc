"""Bounded-memory separation: streamed and blocked computations equal the in-memory ones."""

import numpy as np
import pytest
import soundfile as sf

import nmfsep
from nmfsep.errors import OutputError, ParameterError
from nmfsep.features import percussive_mask
from nmfsep.longform import (
    blocked_percussive_mask,
    istft_samples,
    rebuild_blocked,
    separate_file,
    separate_streamed,
    stft_frames,
)
from nmfsep.separate import rebuild_sources
from nmfsep.spectral import STFTConfig, istft, stft


@pytest.mark.parametrize("n_fft, hop, n", [(2048, 512, 60001), (512, 128, 3001),
                                           (256, 64, 20000)])
def test_stft_and_istft_by_blocks_equal_the_whole_transforms(rng, n_fft, hop, n):
    config = STFTConfig(n_fft, hop)
    y = rng.standard_normal((2, n)).astype(np.float32)
    X = stft(y, config)
    frames = X.shape[-1]
    for first, last in [(0, frames), (0, 5), (7, min(31, frames)), (frames - 9, frames)]:
        got = stft_frames(lambda a, b: y[:, a:b], n, config, first, last)
        np.testing.assert_array_equal(got, X[..., first:last])
    masked = X * 0.3
    whole = istft(masked, config, n)
    margin = n_fft // hop + 1
    pieces = []
    for first in range(0, frames, 11):
        last = min(frames, first + 11)
        start, stop = first * hop, (n if last == frames else min(n, last * hop))
        if start < stop:
            lo, hi = max(0, first - margin), min(frames, last + margin)
            pieces.append(istft_samples(masked[..., lo:hi], config, lo, start, stop))
    np.testing.assert_allclose(np.concatenate(pieces, axis=-1), whole, atol=1e-6)


def test_blocked_percussive_mask_equals_the_whole_one(rng):
    V = rng.random((120, 1000)).astype(np.float32) ** 3
    np.testing.assert_array_equal(blocked_percussive_mask(V, block=97), percussive_mask(V))


def test_blocked_percussive_mask_widens_its_halo_for_long_filters(rng):
    V = rng.random((40, 600)).astype(np.float32) ** 3
    np.testing.assert_array_equal(
        blocked_percussive_mask(V, block=50, halo=4, frames=101, bins=5),
        percussive_mask(V, 101, 5))


def test_blocked_rebuild_equals_the_whole_one(stereo_example):
    sep = nmfsep.separate(stereo_example.mixture, stereo_example.sr, max_iter=30)
    X = sep.mixture_stft
    args = (X, sep.W, sep.H, sep.labels, sep.n_sources, 1.0, sep.stft, sep.n_samples)
    np.testing.assert_allclose(rebuild_blocked(*args, block=13), rebuild_sources(*args),
                               atol=1e-6)


def _streamed(y, sr, block, **kwargs):
    count = len(kwargs["groups"]) if "groups" in kwargs else kwargs.get("n_sources", 2)
    out = np.zeros((count, *y.shape), dtype=np.float32)
    cursor = {}

    def write(source, start, samples):
        assert cursor.get(source, 0) == start  # in order, without gaps
        out[source, :, start : start + samples.shape[-1]] = samples
        cursor[source] = start + samples.shape[-1]

    result = separate_streamed(lambda a, b: y[:, a:b], y.shape[1], y.shape[0], sr, write,
                               block_frames=block, **kwargs)
    assert all(cursor[s] == y.shape[1] for s in range(out.shape[0]))
    return result, out


@pytest.mark.parametrize("block", [50, 4096])
def test_streamed_separation_equals_the_in_memory_one(stereo_example, block):
    y, sr = stereo_example.mixture, stereo_example.sr
    whole = nmfsep.separate(y, sr, max_iter=60, n_runs=1)  # block by block is one run
    result, sources = _streamed(y, sr, block, max_iter=60)
    np.testing.assert_array_equal(result.labels, whole.labels)
    np.testing.assert_allclose(result.W, whole.W, rtol=1e-4, atol=1e-6 * whole.W.max())
    np.testing.assert_allclose(sources, whole.sources, atol=1e-5)
    np.testing.assert_allclose(sources.sum(axis=0), y, atol=1e-5)
    assert whole.prior is not None  # the drums' masks are weighted by HPSS in both


def test_streamed_separation_with_manual_groups_and_three_sources(example):
    y, sr = example.mixture, example.sr
    groups = [[0, 1], [2, 3, 4], [5]]
    result, sources = _streamed(y, sr, 64, groups=groups, n_components=6, max_iter=20)
    assert sources.shape == (3, 1, y.shape[1])
    assert result.labels.tolist() == [0, 0, 1, 1, 1, 2]
    np.testing.assert_allclose(sources.sum(axis=0), y, atol=1e-5)


def test_separate_file_writes_sources_that_add_up(tmp_path, stereo_example):
    y, sr = stereo_example.mixture, stereo_example.sr
    source = tmp_path / "mix.wav"
    sf.write(source, y.T, sr, subtype="FLOAT")
    outs = [tmp_path / "out" / "a.wav", tmp_path / "out" / "b.wav"]
    result = separate_file(source, outs, max_iter=30, block_frames=40)
    assert result.paths == outs and set(result.timings) >= {"factorize", "rebuild"}
    parts = [sf.read(p, dtype="float32", always_2d=True)[0].T for p in outs]
    assert all(p.shape == y.shape for p in parts)
    np.testing.assert_allclose(parts[0] + parts[1], y, atol=1e-5)
    whole = nmfsep.separate(y, sr, max_iter=30, n_runs=1)
    np.testing.assert_allclose(parts[0], whole.sources[0], atol=1e-5)
    # drums and guitar, one run: HPSS at full strength, the shares, consistent masks
    assert result.mask_experts == whole.prior.describe() == {
        "hpss": {"source": 0, "strength": 0.75}, "register": "shares", "consistent": True}
    with pytest.raises(OutputError, match="exists"):
        separate_file(source, outs, max_iter=2)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.wav", "b.wav"]


def test_separate_file_names_its_bad_arguments(tmp_path, stereo_example):
    source = tmp_path / "mix.wav"
    sf.write(source, stereo_example.mixture.T, stereo_example.sr)
    with pytest.raises(ParameterError, match="one path per source"):
        separate_file(source, [tmp_path / "a.wav"], n_sources=2)
    with pytest.raises(ParameterError, match="format"):
        separate_file(source, [tmp_path / "a.mp4", tmp_path / "b.wav"])
    with pytest.raises(ParameterError, match="percussive_prior must be 0 or more"):
        separate_file(source, [tmp_path / "a.wav", tmp_path / "b.wav"], percussive_prior=-1)
    with pytest.raises(nmfsep.AudioError):
        separate_file(tmp_path / "missing.wav", [tmp_path / "a.wav", tmp_path / "b.wav"])
