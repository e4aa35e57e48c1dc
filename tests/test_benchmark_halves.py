"""The tuning/reporting halves of the benchmark and the widened categories' items."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.quality import generate
from benchmarks.quality.halves import half_of, real_halves, rendered_index, select, study_parser


def test_even_index_tunes_odd_index_reports():
    assert [half_of(i) for i in range(5)] == ["tuning", "reporting", "tuning", "reporting",
                                              "tuning"]
    assert select(range(3, 9), "reporting") == [3, 5, 7]
    assert select(range(3, 9), "tuning") == [4, 6, 8]
    assert select(range(2), "all") == [0, 1]
    with pytest.raises(ValueError):
        half_of(-1)
    with pytest.raises(ValueError):
        select(range(2), "both")


def test_rendered_index_and_real_positions():
    assert rendered_index("electronic-3+fx-11") == 11
    assert real_halves(["b-song", "a-song", "c-song"]) == {
        "a-song": "tuning", "b-song": "reporting", "c-song": "tuning"}


def _check(item, n, channels):
    assert len(item.names) == n
    assert item.sources.shape[:2] == (n, channels)
    np.testing.assert_array_equal(item.mixture, item.sources.sum(axis=0))
    assert all(np.sqrt(np.mean(s.astype(np.float64) ** 2)) > 1e-4 for s in item.sources)


@pytest.mark.parametrize("category", ["electronic-3", "electronic-3+fx"])
def test_electronic_items_have_bass_drums_synth(category, tmp_path):
    item = generate.build(category, 1, 3.0, cache=tmp_path)
    _check(item, 3, 1)
    assert item.names == ["bass", "drums", "synth"]
    again = generate.build(category, 1, 3.0, cache=tmp_path / "other")
    np.testing.assert_array_equal(item.sources, again.sources)  # seeded per item


@pytest.mark.parametrize("four", [False, True])
def test_no_drum_kit_plays_in_both_halves(four):
    from benchmarks.quality.drumkit import item_plan

    kits = {half: {item_plan(i, four=four)["kit"] for i in range(16) if half_of(i) == half}
            for half in ("tuning", "reporting")}
    assert len(kits["tuning"]) == len(kits["reporting"]) == 4
    assert not kits["tuning"] & kits["reporting"]


def test_drum_machine_items_are_its_pieces_and_the_halves_use_other_machines(tmp_path):
    from benchmarks.quality.electronic import PIECE_MACHINES

    tuning = generate.build("drummachine-3", 0, 3.0, cache=tmp_path)
    reporting = generate.build("drummachine-3", 1, 3.0, cache=tmp_path)
    for item in (tuning, reporting):
        _check(item, 3, 1)
        assert item.names == ["kick", "snare", "hihat"]
        assert sorted(item.training) == ["hihat", "kick", "snare"]
    assert tuning.info["machine"] in PIECE_MACHINES[0]
    assert reporting.info["machine"] in PIECE_MACHINES[1]
    assert not set(PIECE_MACHINES[0]) & set(PIECE_MACHINES[1])
    # the kick is the low piece, the hi-hat the high one
    spectra = np.abs(np.fft.rfft(tuning.sources[:, 0], axis=-1))
    freqs = np.fft.rfftfreq(tuning.sources.shape[-1], 1 / tuning.sr)
    centroids = (spectra * freqs).sum(axis=-1) / spectra.sum(axis=-1)
    assert centroids[0] < centroids[1] < centroids[2]


def test_effects_change_the_stems_of_the_same_item(tmp_path):
    dry = generate.build("electronic-3", 0, 3.0, cache=tmp_path)
    wet = generate.build("electronic-3+fx", 0, 3.0, cache=tmp_path)
    assert dry.info["tempo"] == wet.info["tempo"]
    for a, b in zip(dry.sources, wet.sources, strict=True):
        assert abs(np.corrcoef(a[0], b[0])[0, 1]) < 0.999


@pytest.mark.parametrize(("category", "n"), [("lead+rest", 2), ("band-4", 4)])
def test_band_items(category, n, tmp_path):
    item = generate.build(category, 3, 3.0, cache=tmp_path)
    _check(item, n, 1)
    assert item.names[-1 if n == 4 else 0] == "lead"


def test_lead_and_rest_are_the_band_parts_summed(tmp_path):
    two = generate.build("lead+rest", 2, 3.0, cache=tmp_path)
    four = generate.build("band-4", 2, 3.0, cache=tmp_path)
    scale = four.sources[3].std() / two.sources[0].std()  # build rescales each item's peak
    np.testing.assert_allclose(two.sources[0] * scale, four.sources[3], atol=1e-5)
    np.testing.assert_allclose(two.sources[1] * scale, four.sources[:3].sum(axis=0), atol=1e-5)


def _crest(x):
    return np.abs(x).max() / np.sqrt(np.mean(x.astype(np.float64) ** 2))


def test_stereo_and_mastered_items(tmp_path):
    stereo = generate.build("bass+drums+piano-stereo", 1, 3.0, cache=tmp_path)
    mastered = generate.build("bass+drums+piano-mastered", 1, 3.0, cache=tmp_path)
    for item in (stereo, mastered):
        _check(item, 3, 2)
    # panned: the two channels of a side source differ in level
    assert any(abs(np.log10(s[0].std() / s[1].std())) > 0.1 for s in stereo.sources)
    # mastering lowers the mix's crest factor, by a gain common to every stem
    assert _crest(mastered.mixture) < _crest(stereo.mixture) - 1.0
    loud = np.all(np.abs(stereo.sources[:, 0]) > 1e-3, axis=0)
    ratio = mastered.sources[:, 0, loud] / stereo.sources[:, 0, loud]
    assert np.median(ratio.max(axis=0) - ratio.min(axis=0)) < 1e-3 * np.median(ratio)
    assert np.ptp(np.median(ratio, axis=0)) > 0.1  # and the gain does vary in time


def test_a_studys_command_line_needs_a_half_and_defaults_to_its_categories():
    parser = study_parser("python -m benchmarks.quality.some_study", None, ("a", "b"))
    args = parser.parse_args(["--half", "reporting"])
    assert (args.half, args.categories, args.items, args.duration) == ("reporting", "a,b", 8,
                                                                       10.0)
    with pytest.raises(SystemExit):
        parser.parse_args([])
    with pytest.raises(SystemExit):
        parser.parse_args(["--half", "both"])


@pytest.mark.parametrize("category", ["string-quartet", "piano-trio"])
def test_chamber_items_play_chorales_no_other_item_or_category_plays(category, monkeypatch):
    from benchmarks.quality import chamber

    def fake_chorale(number, tempo, duration, instruments=generate.CHORALE_INSTRUMENTS):
        return ([generate.Part(name, program, [(float(voice), 1.0, 60 + voice, 80)])
                 for voice, (name, program) in enumerate(instruments)], f"chorale {number}")

    monkeypatch.setattr(generate, "chorale_parts", fake_chorale)
    rng = np.random.default_rng(0)
    quartets = [chamber.CATEGORIES[category](i, 3.0, rng) for i in range(16)]
    expected = (list(chamber.QUARTET) if category == "string-quartet" else
                [("violin", 40), ("piano", chamber.PIANO_PROGRAM), ("cello", 42)])
    for spec in quartets:
        assert [(p.name, p.program) for p in spec.parts] == expected
        assert [(p.name, p.program) for p in spec.training] == expected
    if category == "piano-trio":  # the piano plays the alto's and the tenor's notes
        assert quartets[0].parts[1].notes == [(1.0, 1.0, 61, 80), (2.0, 1.0, 62, 80)]
    played = {half: {spec.info["chorale"] for i, spec in enumerate(quartets)
                     if half_of(i) == half} for half in ("tuning", "reporting")}
    assert len(played["tuning"]) == len(played["reporting"]) == 8
    assert not played["tuning"] & played["reporting"]
    chorales = {generate.spec_chorale(i, 3.0, rng).info["chorale"] for i in range(16)}
    assert not (played["tuning"] | played["reporting"]) & chorales
    assert all(spec.info["training_chorale"] not in played["tuning"] | played["reporting"]
               for spec in quartets)
