import os
import stat

import numpy as np
import pytest
import soundfile as sf

from nmfsep.audio import load, save
from nmfsep.errors import AudioError, OutputError


@pytest.mark.parametrize(
    "fmt, subtype, tolerance",
    [("WAV", "PCM_U8", 1e-2), ("WAV", "PCM_16", 1e-4), ("WAV", "PCM_24", 1e-6),
     ("WAV", "PCM_32", 1e-8), ("WAV", "FLOAT", 1e-7), ("FLAC", "PCM_16", 1e-4),
     ("FLAC", "PCM_24", 1e-6), ("OGG", "VORBIS", None), ("MP3", "MPEG_LAYER_III", None)],
)
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_load_reads_formats_bit_depths_and_channels(tmp_path, rng, fmt, subtype, tolerance,
                                                     channels):
    if fmt not in sf.available_formats():
        pytest.skip(f"libsndfile here has no {fmt}")
    if fmt == "MP3" and channels > 2:
        pytest.skip("MP3 holds at most two channels")
    y = (0.5 * rng.uniform(-1, 1, (4410, channels))).astype(np.float32)
    path = tmp_path / f"x.{fmt.lower()}"
    sf.write(path, y, 11025, format=fmt, subtype=subtype)
    data, sr = load(path)
    assert sr == 11025
    assert data.dtype == np.float32 and data.shape[0] == channels
    if tolerance is not None:
        assert data.shape[1] == 4410
        assert np.max(np.abs(data - y.T)) < tolerance


def test_save_round_trips_and_refuses_to_overwrite(tmp_path, rng):
    y = rng.uniform(-0.5, 0.5, (2, 1000)).astype(np.float32)
    path = save(tmp_path / "out.wav", y, 8000)
    back, sr = load(path)
    np.testing.assert_array_equal(back, y)
    with pytest.raises(OutputError, match="exists already"):
        save(path, y, 8000)
    save(path, 0 * y, 8000, force=True)
    assert np.all(load(path)[0] == 0)
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_a_saved_file_has_the_permissions_of_any_new_file(tmp_path, rng, umask):
    y = rng.uniform(-0.5, 0.5, (1, 100)).astype(np.float32)
    previous = os.umask(umask)
    try:
        path = save(tmp_path / "out.wav", y, 8000)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_a_file_replaced_with_force_keeps_its_permissions(tmp_path, rng):
    y = rng.uniform(-0.5, 0.5, (1, 100)).astype(np.float32)
    path = save(tmp_path / "out.wav", y, 8000)
    path.chmod(0o640)
    save(path, 0 * y, 8000, force=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert np.all(load(path)[0] == 0)


def test_interrupted_save_leaves_no_partial_file(tmp_path, monkeypatch, rng):
    def boom(*args, **kwargs):
        with open(args[0], "wb") as handle:
            handle.write(b"RIFF....half")
        raise KeyboardInterrupt

    monkeypatch.setattr(sf, "write", boom)
    with pytest.raises(KeyboardInterrupt):
        save(tmp_path / "out.wav", rng.standard_normal((1, 100)), 8000)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "make, message",
    [(lambda p: None, "no such file"),
     (lambda p: p.mkdir(), "is a folder"),
     (lambda p: p.write_bytes(b""), "the file is empty"),
     (lambda p: p.write_text("this is not audio\n" * 20), "not a readable audio file")],
    ids=["missing", "folder", "empty", "text"],
)
def test_load_names_the_file_and_the_problem(tmp_path, make, message):
    path = tmp_path / "song.wav"
    make(path)
    with pytest.raises(AudioError, match=message) as info:
        load(path)
    assert str(path) in str(info.value)


def test_load_rejects_a_file_with_no_samples(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros((0, 1)), 8000)
    with pytest.raises(AudioError, match="no samples"):
        load(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_load_reports_permission_denied(tmp_path):
    path = tmp_path / "locked.wav"
    sf.write(path, np.zeros((10, 1)), 8000)
    path.chmod(0)
    with pytest.raises(AudioError, match="permission denied"):
        load(path)


@pytest.mark.parametrize(("array", "message"), [
    (np.zeros((8000, 2), dtype=np.float32), r"audio of shape \(8000, 2\) looks like "
                                             r"\(samples, channels\).*pass y.T"),
    (np.zeros((8000, 1)), r"looks like \(samples, channels\)"),
    (np.zeros(800, dtype=np.int16), r"floating-point samples \(full scale ±1\), got int16"),
    (np.zeros(800, dtype=bool), "got bool"),
    (np.array(["a", "b"]), "audio must hold numbers"),
])
def test_audio_arrays_nmfsep_would_misread_are_refused(array, message, tmp_path):
    import nmfsep
    from nmfsep.errors import ParameterError

    with pytest.raises(ParameterError, match=message):
        nmfsep.separate(array, 8000, n_runs=1, max_iter=2)
    with pytest.raises(ParameterError, match=message):
        save(tmp_path / "x.wav", array, 8000)
    assert not (tmp_path / "x.wav").exists()
    # many channels of few samples each stay what they are
    assert nmfsep.audio.as_channels(np.zeros((6, 8000))).shape == (6, 8000)


def test_flac_holds_samples_to_one_and_says_so_naming_the_file(tmp_path):
    import contextlib
    import warnings

    from nmfsep.audio import open_outputs
    from nmfsep.errors import AudioWarning

    loud = np.array([[0.5, 1.25, -0.2, -1.5]], dtype=np.float32)
    with pytest.warns(AudioWarning, match=r"a\.flac: samples reach 1\.5, beyond the ±1"):
        save(tmp_path / "a.flac", loud, 8000)
    back, _ = sf.read(tmp_path / "a.flac", dtype="float32")
    np.testing.assert_allclose(back, [0.5, 1.0, -0.2, -1.0], atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save(tmp_path / "b.flac", loud / 2, 8000)  # within ±1: no word
        save(tmp_path / "c.wav", loud, 8000)  # float WAV keeps every sample
    with pytest.warns(AudioWarning) as said, contextlib.ExitStack() as stack:
        (sink,) = open_outputs(stack, [tmp_path / "d.flac"], 8000, 1)
        sink.write(loud)
        sink.write(loud)  # once per file
        sink.close()
    assert [str(w.message)[:50] for w in said if "d.flac" in str(w.message)] == [
        f"{tmp_path / 'd.flac'}: samples reach 1.5 (at least)"[:50]]
    back, _ = sf.read(tmp_path / "d.flac", dtype="float32")
    np.testing.assert_allclose(back, [0.5, 1.0, -0.2, -1.0] * 2, atol=1e-6)
