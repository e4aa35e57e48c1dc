"""Faults of ``nmfsep drums``: whole or absent tracks, clashes, stale stems, early checks."""

import json

import numpy as np
import pytest
import soundfile as sf

import nmfsep.drums as drums_module
from nmfsep import synth
from nmfsep.cli import main
from nmfsep.drumfit import DrumSettings
from nmfsep.drums import drums_file, separate_drums
from nmfsep.drumtemplates import templates_from_samples
from nmfsep.errors import AudioError, OutputError, ParameterError

SR = 22050


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """Two seconds of synthetic drums: ``loop.wav``."""
    folder = tmp_path_factory.mktemp("in")
    example = synth.drums_and_guitar(duration=2.0, sr=SR, seed=3)
    sf.write(folder / "loop.wav", example.sources[0].T, SR, subtype="FLOAT")
    return folder / "loop.wav"


def read(path):
    return sf.read(path, dtype="float64", always_2d=True)[0].T


def names_in(folder):
    return sorted(p.name for p in folder.iterdir())


def error_lines(err):
    return [line for line in err.splitlines() if "error:" in line]


# --------------------------------------------------------------------------- 1: whole or absent


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OutputError])
def test_a_track_that_fails_while_its_stems_are_written_leaves_none_of_them(
        loop, tmp_path, monkeypatch, interruption):
    track = tmp_path / "out" / "loop"
    track.mkdir(parents=True)
    (track / "notes.txt").write_text("mine")  # there before: stays
    real_save, calls = drums_module.save, []

    def failing_save(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:  # kick and snare written, then Ctrl-C or a full disk
            raise interruption(f"{path}: stopped")
        return real_save(path, *args, **kwargs)

    monkeypatch.setattr(drums_module, "save", failing_save)
    with pytest.raises(interruption):
        drums_file(loop, tmp_path / "out", rest=False)
    assert [p.name for p in calls] == ["kick.wav", "snare.wav", "hihat.wav"]
    assert names_in(track) == ["notes.txt"]


def test_a_forced_track_that_fails_leaves_no_mix_of_two_runs(
        loop, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert main(["drums", str(loop), "-o", str(out), "--pieces", "kick,snare", "-q"]) == 0
    (out / "loop" / "notes.txt").write_text("mine")

    def full_disk(path, record, **kwargs):
        raise OutputError(f"{path}: the disk is full")

    monkeypatch.setattr(drums_module, "write_record", full_disk)
    assert main(["drums", str(loop), "-o", str(out), "--pieces", "kick,snare,hihat,toms",
                 "--force"]) == 4
    err = capsys.readouterr().err
    assert error_lines(err) == [f"nmfsep: error: {out / 'loop' / 'drums.json'}: the disk is full"]
    # the new stems are gone, and the ones it rewrote (their old content is lost) with the
    # earlier record, which vouched for them: nothing looks finished; the user's file stays
    assert names_in(out / "loop") == ["notes.txt"]
    monkeypatch.undo()
    assert main(["drums", str(loop), "-o", str(out), "--pieces", "kick,snare", "-q"]) == 0


def test_a_track_that_fails_before_writing_keeps_the_earlier_run_whole(
        loop, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert main(["drums", str(loop), "-o", str(out), "--pieces", "kick,snare", "-q"]) == 0
    before = {p.name: p.read_bytes() for p in (out / "loop").iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(drums_module, "separate_drums", interrupted)
    with pytest.raises(KeyboardInterrupt):
        drums_file(loop, out, pieces="kick,snare,hihat", force=True)
    assert {p.name: p.read_bytes() for p in (out / "loop").iterdir()} == before


def test_a_new_track_folder_that_fails_is_removed_entirely(loop, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(drums_module, "write_record", interrupted)
    with pytest.raises(KeyboardInterrupt):
        drums_file(loop, tmp_path / "out", rest=False)
    assert names_in(tmp_path / "out") == []


# --------------------------------------------------------------------------- 2: same track twice


def test_two_inputs_of_the_same_name_are_refused_before_any_work(loop, tmp_path, capsys):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "loop.wav").write_bytes(loop.read_bytes())
    out = tmp_path / "out"
    first, second = tmp_path / "a" / "loop.wav", tmp_path / "b" / "loop.wav"
    assert main(["drums", str(first), str(second), "-o", str(out), "--force"]) == 2
    err = capsys.readouterr().err
    assert error_lines(err) == [
        f"nmfsep: error: 1 input(s) would write to the same track folder as another: {first} "
        f"and {second} -> loop/; rename them, or split them into different output folders"]
    assert "Traceback" not in err and not out.exists()


# --------------------------------------------------------------------------- 3: stale stems


def test_force_with_fewer_pieces_removes_the_earlier_runs_other_stems(loop, tmp_path):
    out = tmp_path / "out"
    drums_file(loop, out, pieces="kick,snare,hihat,toms", rest=False)
    track = out / "loop"
    (track / "cymbals.wav").write_bytes(b"not nmfsep's: no record lists it")
    record = drums_file(loop, out, pieces="kick,snare", rest=False, force=True)
    assert [stem["file"] for stem in record["stems"]] == ["kick.wav", "snare.wav"]
    assert names_in(track) == ["cymbals.wav", "drums.json", "kick.wav", "snare.wav"]
    np.testing.assert_allclose(read(track / "kick.wav") + read(track / "snare.wav"), read(loop),
                               atol=1e-5)
    # another format: the earlier wav stems go, the flac ones are this run's
    drums_file(loop, out, pieces="kick,snare", rest=False, force=True, fmt="flac")
    assert names_in(track) == ["cymbals.wav", "drums.json", "kick.flac", "snare.flac"]


def test_force_leaves_files_that_an_unreadable_record_would_name(loop, tmp_path):
    out = tmp_path / "out"
    drums_file(loop, out, pieces="kick,snare,hihat", rest=False)
    (out / "loop" / "drums.json").write_text("{not json")
    drums_file(loop, out, pieces="kick,snare", rest=False, force=True)
    assert names_in(out / "loop") == ["drums.json", "hihat.wav", "kick.wav", "snare.wav"]


# --------------------------------------------------------------------------- 4: bad audio named


def test_audio_with_a_nan_is_refused_naming_the_file(loop, tmp_path, capsys):
    y = read(loop).T.copy()
    y[100, 0] = np.nan
    bad = tmp_path / "holes.wav"
    sf.write(bad, y, SR, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"holes\.wav: the audio holds 1 NaN or Inf samples"):
        drums_file(bad, tmp_path / "out")
    assert main(["drums", str(bad), "-o", str(tmp_path / "out")]) == 3
    assert error_lines(capsys.readouterr().err) == [
        f"nmfsep: error: {bad}: the audio holds 1 NaN or Inf samples"]
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- 7: template files


@pytest.mark.parametrize("meta, problem", [
    ({"format_version": 1}, "no list of 'entries'"),
    ([1, 2], "its description is a list, not a mapping"),
    ({"format_version": 1, "entries": [{"sound": "kick", "kit": "k"}]},
     "drum template entry 0 has no 'piece'"),
])
def test_a_malformed_templates_file_is_a_clear_error(tmp_path, capsys, meta, problem):
    from nmfsep import drumtemplates

    path = tmp_path / "bad.npz"  # arrays of the reference size: only the description is wrong
    np.savez(path, log10_power=np.zeros((1, drumtemplates.BAND_HZ.size,
                                         drumtemplates.FRAME_S.size), dtype=np.float16),
             band_hz=drumtemplates.BAND_HZ, frame_s=drumtemplates.FRAME_S,
             meta=np.array(json.dumps(meta)))
    with pytest.raises(ParameterError, match=f"^{path}: .*{problem}"):
        drumtemplates.load_drum_templates(path)
    assert main(["drums", "no-such-input.wav", "--templates", str(path),
                 "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert len(error_lines(err)) == 1 and str(path) in err and "Traceback" not in err


def test_templates_that_miss_a_piece_are_refused_once_before_any_input_is_read(
        tmp_path, capsys, monkeypatch):
    kit = tmp_path / "kit"
    kit.mkdir()
    rng = np.random.default_rng(0)
    samples = []
    for piece, make in (("kick", synth.kick), ("snare", synth.snare)):
        y = make(SR, rng)
        sf.write(kit / f"{piece}.wav", 0.5 * y / np.abs(y).max(), SR, subtype="FLOAT")
        samples.append(dict(piece=piece, sound=piece, kit="kit", path=kit / f"{piece}.wav"))
    path = templates_from_samples(samples).save(tmp_path / "kit.npz")

    def no_reading(*args, **kwargs):
        raise AssertionError("an input was read")

    monkeypatch.setattr(drums_module, "load", no_reading)
    inputs = [str(tmp_path / f"{n}.wav") for n in ("one", "two", "three")]
    assert main(["drums", *inputs, "--templates", str(path), "-o", str(tmp_path / "out")]) == 2
    assert error_lines(capsys.readouterr().err) == [
        f"nmfsep: error: {path}: the drum templates have nothing for 'hihat' (they cover "
        "kick, snare)"]


def test_a_templates_file_that_cannot_be_opened_is_named(tmp_path, monkeypatch):
    from nmfsep import drumtemplates

    path = tmp_path / "locked.npz"
    path.write_bytes(b"")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(drumtemplates, "open", denied, raising=False)
    with pytest.raises(ParameterError, match=r"locked\.npz: cannot be read \(Permission denied\)"):
        drumtemplates.load_drum_templates(path)


# --------------------------------------------------------------------------- 8: arguments


@pytest.mark.parametrize("field, value", [
    ("mask_power", float("nan")), ("mask_power", 0.0), ("hop_fraction", 0.0),
    ("hop_fraction", 1.5), ("frame_seconds", 0.0), ("frame_seconds", -1.0),
    ("frame_seconds", float("nan")), ("template_seconds", float("nan")),
    ("template_seconds", 0.0), ("warmup", -1), ("max_iter", 0), ("max_iter", 2.5),
    ("spectrogram_power", 0.0), ("band_frames", float("nan")), ("band_frames", 1.5),
    ("beta", 3.0), ("onset_offset", float("inf")), ("split", "drum"),
    ("adapt_templates", "yes"), ("mask_power", True),
])
def test_drum_settings_refuse_a_bad_value_naming_the_field(field, value):
    with pytest.raises(ParameterError, match=rf"^DrumSettings\.{field} must .*got {value!r}$"):
        DrumSettings(**{field: value})


def test_drum_settings_refuse_bad_piece_lengths():
    with pytest.raises(ParameterError, match="unknown drum piece 'bell'"):
        DrumSettings(piece_seconds=(("bell", 0.1),))
    with pytest.raises(ParameterError, match=r"piece_seconds\['kick'\] must be positive"):
        DrumSettings(piece_seconds=(("kick", -0.1),))
    assert DrumSettings(piece_seconds=(("kick", 0.1),)).piece_seconds == (("kick", 0.1),)


@pytest.mark.parametrize("keyword, value, message", [
    ("pieces", None, "pieces must be a comma-separated string or a tuple"),
    ("pieces", 5, "pieces must be a comma-separated string or a tuple"),
    ("templates", 5, "templates must be a DrumTemplates, a file or None, got 5"),
    ("callback", 5, r"callback must be callable\(iteration, loss\) or None, got 5"),
    ("settings", 5, "settings must be a DrumSettings or None, got 5"),
])
def test_separate_drums_checks_its_arguments_up_front(keyword, value, message):
    y = np.zeros((1, SR), dtype=np.float32)
    with pytest.raises(ParameterError, match=message):
        separate_drums(y, SR, rest=False, **{keyword: value})


# --------------------------------------------------------------------------- 9: outputs early


def test_an_existing_file_as_the_output_folder_is_refused_before_the_work(
        loop, tmp_path, capsys, monkeypatch):
    def no_reading(*args, **kwargs):
        raise AssertionError("the input was read")

    monkeypatch.setattr(drums_module, "load", no_reading)
    taken = tmp_path / "taken.wav"
    taken.write_bytes(b"a file")
    assert main(["drums", str(loop), "-o", str(taken)]) == 4
    assert error_lines(capsys.readouterr().err) == [
        f"nmfsep: error: {taken}: is a file, not a folder; cannot write "
        f"{taken / 'loop' / 'kick.wav'} (give another output folder)"]


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_folder_where_a_stem_would_go_is_named_as_a_folder(loop, tmp_path, capsys, force):
    (tmp_path / "out" / "loop" / "hihat.wav").mkdir(parents=True)
    assert main(["drums", str(loop), "-o", str(tmp_path / "out"), *force]) == 4
    err = capsys.readouterr().err
    assert error_lines(err) == [
        f"nmfsep: error: {tmp_path / 'out' / 'loop' / 'hihat.wav'}: is a folder, where a file "
        "would go; move or remove it (--force does not replace folders)"]
    assert names_in(tmp_path / "out" / "loop") == ["hihat.wav"]


# --------------------------------------------------------------------------- 10: --seed


def test_a_negative_seed_is_refused_by_the_parser(loop, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["drums", str(loop), "-o", str(tmp_path / "out"), "--seed", "-1"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --seed: '-1': a seed is 0 or more" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_several_inputs_go_on_past_a_bad_one_and_list_the_failures_at_the_end(loop, tmp_path,
                                                                             capsys):
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    assert main(["drums", str(bad), str(loop), "-o", str(tmp_path / "out"), "-v"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-2] == "nmfsep: error: 1 of 2 input(s) failed:"
    assert err[-1].startswith(f"nmfsep: error:   {bad}: ") and "audio" in err[-1]
    assert any(line.startswith(f"{loop}: rest left out: ") for line in err)
    assert (tmp_path / "out" / loop.stem / "drums.json").is_file()
