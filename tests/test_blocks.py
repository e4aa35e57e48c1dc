"""Block by block: the STFT, the masks and the whole separation equal the in-memory ones."""

import numpy as np
import pytest
import soundfile as sf

import nmfsep
from nmfsep.errors import OutputError, ParameterError
from nmfsep.features import blocked_percussive_mask, percussive_mask
from nmfsep.resources import _OVERHEAD, plan_memory
from nmfsep.spectral import BLOCK_FRAMES, STFTConfig, istft, istft_samples, stft, stft_frames


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


def test_the_rebuild_by_short_blocks_equals_the_whole_one(stereo_example):
    sep = nmfsep.separate(stereo_example.mixture, stereo_example.sr, max_iter=30)
    np.testing.assert_allclose(sep.model.sources(sep.frames, block=13), sep.sources,
                               atol=1e-6)


def between_the_two_ways(y: np.ndarray, sr: int, **config) -> int:
    """A ``max_memory`` under the in-memory estimate, over the block-by-block one."""
    plan = nmfsep.SeparationConfig(**config).resolve(sr=sr, n_samples=y.shape[1])
    memory = plan_memory(y.shape[1], channels=y.shape[0], sr=sr, n_sources=plan.n_sources,
                         n_components=plan.n_components, n_fft=plan.stft.n_fft,
                         hop=plan.stft.hop, n_runs=plan.n_runs,
                         block_frames=config.get("block_frames", BLOCK_FRAMES))
    assert memory.streamed < memory.in_memory
    return (memory.streamed + memory.in_memory) // 2 - _OVERHEAD


@pytest.mark.parametrize("block", [50, 4096])
@pytest.mark.parametrize("n_runs", [1, 5])
def test_the_block_by_block_separation_equals_the_in_memory_one(stereo_example, block, n_runs):
    y, sr = stereo_example.mixture, stereo_example.sr
    options = dict(max_iter=60, n_runs=n_runs, block_frames=block)
    whole = nmfsep.separate(y, sr, **options)
    blocks = nmfsep.separate(y, sr, **options, max_memory=between_the_two_ways(y, sr, **options))
    assert whole.frames.X is not None and blocks.frames.X is None
    np.testing.assert_array_equal(blocks.labels, whole.labels)
    np.testing.assert_allclose(blocks.W, whole.W, rtol=1e-4, atol=1e-6 * whole.W.max())
    np.testing.assert_allclose(blocks.sources, whole.sources, atol=1e-5)
    np.testing.assert_allclose(blocks.sources.sum(axis=0), y, atol=1e-5)
    assert whole.prior is not None  # the drums' masks are weighted by HPSS in both


def test_block_by_block_with_manual_groups_and_three_sources(example):
    y, sr = example.mixture, example.sr
    options = dict(groups=[[0, 1], [2, 3, 4], [5]], n_components=6, max_iter=20,
                   block_frames=64)
    sep = nmfsep.separate(y, sr, **options, max_memory=between_the_two_ways(y, sr, **options))
    assert sep.frames.X is None and sep.sources.shape == (3, 1, y.shape[1])
    assert sep.labels.tolist() == [0, 0, 1, 1, 1, 2]
    np.testing.assert_allclose(sep.sources.sum(axis=0), y, atol=1e-5)


def test_separate_file_writes_sources_that_add_up(tmp_path, stereo_example):
    y, sr = stereo_example.mixture, stereo_example.sr
    source = tmp_path / "mix.wav"
    sf.write(source, y.T, sr, subtype="FLOAT")
    outs = [tmp_path / "out" / "a.wav", tmp_path / "out" / "b.wav"]
    options = dict(max_iter=30, n_runs=1, block_frames=40)
    result = nmfsep.separate_file(source, outs, **options,
                                  max_memory=between_the_two_ways(y, sr, **options))
    assert result.frames.X is None and result.sources is None
    assert result.paths == outs and set(result.timings) >= {"factorize", "rebuild"}
    parts = [sf.read(p, dtype="float32", always_2d=True)[0].T for p in outs]
    assert all(p.shape == y.shape for p in parts)
    np.testing.assert_allclose(parts[0] + parts[1], y, atol=1e-5)
    whole = nmfsep.separate(y, sr, **options)
    np.testing.assert_allclose(parts[0], whole.sources[0], atol=1e-5)
    # drums and guitar, one run: HPSS at full strength, the shares, consistent masks
    assert result.prior.describe() == whole.prior.describe() == {
        "hpss": {"source": 0, "strength": 0.75}, "register": "shares", "consistent": True,
        "drum_templates": False}
    with pytest.raises(OutputError, match="exists"):
        nmfsep.separate_file(source, outs, max_iter=2)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.wav", "b.wav"]


def test_separate_file_names_its_bad_arguments(tmp_path, stereo_example):
    source = tmp_path / "mix.wav"
    sf.write(source, stereo_example.mixture.T, stereo_example.sr)
    with pytest.raises(ParameterError, match="one path per source"):
        nmfsep.separate_file(source, [tmp_path / "a.wav"], n_sources=2)
    with pytest.raises(ParameterError, match="format"):
        nmfsep.separate_file(source, [tmp_path / "a.mp4", tmp_path / "b.wav"])
    with pytest.raises(ParameterError, match="percussive_prior must be 0 or more"):
        nmfsep.separate_file(source, [tmp_path / "a.wav", tmp_path / "b.wav"],
                             percussive_prior=-1)
    with pytest.raises(nmfsep.AudioError):
        nmfsep.separate_file(tmp_path / "missing.wav", [tmp_path / "a.wav", tmp_path / "b.wav"])
    before = source.read_bytes()
    with pytest.raises(nmfsep.OutputError, match="the output would overwrite the input"):
        nmfsep.separate_file(source, [source, tmp_path / "b.wav"], force=True)
    assert source.read_bytes() == before
    with pytest.raises(ParameterError, match="every source needs its own file"):
        nmfsep.separate_file(source, [tmp_path / "a.wav", tmp_path / "." / "a.wav"])
    with pytest.raises(ParameterError, match="a list of paths, one per source, not the one"):
        nmfsep.separate_file(source, str(tmp_path / "a.wav"))
    assert not (tmp_path / "a.wav").exists() and not (tmp_path / "b.wav").exists()
