"""nmfsep.drums: stems by name that add up to the input, a measured floor, and the file function."""

import json

import numpy as np
import pytest
import soundfile as sf

from nmfsep import synth
from nmfsep.drums import (
    DEFAULT_PIECES,
    band_evidence,
    drums_file,
    parse_pieces,
    separate_drums,
    separate_song,
)
from nmfsep.errors import AudioError, OutputError, ParameterError
from nmfsep.metrics import evaluate

SR = 22050


def _band_noise(rng, seconds, low, high, decay):
    from scipy.signal import butter, sosfilt

    t = np.arange(int(seconds * SR)) / SR
    sos = butter(4, [low, min(high, 0.45 * SR)], btype="bandpass", fs=SR, output="sos")
    return sosfilt(sos, rng.standard_normal(t.size)) * np.exp(-t / decay), t


def snare_hit(sr, rng):
    """A snare: a 190 Hz body and a burst of noise between 1 and 7 kHz."""
    noise, t = _band_noise(rng, 0.3, 1000, 7000, 0.06)
    return 0.5 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05) + 1.5 * noise


def hat_hit(sr, rng):
    """A closed hi-hat: a short burst of noise above 6 kHz."""
    noise, _ = _band_noise(rng, 0.1, 6000, 11000, 0.02)
    return 2.0 * noise


def groove(seconds=4.0, seed=0, stereo=False):
    """Kick, snare and hi-hat stems of a synthetic groove (nmfsep.synth's kick)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    stems = np.zeros((3, n))
    beat = 0.5
    sounds = {0: synth.kick, 1: snare_hit, 2: hat_hit}
    pattern = {0: [0, 1.5, 2], 1: [1, 3], 2: [i / 2 for i in range(8)]}
    for bar in range(int(seconds / (4 * beat))):
        for piece, positions in pattern.items():
            for p in positions:
                start = int((bar * 4 + p) * beat * SR)
                hit = sounds[piece](SR, rng) * rng.uniform(0.7, 1.0)
                stop = min(n, start + hit.size)
                stems[piece, start:stop] += hit[: stop - start]
    stems *= np.array([1.0, 0.6, 0.25])[:, None]
    stems = stems[:, None, :].astype(np.float32)
    if stereo:
        pan = np.array([[1.0, 1.0], [0.8, 1.2], [1.3, 0.7]], dtype=np.float32)
        stems = stems * pan[:, :, None]
    return stems.sum(axis=0), stems


def relative_error(a, b):
    return float(np.abs(a.astype(np.float64) - b).max() / np.abs(b).max())


@pytest.mark.parametrize("rest", [False, True, "auto"])
def test_stems_add_up_exactly_to_a_mono_input(rest):
    mix, _ = groove()
    sep = separate_drums(mix, SR, rest=rest)
    assert sep.names[:3] == list(DEFAULT_PIECES)
    assert sep.sources.shape == (len(sep.names), 1, mix.shape[-1])
    assert relative_error(sep.sources.sum(axis=0), mix) < 1e-6
    assert (rest is True) == ("rest" in sep.names) or rest == "auto"


def test_stereo_is_kept_and_adds_up():
    mix, stems = groove(stereo=True)
    sep = separate_drums(mix, SR, rest=False)
    assert sep.sources.shape == (3, 2, mix.shape[-1])
    assert relative_error(sep.sources.sum(axis=0), mix) < 1e-6
    # the hi-hat sits left (3.4 times the energy of the right), as in the input
    hat = sep.source("hihat")
    assert np.sum(hat[0] ** 2) > 2.0 * np.sum(hat[1] ** 2)


def test_named_stems_beat_a_measured_floor():
    """Floors about 5 dB (3 for the hi-hat) under what the default settings measured here."""
    mix, stems = groove(seconds=6.0, seed=3)
    sep = separate_drums(mix, SR, rest=False)
    sdr = evaluate(stems, sep.sources, permute=False).sdr
    assert sdr[0] > 24.0 and sdr[1] > 12.0 and sdr[2] > 5.0, sdr


def test_without_a_band_auto_leaves_rest_out_and_with_one_keeps_it():
    mix, _ = groove(seconds=6.0)
    assert band_evidence(mix, SR) < 0.05
    alone = separate_drums(mix, SR)
    assert alone.names == list(DEFAULT_PIECES), alone.rest_reason
    t = np.arange(mix.shape[-1]) / SR
    notes = sum(np.sin(2 * np.pi * k * f0 * t) / k for f0 in (110.0, 146.8) for k in range(1, 9))
    band = mix + 0.1 * notes.astype(np.float32)
    sep = separate_drums(band, SR)
    assert sep.names == [*DEFAULT_PIECES, "rest"], sep.rest_reason
    assert "pitched" in sep.rest_reason
    assert relative_error(sep.sources.sum(axis=0), band) < 1e-6


def test_a_full_song_puts_the_pitched_part_in_rest(example):
    sep = separate_song(example.mixture, example.sr)
    assert sep.names == [*DEFAULT_PIECES, "rest"]
    assert relative_error(sep.sources.sum(axis=0), example.mixture) < 1e-6
    guitar = example.sources[example.names.index("guitar")]
    rest = sep.source("rest")
    # most of the guitar is in rest
    assert np.dot(rest.ravel(), guitar.ravel()) > 0.6 * np.dot(guitar.ravel(), guitar.ravel())


def test_pieces_are_checked():
    assert parse_pieces("kick, snare,cymbals") == ("kick", "snare", "cymbals")
    with pytest.raises(ParameterError, match="unknown drum piece 'cowbell'"):
        parse_pieces("kick,cowbell")
    with pytest.raises(ParameterError, match="named twice"):
        parse_pieces(("kick", "kick"))
    with pytest.raises(ParameterError, match="at least one"):
        parse_pieces("")
    with pytest.raises(ParameterError, match="rest must be"):
        separate_drums(np.zeros((1, 4000)), SR, rest="sometimes")


def test_silence_gives_silent_stems():
    sep = separate_drums(np.zeros((1, SR), dtype=np.float32), SR, rest=False)
    assert np.all(np.isfinite(sep.sources)) and not np.any(sep.sources)


def test_drums_file_writes_stems_and_a_record_and_refuses_to_overwrite(tmp_path):
    mix, _ = groove(seconds=3.0)
    source = tmp_path / "loop.wav"
    sf.write(source, mix.T, SR, subtype="FLOAT")
    out = tmp_path / "out"
    record = drums_file(source, out, pieces="kick,snare,hihat", rest=False)
    track = out / "loop"
    assert sorted(p.name for p in track.iterdir()) == ["drums.json", "hihat.wav", "kick.wav",
                                                      "snare.wav"]
    assert json.loads((track / "drums.json").read_text()) == json.loads(json.dumps(record))
    assert record["rest"]["included"] is False
    total = sum(sf.read(track / f"{n}.wav", dtype="float32")[0] for n in DEFAULT_PIECES)
    assert relative_error(total, mix[0]) < 1e-6
    before = (track / "kick.wav").read_bytes()
    with pytest.raises(OutputError, match="kick.wav: exists already"):
        drums_file(source, out, rest=False)
    assert (track / "kick.wav").read_bytes() == before
    drums_file(source, out, rest=False, force=True, fmt="flac")
    assert (track / "kick.flac").exists()
    assert not [p for p in track.iterdir() if p.name.startswith(".")]  # no temporary left


def test_drums_file_names_a_bad_input(tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF not really")
    with pytest.raises(AudioError, match="broken.wav"):
        drums_file(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ParameterError, match="format"):
        drums_file(bad, tmp_path / "out", fmt="mp3")
