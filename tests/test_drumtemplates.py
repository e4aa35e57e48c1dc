"""Drum templates: the shipped set, its mapping to any STFT, and a user's own set."""

import json

import numpy as np
import pytest
import soundfile as sf

from nmfsep.drumtemplates import (
    PIECES,
    TEMPLATE_PIECES,
    learn_drum_templates,
    load_drum_templates,
    one_shot_spectrogram,
    templates_from_samples,
)
from nmfsep.errors import AudioError, OutputError, ParameterError

TEMPLATE_KITS = {"ColomboAcousticDrumkit", "Millo_MultiLayered3", "ForzeeStereo", "HardElectro1"}


@pytest.fixture(scope="module")
def shipped():
    return load_drum_templates()


def test_the_shipped_set_covers_every_piece_and_records_its_samples(shipped):
    assert shipped.pieces == TEMPLATE_PIECES
    assert all(shipped.covers(piece) for piece in PIECES)
    kits = {e["kit"] for e in shipped.entries}
    assert kits == TEMPLATE_KITS
    assert sum(e["n_samples"] for e in shipped.entries) == len(shipped.samples)
    for sample in shipped.samples:
        assert sample["kit"] in TEMPLATE_KITS
        assert sample["file"].startswith(sample["kit"] + "/")
        assert "GPL" in sample["licence"]
    assert np.all(shipped.power >= 0) and np.all(np.isfinite(shipped.power))


def _centroid(patch, sr, n_fft):
    spectrum = patch.sum(axis=1)
    freqs = np.arange(spectrum.size) * sr / n_fft
    return float((spectrum * freqs).sum() / spectrum.sum())


@pytest.mark.parametrize("sr, n_fft, hop, T", [(22050, 1024, 256, 8), (44100, 2048, 512, 8),
                                               (48000, 4096, 1024, 5), (16000, 512, 128, 12)])
def test_templates_map_to_any_stft(shipped, sr, n_fft, hop, T):
    W, piece_of, labels = shipped.patches(sr, n_fft, hop, T, pieces=tuple(PIECES),
                                          exponent=1.0, floor=0.0)
    assert W.shape == (n_fft // 2 + 1, T, len(PIECES))
    assert piece_of == list(PIECES)
    np.testing.assert_allclose(W.sum(axis=(0, 1)), 1.0, rtol=1e-4)
    floored, _, _ = shipped.patches(sr, n_fft, hop, T, pieces=tuple(PIECES), floor=1e-3)
    assert np.all(floored >= 1e-3 * floored.max(axis=(0, 1)) * (1 - 1e-6))
    centroid = {p: _centroid(W[:, :, k], sr, n_fft) for k, p in enumerate(piece_of)}
    assert centroid["kick"] < centroid["toms"] < centroid["snare"] < centroid["hihat"]
    # a kick's energy is in its attack: more in the first frames than in the last
    kick = W[:, :, 0].sum(axis=0)
    assert kick[:2].sum() > kick[-2:].sum()


def _decaying_tone(sr, seconds=0.6, hz=180.0, seed=0):
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    return (np.sin(2 * np.pi * hz * t) + 0.3 * rng.standard_normal(t.size)) * np.exp(-t / 0.08)


def _direct_patch(y, sr, n_fft, hop, T):
    """The one-shot's own power STFT, frame t centred t hops after its onset, unit sum."""
    window = np.hanning(n_fft + 1)[:-1]
    padded = np.concatenate([np.zeros(n_fft // 2), y, np.zeros(n_fft + T * hop)])
    frames = np.stack([padded[t * hop: t * hop + n_fft] * window for t in range(T)])
    power = np.abs(np.fft.rfft(frames, axis=1)).T ** 2
    return power / power.sum()


@pytest.mark.parametrize("sr, n_fft, hop, least", [(44100, 2048, 512, 0.9),
                                                   (22050, 1024, 256, 0.9),
                                                   (22050, 2048, 512, 0.8),
                                                   (48000, 4096, 1024, 0.8)])
def test_a_mapped_template_is_close_to_the_sounds_own_spectrogram(sr, n_fft, hop, least):
    """The reference resolution mapped to an STFT against the STFT of the same hit.

    Bins finer than the reference's (21.5 Hz) get its wider peaks: a lower similarity.
    """
    from nmfsep.drumtemplates import DrumTemplates

    y = _decaying_tone(44100)
    reference = one_shot_spectrogram(y, 44100)
    templates = DrumTemplates(reference[None], [dict(piece="toms", sound="tom", kit="test",
                                                     n_samples=1)])
    W, _, _ = templates.patches(sr, n_fft, hop, 6, pieces=("toms",), exponent=1.0, floor=0.0)
    from scipy.signal import resample_poly

    direct = _direct_patch(resample_poly(y, sr // 100, 441), sr, n_fft, hop, 6)
    mapped = W[:, :, 0].astype(np.float64)
    # energy per frame and per band within a few per cent of the sound's own
    np.testing.assert_allclose(mapped.sum(axis=0), direct.sum(axis=0), atol=0.03)
    cosine = (mapped * direct).sum() / np.linalg.norm(mapped) / np.linalg.norm(direct)
    assert cosine > least


def test_a_silent_sample_is_refused():
    with pytest.raises(ParameterError, match="silent"):
        one_shot_spectrogram(np.zeros(1000), 44100)


def _write_one_shots(folder, layout):
    rng = np.random.default_rng(1)
    for relative, hz in layout.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        y = _decaying_tone(22050, hz=hz, seed=int(rng.integers(1000)))
        sf.write(path, (0.5 * y / np.abs(y).max()).astype(np.float32), 22050)


def test_learn_drum_templates_round_trip(tmp_path):
    _write_one_shots(tmp_path / "kit", {"kick/a.wav": 60, "kick/b.wav": 70, "snare/s.flac": 250,
                                        "hh closed.wav": 8000, "notes.wav": 440})
    (tmp_path / "kit" / "readme.txt").write_text("not audio")
    learned = learn_drum_templates(tmp_path / "kit")
    assert learned.pieces == ("kick", "snare", "hihat")
    assert [e["n_samples"] for e in learned.entries] == [2, 1, 1]
    assert {s["file"] for s in learned.samples} == {"kick/a.wav", "kick/b.wav", "snare/s.flac",
                                                    "hh closed.wav"}
    target = tmp_path / "out" / "mine.npz"
    learned.save(target)
    assert [p.name for p in target.parent.iterdir()] == ["mine.npz"]  # no temporary left
    again = load_drum_templates(target)
    assert again.entries == learned.entries
    assert again.samples == learned.samples
    # stored as float16 log10 power: within 2 % (0.09 dB)
    np.testing.assert_allclose(again.power, learned.power, rtol=0.02, atol=1e-25)
    with pytest.raises(OutputError, match="exists already"):
        learned.save(target)
    learned.save(target, force=True)
    W, pieces, _ = again.patches(22050, 1024, 256, 8, pieces=("kick", "hihat"))
    assert pieces == ["kick", "hihat"]
    with pytest.raises(ParameterError, match="toms"):
        again.patches(22050, 1024, 256, 8, pieces=("toms",))


def test_learn_drum_templates_explains_what_is_wrong(tmp_path):
    with pytest.raises(ParameterError, match="no such folder"):
        learn_drum_templates(tmp_path / "missing")
    _write_one_shots(tmp_path, {"piano.wav": 440})
    with pytest.raises(ParameterError, match="no one-shot samples named by a drum piece"):
        learn_drum_templates(tmp_path)
    sf.write(tmp_path / "kick.wav", np.zeros(2000, dtype=np.float32), 22050)
    with pytest.raises(AudioError, match="kick.wav: the one-shot sample is silent"):
        learn_drum_templates(tmp_path)


def test_loading_something_else_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, meta=np.array(json.dumps({"format_version": 99})))
    with pytest.raises(ParameterError, match="bad.npz"):
        load_drum_templates(bad)
    with pytest.raises(ParameterError, match="no such drum template file"):
        load_drum_templates(tmp_path / "none.npz")
    text = tmp_path / "notes.wav"
    text.write_text("not audio, not an archive\n")
    with pytest.raises(ParameterError, match=r"notes.wav: not a drum template file \(not a "
                                             r"\.npz file; make one with 'nmfsep learn-drums'\)$"):
        load_drum_templates(text)
    archive_of_other_things = tmp_path / "other.npz"
    np.savez(archive_of_other_things, W=np.ones(3))
    with pytest.raises(ParameterError, match="other.npz: not a drum template file"):
        load_drum_templates(archive_of_other_things)


def test_templates_from_samples_rejects_an_unknown_piece(tmp_path):
    _write_one_shots(tmp_path, {"x.wav": 100})
    with pytest.raises(ParameterError, match="unknown drum piece 'cowbell'"):
        templates_from_samples([dict(piece="cowbell", sound="c", kit="k", path=tmp_path / "x.wav")])
