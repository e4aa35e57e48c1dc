"""Names of the sources (``names=``, ``--names``): a voice or lead named against the rest."""

import json

import numpy as np
import pytest

import nmfsep
from nmfsep import synth
from nmfsep.cli import main
from nmfsep.errors import ParameterError
from nmfsep.grouping import place_lead
from nmfsep.metrics import evaluate
from nmfsep.policy import DEFAULT_POLICY, decide, named_lead

# The voice of the example below, separated with its name, against the source of its
# name (SDR, dB): a floor with a margin below what it gives.
NAMED_VOICE_FLOOR_DB = 7.0


@pytest.mark.parametrize("names, lead", [
    (["vocals", "accompaniment"], 0), (["band", "Lead"], 1), (["piano", " Voice "], 1),
    (["drums", "vocals"], None),        # drums named: a drum split
    (["vocals", "lead"], None),         # which one?
    (["guitar", "bass"], None), (["vocals", "bass", "drums"], None), (None, None),
])
def test_a_lead_is_named_by_one_of_two_names_and_no_drums(names, lead):
    assert named_lead(names) == lead


def test_auto_groups_a_named_voice_and_the_rest_as_a_recording_without_drums():
    heard = dict(n_sources=2, percussive_share=0.4, n_runs=5)
    assert decide("auto", **heard).grouping == "percussive"  # unnamed: drums and the rest
    named = decide("auto", **heard, names=["accompaniment", "vocals"])
    assert (named.grouping, named.drum_source, named.lead_source) == ("timbre+time", None, 1)
    assert "'vocals'" in " ".join(named.reasons)
    without_drums = decide("auto", **heard | {"percussive_share": 0.1})
    assert (named.floor, named.register) == (without_drums.floor, without_drums.register)
    assert decide("auto", **heard, names=["drums", "rest"]).grouping == "percussive"
    # a strategy asked for by name keeps its grouping
    assert decide("percussive", **heard, names=["vocals", "band"]).grouping == "percussive"


def test_the_lead_is_the_source_with_less_in_the_low_register():
    sr, bins = 22050, 513
    freqs = np.linspace(0, sr / 2, bins)
    low = np.exp(-freqs / 150.0)                       # bass and kick
    high = np.exp(-((freqs - 1500.0) / 400.0) ** 2)    # a voice's partials
    W = np.column_stack([low, high, low * 0.5 + high * 0.1])
    H = np.ones((3, 20))
    labels = np.array([0, 1, 0])
    assert place_lead(W, H, labels, 1, sr, DEFAULT_POLICY).tolist() == [0, 1, 0]
    assert place_lead(W, H, labels, 0, sr, DEFAULT_POLICY).tolist() == [1, 0, 1]


def test_names_set_the_number_of_sources_and_are_checked():
    assert nmfsep.SeparationConfig(names=["vocals", "band"]).n_sources == 2
    for bad, message in [(dict(names=["a", "b"], n_sources=3), "2 names for 3 sources"),
                         (dict(names=["a", "A"]), "names must differ"),
                         (dict(names=["a", " "]), "non-empty")]:
        with pytest.raises(ParameterError, match=message):
            nmfsep.SeparationConfig(**bad)


def lead_over_band(seed: int = 0, duration: float = 6.0) -> tuple[np.ndarray, np.ndarray, int]:
    """A sung-like line (harmonics, vibrato, 72-81 MIDI) over the built-in drums and guitar:
    the voice and the band, each (1, samples)."""
    band = synth.drums_and_guitar(duration=duration, seed=seed)
    sr, n = band.sr, band.mixture.shape[-1]
    rng = np.random.default_rng(seed + 100)
    t = np.arange(n) / sr
    notes = rng.choice([72, 74, 76, 79, 81], size=int(duration * 2))
    pitch = np.repeat(notes, -(-n // notes.size))[:n]
    f0 = 440.0 * 2 ** ((pitch - 69) / 12) * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    voice = sum(np.sin(k * phase) / k**1.5 for k in range(1, 8))
    envelope = np.clip(1.5 * np.sin(np.pi * (2 * t % 1)), 0, 1)
    return (0.25 * voice * envelope).astype(np.float32)[None], band.mixture, sr


def test_a_named_voice_is_separated_from_the_band_and_comes_out_under_its_name():
    voice, band, sr = lead_over_band()
    mix = voice + band
    first = nmfsep.separate(mix, sr, names=["vocals", "band"])
    assert first.decision.grouping == "timbre+time" and first.decision.lead_source == 0
    sdr = evaluate(np.stack([voice, band]), first.sources, permute=False).sdr
    assert sdr[0] >= NAMED_VOICE_FLOOR_DB
    swapped = nmfsep.separate(mix, sr, names=["band", "vocals"])
    np.testing.assert_allclose(swapped.sources, first.sources[::-1], atol=1e-6)


def test_the_command_line_passes_the_names_and_records_why(tmp_path, capsys):
    import soundfile as sf

    voice, band, sr = lead_over_band(duration=4.0)
    song = tmp_path / "song.wav"
    sf.write(song, (voice + band).T, sr)
    out = tmp_path / "out"
    assert main(["separate", str(song), "-o", str(out), "--names", "vocals,band", "-v",
                 "--max-iter", "40", "--runs", "1"]) == 0
    record = json.loads((out / "song" / "separation.json").read_text())
    decision = record["decision"]
    assert decision["grouping"] == "timbre+time" and decision["lead_source"] == 0
    err = capsys.readouterr().err
    assert "'vocals'" in err  # -v: the decision's reasons
    assert "vocals holds the voice or lead instrument and band the rest" in err
    assert (out / "song" / "vocals.wav").exists() and (out / "song" / "band.wav").exists()


def test_a_drum_split_puts_the_drums_where_they_are_named():
    heard = dict(n_sources=2, percussive_share=0.4, n_runs=5)
    assert decide("auto", **heard).drum_source == 0
    assert decide("auto", **heard, names=["guitar", "Drums"]).drum_source == 1
    assert decide("percussive", **heard, names=["guitar", "drums"]).drum_source == 1
    example = synth.drums_and_guitar(duration=4.0, seed=0)
    first = nmfsep.separate(example.mixture, example.sr, names=["drums", "guitar"], n_runs=1)
    second = nmfsep.separate(example.mixture, example.sr, names=["guitar", "drums"], n_runs=1)
    assert (first.decision.drum_source, second.decision.drum_source) == (0, 1)
    np.testing.assert_allclose(second.sources, first.sources[::-1], atol=1e-6)
    in_order = evaluate(example.sources, first.sources, permute=False).sdr  # drums, guitar
    np.testing.assert_allclose(in_order, evaluate(example.sources, first.sources).sdr)
    assert in_order.min() >= 4.5  # the drums were heard and split off, into the named file


def test_a_regrouping_by_strategy_keeps_the_names_and_places_the_sources_again():
    example = synth.drums_and_guitar(duration=4.0, seed=0)
    named = nmfsep.separate(example.mixture, example.sr, names=["guitar", "drums"], n_runs=1)
    again = named.regroup(grouping="auto")
    assert again.names == ["guitar", "drums"] and again.decision.drum_source == 1
    np.testing.assert_array_equal(again.sources, named.sources)
    # a regrouping into another number of sources has no names for them, and says nothing
    three = named.regroup(grouping="auto", n_sources=3)
    assert three.names is None and three.config.names is None and three.n_sources == 3
    by_hand = named.regroup(labels=named.labels)
    assert by_hand.names is None
