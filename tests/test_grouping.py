"""The grouping strategies' features and the choice ``auto`` makes."""

from dataclasses import replace

import numpy as np
import pytest

import nmfsep
from nmfsep import grouping
from nmfsep.features import (
    basis_mfcc,
    coactivation,
    median_filter_lengths,
    percussive_mask,
    percussive_share,
    tonalness,
)
from nmfsep.masks import MaskPrior, soft_masks, source_models
from nmfsep.metrics import evaluate
from nmfsep.model import Model
from nmfsep.policy import DEFAULT_POLICY, PITCHED_STRATEGIES, auto_grouping, decide
from nmfsep.priors import build_prior
from nmfsep.spectral import STFTConfig


def sustained_tones(rng, bins=64, frames=80):
    """Horizontal lines: three notes held across the whole excerpt."""
    V = 1e-3 * rng.random((bins, frames))
    V[[8, 16, 24]] += 1.0
    return V


def clicks(rng, bins=64, frames=80):
    """Vertical lines: broadband hits every 8 frames."""
    V = 1e-3 * rng.random((bins, frames))
    V[:, ::8] += 1.0
    return V


def test_percussive_share_is_low_for_held_notes_and_high_for_clicks(rng):
    held, hits = sustained_tones(rng), clicks(rng)
    assert percussive_share(held, percussive_mask(held)) < 0.05
    assert percussive_share(hits, percussive_mask(hits)) > 0.9


def test_percussive_share_of_silence_is_zero():
    V = np.zeros((8, 8), dtype=np.float32)
    assert percussive_share(V, percussive_mask(V)) == 0.0


@pytest.mark.parametrize("sr, n_fft", [(22050, 1024), (22050, 2048), (44100, 4096), (8000, 512)])
def test_median_filters_keep_their_length_in_seconds_and_hertz(sr, n_fft):
    lengths = median_filter_lengths(sr, n_fft // 4, n_fft // 2 + 1)
    frame_seconds, bin_hz = n_fft / 4 / sr, sr / n_fft
    # odd lengths within one frame / bin of 0.2 s, 175 Hz and 0.25 s
    assert all(n % 2 == 1 and n >= 3 for n in lengths)
    assert abs(lengths.frames * frame_seconds - 0.2) <= 1.01 * frame_seconds
    assert abs(lengths.bins * bin_hz - 175.0) <= 1.01 * bin_hz
    assert abs(lengths.spike_frames * frame_seconds - 0.25) <= 1.01 * frame_seconds


def test_grouping_context_filters_follow_the_stft(rng):
    V = clicks(rng, bins=1025)
    assert tuple(grouping.GroupingContext(sr=8000, V=V).filter_lengths) == (17, 17, 21)
    context = grouping.GroupingContext(sr=22050, V=V, hop=512)
    assert tuple(context.filter_lengths) == (9, 17, 11)
    np.testing.assert_array_equal(context.percussive, percussive_mask(V, 9, 17))


def two_kinds_of_components(rng, V):
    """Four tonal components (peaked spectra, held) and four drum-like ones (flat, spiky)."""
    bins, frames = V.shape
    W = 1e-3 * rng.random((bins, 8))
    H = 1e-3 * rng.random((8, frames))
    for k in range(4):
        W[8 * (k + 1), k] = 1.0
        H[k, 10 * k : 10 * k + 30] = 1.0
        W[:, 4 + k] += rng.random(bins)
        H[4 + k, 2 * k :: 8] = 1.0
    return W, H


@pytest.mark.parametrize("make_V, expected",
                         [(clicks, "percussive"), (sustained_tones, "timbre+time")])
def test_auto_groups_by_percussiveness_only_when_the_mixture_has_drums(rng, make_V, expected):
    V = make_V(rng)
    W, H = two_kinds_of_components(rng, V)
    auto = grouping.group(W, H, 2, "auto", sr=8000, V=V, random_state=0)
    chosen = grouping.group(W, H, 2, expected, sr=8000, V=V, random_state=0)
    np.testing.assert_array_equal(auto, chosen)
    context = grouping.GroupingContext(sr=8000, V=V)
    assert auto_grouping(context.percussive_share) == expected


def test_percussive_grouping_puts_the_spiky_flat_components_first(rng):
    V = clicks(rng)
    W, H = two_kinds_of_components(rng, V)
    labels = grouping.group(W, H, 2, "percussive", sr=8000, V=V, random_state=0)
    np.testing.assert_array_equal(labels, [1, 1, 1, 1, 0, 0, 0, 0])


def test_percussive_mask_line_by_line_equals_the_two_dimensional_filter(rng):
    from scipy.ndimage import median_filter

    V = rng.random((300, 4000)).astype(np.float32)
    harmonic = median_filter(V, size=(1, 17), mode="nearest").astype(np.float64)
    percussive = median_filter(V, size=(17, 1), mode="nearest").astype(np.float64)
    expected = percussive**2 / np.maximum(percussive**2 + harmonic**2, 1e-12)
    # float32 arithmetic after the (exact) medians: float noise only
    np.testing.assert_allclose(percussive_mask(V), expected.astype(np.float32), rtol=1e-6,
                               atol=1e-7)


def test_tonalness_is_high_for_line_spectra_and_low_for_broadband_ones(rng):
    bins, sr = 1025, 22050
    harmonic = 1e-3 * rng.random(bins)
    harmonic[[20, 40, 60, 80, 100]] = 1.0  # partials of a 215 Hz note
    noise = rng.random(bins) + 0.5
    t = tonalness(np.column_stack([harmonic, noise]), sr)
    assert t[0] > 0.9 and t[1] < 0.3


def test_percussive_prior_weighs_the_drums_by_the_mask_and_keeps_the_sum(rng):
    W, H = rng.random((30, 4)), rng.random((4, 50))
    labels = np.array([0, 1, 1, 2])
    P = rng.random((30, 50)).astype(np.float32)
    models = source_models(W, H, labels, 3)
    plain = soft_masks(models.copy())
    for power in (1.0, 2.0):
        prior = MaskPrior(source=0, mask=P, strength=0.5)
        weighted = soft_masks(prior.weigh(models.copy(), power), power)
        np.testing.assert_allclose(weighted.sum(axis=0), 1.0, atol=1e-5)
        expected = models ** power * np.stack([P**0.5, (1 - P) ** 0.5, (1 - P) ** 0.5])
        np.testing.assert_allclose(weighted, expected / expected.sum(axis=0), rtol=1e-4)
    off = MaskPrior(source=0, mask=P, strength=0.0)
    np.testing.assert_array_equal(soft_masks(off.weigh(models.copy())), plain)
    # frames first:last of the mask go with a block of models
    block = MaskPrior(source=0, mask=P, strength=1.0).weigh(models[:, :, 10:20].copy(),
                                                                  1.0, 10, 20)
    np.testing.assert_allclose(block[0], models[0, :, 10:20] * P[:, 10:20], rtol=1e-6)


@pytest.mark.parametrize("make_V, strategy, source", [
    (clicks, "auto", 0), (sustained_tones, "auto", None), (sustained_tones, "percussive", 0),
    (clicks, "timbre", None), (clicks, "spectral", None),
])
def test_only_a_strategy_that_makes_a_drum_source_gets_the_prior(rng, make_V, strategy, source):
    context = grouping.GroupingContext(sr=8000, V=make_V(rng))
    model = Model(rng.random((64, 4)), rng.random((4, 80)), np.array([0, 1, 0, 1]),
                  STFTConfig(126, 16))

    def prior(strength):
        decision = decide(strategy, n_sources=2, percussive_share=context.percussive_share,
                          n_runs=1, strength=strength)
        assert decision.drum_source == (source if strength else None)
        return build_prior(decision, context, model)

    with_drums = prior(0.5)
    assert (with_drums is None or with_drums.source is None) == (source is None)
    if source is not None:
        assert with_drums.source == 0 and with_drums.mask is context.percussive
    assert prior(0.0) is None


def harmonic_basis(f0: float, freqs: np.ndarray, n_harmonics: int = 6) -> np.ndarray:
    """A basis spectrum with unit peaks at the first harmonics of ``f0``."""
    w = np.full(freqs.size, 1e-6)
    for h in range(1, n_harmonics + 1):
        if h * f0 < freqs[-1]:
            w[np.argmin(np.abs(freqs - h * f0))] += 1.0 / h
    return w


def register_components(bass_f0: float, labels=(0, 1, 2)):
    """Three sources at 8 kHz (bins every 31.25 Hz): drums (flat), a low line, a high one."""
    freqs = np.linspace(0, 4000, 129)
    W = np.column_stack([np.ones(129), harmonic_basis(bass_f0, freqs),
                         harmonic_basis(440.0, freqs)])
    H = np.ones((3, 50))
    return freqs, W, H, np.asarray(labels)


def test_low_register_goes_to_a_bass_line():
    freqs, W, H, labels = register_components(62.5)
    weights = grouping.low_register_weights(W, H, labels, drum_source=0, sr=8000)
    assert weights.shape == (3, 129) and weights.dtype == np.float32
    np.testing.assert_array_equal(weights[0], 1.0)  # the drums are left alone
    at = {f: int(np.argmin(np.abs(freqs - f))) for f in (62.5, 250.0, 2000.0)}
    # L(f) = 1 / (1 + (f / 250)**8), weights (L + 1e-3)**0.5 and (1 - L + 1e-3)**0.5
    np.testing.assert_allclose(weights[1, at[250.0]], np.sqrt(0.501), rtol=1e-6)
    np.testing.assert_allclose(weights[2, at[250.0]], np.sqrt(0.501), rtol=1e-6)
    np.testing.assert_allclose(weights[1, at[62.5]], np.sqrt(1 / (1 + 0.25**8) + 1e-3), rtol=1e-6)
    np.testing.assert_allclose(weights[2, at[62.5]], np.sqrt(0.25**8 / (1 + 0.25**8) + 1e-3),
                               rtol=1e-5)
    np.testing.assert_allclose(weights[1, at[2000.0]], np.sqrt(1 / (1 + 8.0**8) + 1e-3), rtol=1e-6)
    # the bass is found by its register, whatever its index
    swapped = grouping.low_register_weights(W, H, np.array([0, 2, 1]), drum_source=0, sr=8000)
    np.testing.assert_array_equal(swapped[[0, 2, 1]], weights)


@pytest.mark.parametrize("bass_f0, labels, drum_source", [
    (330.0, (0, 1, 2), 0),  # the lowest line keeps most of its energy above 300 Hz
    (62.5, (0, 1, 1), 0),  # one pitched source only
    (62.5, (0, 1, 2), 1),  # the bass line is the drums' source: one pitched source left
])
def test_no_register_weights_without_a_bass_line_among_pitched_sources(bass_f0, labels,
                                                                        drum_source):
    _, W, H, labels = register_components(bass_f0, labels)
    assert grouping.low_register_weights(W, H, labels, drum_source, sr=8000) is None


def test_a_silent_pitched_source_is_not_taken_for_a_bass_line():
    _, W, H, labels = register_components(62.5)
    H[1] = 0.0  # the low line never sounds
    assert grouping.low_register_weights(W, H, labels, drum_source=0, sr=8000) is None


@pytest.mark.parametrize("mask_power", [1.0, 2.0])
def test_register_weights_reach_the_masks_as_they_are(rng, mask_power):
    register = rng.uniform(0.1, 1.0, (3, 16)).astype(np.float32)
    prior = MaskPrior(source=0, mask=np.full((16, 5), 0.5, np.float32), strength=0.0,
                            register=register)
    models = np.ones((3, 16, 5), dtype=np.float32)
    masks = soft_masks(prior.weigh(models, mask_power), mask_power)
    expected = register / register.sum(axis=0)
    np.testing.assert_allclose(masks, np.repeat(expected[:, :, None], 5, axis=2), rtol=1e-5)


def test_the_prior_gives_a_bass_line_among_the_pitched_sources_its_register(rng):
    context = grouping.GroupingContext(sr=8000, V=clicks(rng, bins=129, frames=50))
    _, W, H, labels = register_components(62.5)
    decision = decide("auto", n_sources=3, percussive_share=context.percussive_share, n_runs=1)
    assert decision.register == "bass line"
    prior = build_prior(decision, context, Model(W, H, labels, STFTConfig(256, 64)))
    assert prior.register_kind == "bass line"
    np.testing.assert_array_equal(
        prior.register, grouping.low_register_weights(W, H, labels, 0, 8000))


def test_coactivation_is_the_cosine_of_the_activations(rng):
    H = rng.random((5, 40))
    H[3] = 0.0  # a silent component
    H[4, :20], H[2, 20:] = 0.0, 0.0  # two components never active together
    C = coactivation(H)
    unit = H / np.maximum(np.linalg.norm(H, axis=1, keepdims=True), 1e-12)
    expected = unit @ unit.T
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(C, expected, atol=1e-12)
    assert C[2, 4] == 0.0 and np.all(C[3, [0, 1, 2, 4]] == 0.0)
    np.testing.assert_array_equal(C, C.T)


def test_spectral_clusters_find_the_blocks_of_an_affinity(rng):
    blocks = np.repeat([0, 1, 2], [4, 3, 5])
    A = np.where(blocks[:, None] == blocks[None], 1.0, 0.05) + 0.02 * rng.random((12, 12))
    A = (A + A.T) / 2
    labels = grouping.spectral_clusters(A, 3, random_state=0)
    # the same partition, whatever the numbering
    assert len(set(zip(labels.tolist(), blocks.tolist(), strict=True))) == 3
    np.testing.assert_array_equal(grouping.spectral_clusters(A[:3, :3], 3), [0, 1, 2])


def test_coactivity_affinity_discounts_components_that_sound_together(rng):
    W, H = rng.random((200, 6)), rng.random((6, 50))
    timbre_only = grouping.coactivity_affinity(W, H, 8000, weight=0.0)
    features = basis_mfcc(W, 8000)
    features = (features - features.mean(axis=0)) / features.std(axis=0)
    d2 = ((features[:, None] - features[None]) ** 2).sum(axis=2)
    np.testing.assert_allclose(timbre_only, np.exp(-d2 / np.median(d2[np.triu_indices(6, 1)])))
    np.testing.assert_allclose(grouping.coactivity_affinity(W, H, 8000),
                               timbre_only * np.exp(-DEFAULT_POLICY.coactivity_weight
                                                    * coactivation(H)))


def test_timbre_time_keeps_apart_alike_components_heard_together(rng):
    """Two pairs of alike spectra, each pair sounding at once, one pair after the other.

    ``timbre`` puts each alike pair in one source; ``timbre+time`` takes two
    components heard at the same moments for two instruments and splits each pair.
    """
    bins, frames = 200, 60
    low, high = 1e-3 * rng.random(bins), 1e-3 * rng.random(bins)
    low[[10, 20, 30]] = 1.0
    high[[60, 120, 180]] = 1.0
    W = np.column_stack([low, low * 1.1 + 1e-3, high, high * 0.9 + 1e-3])
    H = np.zeros((4, frames))
    H[[0, 1], :30] = 1.0
    H[[2, 3], 30:] = 1.0
    by_timbre = grouping.group(W, H, 2, "timbre", sr=8000, random_state=0)
    assert by_timbre[0] == by_timbre[1] and by_timbre[2] == by_timbre[3]
    by_time = grouping.group(W, H, 2, "timbre+time", sr=8000, random_state=0)
    assert by_time[0] != by_time[1] and by_time[2] != by_time[3]


def test_the_runs_with_their_own_frames_take_the_first_runs_drum_decision(example):
    """Shorter frames look more percussive; the mixture's decision is the first run's."""
    sep = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_runs=5, max_iter=20,
                          random_state=0)
    assert sep.decision.grouping == "percussive"
    for run in sep.runs:
        context = sep.context if run.context is None else run.context
        own = grouping.group(run.W, run.H, 2, sep.decision.grouping, context=context)
        # the same partition of the run's components, whatever the numbering
        assert len(set(zip(own.tolist(), run.labels.tolist(), strict=True))) == 2


def _split(broadband, hits, kick=None):
    """Boolean arrays of the drum split's two tests (and the kicks) from 0/1 lists."""
    as_bool = [np.array(flags, dtype=bool) for flags in (broadband, hits)]
    return (*as_bool, np.zeros(len(broadband), bool) if kick is None else np.array(kick, bool))


def test_an_unsure_component_goes_to_the_side_whose_sure_components_it_sounds_like():
    """Components 0-2 surely drums, 3-5 surely pitched; 6 and 7 are called drums by one test."""
    timbre = np.array([[0.0, 0.1], [0.2, 0.0], [0.1, 0.3],  # sure drums
                       [5.0, 5.1], [5.2, 4.9], [4.8, 5.0],  # sure pitched
                       [5.1, 5.2],  # hits only, a muted chord that sounds like the guitar
                       [0.3, 0.2]])  # broadband only, a ride that sounds like the drums
    broadband, hits, kick = _split([1, 1, 1, 0, 0, 0, 0, 1], [1, 1, 1, 0, 0, 0, 1, 0])
    drums = grouping.settle_by_timbre(timbre, broadband, hits, kick)
    np.testing.assert_array_equal(drums, [1, 1, 1, 0, 0, 0, 0, 1])
    # the former rule, and the one for two or more pitched sources: either test makes a drum
    np.testing.assert_array_equal(grouping.settle_by_timbre(timbre, broadband, hits, kick, 0),
                                  broadband | hits)


def test_a_kick_stays_a_drum_whatever_its_timbre():
    timbre = np.array([[0.0, 0.0], [0.1, 0.1], [5.0, 5.0], [5.1, 5.1], [5.0, 5.2]])
    broadband, hits, kick = _split([1, 1, 0, 0, 0], [1, 1, 0, 0, 1], [0, 0, 0, 0, 1])
    assert grouping.settle_by_timbre(timbre, broadband, hits, kick)[4]
    assert not grouping.settle_by_timbre(timbre, broadband, hits, ~kick)[4]


@pytest.mark.parametrize("broadband, hits", [
    ([1, 1, 0], [1, 0, 1]),  # no sure pitched component
    ([0, 1, 0], [0, 0, 1]),  # no sure drum
])
def test_without_sure_components_on_a_side_the_unsure_ones_are_drums(broadband, hits):
    timbre = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    broadband, hits, kick = _split(broadband, hits)
    np.testing.assert_array_equal(grouping.settle_by_timbre(timbre, broadband, hits, kick),
                                  broadband | hits)


@pytest.mark.parametrize("seed", [0, 1])
def test_settling_the_unsure_components_by_timbre_helps_both_sources(seed):
    """The built-in drums + guitar example: five runs, against the union of the two tests."""
    example = nmfsep.synth.drums_and_guitar(duration=8.0, sr=22050, seed=seed)
    sep = nmfsep.separate(example.mixture, 22050, n_sources=2)
    settled = evaluate(example.sources, sep.sources).sdr
    union_policy = replace(DEFAULT_POLICY, timbre_neighbours=0)
    union = evaluate(example.sources,
                     sep.regroup(grouping="auto", policy=union_policy).sources).sdr
    assert np.all(settled > union)
    assert settled.mean() >= union.mean() + 0.3



@pytest.fixture(scope="module")
def five_runs(example):
    return nmfsep.separate(example.mixture, example.sr, n_sources=2, max_iter=60)


def test_the_drum_split_is_settled_by_timbre_beside_one_pitched_source_only(five_runs):
    union = replace(DEFAULT_POLICY, timbre_neighbours=0)  # every unsure component a drum

    def labels(n_sources, policy):
        regrouped = five_runs.regroup(grouping="percussive", n_sources=n_sources, policy=policy)
        return np.concatenate([regrouped.labels, *(run.labels for run in regrouped.runs)])

    assert not np.array_equal(labels(2, DEFAULT_POLICY), labels(2, union))
    np.testing.assert_array_equal(labels(3, DEFAULT_POLICY), labels(3, union))


def _kick_snare_hat(seed: int, per_piece: int = 3):
    """Components of three drum pieces (a low kick, a mid broadband snare, a high hi-hat),
    each hit on its own pattern: every source is a drum, and the truth is known."""
    rng = np.random.default_rng(seed)
    sr, bins, frames = 22050, 513, 300
    freqs = np.linspace(0, sr / 2, bins)
    bands = [(30, 150), (200, 4000), (6000, 11000)]
    W, H, truth = [], [], []
    for piece, (low, high) in enumerate(bands):
        period = (16, 8, 4)[piece]
        for _ in range(per_piece):
            W.append(((freqs >= low) & (freqs <= high)) * rng.uniform(0.5, 1.0, bins) + 1e-4)
            act = np.full(frames, 1e-3)
            act[rng.integers(0, period) + piece::period] += rng.uniform(0.5, 1.0)
            H.append(act)
            truth.append(piece)
    W, H = np.array(W).T, np.array(H)
    return W, H, sr, np.array(truth)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_learned_grouping_splits_a_drum_kit_into_its_pieces(seed):
    # the shipped affinity weights (fitted on the benchmark's tuning half) group
    # components of three drum pieces by piece, where auto's drum/pitched split cannot
    W, H, sr, truth = _kick_snare_hat(seed)
    context = grouping.GroupingContext(sr=sr, V=W @ H, hop=512, random_state=0)
    labels = grouping.group(W, H, 3, "learned", context=context)
    for piece in range(3):
        assert len(set(labels[truth == piece])) == 1
    assert len(set(labels)) == 3
    affinity = grouping.learned_affinity(W, H, context)
    same = truth[:, None] == truth[None]
    assert affinity[same].mean() > affinity[~same].mean() + 0.2


def test_decision_for_the_learned_grouping_says_what_it_listens_for():
    decision = decide("learned", n_sources=3, percussive_share=0.5, n_runs=1)
    assert decision.grouping == "learned" and decision.drum_source is None
    assert any("learned from known stems" in reason for reason in decision.reasons)


def test_auto_with_two_sources_and_drums_says_how_to_ask_for_the_voice_instead():
    two = decide("auto", n_sources=2, percussive_share=0.5, n_runs=5)
    assert two.grouping == "percussive"
    assert "--names vocals,rest" in two.reasons[2]
    # the advice is what names do: the voice against the rest, under its name
    named = decide("auto", n_sources=2, percussive_share=0.5, n_runs=5,
                   names=["vocals", "rest"])
    assert (named.grouping, named.lead_source) == ("timbre+time", 0)
    for other in (decide("auto", n_sources=3, percussive_share=0.5, n_runs=5),
                  decide("percussive", n_sources=2, percussive_share=0.5, n_runs=5),
                  decide("auto", n_sources=2, percussive_share=0.1, n_runs=5),
                  decide("auto", n_sources=2, percussive_share=0.5, n_runs=5,
                         names=["drums", "guitar"])):
        assert not any("--names vocals" in reason for reason in other.reasons)


def test_bass_note_components_peak_below_any_guitars_lowest_note_and_have_a_second_partial():
    sr, bins = 22050, 1025
    freqs = np.linspace(0, sr / 2, bins)

    def note(f0: float, second: float) -> np.ndarray:
        return (np.exp(-((freqs - f0) / 8.0) ** 2) + second * np.exp(-((freqs - 2 * f0) / 8.0) ** 2)
                + 1e-3)

    # under B0, E1, C2, E1 without a partial (a kick's tail), E2 (a guitar's lowest), G3
    W = np.column_stack([note(20.0, 0.5), note(41.2, 0.5), note(65.4, 0.3), note(41.2, 0.0),
                         note(82.4, 0.5), note(196.0, 0.5)])
    low, high = DEFAULT_POLICY.bass_notes_hz
    assert low < 41.2 and 65.4 < high < 82.4
    labels = np.zeros(W.shape[1], dtype=int)
    found = grouping.bass_note_components(W, labels, 0, sr)
    assert found.tolist() == [False, True, True, False, False, False]
    labels[1] = 1  # the E1 component belongs to another source
    assert grouping.bass_note_components(W, labels, 0, sr).tolist() == [
        False, False, True, False, False, False]
    weak = replace(DEFAULT_POLICY, bass_partial_ratio=0.4)  # C2's partial is too weak for it
    assert grouping.bass_note_components(W, labels, 0, sr, weak).tolist() == [False] * 6


@pytest.mark.parametrize("strategy", PITCHED_STRATEGIES)
def test_the_pitched_sources_beside_the_drums_take_any_pitched_strategy(strategy):
    example = nmfsep.synth.drums_and_guitar(duration=3.0, seed=0)
    policy = replace(DEFAULT_POLICY, pitched_beside_drums=strategy)
    sep = nmfsep.separate(example.mixture, example.sr, n_sources=3, grouping="percussive",
                          n_runs=1, max_iter=40, policy=policy)
    assert set(sep.labels) == {0, 1, 2}


@pytest.mark.parametrize("strategy", ["percussive", "auto", "mfcc+drums", "manual", "nope"])
def test_a_strategy_that_splits_drums_again_is_refused_beside_the_drums(strategy):
    with pytest.raises(ValueError, match="pitched_beside_drums must be one of"):
        replace(DEFAULT_POLICY, pitched_beside_drums=strategy)
