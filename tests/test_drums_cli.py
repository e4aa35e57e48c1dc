"""``nmfsep drums`` and ``nmfsep learn-drums`` from the command line."""

import json

import numpy as np
import pytest
import soundfile as sf

from nmfsep import synth
from nmfsep.cli import main


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("in")
    example = synth.drums_and_guitar(duration=4.0, sr=22050, seed=3)
    sf.write(folder / "kit.wav", example.sources[0].T, 22050, subtype="FLOAT")
    sf.write(folder / "song.wav", example.mixture.T, 22050, subtype="FLOAT")
    return folder


def read(path):
    return sf.read(path, dtype="float32", always_2d=True)[0].T


def test_drums_writes_named_stems_that_add_up_to_each_input(recordings, tmp_path, capsys):
    out = tmp_path / "out"
    inputs = [recordings / "kit.wav", recordings / "song.wav"]
    assert main(["drums", *map(str, inputs), "-o", str(out), "-q"]) == 0
    for path in inputs:
        record = json.loads((out / path.stem / "drums.json").read_text())
        names = [stem["name"] for stem in record["stems"]]
        assert names[:3] == ["kick", "snare", "hihat"]
        total = sum(read(out / path.stem / f"{name}.wav") for name in names)
        np.testing.assert_allclose(total, read(path), atol=1e-5)
    song = json.loads((out / "song" / "drums.json").read_text())
    assert song["rest"]["included"]  # the guitar plays beside the drums


def test_drums_refuses_to_overwrite_and_names_a_bad_piece(recordings, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["drums", str(recordings / "kit.wav"), "-o", str(out), "-q"]) == 0
    assert main(["drums", str(recordings / "kit.wav"), "-o", str(out), "-q"]) == 4
    assert "exists already" in capsys.readouterr().err
    assert main(["drums", str(recordings / "kit.wav"), "-o", str(out), "--pieces",
                 "kick,cowbell"]) == 2
    err = capsys.readouterr().err
    assert "cowbell" in err and "Traceback" not in err


def test_learn_drums_makes_templates_that_drums_uses(recordings, tmp_path, capsys):
    kit = tmp_path / "mykit"
    rng = np.random.default_rng(0)
    for piece, make in [("kick", synth.kick), ("snare", synth.snare), ("hihat", synth.hihat)]:
        (kit / piece).mkdir(parents=True)
        for take in range(2):
            sf.write(kit / piece / f"{take}.wav", make(22050, rng), 22050, subtype="FLOAT")
    templates = tmp_path / "mykit.npz"
    assert main(["learn-drums", str(kit), "-o", str(templates), "-q"]) == 0
    assert capsys.readouterr().out.strip() == str(templates)
    out = tmp_path / "out"
    assert main(["drums", str(recordings / "kit.wav"), "-o", str(out), "--templates",
                 str(templates), "-q"]) == 0
    record = json.loads((out / "kit" / "drums.json").read_text())
    total = sum(read(out / "kit" / stem["file"]) for stem in record["stems"])
    np.testing.assert_allclose(total, read(recordings / "kit.wav"), atol=1e-5)
    assert main(["learn-drums", str(kit), "-o", str(templates), "-q"]) == 4  # no --force
