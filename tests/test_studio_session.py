"""The studio's session and export, without a server: assignments, sources, the stems zip."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from nmfsep import synth
from nmfsep.errors import AudioError, ParameterError
from nmfsep.studio.export import write_stems_zip
from nmfsep.studio.session import Busy, Session

K = 8


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    example = synth.drums_and_guitar(duration=3.0, sr=16000, seed=2, stereo=True)
    path = tmp_path_factory.mktemp("clip") / "clip.wav"
    sf.write(path, example.mixture.T, example.sr, subtype="FLOAT")
    return path


@pytest.fixture(scope="module")
def session(tmp_path_factory, clip):
    folder = tmp_path_factory.mktemp("private")
    session = Session(folder, max_seconds=60.0, n_components=K)
    session.open(clip, "clip.wav")
    assert session.wait(120)
    yield session
    session.close()


def _assign(session: Session, names, labels):
    session.assign(list(names), list(labels), session.model_id)
    assert session.wait(60)
    return session.current()


def test_opening_a_file_factorizes_it_and_starts_from_the_automatic_grouping(session):
    state = session.state()
    assert state["status"] == "ready" and state["n_components"] == K
    model, rendered = session.current()
    assert state["labels"] == model.labels.tolist()
    assert sorted(k for source in state["sources"] for k in source["components"]) == list(
        range(K))
    assert rendered.sources is model.sources  # the automatic grouping's own sources
    np.testing.assert_allclose(rendered.sources.sum(axis=0), model.recording.y, atol=1e-5)


def test_a_new_assignment_rebuilds_sources_that_add_up_to_the_mixture(session):
    model, before = session.current()
    labels = list(before.assignment.labels)
    labels[0] = 2  # into a new third source
    names = [*before.assignment.names, "extra"]
    version = session.version
    _, rendered = _assign(session, names, labels)
    assert rendered.version == version + 1
    assert rendered.sources.shape == (3, *model.recording.y.shape)
    np.testing.assert_allclose(rendered.sources.sum(axis=0), model.recording.y, atol=1e-5)
    np.testing.assert_allclose(rendered.sources[2], model.component(0), atol=1e-5)


def test_a_source_without_components_is_silent(session):
    model, before = session.current()
    _, rendered = _assign(session, ["a", "b", "empty"],
                          [k % 2 for k in range(K)])
    np.testing.assert_array_equal(rendered.sources[2], 0.0)
    np.testing.assert_allclose(rendered.sources.sum(axis=0), model.recording.y, atol=1e-5)


def test_the_automatic_labels_give_back_the_automatic_sources(session):
    model, _ = session.current()
    _, rendered = _assign(session, ["x", "y"], model.labels.tolist())
    np.testing.assert_array_equal(rendered.sources, model.sources)


def test_assignments_that_do_not_fit_or_come_too_late_are_refused(session):
    with pytest.raises(ParameterError, match="source 5 does not exist"):
        session.assign(["a", "b"], [5] + [0] * (K - 1), session.model_id)
    with pytest.raises(Busy, match="reload the page"):
        session.assign(["a", "b"], [0] * K, session.model_id - 1)
    with pytest.raises(ParameterError, match="in no group"):
        session.load("0,1;2", session.model_id)


def test_a_saved_assignment_loads_with_its_names(session):
    session.load('--groups "0-3;4-7" --names "low,high"', session.model_id)
    assert session.wait(60)
    _, rendered = session.current()
    assert rendered.assignment.names == ("low", "high")
    assert rendered.assignment.labels == (0, 0, 0, 0, 1, 1, 1, 1)


def test_regrouping_with_another_number_of_sources_does_not_factorize_again(session):
    model_id, W = session.model_id, session.model.W
    session.regroup(3)
    assert session.wait(60)
    model, rendered = session.current()
    assert session.model_id == model_id and model.W is W
    assert rendered.assignment.n_sources == 3
    assert set(rendered.assignment.labels) == {0, 1, 2}
    np.testing.assert_allclose(rendered.sources.sum(axis=0), model.recording.y, atol=1e-5)


def test_the_stems_zip_adds_up_and_the_command_line_rebuilds_the_same_stems(
        session, clip, tmp_path):
    from nmfsep.cli import main

    _assign(session, ["drums", "guitar"], [k % 2 for k in range(K)])
    model, rendered = session.current()
    path = write_stems_zip(tmp_path / "stems.zip", model, rendered)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["drums.wav", "factorization.npz", "guitar.wav",
                                              "separation.json"]
        stems = {name: sf.read(io.BytesIO(archive.read(f"{name}.wav")), dtype="float32")[0].T
                 for name in ("drums", "guitar")}
        record = json.loads(archive.read("separation.json"))
        archive.extractall(tmp_path / "from")
    np.testing.assert_allclose(sum(stems.values()), model.recording.y, atol=1e-5)
    assert [source["components"] for source in record["sources"]] == [[0, 2, 4, 6],
                                                                      [1, 3, 5, 7]]
    assert record["groups"] == "0,2,4,6;1,3,5,7"
    assert len(record["components"]) == K and record["components"][3]["source"] == 1

    out = tmp_path / "out"
    code = main(["separate", str(clip), "--from", str(tmp_path / "from"), "--groups",
                 record["groups"], "--names", "drums,guitar", "-o", str(out), "-q"])
    assert code == 0
    for name, stem in stems.items():
        again, sr = sf.read(out / "clip" / f"{name}.wav", dtype="float32")
        assert sr == model.sr
        np.testing.assert_allclose(again.T, stem, atol=1e-6)


def test_a_bad_file_is_refused_by_its_name_and_the_recording_stays(session, tmp_path):
    bad = tmp_path / "upload-99.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    before = session.recording
    with pytest.raises(AudioError) as caught:
        session.open(bad, "my song.wav")
    assert str(caught.value).startswith("my song.wav: ")
    assert str(tmp_path) not in str(caught.value)
    assert session.recording is before


def test_a_recording_longer_than_the_cap_is_refused_before_decoding(tmp_path, clip):
    session = Session(tmp_path / "private", max_seconds=1.0)
    try:
        with pytest.raises(AudioError, match=r"clip.wav: the recording lasts 3.0 s; .* at "
                                             r"most 1.0 s \(--max-duration\)"):
            session.open(clip, "clip.wav")
    finally:
        session.close()


def test_one_factorization_at_a_time_and_close_removes_the_private_folder(tmp_path, clip):
    folder = tmp_path / "private"
    folder.mkdir()
    session = Session(folder, max_seconds=60.0, n_components=K)
    session.open(clip, "clip.wav")
    with pytest.raises(Busy, match="factorizing"):
        session.factorize(2, 6)
    assert session.wait(120)
    session.factorize(2, 6)
    assert session.wait(120)
    assert session.state()["n_components"] == 6
    (folder / "upload-1.wav").write_bytes(b"x")
    session.close()
    assert not folder.exists()
