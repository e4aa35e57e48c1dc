"""Every fault of issue 6 gets a clear message, its exit code, and loses nothing.

One test (or one parametrized row) per row of the table in docs/reliability.md.
Library faults raise one of the exceptions of :mod:`nmfsep.errors`; the command
line turns them into ``nmfsep: error: <file>: <problem>`` on stderr and the exit
code of the ``nmfsep.cli`` docstring, with no traceback unless ``-v``.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import scipy.fft
import soundfile as sf

import nmfsep
from nmfsep import audio, resources
from nmfsep.audio import clipped_fraction, load, save, validate_signal
from nmfsep.cli import main
from nmfsep.config import SeparationConfig
from nmfsep.errors import (
    AudioError,
    AudioWarning,
    MemoryWarning,
    OutputError,
    ParameterError,
    ResourceError,
)
from nmfsep.spectral import BLOCK_FRAMES

FAST = ["--max-iter", "5", "-k", "4", "-q"]
SR = 8000


def tone(seconds: float = 0.5, sr: int = SR, channels: int = 1, seed: int = 0) -> np.ndarray:
    """A small (channels, samples) test signal: two partials and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 97 * t)
    return (y + 0.01 * rng.standard_normal((channels, t.size))).astype(np.float32)


def write(path: Path, y: np.ndarray, sr: int = SR, **kwargs) -> Path:
    sf.write(path, np.asarray(y).T, sr, **kwargs)
    return path


@pytest.fixture
def song(tmp_path) -> Path:
    return write(tmp_path / "song.wav", tone())


def run(argv: list[str], capsys) -> tuple[int, str]:
    """Run the command line in-process; return the exit code and stderr."""
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def assert_one_clear_error(err: str, *fragments: str) -> None:
    for fragment in fragments:
        assert fragment in err, err
    assert "Traceback" not in err, err
    assert sum(line.startswith("nmfsep: error:") for line in err.splitlines()) == 1, err


def no_partial_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".part")]


# ------------------------------------------------------------------ input files


def _text(path):
    path.write_text("this is not audio\n" * 50)


def _truncated_flac(path):
    data = Path(write(path.with_suffix(".tmp.flac"), tone(), subtype="PCM_16")).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _corrupt_flac(path):
    data = bytearray(Path(write(path.with_suffix(".tmp.flac"), tone(),
                                subtype="PCM_16")).read_bytes())
    data[200:400] = bytes(200)
    path.write_bytes(bytes(data))


def _m4a(path):
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(2000))


INPUT_FAULTS = [
    ("missing", "song.wav", lambda p: None, "no such file"),
    ("folder", "song.wav", lambda p: p.mkdir(), "is a folder"),
    ("empty", "song.wav", lambda p: p.write_bytes(b""), "the file is empty"),
    ("text renamed .wav", "song.wav", _text, "not a readable audio file"),
    ("truncated flac", "song.flac", _truncated_flac, "corrupt or truncated audio data"),
    ("corrupt flac", "song.flac", _corrupt_flac, "corrupt or truncated audio data"),
    ("unsupported format", "song.m4a", _m4a, "not a readable audio file"),
    ("zero samples", "song.wav", lambda p: write(p, np.zeros((1, 0))), "the audio has no samples"),
]


@pytest.mark.parametrize("name, filename, make, message", INPUT_FAULTS,
                         ids=[row[0] for row in INPUT_FAULTS])
def test_a_bad_input_file_is_refused_with_its_name_and_the_problem(
        tmp_path, capsys, name, filename, make, message):
    path = tmp_path / filename
    make(path)
    with pytest.raises(AudioError, match=message) as info:
        load(path)
    assert str(path) in str(info.value)
    code, err = run(["separate", path, "-o", tmp_path / "out", *FAST], capsys)
    if name == "folder":  # a folder is a batch of the audio files in it: here none
        assert code == 2
        assert_one_clear_error(err, str(path), "no audio files in")
    else:
        assert code == 3
        assert_one_clear_error(err, str(path), message)
    assert not (tmp_path / "out").exists()


def test_an_unreadable_file_is_refused_as_permission_denied(song, tmp_path, capsys,
                                                           monkeypatch):
    # The tests run as root, who reads everything: simulate the missing permission.
    real_access = os.access
    monkeypatch.setattr(os, "access",
                        lambda p, mode, **kw: False if Path(p) == song else real_access(p, mode))
    with pytest.raises(AudioError, match="permission denied"):
        load(song)
    code, err = run(["separate", song, "-o", tmp_path / "out", *FAST], capsys)
    assert code == 3
    assert_one_clear_error(err, str(song), "permission denied")


def test_a_file_that_fails_to_open_for_lack_of_permission_says_so(song, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(song))

    monkeypatch.setattr(sf, "SoundFile", refuse)
    with pytest.raises(AudioError, match="permission denied"):
        load(song)


def test_a_traceback_is_shown_only_with_verbose(tmp_path, capsys):
    missing = tmp_path / "missing.wav"
    code, err = run(["separate", missing, "-o", tmp_path / "out", *FAST], capsys)
    assert code == 3 and "Traceback" not in err
    code, err = run(["separate", missing, "-o", tmp_path / "out", "-v", "--max-iter", "5"],
                    capsys)
    assert code == 3 and "Traceback" in err and "no such file" in err


def test_a_truncated_wav_warns_and_uses_the_samples_that_are_there(tmp_path, capsys):
    path = write(tmp_path / "cut.wav", tone(seconds=0.5), subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.warns(AudioWarning, match="truncated: the header promises"):
        y, sr = load(path)
    assert 0 < y.shape[1] < 0.5 * SR
    code, err = run(["separate", path, "-o", tmp_path / "out", "--max-iter", "5", "-k", "4"],
                    capsys)
    assert code == 0
    assert f"warning: {path}: truncated" in err
    assert sf.info(tmp_path / "out" / "cut" / "source1.wav").frames == y.shape[1]


def test_a_header_that_claims_billions_of_frames_cannot_exhaust_memory(tmp_path):
    path = write(tmp_path / "liar.flac", tone(), subtype="PCM_16")
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC"
    data[21] |= 0x0F  # STREAMINFO total samples: the 36 bits set, 2**36 - 1 frames
    data[22:26] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    assert sf.info(path).frames == 2**36 - 1
    try:
        y, _ = load(path)
    except AudioError as exc:
        assert str(path) in str(exc)
    else:
        assert y.shape[1] <= tone().shape[1]


def test_decoding_more_than_the_memory_holds_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path / "long.wav", tone(seconds=2.0))
    in_blocks = dict(block_above=1000, block_frames=1024)  # a file this short is read at once
    monkeypatch.setenv(resources.MEMORY_LIMIT_ENV, "20000")
    with sf.SoundFile(path) as handle, pytest.raises(
            ResourceError, match="decoding needs more than .* is available"):
        audio.read_samples(handle, path, **in_blocks)
    monkeypatch.setenv(resources.MEMORY_LIMIT_ENV, str(10**9))
    with sf.SoundFile(path) as handle:
        y = audio.read_samples(handle, path, **in_blocks)
    np.testing.assert_array_equal(y, sf.read(path, dtype="float32", always_2d=True)[0].T)


# ------------------------------------------------------------------ the signal


def assert_sources_add_up(sep, y):
    y = np.atleast_2d(y)
    assert np.all(np.isfinite(sep.sources))
    assert sep.sources.shape[1:] == y.shape
    error = np.max(np.abs(sep.sources.sum(axis=0) - y))
    assert error <= 1e-5 * max(1.0, float(np.max(np.abs(y)))), error


@pytest.mark.parametrize(
    "name, y, sr",
    [("shorter than one STFT frame", tone()[:, :100], SR),
     ("a single sample", np.full((1, 1), 0.5, np.float32), SR),
     ("all silence", np.zeros((1, 4000), np.float32), SR),
     ("DC only", np.full((1, 4000), 0.25, np.float32), SR),
     ("clipped", np.clip(8 * tone(), -1, 1), SR),
     ("six channels", tone(channels=6), SR),
     ("8 kHz", tone(sr=8000), 8000),
     ("192 kHz", tone(seconds=0.1, sr=192000), 192000),
     ("tiny values", 1e-30 * tone(), SR)],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_unusual_but_valid_audio_separates_into_finite_sources_that_add_up(name, y, sr):
    if name in ("all silence", "tiny values"):  # nothing in the spectrogram: equal shares
        with pytest.warns(AudioWarning, match="silent, or too quiet for its spectrogram"):
            sep = nmfsep.separate(y, sr, n_sources=2, n_components=4, max_iter=5)
        np.testing.assert_allclose(sep.sources, np.stack([y, y]) / 2, rtol=0,
                                   atol=1e-5 * float(np.abs(y).max()))
    else:
        sep = nmfsep.separate(y, sr, n_sources=2, n_components=4, max_iter=5)
    assert_sources_add_up(sep, y)
    if name == "all silence":
        assert not np.any(sep.sources)


@pytest.mark.parametrize(
    "name, y, error, message",
    [("zero samples", np.zeros((1, 0), np.float32), AudioError, "has no samples"),
     ("NaN", np.where(np.arange(800) == 5, np.nan, 0.1), AudioError, "1 NaN or Inf"),
     ("Inf", np.where(np.arange(800) < 3, np.inf, 0.1), AudioError, "3 NaN or Inf"),
     ("overflowing values", 1e30 * tone(), AudioError, "samples reach .* must stay within"),
     ("complex", np.ones(800, complex), ParameterError, "must be real"),
     ("three dimensions", np.ones((1, 2, 800)), ParameterError, "must be 1-D or"),
     ("no channels", np.zeros((0, 800)), AudioError, "has no samples")],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_unusable_signals_raise_a_documented_error(name, y, error, message):
    with pytest.raises(error, match=message):
        nmfsep.separate(y, SR, n_components=4, max_iter=5)


@pytest.mark.parametrize("sr", [0, -8000, 8000.0, True, None])
def test_a_sample_rate_that_is_not_a_positive_integer_is_refused(sr):
    with pytest.raises(ParameterError, match="sample rate must be a positive integer"):
        validate_signal(tone(), sr)


@pytest.mark.parametrize(
    "name, y, subtype",
    [("NaN", np.where(np.arange(4000) == 7, np.nan, 0.1)[None], "FLOAT"),
     ("Inf", np.where(np.arange(4000) == 7, np.inf, 0.1)[None], "DOUBLE"),
     ("beyond float range", 1e20 * tone(), "FLOAT")],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_float_file_with_unusable_samples_gets_exit_code_3(tmp_path, capsys, name, y,
                                                             subtype):
    path = write(tmp_path / "float.wav", y, subtype=subtype)
    code, err = run(["separate", path, "-o", tmp_path / "out", *FAST], capsys)
    assert code == 3
    assert_one_clear_error(err, f"{path}: ")
    assert "NaN or Inf" in err or "samples reach" in err
    assert not (tmp_path / "out").exists()


def test_clipped_input_is_separated_with_a_warning(tmp_path, capsys):
    y = np.clip(4 * tone(), -1, 1)
    assert clipped_fraction(y) > 0.1
    assert clipped_fraction(tone()) == 0.0
    path = write(tmp_path / "loud.wav", y, subtype="PCM_16")
    code, err = run(["separate", path, "-o", tmp_path / "out", "--max-iter", "5", "-k", "4"],
                    capsys)
    assert code == 0
    assert f"warning: {path}: " in err and "% of the samples are clipped" in err
    assert (tmp_path / "out" / "loud" / "separation.json").exists()


@pytest.mark.parametrize("sr, channels", [(8000, 1), (192000, 1), (SR, 6)])
def test_the_command_line_keeps_the_rate_and_channels_of_unusual_files(tmp_path, capsys, sr,
                                                                       channels):
    seconds = 0.1 if sr > 48000 else 0.5
    path = write(tmp_path / "odd.wav", tone(seconds, sr, channels), sr, subtype="FLOAT")
    code, _ = run(["separate", path, "-o", tmp_path / "out", *FAST], capsys)
    assert code == 0
    mixture, _ = sf.read(path, always_2d=True)
    parts = [sf.read(tmp_path / "out" / "odd" / f"source{i}.wav", always_2d=True)
             for i in (1, 2)]
    assert all(rate == sr and data.shape == mixture.shape for data, rate in parts)
    np.testing.assert_allclose(parts[0][0] + parts[1][0], mixture, atol=1e-5)


@pytest.mark.parametrize("channels, sr, message",
                         [(10, SR, "FLAC holds at most 8 channels, the audio has 10"),
                          (1, 700_000, "FLAC holds sample rates up to 655350 Hz")])
def test_flac_output_that_cannot_hold_the_audio_is_refused_before_separating(
        tmp_path, capsys, monkeypatch, channels, sr, message):
    path = write(tmp_path / "wide.wav", tone(0.05, sr, channels), sr, subtype="FLOAT")
    with pytest.raises(OutputError, match=message):
        save(tmp_path / "x.flac", tone(0.05, sr, channels), sr)
    code, err = run(["separate", path, "-o", tmp_path / "out", "--format", "flac", *FAST],
                    capsys)
    assert code == 4
    assert_one_clear_error(err, message, "write WAV instead (--format wav)")
    assert not list((tmp_path / "out").rglob("*.*"))


def test_a_recording_shorter_than_one_frame_round_trips_through_the_command_line(tmp_path,
                                                                                capsys):
    path = write(tmp_path / "blip.wav", tone()[:, :100], subtype="FLOAT")
    assert run(["separate", path, "-o", tmp_path / "out", *FAST], capsys)[0] == 0
    assert sf.info(tmp_path / "out" / "blip" / "source1.wav").frames == 100


# ------------------------------------------------------------------ memory


@pytest.mark.parametrize("channels, n_sources, n_runs",
                         [(1, 1, 5), (1, 3, 5), (2, 2, 5), (4, 2, 5), (1, 3, 1), (4, 2, 1)])
def test_the_memory_estimate_bounds_the_measured_peak(channels, n_sources, n_runs):
    y = tone(seconds=1.0, sr=16000, channels=channels)
    tracemalloc.start()
    try:
        nmfsep.separate(y, 16000, n_sources=n_sources, n_components=4 * n_sources, max_iter=2,
                        n_runs=n_runs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = resources.estimate_memory(y.shape[1], channels=channels, sr=16000,
                                         n_sources=n_sources, n_components=4 * n_sources,
                                         n_runs=n_runs)
    work = estimate - resources._OVERHEAD
    assert peak <= work <= 3 * peak, (peak, work)


def test_available_memory_honours_the_environment_cap(monkeypatch):
    monkeypatch.setenv(resources.MEMORY_LIMIT_ENV, "3M")
    assert resources.available_memory() == 3 * 2**20
    monkeypatch.setenv(resources.MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ParameterError, match="is not a size"):
        resources.available_memory()
    monkeypatch.delenv(resources.MEMORY_LIMIT_ENV)
    assert resources.available_memory() is None or resources.available_memory() > 0


def memory_plan(n_samples: int, channels: int = 1, sr: int = SR, *, keep_sources: bool = True,
                from_file: bool = False, **options) -> resources.MemoryPlan:
    """The memory plan of the pipeline for a separation of this size, with no limit set."""
    plan = SeparationConfig(**options).resolve(sr=sr, n_samples=n_samples)
    return resources.plan_memory(
        n_samples, channels=channels, sr=sr, n_sources=plan.n_sources,
        n_components=plan.n_components, n_fft=plan.stft.n_fft, hop=plan.stft.hop,
        n_runs=plan.n_runs, keep_sources=keep_sources, max_memory=10**15,
        signal_bytes=8 * channels * n_samples if from_file else 0,
        block_frames=options.get("block_frames", BLOCK_FRAMES))


def test_a_separation_too_big_for_memory_even_block_by_block_is_refused_before_any_work(
        monkeypatch):
    y = tone(seconds=4.0)
    plan = memory_plan(y.shape[1], n_components=4)  # five runs for a short recording
    shortest = memory_plan(y.shape[1], n_components=4, block_frames=32).streamed
    limit = shortest - 2**20
    monkeypatch.setenv(resources.MEMORY_LIMIT_ENV, str(limit))
    with pytest.raises(ResourceError) as info:
        nmfsep.separate(y, SR, n_components=4, max_iter=5)
    message = str(info.value)
    assert f"needs about {resources.format_bytes(plan.in_memory)} of memory at once" in message
    assert f"{resources.format_bytes(limit)} is available" in message
    assert "split the recording into parts of at most" in message


def test_a_separation_too_big_for_memory_at_once_goes_block_by_block(monkeypatch):
    y = tone(seconds=4.0)
    plan = memory_plan(y.shape[1], n_components=4)
    monkeypatch.setenv(resources.MEMORY_LIMIT_ENV, str((plan.streamed + plan.in_memory) // 2))
    sep = nmfsep.separate(y, SR, n_components=4, max_iter=5)
    assert sep.frames.X is None
    np.testing.assert_allclose(sep.sources.sum(axis=0), y, atol=1e-5)


def test_a_memory_budget_under_the_shortest_blocks_warns_and_goes_on():
    y = tone(seconds=4.0)
    with pytest.warns(MemoryWarning, match="more than max_memory allows"):
        sep = nmfsep.separate(y, SR, n_components=4, max_iter=5, max_memory=2**20)
    assert sep.frames.X is None and sep.block_frames == resources.MIN_BLOCK_FRAMES


def test_the_command_line_refuses_a_file_too_long_for_memory_with_exit_code_5(
        song, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(resources.MEMORY_LIMIT_ENV, "1M")
    code, err = run(["separate", song, "-o", tmp_path / "out", *FAST], capsys)
    assert code == 5
    assert_one_clear_error(err, str(song), "needs about", "1 MB is available",
                           f"raise {resources.MEMORY_LIMIT_ENV}")
    assert not (tmp_path / "out").exists()


def _limit_between_block_by_block_and_in_memory(path: Path,
                                                **options) -> tuple[int, int, int]:
    """The pipeline's estimates for ``nmfsep separate PATH -k 4``, and a limit between them."""
    info = sf.info(path)
    plan = memory_plan(info.frames, info.channels, info.samplerate, keep_sources=False,
                       from_file=True, n_components=4, **options)
    assert plan.streamed < plan.in_memory
    return plan.streamed, (plan.streamed + plan.in_memory) // 2, plan.in_memory


def test_a_file_too_long_for_memory_is_separated_block_by_block(tmp_path, capsys,
                                                                monkeypatch):
    path = write(tmp_path / "long.wav", tone(seconds=8.0, channels=2), subtype="PCM_16")
    _, limit, _ = _limit_between_block_by_block_and_in_memory(path)
    monkeypatch.setenv(resources.MEMORY_LIMIT_ENV, str(limit))
    out = tmp_path / "out"
    code, err = run(["separate", path, "-o", out, "--max-iter", "5", "-k", "4"], capsys)
    assert code == 0, err
    assert "too long to hold in memory" in err and "separating it block by block" in err
    mixture, _ = sf.read(path, always_2d=True)
    total = sum(sf.read(out / "long" / f"source{i}.wav", always_2d=True)[0] for i in (1, 2))
    np.testing.assert_allclose(total, mixture, atol=1e-5)
    record = json.loads((out / "long" / "separation.json").read_text())
    assert record["block_by_block"] is True and len(record["labels"]) == 4
    assert no_partial_files(out)


def test_a_file_too_long_even_block_by_block_is_refused_with_both_sizes(tmp_path, capsys,
                                                                        monkeypatch):
    path = write(tmp_path / "long.wav", tone(seconds=8.0, channels=2), subtype="PCM_16")
    _, _, in_memory = _limit_between_block_by_block_and_in_memory(path)
    streamed, _, _ = _limit_between_block_by_block_and_in_memory(path, block_frames=32)
    monkeypatch.setenv(resources.MEMORY_LIMIT_ENV, str(streamed - 2**20))
    code, err = run(["separate", path, "-o", tmp_path / "out", *FAST], capsys)
    assert code == 5
    assert_one_clear_error(err, f"{path}: separating 8 s of 2-channel audio",
                           f"needs about {resources.format_bytes(in_memory)} of memory at once",
                           f"{resources.format_bytes(streamed)} block by block, but",
                           "split the recording into parts of at most")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("channels, n_sources, n_runs", [(2, 3, 1), (2, 2, 5), (1, 3, 5)])
def test_the_block_by_block_estimate_bounds_the_measured_peak(tmp_path, channels, n_sources,
                                                             n_runs):
    path = write(tmp_path / "in.wav", tone(seconds=6.0, sr=16000, channels=channels), 16000,
                 subtype="FLOAT")
    outputs = [tmp_path / f"s{i}.wav" for i in range(n_sources)]
    options = dict(n_sources=n_sources, n_components=4 * n_sources, n_runs=n_runs)
    plan = memory_plan(6 * 16000, channels, 16000, keep_sources=False, from_file=True,
                       **options)
    tracemalloc.start()
    try:
        sep = nmfsep.separate_file(path, outputs, max_iter=2, **options,
                                   max_memory=(plan.streamed + plan.in_memory) // 2
                                   - resources._OVERHEAD)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sep.frames.X is None  # block by block
    work = plan.streamed - resources._OVERHEAD
    assert peak <= work <= 4 * peak, (peak, work)


def test_running_out_of_memory_anyway_gets_exit_code_5(song, tmp_path, capsys, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(scipy.fft, "rfft", exhausted)  # the first STFT runs out
    code, err = run(["separate", song, "-o", tmp_path / "out", *FAST], capsys)
    assert code == 5
    assert "out of memory" in err and "Traceback" not in err


# ------------------------------------------------------------------ parameters


PARAMETER_FAULTS = [
    (["-n", "3", "-k", "2"], "-k 2 gives fewer components than the 3 sources (-n)"),
    (["-n", "0"], "-n must be a positive integer, got 0"),
    (["-n", "-2"], "-n must be a positive integer, got -2"),
    (["--beta", "3"], "--beta must be in [0, 2], got 3.0"),
    (["--beta", "-0.5"], "--beta must be in [0, 2], got -0.5"),
    (["--beta", "nan"], "--beta must be in [0, 2], got nan"),
    (["--n-fft", "1024", "--hop", "0"], "hop must be between 1 and n_fft/2 = 512"),
    (["--n-fft", "1024", "--hop", "1000"], "hop must be between 1 and n_fft/2 = 512"),
    (["--n-fft", "8"], "--n-fft must be at least 16, got 8"),
    (["--hop", "-1"], "--hop must be at least 1, got -1"),
    (["--max-iter", "-1"], "--max-iter must be >= 0, got -1"),
    (["--mask-power", "0"], "--mask-power must be positive, got 0.0"),
    (["--percussive-prior", "-1"], "--percussive-prior must be 0 or more, got -1.0"),
    (["--percussive-prior", "nan"], "--percussive-prior must be 0 or more, got nan"),
    (["--groups", "0,1;2,9"], "component 9 does not exist; components are 0..3"),
    (["--groups", "0,1,2;2,3"], "component 2 is in group 1 and group 2"),
    (["--groups", "0,1;2"], "components [3] are in no group"),
    (["--groups", "0;1;2,3", "-n", "2"], "--groups gives 3 groups for 2 sources"),
    (["--groups", "0,1;;2,3"], "group 2 is empty"),
    (["--groups", "0,1;a"], "malformed --groups"),
    (["--names", "a,b,c"], "--names gives 3 names for 2 sources"),
    (["--names", "drums"], "--names gives 1 names for 2 sources"),
    (["--names", "a/b,c"], "'a/b' is not a valid file name"),
    (["--names", "..,c"], "'..' is not a valid file name"),
    (["--names", "a\\b,c"], "is not a valid file name"),
    (["--names", ".hidden,c"], "'.hidden' is not a valid file name"),
    (["--names", "a,"], "'' is not a valid file name"),
    (["--names", "a,a"], "every source needs its own name"),
    (["--grouping", "nope"], "unknown grouping 'nope'"),
]


@pytest.mark.parametrize("extra, message", PARAMETER_FAULTS,
                         ids=[" ".join(row[0]) for row in PARAMETER_FAULTS])
def test_bad_parameters_get_exit_code_2_before_any_file_is_read(tmp_path, capsys, extra,
                                                                message):
    inputs = [tmp_path / "a.wav", tmp_path / "b.wav"]  # a batch: still 2, not 1 per file
    for path in inputs:
        write(path, tone())
    argv = ["separate", *inputs, "-o", tmp_path / "out", "--max-iter", "5", "-q"]
    if "-k" not in extra and "--groups" in extra[0]:
        argv += ["-k", "4"]
    code, err = run(argv + extra, capsys)
    assert code == 2
    assert_one_clear_error(err, message)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "kwargs, message",
    [(dict(n_sources=3, n_components=2), r"n_components \(2\) must be an integer >= n_sources"),
     (dict(n_sources=0), "n_sources must be a positive integer, got 0"),
     (dict(beta=2.5), r"beta must be in \[0, 2\], got 2.5"),
     (dict(beta=float("nan")), r"beta must be in \[0, 2\], got nan"),
     (dict(n_fft=256, hop=200), "hop must be between 1 and n_fft/2 = 128"),
     (dict(n_fft=256, hop=0), "hop must be between 1 and n_fft/2 = 128"),
     (dict(n_fft=4), "n_fft must be at least 16"),
     (dict(window="nope"), "unknown window 'nope'"),
     (dict(n_components=4, groups=[[0, 1], [1, 2, 3]]), "component 1 is in group 1 and group 2"),
     (dict(n_components=4, groups=[[0, 1], [2]]), r"components \[3\] are in no group"),
     (dict(n_components=4, groups=[[0, 1], [2, 7]]), "component 7 does not exist"),
     (dict(mask_power=0), "mask power must be positive"),
     (dict(grouping="nope"), "unknown grouping 'nope'")],
)
def test_the_library_names_the_bad_parameter_and_its_value(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        nmfsep.separate(tone(), SR, max_iter=2, **{"n_components": 4, **kwargs})


def test_the_components_command_checks_its_parameters_before_reading(tmp_path, capsys):
    code, err = run(["components", tmp_path / "missing.wav", "-k", "0"], capsys)
    assert code == 2
    assert_one_clear_error(err, "-k must be a positive number of components, got 0")
    code, err = run(["components", tmp_path / "missing.wav", "--beta", "7"], capsys)
    assert code == 2
    assert_one_clear_error(err, "--beta must be in [0, 2], got 7.0")


# ------------------------------------------------------------------ outputs


def test_an_output_folder_that_cannot_be_written_gets_exit_code_4(song, tmp_path, capsys,
                                                                 monkeypatch):
    create = os.open

    def refuse(path, *args, **kwargs):  # root writes anywhere: refuse the temporary files
        if str(path).endswith(".part"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return create(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(OutputError, match=r"cannot write here \(Permission denied\)"):
        save(tmp_path / "locked" / "x.wav", tone(), SR)
    assert not (tmp_path / "locked").exists()  # the folder it made is removed again
    code, err = run(["separate", song, "-o", tmp_path / "out", *FAST], capsys)
    assert code == 4
    assert_one_clear_error(err, "cannot write here (Permission denied)",
                           str(tmp_path / "out" / "song"))


def test_an_output_path_inside_a_file_gets_exit_code_4(song, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("I am a file")
    code, err = run(["separate", song, "-o", blocker, *FAST], capsys)
    assert code == 4
    assert_one_clear_error(err, f"{blocker}: is a file, not a folder")
    assert blocker.read_text() == "I am a file"


def _disk_full_write(written: list):
    """An ``sf.write`` that fills the temporary file half-way, then fails like libsndfile."""
    def write_half(file, data, *args, **kwargs):
        Path(file).write_bytes(b"RIFF" + bytes(100))
        written.append(Path(file))
        raise sf.LibsndfileError(0, "System error.")

    return write_half


def _no_room(path):
    """An ``os.statvfs`` of a file system with no free block."""
    return os.statvfs_result((4096, 4096, 1000, 0, 0, 100, 0, 0, 0, 255))


def test_a_full_disk_is_reported_and_leaves_the_old_file_whole(song, tmp_path, capsys,
                                                               monkeypatch):
    out = tmp_path / "out"
    assert run(["separate", song, "-o", out, *FAST], capsys)[0] == 0
    before = {p: p.read_bytes() for p in (out / "song").iterdir()}
    written: list[Path] = []
    monkeypatch.setattr(sf, "write", _disk_full_write(written))
    monkeypatch.setattr(os, "statvfs", _no_room)
    with pytest.raises(OutputError, match="no space left on the device"):
        save(out / "song" / "source1.wav", tone(), SR, force=True)

    def write_half_a_block(self, data):  # the sources are written block by block
        written.append(Path(self.name))
        raise sf.LibsndfileError(0, "System error.")

    monkeypatch.setattr(sf.SoundFile, "write", write_half_a_block)
    code, err = run(["separate", song, "-o", out, "--force", *FAST], capsys)
    assert code == 4
    assert_one_clear_error(err, str(out / "song" / "source1.wav"), "no space left on the device")
    assert len(written) == 2 and not any(p.exists() for p in written)
    assert {p: p.read_bytes() for p in (out / "song").iterdir()} == before
    assert no_partial_files(out)


def test_a_full_disk_while_writing_json_is_reported(song, tmp_path, capsys, monkeypatch):
    real_write_text = Path.write_text

    def full(self, *args, **kwargs):
        if self.name.startswith(".separation.json."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    code, err = run(["separate", song, "-o", tmp_path / "out", *FAST], capsys)
    assert code == 4
    assert_one_clear_error(err, "separation.json: no space left on the device")
    assert not (tmp_path / "out" / "song" / "separation.json").exists()
    assert no_partial_files(tmp_path / "out")


@pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux",
                    reason="mounting a small tmpfs needs root on Linux")
def test_a_really_full_disk_is_named_as_such(tmp_path, capsys):
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        with pytest.raises(OutputError, match="no space left on the device"):
            save(small / "big.wav", tone(seconds=4.0, channels=2), SR)
        assert list(small.iterdir()) == []
        song = write(tmp_path / "song.wav", tone(seconds=4.0))
        code, err = run(["separate", song, "-o", small, *FAST], capsys)
        assert code == 4
        assert_one_clear_error(err, "no space left on the device")
        assert no_partial_files(small)
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_an_existing_output_is_kept_without_force(song, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(["separate", song, "-o", out, *FAST], capsys)[0] == 0
    before = (out / "song" / "source1.wav").read_bytes()
    code, err = run(["separate", song, "-o", out, "--seed", "3", *FAST], capsys)
    assert code == 4
    assert_one_clear_error(err, "exists already (use --force, or force=True in Python, "
                                "to overwrite)")
    assert (out / "song" / "source1.wav").read_bytes() == before
    with pytest.raises(OutputError, match="exists already"):
        save(out / "song" / "source1.wav", tone(), SR)


def test_an_output_that_is_the_input_is_refused_even_with_force(tmp_path, capsys):
    out = tmp_path / "out"
    path = write((out / "source1").mkdir(parents=True) or out / "source1" / "source1.wav",
                 tone())
    before = path.read_bytes()
    code, err = run(["separate", path, "-o", out, "--force", *FAST], capsys)
    assert code == 4
    assert_one_clear_error(err, "the output would overwrite the input")
    assert path.read_bytes() == before


# ------------------------------------------------------------------ interruption


_WRAPPER = textwrap.dedent("""
    import os, signal, sys, time
    import numpy as np
    import soundfile as sf
    from nmfsep.cli import main

    moment, signame = sys.argv[1], sys.argv[2]
    # a shell's background job starts with SIGINT ignored, and Python then keeps it so:
    # Ctrl-C is what this test sends, so it is heard as it would be in a terminal
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def interrupt():
        os.kill(os.getpid(), getattr(signal, signame))
        time.sleep(5)  # the handler runs before this returns

    real_sink_write = sf.SoundFile.write
    blocks = []

    def sink_write(self, *args, **kwargs):
        blocks.append(self.name)
        if moment == "block" and len(blocks) == 2:  # the first block of a source is written
            interrupt()
        if moment == "write" and "second" in self.name:  # the first track is whole by now
            interrupt()
        return real_sink_write(self, *args, **kwargs)

    sf.SoundFile.write = sink_write

    real_svd = np.linalg.svd

    def svd(*args, **kwargs):  # the factorization's first step (its NNDSVD start)
        if moment == "nmf":
            interrupt()
        return real_svd(*args, **kwargs)

    np.linalg.svd = svd
    sys.exit(main(sys.argv[3:]))
""")



@pytest.mark.parametrize("moment", ["write", "nmf"])
@pytest.mark.parametrize("signame, code, word", [("SIGINT", 130, "interrupted"),
                                                 ("SIGTERM", 143, "terminated")])
def test_a_signal_in_the_middle_leaves_whole_outputs_and_no_partial_file(
        tmp_path, moment, signame, code, word):
    first = write(tmp_path / "first.wav", tone(seed=1))
    second = write(tmp_path / "second.wav", tone(seed=2))
    out = tmp_path / "out"
    argv = ["separate", str(first), str(second), "-o", str(out), "--max-iter", "20", "-k", "4",
            "-q", "--workers", "1"]  # in this process, where the wrapper interrupts
    run_ = subprocess.run([sys.executable, "-c", _WRAPPER, moment, signame, *argv],
                          capture_output=True, text=True, timeout=120, check=False)
    assert run_.returncode == code, run_.stderr
    assert f"nmfsep: error: {word}; finished tracks are complete" in run_.stderr
    assert "Traceback" not in run_.stderr
    assert no_partial_files(tmp_path)
    for path in out.rglob("*.wav"):  # every file that exists is whole and readable
        data, _ = sf.read(path)
        assert data.shape[0] == tone().shape[1]
    if moment == "write":
        assert sorted(p.name for p in (out / "first").iterdir()) == [
            "separation.json", "source1.wav", "source2.wav"]  # the first track was done...
        assert not (out / "second").exists()  # ...the second was not begun
    else:
        assert not list(out.rglob("*.wav"))


@pytest.mark.parametrize("signame, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_while_writing_block_by_block_leaves_no_partial_file(tmp_path, signame,
                                                                     code):
    path = write(tmp_path / "long.wav", tone(seconds=8.0, channels=2), subtype="PCM_16")
    _, limit, _ = _limit_between_block_by_block_and_in_memory(path)
    out = tmp_path / "out"
    argv = ["separate", str(path), "-o", str(out), "--max-iter", "5", "-k", "4"]
    run_ = subprocess.run([sys.executable, "-c", _WRAPPER, "block", signame, *argv],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, resources.MEMORY_LIMIT_ENV: str(limit)})
    assert run_.returncode == code, run_.stderr
    assert "separating it block by block" in run_.stderr
    assert "finished tracks are complete, the one in progress was removed" in run_.stderr
    assert not out.exists() or not list(out.rglob("*"))  # not even an empty folder
    assert no_partial_files(tmp_path)


@pytest.mark.parametrize("collides", [False, True])
def test_an_interrupt_as_the_temporary_file_is_created_leaves_nothing_behind(
        tmp_path, monkeypatch, collides):
    """A signal between the creation of the ``.part`` file and the cleanup block."""
    out = tmp_path / "out"
    create = os.open

    def create_then_interrupt(path, flags, mode=0o777, *args, **kwargs):
        if str(path).endswith(".part"):
            if collides:  # another's file by that name: it must stay
                Path(path).write_bytes(b"theirs")
                return create(path, flags, mode, *args, **kwargs)
            os.close(create(path, flags, mode, *args, **kwargs))
            raise KeyboardInterrupt
        return create(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", create_then_interrupt)
    if collides:
        with pytest.raises(OutputError, match="a temporary file name was taken"):
            with audio.atomic_path(out / "song.wav"):
                pass
        assert [p.read_bytes() for p in out.iterdir()] == [b"theirs"]
    else:
        with pytest.raises(KeyboardInterrupt):
            with audio.atomic_path(out / "song.wav"):
                pass
        assert not out.exists()  # nor the folder it made


def test_a_signal_from_outside_while_writing_removes_the_track_and_the_rerun_works(tmp_path):
    path = write(tmp_path / "long.wav", tone(seconds=30.0, sr=8000))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "nmfsep", "separate", str(path), "-o", str(out), "-q",
               "--max-iter", "2", "-k", "300", "--components-audio"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    components = out / "long" / "components"
    deadline = time.monotonic() + 120
    while not (components.exists() and any(components.glob("*.wav"))):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the run never started writing components"
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "terminated; finished tracks are complete, the one in progress was removed" in err
    assert no_partial_files(out)
    assert not (out / "long").exists()  # the sources and components written so far went too
    # so the same command runs again without --force
    again = subprocess.run([*command[:-3], "-k", "4", "--components-audio"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert (out / "long" / "separation.json").exists()


def test_a_track_that_fails_at_its_last_step_is_removed_but_what_was_there_stays(song,
                                                                                 tmp_path):
    from nmfsep.export import separate_track

    track = tmp_path / "out" / "song"
    track.mkdir(parents=True)
    (track / "notes.txt").write_text("mine")
    (track / "source1.wav").write_bytes(b"an earlier run's")  # rewritten: --force
    with pytest.raises(TypeError):  # the record cannot be written, after every source was
        separate_track(song, track, n_sources=2, n_runs=1, max_iter=5, force=True,
                       components_audio=True, record_extra={"unwritable": object()})
    # what the run made goes, and what it rewrote (the earlier content is gone already)
    assert sorted(p.name for p in track.iterdir()) == ["notes.txt"]
    assert (track / "notes.txt").read_text() == "mine"
    fresh = tmp_path / "fresh" / "song"
    with pytest.raises(TypeError):
        separate_track(song, fresh, n_sources=2, n_runs=1, max_iter=5,
                       record_extra={"unwritable": object()})
    assert not fresh.exists() and (tmp_path / "fresh").is_dir()  # only the track's folder


def test_force_with_fewer_sources_removes_the_earlier_runs_extra_source(song, tmp_path):
    out = tmp_path / "out"
    assert main(["separate", str(song), "-o", str(out), "-n", "3", *FAST, "-q"]) == 0
    (out / "song" / "notes.txt").write_text("mine")
    assert main(["separate", str(song), "-o", str(out), "-n", "2", *FAST, "-q",
                 "--force"]) == 0
    names = sorted(p.name for p in (out / "song").iterdir())
    assert names == ["notes.txt", "separation.json", "source1.wav", "source2.wav"]


# ------------------------------------------------------------------ batches


def test_a_batch_separates_the_good_inputs_and_lists_the_bad_at_the_end(tmp_path, capsys):
    good = [write(tmp_path / f"good{i}.wav", tone(seed=i)) for i in range(2)]
    text = tmp_path / "text.wav"
    text.write_text("not audio " * 100)
    nan = write(tmp_path / "nan.wav", np.full((1, 4000), np.nan), subtype="FLOAT")
    folder = tmp_path / "folder.wav"  # a folder is a batch of its files: here none
    folder.mkdir()
    missing = tmp_path / "missing.wav"
    inputs = [good[0], text, nan, folder, missing, good[1]]
    out = tmp_path / "out"
    code, err = run(["separate", *inputs, "-o", out, "--max-iter", "5", "-k", "4"], capsys)
    assert code == 1
    for path in good:
        record = json.loads((out / path.stem / "separation.json").read_text())
        assert record["input"] == str(path)
    for path in (text, nan, folder, missing):
        assert not (out / path.stem).exists()
    summary = err[err.index("3 of 5 files failed"):]
    for path, problem in [(text, "not a readable audio file"), (nan, "NaN or Inf"),
                          (missing, "no such file")]:
        line = next(line for line in summary.splitlines() if str(path) in line)
        assert problem in line
        assert line.count(str(path)) == 1, line  # named once, not twice
    assert "Traceback" not in err


def test_a_bug_on_one_file_of_a_batch_does_not_stop_the_others(tmp_path, capsys,
                                                              monkeypatch):
    inputs = [write(tmp_path / f"in{i}.wav", tone(seed=i)) for i in range(3)]
    real = sf.SoundFile

    def flaky(path, *args, **kwargs):
        if Path(path) == inputs[1]:
            raise ZeroDivisionError("simulated bug")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(sf, "SoundFile", flaky)
    code, err = run(["separate", *inputs, "-o", tmp_path / "out", *FAST, "--workers", "1"],
                    capsys)
    assert code == 1
    assert "1 of 3 files failed" in err
    assert f"{inputs[1]}: unexpected ZeroDivisionError: simulated bug" in err
    assert (tmp_path / "out" / "in0" / "separation.json").exists()
    assert (tmp_path / "out" / "in2" / "separation.json").exists()


def test_runs_on_a_file_too_long_for_memory_are_combined_block_by_block(tmp_path, capsys,
                                                                         monkeypatch):
    path = write(tmp_path / "long.wav", tone(seconds=8.0, channels=2), subtype="PCM_16")
    _, limit, _ = _limit_between_block_by_block_and_in_memory(path, n_runs=2)
    monkeypatch.setenv(resources.MEMORY_LIMIT_ENV, str(limit))
    out = tmp_path / "out"
    code, err = run(["separate", path, "-o", out, "--max-iter", "5", "-k", "4", "--runs", "2"],
                    capsys)
    assert code == 0, err
    assert "separating it block by block" in err
    record = json.loads((out / "long" / "separation.json").read_text())
    assert record["block_by_block"] is True and record["parameters"]["n_runs"] == 2
    mixture, _ = sf.read(path, always_2d=True)
    total = sum(sf.read(out / "long" / f"source{i}.wav", always_2d=True)[0] for i in (1, 2))
    np.testing.assert_allclose(total, mixture, atol=1e-5)


def test_the_library_track_writer_refuses_names_it_would_lose_a_source_by(song, tmp_path):
    from nmfsep.export import separate_track

    with pytest.raises(ParameterError, match="every source needs its own name"):
        separate_track(song, tmp_path / "t", names=["x", "x"], n_runs=1, max_iter=2)
    with pytest.raises(ParameterError, match="'..' is not a valid file name"):
        separate_track(song, tmp_path / "t", names=["..", "b"], n_runs=1, max_iter=2)
    with pytest.raises(ParameterError, match="groups regroup a saved factorization"):
        separate_track(song, tmp_path / "t", groups=[[0], [0]], n_runs=1, max_iter=2)
    assert not (tmp_path / "t").exists()
