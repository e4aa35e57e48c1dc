"""``auto`` on drums alone: the pitched-frame test, the decision, and the kit split it makes."""

import numpy as np
import pytest
from scipy.ndimage import maximum_filter, median_filter
from test_blocks import between_the_two_ways
from test_drums import SR, groove

import nmfsep
from nmfsep import kit, nmfd, pitched
from nmfsep.drumfit import flatten
from nmfsep.drums import band_evidence
from nmfsep.features import median_along
from nmfsep.grouping import GroupingContext
from nmfsep.metrics import evaluate
from nmfsep.pitched import pitched_fraction
from nmfsep.policy import DEFAULT_POLICY, KIT_PIECES, auto_grouping, decide, needs_pitched_fraction
from nmfsep.spectral import STFTConfig, default_n_fft, mixture_spectrogram, stft


def chords(seconds: float) -> np.ndarray:
    """Two held notes with eight harmonics each, shape=(1, samples)."""
    t = np.arange(int(seconds * SR)) / SR
    notes = sum(np.sin(2 * np.pi * k * f0 * t) / k for f0 in (110.0, 146.8) for k in range(1, 9))
    return notes[None, :].astype(np.float32)


def spectrogram(y: np.ndarray) -> tuple[np.ndarray, int]:
    n_fft = default_n_fft(SR)
    config = STFTConfig(n_fft=n_fft, hop=n_fft // 4)
    return mixture_spectrogram(stft(y, config)), config.hop


def test_held_notes_sound_pitched_and_drums_do_not():
    V, hop = spectrogram(chords(3.0))
    assert pitched_fraction(V, SR, hop) > 0.95
    mix, _ = groove(seconds=4.0)
    V, hop = spectrogram(mix)
    assert pitched_fraction(V, SR, hop) < 0.05
    assert pitched_fraction(np.zeros_like(V), SR, hop) == 0.0


def test_the_drums_command_measures_the_same():
    mix, _ = groove(seconds=4.0)
    band = mix + 0.1 * chords(4.0)
    for y in (mix, band):
        V, hop = spectrogram(y)
        assert band_evidence(y, SR) == pitched_fraction(V, SR, hop)


def test_a_long_recording_tests_evenly_spaced_frames(monkeypatch):
    band = groove(seconds=8.0)[0] + 0.1 * chords(8.0)
    band[:, : band.shape[1] // 2] = groove(seconds=4.0)[0]  # drums alone, then a band
    V, hop = spectrogram(band)
    every = pitched_fraction(V, SR, hop)
    monkeypatch.setattr(pitched, "MAX_TESTED_FRAMES", V.shape[1] // 5)
    sampled = pitched_fraction(V, SR, hop)
    assert 0.3 < every < 0.7
    assert abs(sampled - every) < 0.05


@pytest.mark.parametrize("share, n_sources, fraction, expected", [
    (0.1, 3, None, "timbre+time"),   # no drums heard
    (0.5, 2, 0.0, "percussive"),     # two sources: drums and the rest
    (0.5, 3, None, "percussive"),    # not measured
    (0.5, 3, 0.6, "percussive"),     # drums in a band
    (0.5, 3, 0.0, "timbre"),         # drums alone: the kit's pieces
    (0.5, 4, DEFAULT_POLICY.drums_alone_frames, "timbre"),
])
def test_auto_splits_drums_alone_by_timbre(share, n_sources, fraction, expected):
    assert auto_grouping(share, n_sources=n_sources, pitched_fraction=fraction) == expected


def test_the_pitched_share_is_measured_only_when_it_can_decide():
    assert needs_pitched_fraction(0.5, 3)
    assert not needs_pitched_fraction(0.5, 2)
    assert not needs_pitched_fraction(0.1, 3)
    V, hop = spectrogram(chords(3.0))
    context = GroupingContext(sr=SR, V=V, hop=hop)
    share, fraction = context.auto_evidence(3)
    assert share < DEFAULT_POLICY.drums_share and fraction is None
    assert "pitched_fraction" not in context.__dict__


def test_drums_alone_get_no_experts_and_say_why():
    decision = decide("auto", n_sources=3, percussive_share=0.6, pitched_fraction=0.02, n_runs=5)
    assert decision.grouping == "timbre"
    assert decision.drum_source is None and decision.hpss_strength == 0.0
    assert decision.register is None and not decision.consistent
    assert decision.floor == DEFAULT_POLICY.floor_without_drums
    assert any("drums play alone (2% of the frames" in reason for reason in decision.reasons)
    assert decision.kit == KIT_PIECES[3]
    five = decide("auto", n_sources=5, percussive_share=0.6, pitched_fraction=0.02, n_runs=5)
    assert five.grouping == "timbre" and five.kit == ()
    assert "`nmfsep drums` splits more by name" in five.reasons[-1]


def test_auto_splits_a_drum_groove_into_its_named_pieces():
    """The drum templates' factorization, by name, against the NMF grouped by timbre (what
    ``auto`` took before for drums alone) and by the percussive split (before that)."""
    mix, stems = groove(seconds=6.0, seed=3)
    sep = nmfsep.separate(mix, SR, n_sources=3)
    assert sep.decision.kit == (("kick", "snare", "hihat"),)
    assert sep.names == ["kick", "snare", "hihat"]
    assert sep.decision.describe()["kit"] == [["kick", "snare", "hihat"]]
    assert sep.n_components % 3 == 0  # a column per template frame and piece
    np.testing.assert_allclose(sep.sources.sum(axis=0), mix, atol=1e-5)
    np.testing.assert_array_equal(sep.sources, sep.regroup(grouping="auto").sources)
    by_name = np.median(evaluate(stems, sep.sources, permute=False).sdr)
    timbre = nmfsep.separate(mix, SR, n_sources=3, grouping="timbre")
    before = np.median(evaluate(stems, timbre.sources).sdr)
    percussive = np.median(evaluate(stems, timbre.regroup(grouping="percussive").sources).sdr)
    assert by_name > before and by_name > percussive + 8.0, (by_name, before, percussive)
    with_band = nmfsep.separate(mix + 0.1 * chords(6.0), SR, n_sources=3)
    assert with_band.decision.grouping == "percussive" and not with_band.decision.kit


def test_the_fourth_piece_is_the_one_that_explains_the_recording(monkeypatch):
    """Four sources of drums alone: toms or cymbals beside kick, snare and hi-hat, by the
    lower divergence of the two factorizations; the decision says both."""
    mix, _ = groove(seconds=4.0, seed=5)
    seen = []
    real_fit = kit.fit_pieces

    def recording(V, sr, config, pieces, templates, settings, callback=None):
        seen.append(pieces)
        return real_fit(V, sr, config, pieces, templates, settings, callback)

    monkeypatch.setattr(kit, "fit_pieces", recording)
    sep = nmfsep.separate(mix, SR, n_sources=4)
    assert seen == list(KIT_PIECES[4])
    chosen = sep.decision.kit[0]
    assert chosen in KIT_PIECES[4] and sep.names == list(chosen)
    reason = sep.decision.reasons[-1]
    other = next(p for p in KIT_PIECES[4] if p != chosen)
    assert reason.startswith(f"the sources are, in order: {', '.join(chosen)}")
    assert ", ".join(other) in reason


def test_flattened_nmfd_is_the_convolutive_model(rng):
    W = rng.random((9, 4, 3)).astype(np.float32)
    H = rng.random((3, 20)).astype(np.float32)
    W_flat, H_lagged, labels = flatten(W, H, np.array([2, 0, 1]))
    np.testing.assert_allclose(W_flat @ H_lagged, nmfd.convolve(W, H), rtol=1e-5)
    assert labels.tolist() == [2, 0, 1] * 4
    for t in range(4):  # column t*K + k: frame t of template k; its row H[k] shifted t
        np.testing.assert_array_equal(W_flat[:, t * 3 + 1], W[:, t, 1])
        np.testing.assert_array_equal(H_lagged[t * 3 + 1, t:], H[1, : 20 - t])


def test_a_recording_read_block_by_block_is_grouped_by_timbre_and_says_so():
    mix, _ = groove(seconds=4.0, seed=3)
    sep = nmfsep.separate(mix, SR, n_sources=3,
                          max_memory=between_the_two_ways(mix, SR, n_sources=3))
    assert sep.decision.grouping == "timbre" and not sep.decision.kit
    assert "not from the drum templates" in sep.decision.reasons[-1]
    np.testing.assert_allclose(sep.sources.sum(axis=0), mix, atol=1e-5)


@pytest.mark.parametrize("mode", ["nearest", "reflect"])
@pytest.mark.parametrize("axis, length", [(0, 5), (1, 7), (1, 13)])
def test_median_along_equals_the_two_dimensional_filter(rng, mode, axis, length):
    V = rng.random((37, 53)).astype(np.float32)
    size = (length, 1) if axis == 0 else (1, length)
    np.testing.assert_array_equal(median_along(V, length, axis, mode=mode),
                                  median_filter(V, size=size, mode=mode))


def test_pitched_fraction_equals_filtering_every_frame():
    """Only the tested frames are filtered across frequency: the same as filtering all."""
    band = groove(seconds=6.0)[0] + 0.1 * chords(6.0)
    band[:, : band.shape[1] // 2] = groove(seconds=3.0)[0]
    V, hop = spectrogram(band)
    bin_hz = SR / (2 * (V.shape[0] - 1))
    frames = max(3, int(round(pitched.SUSTAIN_SECONDS * SR / hop)) | 1)
    sustained = median_filter(V, size=(1, frames), mode="reflect")
    floor = median_filter(sustained, size=(max(3, int(round(200 / bin_hz)) | 1), 1),
                          mode="reflect")
    freqs = np.arange(V.shape[0]) * bin_hz
    peaks = ((sustained > pitched.PEAK_RATIO * floor)
             & (sustained >= maximum_filter(sustained, size=(3, 1)))
             & (sustained > sustained.max(axis=0) * 10 ** (-pitched.PEAK_RANGE_DB / 20))
             & ((freqs > 30) & (freqs < 4000))[:, None])
    energy = V.sum(axis=0)
    active = np.flatnonzero(energy > energy.max() * 1e-3)
    log = np.log(sustained + 1e-20)
    expected = np.mean([pitched._on_one_series(peaks[:, n], log[:, n], bin_hz)
                        for n in active])
    assert pitched_fraction(V, SR, hop) == expected
    assert 0.3 < expected < 0.7


@pytest.mark.parametrize("n_frames, length, tested", [(700, 13, 20), (700, 3, 5), (40, 13, 3),
                                                      (5, 13, 1), (700, 13, 400)])
def test_sustained_spectrum_at_the_tested_frames_equals_the_whole_filter(
        rng, n_frames, length, tested):
    V = rng.random((65, n_frames)).astype(np.float32)
    columns = np.sort(rng.choice(n_frames, size=tested, replace=False))
    expected = median_filter(V, size=(1, length), mode="reflect")[:, columns]
    np.testing.assert_array_equal(pitched._sustained(V, columns, length), expected)


def test_the_command_line_says_which_file_is_which_piece(tmp_path, capsys):
    import json

    import soundfile as sf

    from nmfsep.cli import main
    mix, _ = groove(seconds=4.0, seed=3)
    path = tmp_path / "loop.wav"
    sf.write(path, mix.T, SR, subtype="FLOAT")
    assert main(["separate", str(path), "-n", "3", "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert ("split into the kit's pieces from nmfsep's drum templates (one factorization): "
            "source1 is the kick, source2 is the snare, source3 is the hihat") in err
    assert "factorizations combined" not in err  # it once announced the ensemble first
    record = json.loads((tmp_path / "out" / "loop" / "separation.json").read_text())
    assert [s["piece"] for s in record["sources"]] == ["kick", "snare", "hihat"]
    assert record["decision"]["kit"] == [["kick", "snare", "hihat"]]
    assert record["parameters"]["n_runs"] == 1


def test_progress_of_the_drum_split_ends_where_a_bar_for_the_nmf_ends():
    mix, _ = groove(seconds=4.0, seed=3)
    seen = []
    sep = nmfsep.separate(mix, SR, n_sources=4, max_iter=50,
                          callback=lambda i, loss: seen.append(i))
    assert sep.decision.kit and sep.plan.n_runs == 1
    planned = nmfsep.SeparationConfig(n_sources=4, max_iter=50).resolve(
        sr=SR, n_samples=mix.shape[1]).n_runs
    assert seen == sorted(seen) and seen[-1] == 50 * planned


def test_asking_for_a_number_of_components_keeps_the_nmf_and_says_so():
    """``-k`` (and the studio, which asks for its components) keeps NMF components to hear."""
    mix, _ = groove(seconds=4.0, seed=3)
    sep = nmfsep.separate(mix, SR, n_sources=3, n_components=30)
    assert sep.n_components == 30 and not sep.decision.kit
    assert sep.decision.grouping == "timbre"
    assert "a number of components was asked for" in sep.decision.reasons[-1]
