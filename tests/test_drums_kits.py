"""``nmfsep learn-drums`` on hydrogen kits: each sample's piece from its drumkit.xml instrument."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from nmfsep import drumtemplates, synth
from nmfsep.cli import main
from nmfsep.drumtemplates import learn_drum_templates, load_drum_templates
from nmfsep.errors import ParameterError

SR = 22050
HYDROGEN = Path("/usr/share/hydrogen/data/drumkits")

DRUMKIT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">
  <name>Tiny</name>
  <author>a test</author>
  <license>CC0</license>
  <instrumentList>
    <instrument><id>0</id><name>Kick</name><volume>1</volume>
      <layer><filename>tom-0105.wav</filename><min>0</min><max>0.5</max></layer>
      <layer><filename>tom-0106.wav</filename><min>0.5</min><max>1</max></layer>
    </instrument>
    <instrument><id>1</id><name>Snare Rock</name><filename>s1.wav</filename></instrument>
    <instrument><id>2</id><name>Hihat closed</name>
      <instrumentComponent><layer><filename>closed.wav</filename></layer></instrumentComponent>
    </instrument>
    <instrument><id>3</id><name>Cowbell</name><filename>bell.wav</filename></instrument>
    <instrument><id>4</id><name>Crash</name><filename>emptySample.flac</filename></instrument>
  </instrumentList>
</drumkit_info>
"""


def _tiny_kit(folder: Path) -> Path:
    """A hydrogen kit whose file names say nothing (or the wrong piece)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    sounds = {"tom-0105.wav": synth.kick, "tom-0106.wav": synth.kick, "s1.wav": synth.snare,
              "closed.wav": synth.hihat, "bell.wav": synth.hihat, "unused.wav": synth.snare}
    for name, make in sounds.items():
        y = make(SR, rng)
        sf.write(folder / name, (0.5 * y / np.abs(y).max()).astype(np.float32), SR)
    (folder / "drumkit.xml").write_text(DRUMKIT_XML)
    return folder


def test_a_hydrogen_kit_takes_each_samples_piece_from_its_instrument(tmp_path):
    kit = _tiny_kit(tmp_path / "Tiny")
    found = drumtemplates.find_one_shots(kit)
    assert found.kit_file == kit / "drumkit.xml"
    assert [(s["piece"], s["instrument"], s["file"]) for s in found.samples] == [
        ("kick", "Kick", "tom-0105.wav"), ("kick", "Kick", "tom-0106.wav"),
        ("snare", "Snare Rock", "s1.wav"), ("hihat", "Hihat closed", "closed.wav")]
    assert found.counts() == {"kick": 2, "snare": 1, "hihat": 1}
    assert found.skipped == [("bell.wav", "instrument 'Cowbell' names no drum piece"),
                             ("unused.wav", "no instrument of drumkit.xml plays it")]
    templates = learn_drum_templates(kit)
    assert templates.pieces == ("kick", "snare", "hihat")
    assert [e["n_samples"] for e in templates.entries] == [2, 1, 1]
    assert {s["licence"] for s in templates.samples} == {"CC0"}
    assert {s["author"] for s in templates.samples} == {"a test"}


def test_learn_drums_says_what_it_used_and_with_v_what_it_skipped(tmp_path, capsys):
    kit = _tiny_kit(tmp_path / "Tiny")
    out = tmp_path / "tiny.npz"
    assert main(["learn-drums", str(kit), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert (f"4 samples by the instruments of {kit / 'drumkit.xml'}: kick 2, snare 1, hihat 1; "
            "2 audio file(s) skipped (-v lists them)") in captured.err.splitlines()
    assert "bell.wav" not in captured.err
    assert main(["learn-drums", str(kit), "-o", str(out), "--force", "-v"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert "skipped bell.wav: instrument 'Cowbell' names no drum piece" in lines
    assert "skipped unused.wav: no instrument of drumkit.xml plays it" in lines
    assert load_drum_templates(out).pieces == ("kick", "snare", "hihat")


def test_a_kit_whose_instruments_name_no_piece_is_a_clear_error(tmp_path):
    kit = tmp_path / "hand"
    kit.mkdir()
    sf.write(kit / "kick.wav", synth.kick(SR, np.random.default_rng(0)) * 0.5, SR)
    (kit / "drumkit.xml").write_text(DRUMKIT_XML.replace("<name>Kick</name>",
                                                         "<name>Cajon</name>")
                                     .replace("tom-0105.wav", "kick.wav"))
    with pytest.raises(ParameterError, match=rf"^{kit}: no instrument of {kit / 'drumkit.xml'} "
                                             r"is named by a drum piece; 1 audio file\(s\) "
                                             r"skipped$"):
        drumtemplates.find_one_shots(kit)
    (kit / "drumkit.xml").write_text("<drumkit_info><name>broken")
    with pytest.raises(ParameterError, match="drumkit.xml: not a hydrogen drum kit description"):
        drumtemplates.find_one_shots(kit)


def test_learn_drums_on_a_file_says_it_is_not_a_kit_folder(tmp_path, capsys):
    sample = tmp_path / "real.wav"
    sf.write(sample, np.zeros(100, dtype=np.float32), SR)
    assert main(["learn-drums", str(sample), "-o", str(tmp_path / "t.npz")]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"nmfsep: error: {sample}: is a file, not a folder of one-shot "
                                "samples (give the kit's folder)"]


@pytest.mark.skipif(not (HYDROGEN / "Millo-Drums_v.1" / "drumkit.xml").is_file(),
                    reason="Debian's hydrogen-drumkits (Millo-Drums_v.1) is not installed")
def test_a_debian_hydrogen_kit_gives_every_piece(tmp_path):
    found = drumtemplates.find_one_shots(HYDROGEN / "Millo-Drums_v.1")
    assert found.counts() == {"kick": 1, "snare": 3, "hihat": 3, "toms": 3, "crash": 2,
                              "ride": 2}
    hats = sorted(s["file"] for s in found.samples if s["piece"] == "hihat")
    assert hats == ["closehihat3.flac", "openhat2.flac", "pedalhihat.flac"]
    assert {s["file"]: s["instrument"] for s in found.samples}["bd1.flac"] == "Kick"
    assert sorted(name for name, _ in found.skipped) == ["emptySample.flac",
                                                         "misc_Cowbell.flac",
                                                         "stick_Woody.flac"]
    templates = learn_drum_templates(HYDROGEN / "Millo-Drums_v.1")
    assert templates.pieces == ("kick", "snare", "hihat", "toms", "crash", "ride")
    assert all(templates.covers(piece) for piece in ("kick", "snare", "hihat", "toms",
                                                     "cymbals"))


@pytest.mark.skipif(not (HYDROGEN / "Audiophob" / "drumkit.xml").is_file(),
                    reason="Debian's hydrogen-drumkits (Audiophob) is not installed")
def test_audiophobs_kick_is_a_kick_though_its_file_is_named_tom():
    found = drumtemplates.find_one_shots(HYDROGEN / "Audiophob")
    kicks = [s["file"] for s in found.samples if s["piece"] == "kick"]
    assert kicks == ["86335__zgump__tom-0105.wav"]
