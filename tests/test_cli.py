"""The command line, run as a user would: main([...]) in-process and a subprocess."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from nmfsep import synth
from nmfsep.cli import main
from nmfsep.errors import OutputError, ParameterError
from nmfsep.metrics import evaluate

FAST = ["--max-iter", "30", "-k", "8"]


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    example = synth.drums_and_guitar(duration=3.0, sr=16000, seed=2, stereo=True)
    path = tmp_path_factory.mktemp("in") / "song.wav"
    sf.write(path, example.mixture.T, example.sr, subtype="PCM_16")
    return path


def read(path):
    data, sr = sf.read(path, always_2d=True)
    return data.T, sr


def test_separate_writes_named_sources_that_add_up(song, tmp_path, capsys):
    out = tmp_path / "sep"
    code = main(["separate", str(song), "-o", str(out), "--names", "drums,guitar", *FAST])
    assert code == 0
    mixture, sr = read(song)
    parts = [read(out / "song" / f"{name}.wav") for name in ("drums", "guitar")]
    for audio, rate in parts:
        assert rate == sr == 16000
        assert audio.shape == mixture.shape
    total = parts[0][0] + parts[1][0]
    assert np.linalg.norm(total - mixture) / np.linalg.norm(mixture) < 1e-5
    record = json.loads((out / "song" / "separation.json").read_text())
    assert record["parameters"]["n_components"] == 8
    assigned = record["sources"][0]["components"] + record["sources"][1]["components"]
    assert sorted(assigned) == list(range(8))
    assert len(record["components"]) == 8
    assert {"centroid_hz", "percussiveness", "spikiness"} <= record["components"][0].keys()
    assert record["loss_history"][0]["loss"] > record["loss_history"][-1]["loss"]
    assert capsys.readouterr().out == ""  # results in files, messages on stderr


def test_the_command_line_says_which_file_holds_the_drums(tmp_path, capsys):
    example = synth.drums_and_guitar(duration=4.0, sr=16000, seed=0)
    path = tmp_path / "loop.wav"
    sf.write(path, example.mixture.T, example.sr, subtype="FLOAT")
    assert main(["separate", str(path), "-o", str(tmp_path / "out"), "--runs", "1"]) == 0
    record = json.loads((tmp_path / "out" / "loop" / "separation.json").read_text())
    assert record["decision"]["drum_source"] == 0
    assert "a drum part is heard: source1 holds the drums, source2 everything else" in \
        capsys.readouterr().err
    # the drums' file is the one closer to the true drums
    drums, _ = read(tmp_path / "out" / "loop" / "source1.wav")
    rest, _ = read(tmp_path / "out" / "loop" / "source2.wav")
    truth = example.sources[example.names.index("drums")]
    assert np.linalg.norm(drums - truth) < np.linalg.norm(rest - truth)


def test_a_silent_file_is_separated_into_silence_with_one_warning_line(tmp_path, capsys):
    path = tmp_path / "quiet.wav"
    sf.write(path, np.zeros(16000, dtype=np.float32), 16000)
    assert main(["separate", str(path), "-o", str(tmp_path / "out"), "--runs", "1"]) == 0
    err = capsys.readouterr().err
    assert f"warning: {path}: the recording is silent" in err and "Traceback" not in err
    for name in ("source1.wav", "source2.wav"):
        samples, _ = read(tmp_path / "out" / "quiet" / name)
        assert not samples.any()


def test_existing_outputs_are_not_overwritten_without_force(song, tmp_path, capsys):
    out = tmp_path / "sep"
    assert main(["separate", str(song), "-o", str(out), "-q", *FAST]) == 0
    before = (out / "song" / "source1.wav").read_bytes()
    assert main(["separate", str(song), "-o", str(out), "-q", "--seed", "5", *FAST]) == 4
    assert "exists already (use --force" in capsys.readouterr().err
    assert (out / "song" / "source1.wav").read_bytes() == before
    assert main(["separate", str(song), "-o", str(out), "-q", "--force", "--seed", "5",
                 *FAST]) == 0


def test_components_factorizes_once(song, tmp_path, monkeypatch):
    from nmfsep.progress import Reporter

    totals = []
    monkeypatch.setattr(Reporter, "progress",
                        lambda self, label, done, total, detail="": totals.append((label, total)))
    assert main(["components", str(song), "-k", "6", "-o", str(tmp_path / "comps"),
                 "--max-iter", "30", "-q"]) == 0
    assert {total for label, total in totals if label == "NMF"} == {30}  # one run, not five


def test_components_then_separate_from_reuses_the_same_components(song, tmp_path):
    comps = tmp_path / "comps"
    assert main(["components", str(song), "-k", "6", "-o", str(comps), "--max-iter", "30",
                 "-q"]) == 0
    names = sorted(p.name for p in comps.iterdir())
    assert [f"component_{k:02d}.wav" for k in range(6)] == [n for n in names if
                                                            n.endswith(".wav")]
    assert "index.html" in names and "factorization.npz" in names
    assert names.count("component_00.png") == 1
    page = (comps / "index.html").read_text()
    assert page.count("<audio") == 6 and "component_05.wav" in page
    out = tmp_path / "sep"
    assert main(["separate", str(song), "--from", str(comps), "--groups", "0,3,5;1,2,4",
                 "-o", str(out), "-q"]) == 0
    first, _ = read(out / "song" / "source1.wav")
    listened = sum(read(comps / f"component_{k:02d}.wav")[0] for k in (0, 3, 5))
    np.testing.assert_allclose(first, listened, atol=2e-4)  # 16-bit input, float output
    record = json.loads((out / "song" / "separation.json").read_text())
    assert record["labels"] == [0, 1, 1, 0, 1, 0]


@pytest.mark.parametrize("k", [2, 5])
def test_the_command_components_suggests_runs_as_printed(song, tmp_path, capsys, k):
    comps = tmp_path / "comps"
    assert main(["components", str(song), "-k", str(k), "-o", str(comps), "--max-iter", "5",
                 "--no-plots"]) == 0
    suggested = re.search(r'nmfsep separate (.*) --from (.*) --groups "(.*)"',
                          capsys.readouterr().err)
    assert suggested is not None
    assert main(["separate", suggested[1], "--from", suggested[2], "--groups", suggested[3],
                 "-o", str(tmp_path / "sep"), "-q"]) == 0


def test_the_components_page_suggests_groups_that_run_as_written(song, tmp_path):
    comps = tmp_path / "comps"
    assert main(["components", str(song), "-k", "7", "-o", str(comps), "--max-iter", "5",
                 "--no-plots", "-q"]) == 0
    page = (comps / "index.html").read_text()
    groups = re.search(r'--groups &quot;(.*?)&quot;', page)[1]
    assert groups == "0-2;3-6"
    assert main(["separate", str(song), "--from", str(comps), "--groups", groups,
                 "-o", str(tmp_path / "sep"), "-q"]) == 0


def test_components_again_with_force_and_fewer_leaves_none_of_the_earlier(song, tmp_path):
    comps = tmp_path / "comps"
    assert main(["components", str(song), "-k", "6", "-o", str(comps), "--max-iter", "5",
                 "-q"]) == 0
    (comps / "notes.txt").write_text("mine")
    assert main(["components", str(song), "-k", "3", "-o", str(comps), "--max-iter", "5",
                 "--no-plots", "--force", "-q"]) == 0
    assert sorted(p.name for p in comps.iterdir()) == [
        "component_00.wav", "component_01.wav", "component_02.wav", "factorization.npz",
        "index.html", "notes.txt"]


def test_separate_components_audio_with_force_and_fewer_leaves_none_of_the_earlier(song,
                                                                                 tmp_path):
    out = tmp_path / "sep"
    args = ["separate", str(song), "-o", str(out), "--components-audio", "--max-iter", "5", "-q"]
    assert main([*args, "-k", "6"]) == 0
    assert main([*args, "-k", "4", "--force"]) == 0
    assert sorted(p.name for p in (out / "song" / "components").iterdir()) == [
        f"component_{k:02d}.wav" for k in range(4)]


def test_components_stopped_midway_leave_no_folder_behind(song, tmp_path, monkeypatch):
    import nmfsep.export

    calls = []

    def save_then_stop(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_save(*args, **kwargs)

    real_save = nmfsep.export.save
    monkeypatch.setattr(nmfsep.export, "save", save_then_stop)
    comps = tmp_path / "comps"
    assert main(["components", str(song), "-k", "5", "-o", str(comps), "--max-iter", "5",
                 "--no-plots", "-q"]) == 130
    assert len(calls) == 3 and not comps.exists()
    comps.mkdir()
    (comps / "keep.wav").write_bytes(b"x")
    calls.clear()
    assert main(["components", str(song), "-k", "5", "-o", str(comps), "--max-iter", "5",
                 "--no-plots", "-q"]) == 130
    assert [p.name for p in comps.iterdir()] == ["keep.wav"]


def test_separate_from_refuses_another_recording_of_the_same_length(song, tmp_path, capsys):
    comps = tmp_path / "comps"
    assert main(["components", str(song), "-k", "4", "-o", str(comps), "--max-iter", "10",
                 "-q"]) == 0
    y, sr = read(song)
    lossy = tmp_path / "lossy.wav"  # the same music, quantized to 8 bits: still accepted
    sf.write(lossy, y.T, sr, subtype="PCM_U8")
    assert main(["separate", str(lossy), "--from", str(comps), "--groups", "0,1;2,3",
                 "-o", str(tmp_path / "ok"), "-q"]) == 0
    other = tmp_path / "other.wav"  # same rate and length, other music
    sf.write(other, np.ascontiguousarray(y[:, ::-1].T), sr)
    code = main(["separate", str(other), "--from", str(comps), "--groups", "0,1;2,3",
                 "-o", str(tmp_path / "sep"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert (f"{comps / 'factorization.npz'}: made from another recording of the same length "
            "(their loudness over time differs)") in err
    assert not (tmp_path / "sep").exists()


def test_demo_meets_the_core_floor_and_prints_a_table(tmp_path, capsys, monkeypatch):
    from test_separate import AUTO_FLOOR_DB

    from nmfsep.progress import Reporter

    drawn = []
    monkeypatch.setattr(Reporter, "progress",
                        lambda self, label, done, total, detail="": drawn.append((done, total)))
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--duration", "8"]) == 0
    # the progress line counts the iterations of all five runs against their total
    assert {total for _, total in drawn} == {5 * 200}
    assert max(done for done, _ in drawn) > 4 * 200
    table = capsys.readouterr().out
    assert "SDR" in table and "drums" in table and "guitar" in table
    truth = np.stack([read(out / "truth" / f"{n}.wav")[0] for n in ("drums", "guitar")])
    estimate = np.stack([read(out / "estimates" / f"{n}.wav")[0] for n in ("drums", "guitar")])
    scores = evaluate(truth, estimate, permute=False)
    assert np.all(scores.sdr > AUTO_FLOOR_DB), scores.sdr
    stored = json.loads((out / "scores.json").read_text())["scores"]
    np.testing.assert_allclose([row["sdr"] for row in stored], scores.sdr, atol=0.05)


@pytest.mark.parametrize("duration", ["0", "-1", "nan", "inf", "ten"])
def test_demo_refuses_a_duration_that_is_not_a_positive_number(duration, tmp_path, capsys):
    out = tmp_path / "demo"
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "-o", str(out), f"--duration={duration}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --duration:" in err and "Traceback" not in err
    assert not out.exists()
    with pytest.raises(ParameterError, match="duration must be a positive number of seconds"):
        synth.drums_and_guitar(duration=float(duration) if duration != "ten" else -2.0)


def test_eval_matches_by_name_and_by_permutation(tmp_path, capsys):
    rng = np.random.default_rng(0)
    refs = rng.standard_normal((2, 8000)) * 0.1
    (tmp_path / "ref").mkdir()
    (tmp_path / "est").mkdir()
    (tmp_path / "shuffled").mkdir()
    for name, signal in zip(["a", "b"], refs, strict=True):
        sf.write(tmp_path / "ref" / f"{name}.wav", signal, 8000, subtype="FLOAT")
        sf.write(tmp_path / "est" / f"{name}.wav", signal + 0.001 * rng.standard_normal(8000),
                 8000, subtype="FLOAT")
    sf.write(tmp_path / "shuffled" / "x.wav", refs[1], 8000, subtype="FLOAT")
    sf.write(tmp_path / "shuffled" / "y.wav", refs[0], 8000, subtype="FLOAT")
    assert main(["eval", "--reference", str(tmp_path / "ref"), "--estimate",
                 str(tmp_path / "est"), "--json", str(tmp_path / "s.json")]) == 0
    rows = json.loads((tmp_path / "s.json").read_text())["scores"]
    assert all(row["sdr"] > 35 for row in rows)
    assert main(["eval", "--reference", str(tmp_path / "ref"), "--estimate",
                 str(tmp_path / "shuffled")]) == 0
    out = capsys.readouterr().out
    assert "best permutation" in out


def _eval_folders(tmp_path, references, estimates, sr=8000, estimate_sr=8000):
    for folder, signals, rate in (("ref", references, sr), ("est", estimates, estimate_sr)):
        (tmp_path / folder).mkdir()
        for name, signal in signals.items():
            sf.write(tmp_path / folder / f"{name}.wav", signal, rate, subtype="FLOAT")
    return ["eval", "--reference", str(tmp_path / "ref"), "--estimate", str(tmp_path / "est")]


def test_eval_warns_when_the_files_differ_in_length(tmp_path, capsys):
    signal = np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1
    argv = _eval_folders(tmp_path, {"a": signal}, {"a": signal[:2000]})
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert ("warning: the files differ in length: scored over the first 2000 samples, the "
            f"shortest; longer: {tmp_path / 'ref' / 'a.wav'} (8000)") in err


def test_eval_errors_name_the_folders_and_the_rates(tmp_path, capsys):
    signal = np.random.default_rng(0).standard_normal(800).astype(np.float32) * 0.1
    argv = _eval_folders(tmp_path, {"a": signal, "b": signal}, {"x": signal})
    assert main(argv) == 2
    assert (f"{tmp_path / 'est'}: 1 estimate file(s) for 2 references in {tmp_path / 'ref'} "
            "(a.wav, b.wav)") in capsys.readouterr().err
    other = tmp_path / "rates"
    other.mkdir()
    argv = _eval_folders(other, {"a": signal}, {"a": signal}, estimate_sr=16000)
    assert main(argv) == 2
    assert (f"different sample rates: {other / 'ref' / 'a.wav'} 8000 Hz, "
            f"{other / 'est' / 'a.wav'} 16000 Hz") in capsys.readouterr().err


def test_eval_refuses_an_existing_json_before_scoring(tmp_path, capsys):
    signal = np.random.default_rng(0).standard_normal(800).astype(np.float32) * 0.1
    argv = _eval_folders(tmp_path, {"a": signal}, {"a": signal})
    (tmp_path / "s.json").write_text("mine")
    assert main([*argv, "--json", str(tmp_path / "s.json")]) == 4
    captured = capsys.readouterr()
    assert "exists already (use --force" in captured.err
    assert captured.out == ""  # no table printed before the refusal
    assert (tmp_path / "s.json").read_text() == "mine"


def test_eval_refuses_an_estimate_with_nan_naming_the_file(tmp_path, capsys):
    signal = np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1
    for folder in ("ref", "est"):
        (tmp_path / folder).mkdir()
    sf.write(tmp_path / "ref" / "a.wav", signal, 8000, subtype="FLOAT")
    signal[100] = np.nan
    sf.write(tmp_path / "est" / "a.wav", signal, 8000, subtype="FLOAT")
    code = main(["eval", "--reference", str(tmp_path / "ref"), "--estimate",
                 str(tmp_path / "est")])
    err = capsys.readouterr().err
    assert code == 3
    assert f"{tmp_path / 'est' / 'a.wav'}: the audio holds 1 NaN or Inf samples" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv, code, message",
    [(["separate", "{song}", "--grouping", "nope"], 2, "unknown grouping 'nope'"),
     (["separate", "{song}", "-n", "0"], 2, "-n must be a positive integer, got 0"),
     (["separate", "{song}", "-n", "-2"], 2, "-n must be a positive integer, got -2"),
     (["separate", "{song}", "--groups", "0,x;1"], 2, "malformed --groups"),
     (["separate", "{song}", "--groups", "0,1,2,3;4,5,6,99"], 2, "component 99 does not exist"),
     (["separate", "{song}", "--groups", "0,1,2,3;3,4,5,6,7"], 2, "component 3 is in group 1"),
     (["separate", "{song}", "--names", "a,b,c"], 2, "--names gives 3 names for 2 sources"),
     (["separate", "{song}", "--names", "../x,y"], 2, "is not a valid file name"),
     (["separate", "{missing}"], 3, "no such file"),
     (["separate", "{song}", "-k", "1"], 2, "-k 1 gives fewer components than the 2 sources (-n)"),
     (["components", "{missing}"], 3, "no such file")],
)
def test_bad_arguments_give_the_promised_code_and_one_line(song, tmp_path, capsys, argv, code,
                                                           message):
    argv = [a.format(song=song, missing=tmp_path / "missing.wav") for a in argv]
    assert main([*argv, "-o", str(tmp_path / "o"), "--max-iter", "5"]) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert sum(line.startswith("nmfsep: error:") for line in err.splitlines()) == 1


def test_batch_separates_the_good_and_reports_the_bad(song, tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio at all " * 50)
    out = tmp_path / "sep"
    assert main(["separate", str(bad), str(song), "-o", str(out), *FAST]) == 1
    assert (out / "song" / "source1.wav").exists()
    assert not (out / "bad").exists()
    err = capsys.readouterr().err
    assert "1 of 2 files failed" in err and "bad.wav" in err


def test_module_runs_as_a_program_with_help_and_version():
    run = subprocess.run([sys.executable, "-m", "nmfsep", "--version"], capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0 and run.stdout.startswith("nmfsep ")
    for command in ["separate", "components", "demo", "eval"]:
        help_ = subprocess.run([sys.executable, "-m", "nmfsep", command, "--help"],
                               capture_output=True, text=True, check=False)
        assert help_.returncode == 0 and "example" in help_.stdout


@pytest.mark.parametrize("command", ["separate", "components", "demo", "eval", "learn",
                                     "drums", "learn-drums", "studio"])
def test_help_shows_each_default_once_and_never_none(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "(default: None)" not in text and "(default: False)" not in text
    if command in ("separate", "components", "learn"):
        assert "NMF iterations at most (default 200" in text  # stated by --max-iter's help
    for line in text.splitlines():  # a default its help states is not repeated after it
        assert not ("(default " in line and "(default: " in line), line


def test_separate_from_without_groups_writes_the_two_sources_it_names(song, tmp_path):
    comps = tmp_path / "comps"
    assert main(["components", str(song), "-k", "6", "-o", str(comps), "--max-iter", "5",
                 "--no-plots", "-q"]) == 0
    out = tmp_path / "sep"
    assert main(["separate", str(song), "--from", str(comps), "-o", str(out), "-q"]) == 0
    record = json.loads((out / "song" / "separation.json").read_text())
    files = [source["file"] for source in record["sources"]]
    assert files == ["source1.wav", "source2.wav"]
    assert all(source["components"] for source in record["sources"])
    mixture, _ = read(song)
    total = sum(read(out / "song" / name)[0] for name in files)
    assert np.abs(total - mixture).max() < 2e-4  # 16-bit input, float output


@pytest.mark.parametrize("groups, message", [
    ("0-2;3-300000000", "component 300000000 does not exist (no factorization has"),
    ("0-2;3-99999999999999999999", "component 99999999999999999999 does not exist (no"),
    ("0-2;3--5", "'3--5' is not a component index"),
    ("5-3;0-2", "the range '5-3' runs backwards; write 3-5"),
    ("0-2,3-5", "gives one group: ';' separates the sources' groups"),
])
def test_groups_that_cannot_be_meant_are_refused_at_once(song, tmp_path, capsys, groups,
                                                         message):
    comps = tmp_path / "comps"
    assert main(["components", str(song), "-k", "6", "-o", str(comps), "--max-iter", "5",
                 "--no-plots", "-q"]) == 0
    assert main(["separate", str(song), "--from", str(comps), "--groups", groups,
                 "-o", str(tmp_path / "sep")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "sep").exists()


@pytest.mark.parametrize("k, message", [("1", "give -k 2 or more"),
                                        ("5000", "STFT frames, fewer than the components")])
def test_components_refuses_a_count_it_cannot_group_or_fit(song, tmp_path, capsys, k,
                                                          message):
    assert main(["components", str(song), "-k", k, "-o", str(tmp_path / "c")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_components_names_the_file_of_bad_audio(tmp_path, capsys):
    bad = tmp_path / "nan.wav"
    y = np.full(16000, 0.1, dtype=np.float32)
    y[100] = np.nan
    sf.write(bad, y, 16000, subtype="FLOAT")
    assert main(["components", str(bad), "-o", str(tmp_path / "c")]) == 3
    assert f"{bad}: the audio holds 1 NaN or Inf samples" in capsys.readouterr().err


def test_outputs_under_a_file_or_onto_a_folder_are_refused_before_any_work(song, tmp_path,
                                                                            capsys):
    assert main(["components", str(song), "-o", str(song / "x")]) == 4
    assert f"{song}: is a file, not a folder" in capsys.readouterr().err
    (tmp_path / "sep" / "song" / "source1.wav").mkdir(parents=True)
    assert main(["separate", str(song), "-o", str(tmp_path / "sep"), "--force"]) == 4
    assert "source1.wav: is a folder, where a file would go" in capsys.readouterr().err


def test_figures_without_matplotlib_are_refused_before_the_work_or_skipped_with_a_note(
        song, tmp_path, capsys, monkeypatch):
    import nmfsep.cli

    def missing():
        raise ParameterError("figures need matplotlib: pip install 'nmfsep[plot]'")

    monkeypatch.setattr(nmfsep.cli, "require_matplotlib", missing)
    monkeypatch.setattr("nmfsep.export.require_matplotlib", missing)
    monkeypatch.setattr(nmfsep.cli, "separate_track", lambda *a, **k: pytest.fail("worked"))
    assert main(["separate", str(song), "--plot", "-o", str(tmp_path / "sep")]) == 2
    assert "figures need matplotlib" in capsys.readouterr().err
    comps = tmp_path / "comps"
    assert main(["components", str(song), "-k", "4", "-o", str(comps), "--max-iter", "5"]) == 0
    assert "no figures: figures need matplotlib" in capsys.readouterr().err
    assert not list(comps.glob("*.png")) and (comps / "component_03.wav").is_file()


def test_example_groups_cover_every_component_and_need_two():
    from nmfsep.grouping import example_groups, labels_from_groups, parse_groups

    for k in (2, 3, 16):
        assert sorted(labels_from_groups(parse_groups(example_groups(k)), k)) == \
            [0] * (k // 2) + [1] * (k - k // 2)
    with pytest.raises(ParameterError, match="cannot be grouped into two sources"):
        example_groups(1)


@pytest.mark.parametrize("command", [["separate", "{song}"], ["components", "{song}"],
                                     ["demo"], ["learn", "{song}", "--name", "x"]])
def test_a_negative_seed_is_one_usage_line(song, tmp_path, capsys, command):
    argv = [a.replace("{song}", str(song)) for a in command]
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--seed", "-1", "-o", str(tmp_path / "o")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "'-1': a seed is 0 or more" in err and "Traceback" not in err


def test_help_shows_defaults_of_zero(capsys):
    with pytest.raises(SystemExit):
        main(["separate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "random seed (default: 0)" in text
    assert re.search(r"--free K .*\(default: 0\)", text)


@pytest.mark.parametrize("extra", [["-k", "8"], ["--n-fft", "1024"], ["--beta", "2"],
                                   ["--max-iter", "10"]])
def test_separate_from_refuses_the_factorizations_own_options(song, tmp_path, capsys, extra):
    comps = tmp_path / "comps"
    assert main(["components", str(song), "-k", "4", "-o", str(comps), "--max-iter", "5",
                 "--no-plots", "-q"]) == 0
    assert main(["separate", str(song), "--from", str(comps), "-o", str(tmp_path / "o"),
                 *extra]) == 2
    assert f"{extra[0]} does not apply with --from" in capsys.readouterr().err


def test_a_forced_separation_that_fails_leaves_no_mix_of_two_runs(song, tmp_path, capsys,
                                                                  monkeypatch):
    import nmfsep.export

    out = tmp_path / "sep"
    assert main(["separate", str(song), "-o", str(out), "-q", *FAST]) == 0
    (out / "song" / "notes.txt").write_text("mine")

    def failing_record(path, record, **kwargs):
        raise OutputError(f"{path}: no space left on the device")

    monkeypatch.setattr(nmfsep.export, "write_record", failing_record)
    assert main(["separate", str(song), "-o", str(out), "-q", "--force", "--seed", "3",
                 *FAST]) == 4
    # the sources it rewrote and the record that vouched for the old ones are gone
    assert sorted(p.name for p in (out / "song").iterdir()) == ["notes.txt"]


def test_a_forced_separation_stopped_before_writing_keeps_the_earlier_track(song, tmp_path,
                                                                         monkeypatch):
    import nmfsep.export

    out = tmp_path / "sep"
    assert main(["separate", str(song), "-o", str(out), "-q", *FAST]) == 0
    before = {p.name: p.read_bytes() for p in (out / "song").iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(nmfsep.export, "separate_file", interrupted)
    assert main(["separate", str(song), "-o", str(out), "-q", "--force", *FAST]) == 130
    assert {p.name: p.read_bytes() for p in (out / "song").iterdir()} == before
