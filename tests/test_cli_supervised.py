"""``nmfsep learn`` and ``nmfsep separate --dict/--free/--stream``, run as a user would."""

import json

import numpy as np
import pytest
import soundfile as sf

import nmfsep
from nmfsep import synth
from nmfsep.cli import main
from nmfsep.metrics import evaluate
from nmfsep.policy import DEFAULT_POLICY
from nmfsep.stream import RELAXATION, TOLERANCE

FAST = ["--max-iter", "30"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Training clips of each source alone (other material) and a stereo mixture."""
    folder = tmp_path_factory.mktemp("audio")
    train = synth.drums_and_guitar(duration=3.0, sr=16000, seed=7, tempo=120,
                                   progression=("Em", "D", "G", "C"))
    paths = {}
    for name, source in zip(train.names, train.sources, strict=True):
        paths[name] = folder / f"{name}-alone.wav"
        sf.write(paths[name], source.T, train.sr, subtype="FLOAT")
    half = train.sources[0][:, : train.sr]
    paths["drums-more"] = folder / "drums-more.wav"
    sf.write(paths["drums-more"], half.T, train.sr, subtype="FLOAT")
    song = synth.drums_and_guitar(duration=3.0, sr=16000, seed=2, stereo=True)
    paths["song"] = folder / "song.wav"
    sf.write(paths["song"], song.mixture.T, song.sr, subtype="FLOAT")
    paths["other_rate"] = folder / "other-rate.wav"
    sf.write(paths["other_rate"], song.mixture[:, :8000].T, 8000, subtype="FLOAT")
    return paths


@pytest.fixture(scope="module")
def dicts(files, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dicts")
    out = {}
    for name in ("drums", "guitar"):
        out[name] = folder / f"{name}.npz"
        assert main(["learn", str(files[name]), "--name", name, "-k", "8", "-o",
                     str(out[name]), "-q", *FAST]) == 0
    return out


def read(path):
    data, sr = sf.read(path, always_2d=True)
    return data.T, sr


def relative_error(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def test_learn_writes_a_dictionary_from_several_examples(files, tmp_path, capsys):
    out = tmp_path / "kit.npz"
    code = main(["learn", str(files["drums"]), str(files["drums-more"]), "--name", "kit",
                 "-k", "6", "-o", str(out), *FAST])
    assert code == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "sound like drums" not in capsys.readouterr().err  # "kit" names a drum part
    kit = nmfsep.load_dictionary(out)
    assert (kit.name, kit.n_components, kit.sr) == ("kit", 6, 16000)
    assert kit.info["n_examples"] == 2 and kit.info["seconds"] == 4.0


def test_learn_shifts_the_examples_by_two_semitones_unless_told(files, tmp_path, capsys):
    default, plain = tmp_path / "default.npz", tmp_path / "plain.npz"
    assert main(["learn", str(files["guitar"]), "--name", "guitar", "-k", "4", "-o",
                 str(default), "--max-iter", "5"]) == 0
    assert "copies shifted by -2, -1, +1, +2 semitones" in capsys.readouterr().err
    assert main(["learn", str(files["guitar"]), "--name", "guitar", "-k", "4", "-o",
                 str(plain), "--max-iter", "5", "--pitch-shifts", "0"]) == 0
    assert "shifted" not in capsys.readouterr().err
    assert nmfsep.load_dictionary(default).info["pitch_shifts"] == "-2,-1,1,2"
    assert nmfsep.load_dictionary(plain).info["pitch_shifts"] == ""


def test_learn_says_how_to_name_unpitched_examples_for_the_hpss_weights(files, tmp_path,
                                                                        capsys):
    out = tmp_path / "rhythm.npz"
    assert main(["learn", str(files["drums"]), "--name", "rhythm", "-k", "4", "-o", str(out),
                 "--max-iter", "5"]) == 0
    err = capsys.readouterr().err
    assert "(not shifted: they do not sound pitched)" in err
    assert "the examples sound like drums: named 'drums' (--name drums)" in err
    assert main(["learn", str(files["guitar"]), "--name", "lead", "-k", "4", "-o",
                 str(tmp_path / "lead.npz"), "--max-iter", "5"]) == 0
    assert "sound like drums" not in capsys.readouterr().err


def test_learn_names_the_output_after_the_source_by_default(files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["learn", str(files["guitar"]), "--name", "guitar", "-k", "2", "-q",
                 "--max-iter", "5"]) == 0
    assert nmfsep.load_dictionary(tmp_path / "guitar.npz").name == "guitar"


def test_learn_never_overwrites_without_force(files, tmp_path, capsys):
    out = tmp_path / "d.npz"
    args = ["learn", str(files["drums"]), "--name", "drums", "-k", "2", "-o", str(out), "-q",
            "--max-iter", "5"]
    assert main(args) == 0
    before = out.read_bytes()
    assert main(args) == 4
    assert "exists already (use --force" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main([*args, "--force", "--seed", "3"]) == 0


@pytest.mark.parametrize(
    "extra, message",
    [(["--name", "my/drums"], "dictionary name 'my/drums'"),
     (["--name", "x", "-k", "0"], "-k must be a positive number"),
     (["--name", "x", "--hop", "5000"], "hop must be between"),
     (["--name", "x", "--pitch-shifts", "-1"], "--pitch-shifts must be a whole number of "
                                               "semitones from 0 to 24, got -1")],
)
def test_learn_rejects_bad_arguments(files, tmp_path, capsys, extra, message):
    assert main(["learn", str(files["drums"]), "-o", str(tmp_path / "x.npz"), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


def test_learn_names_the_example_file_that_cannot_be_used(files, tmp_path, capsys):
    bad = tmp_path / "nan.wav"
    sf.write(bad, np.full(4000, np.nan, dtype=np.float32), 8000, subtype="FLOAT")
    code = main(["learn", str(files["drums"]), str(bad), "--name", "x",
                 "-o", str(tmp_path / "x.npz")])
    assert code == 3
    err = capsys.readouterr().err
    assert f"{bad}: the audio holds 4000 NaN or Inf samples" in err and "Traceback" not in err
    assert not (tmp_path / "x.npz").exists()


def test_learn_rejects_examples_at_different_rates(files, tmp_path, capsys):
    code = main(["learn", str(files["drums"]), str(files["other_rate"]), "--name", "x",
                 "-o", str(tmp_path / "x.npz")])
    assert code == 2
    assert "is at 8000 Hz but" in capsys.readouterr().err


def test_separate_with_dictionaries_names_the_sources_after_them(files, dicts, tmp_path,
                                                                 capsys):
    out = tmp_path / "sep"
    code = main(["separate", str(files["song"]), "-o", str(out), "--dict", str(dicts["drums"]),
                 "--dict", str(dicts["guitar"]), *FAST])
    assert code == 0
    said = capsys.readouterr()
    assert said.out == ""
    assert "drums is named a drum part, so its masks are also weighed by the mixture's " \
        f"percussive (HPSS) mask, strength {DEFAULT_POLICY.dictionary_percussive_prior:g}" \
        in said.err
    mixture, _ = read(files["song"])
    drums, _ = read(out / "song" / "drums.wav")
    guitar, _ = read(out / "song" / "guitar.wav")
    assert drums.shape == mixture.shape == (2, 48000)
    assert relative_error(drums + guitar, mixture) < 1e-5
    record = json.loads((out / "song" / "separation.json").read_text())
    assert [s["name"] for s in record["sources"]] == ["drums", "guitar"]
    assert record["parameters"]["dictionaries"] == ["drums", "guitar"]
    assert record["dictionaries"] == [str(dicts["drums"]), str(dicts["guitar"])]
    assert record["mask_experts"]["hpss"] == {
        "source": 0, "strength": DEFAULT_POLICY.dictionary_percussive_prior}
    assert record["parameters"]["percussive_prior"] == DEFAULT_POLICY.dictionary_percussive_prior
    assert record["parameters"]["beta"] == DEFAULT_POLICY.dictionary_beta  # --dict's default
    assert record["parameters"]["max_iter"] == int(FAST[FAST.index("--max-iter") + 1])


def test_separate_with_free_components_adds_the_rest(files, dicts, tmp_path):
    out = tmp_path / "sep"
    assert main(["separate", str(files["song"]), "-o", str(out), "--dict", str(dicts["drums"]),
                 "--free", "4", "-q", *FAST]) == 0
    assert sorted(p.name for p in (out / "song").iterdir()) == [
        "drums.wav", "rest.wav", "separation.json"]
    record = json.loads((out / "song" / "separation.json").read_text())
    assert record["parameters"]["n_free_components"] == 4
    assert record["parameters"]["beta"] == 1.0  # beside free components: Kullback-Leibler
    assert len(record["sources"][1]["components"]) == 4


def test_separate_stream_matches_the_offline_files(files, dicts, tmp_path):
    both = ["--dict", str(dicts["drums"]), "--dict", str(dicts["guitar"]), "-q", *FAST]
    # offline under the stream's divergence (Kullback-Leibler; --dict's offline default differs)
    assert main(["separate", str(files["song"]), "-o", str(tmp_path / "a"), "--beta", "1",
                 *both]) == 0
    assert main(["separate", str(files["song"]), "-o", str(tmp_path / "b"), "--stream",
                 *both]) == 0
    mixture, sr = read(files["song"])
    streamed = [read(tmp_path / "b" / "song" / f"{n}.wav")[0] for n in ("drums", "guitar")]
    offline = [read(tmp_path / "a" / "song" / f"{n}.wav")[0] for n in ("drums", "guitar")]
    assert relative_error(streamed[0] + streamed[1], mixture) < 1e-5
    # the stream's updates are over-relaxed: it stops elsewhere than the offline solve
    assert relative_error(np.stack(streamed), np.stack(offline)) < 1e-2
    loaded = [nmfsep.load_dictionary(dicts[n]) for n in ("drums", "guitar")]
    library = np.concatenate(list(nmfsep.stream(mixture, sr, loaded, max_iter=30)), axis=-1)
    assert relative_error(np.stack(streamed), library) < 1e-6  # the command is the library
    record = json.loads((tmp_path / "b" / "song" / "separation.json").read_text())
    assert record["stream"] is True and record["duration_s"] == 3.0
    assert record["parameters"]["tol"] == TOLERANCE  # each batch's, as the library's default
    assert record["parameters"]["relaxation"] == RELAXATION
    # the stream's record names the HPSS expert as the offline one does
    offline_record = json.loads((tmp_path / "a" / "song" / "separation.json").read_text())
    assert record["mask_experts"] == offline_record["mask_experts"]
    assert record["parameters"]["percussive_prior"] == \
        offline_record["parameters"]["percussive_prior"]
    assert record["parameters"]["beta"] == offline_record["parameters"]["beta"] == 1.0
    # every batch stopped within max_iter (--max-iter of FAST) after at least one check
    assert record["activations"]["batches"] >= 1
    assert 1 <= record["activations"]["mean_iterations"] <= 30


def test_separate_with_the_built_in_drum_dictionary(files, tmp_path):
    out = tmp_path / "sep"
    assert main(["separate", str(files["song"]), "-o", str(out), "--dict", "builtin:drums",
                 "--free", "8", "-q", *FAST]) == 0
    assert sorted(p.name for p in (out / "song").iterdir()) == [
        "drums.wav", "rest.wav", "separation.json"]
    record = json.loads((out / "song" / "separation.json").read_text())
    assert record["dictionaries"] == ["builtin:drums"]
    assert record["mask_experts"]["hpss"]["source"] == 0  # the drums, named a drum part
    truth = synth.drums_and_guitar(duration=3.0, sr=16000, seed=2, stereo=True)
    drums, _ = read(out / "song" / "drums.wav")
    rest, _ = read(out / "song" / "rest.wav")
    sdr = evaluate(truth.sources, np.stack([drums, rest]), permute=False).sdr
    assert sdr[0] > 5 and sdr[1] > 0.5  # the templates find the example's synthesized drums


@pytest.mark.parametrize(
    "extra, message",
    [(["--free", "2"], "--free and --stream need --dict"),
     (["--stream"], "--free and --stream need --dict"),
     (["--dict", "DRUMS", "-k", "8"], "-k does not apply with --dict"),
     (["--dict", "DRUMS", "--names", "a"], "--names does not apply with --dict"),
     (["--dict", "DRUMS", "--stream", "--free", "2"], "--stream writes only the sources"),
     (["--dict", "DRUMS", "--dict", "DRUMS"], "two dictionaries are named 'drums'"),
     (["--dict", "missing.npz"], "missing.npz: no such file"),
     (["--dict", "builtin:piano", "--free", "4"],
      "builtin:piano: no such built-in dictionary (built in: builtin:drums)")],
)
def test_separate_rejects_inconsistent_dictionary_arguments(files, dicts, tmp_path, capsys,
                                                            extra, message):
    extra = [str(dicts["drums"]) if e == "DRUMS" else e for e in extra]
    code = main(["separate", str(files["song"]), "-o", str(tmp_path / "x"), *extra])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("stream", [False, True])
def test_separate_a_mixture_at_another_rate(files, dicts, tmp_path, capsys, stream):
    """Dictionaries learned at 16 kHz on the song at 8 kHz: re-mapped, not refused."""
    out = tmp_path / "x"
    code = main(["separate", str(files["other_rate"]), "-o", str(out), "--dict",
                 str(dicts["drums"]), "--dict", str(dicts["guitar"]),
                 *(["--stream"] if stream else []), *FAST])
    assert code == 0, capsys.readouterr().err
    assert "learned at" not in capsys.readouterr().err
    mixture, sr = read(files["other_rate"])
    sources = [read(path) for path in sorted(out.glob("**/*.wav"))
               if path.stem in ("drums", "guitar")]
    assert len(sources) == 2 and all(rate == 8000 for _, rate in sources)
    total = sum(data for data, _ in sources)
    assert relative_error(total, mixture) < 1e-3


@pytest.mark.parametrize("extra, message", [
    (["--stream", "-n", "3"], "-n 3 with 2 dictionaries: each dictionary is one source"),
    (["-n", "3"], "the other sources need free components (--free K)"),
    (["--grouping", "timbre"], "--grouping does not apply with --dict alone"),
    (["--stream", "--max-memory", "1K"], "--max-memory does not apply with --stream"),
])
def test_options_a_dictionary_separation_would_ignore_are_refused(files, dicts, tmp_path,
                                                                  capsys, extra, message):
    assert main(["separate", str(files["song"]), "--dict", str(dicts["drums"]), "--dict",
                 str(dicts["guitar"]), "-o", str(tmp_path / "o"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "n_free_components" not in err
    assert not (tmp_path / "o").exists()


def test_a_given_max_iter_bounds_the_dictionaries_fit_instead_of_the_default(
        files, dicts, tmp_path):
    longer = DEFAULT_POLICY.dictionary_iterations + 50
    out = tmp_path / "sep"
    assert main(["separate", str(files["song"]), "-o", str(out), "--dict", str(dicts["drums"]),
                 "--dict", str(dicts["guitar"]), "--max-iter", str(longer), "-q"]) == 0
    record = json.loads((out / "song" / "separation.json").read_text())
    assert record["parameters"]["max_iter"] == longer


def test_max_iter_s_help_says_where_its_default_is_not_200(capsys):
    with pytest.raises(SystemExit):
        main(["separate", "--help"])
    separate_help = " ".join(capsys.readouterr().out.split())
    assert (f"(default 200; {DEFAULT_POLICY.dictionary_iterations} with --dict and neither "
            "--free nor --stream)") in separate_help
    with pytest.raises(SystemExit):
        main(["learn", "--help"])
    assert "NMF iterations at most (default 200)" in " ".join(capsys.readouterr().out.split())


def test_beta_s_help_says_where_its_default_is_not_kullback_leibler(capsys):
    with pytest.raises(SystemExit):
        main(["separate", "--help"])
    separate_help = " ".join(capsys.readouterr().out.split())
    assert (f"{DEFAULT_POLICY.dictionary_beta:g} with --dict and neither --free nor --stream"
            in separate_help)
    with pytest.raises(SystemExit):
        main(["learn", "--help"])
    learn_help = " ".join(capsys.readouterr().out.split())
    assert "1 Kullback-Leibler (the default), 2 Euclidean" in learn_help
