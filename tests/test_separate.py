import warnings

import numpy as np
import pytest

import nmfsep
from nmfsep.errors import AudioError, AudioWarning, ParameterError
from nmfsep.masks import soft_masks, source_models
from nmfsep.metrics import evaluate
from nmfsep.spectral import stft

# Floors on the built-in example (8 s, seed 0) with the defaults, below what the
# defaults give with a margin (test_default_separation_of_the_example_meets_the_floor).
AUTO_FLOOR_DB = 4.5
ORACLE_FLOOR_DB = 8.0


# Floors on three seeded two-instrument duets (sustained_duet, seeds 0-2), one
# factorization each: auto (timbre+time, no drums) against timbre (k-means on MFCCs).
DUET_AUTO_FLOOR_DB = 5.5
DUET_MARGIN_OVER_TIMBRE_DB = 3.0


def sustained_duet(seed: int, sr: int = 22050, seconds: float = 8.0):
    """Two held-note melodies in the same range: a flute-like and a reed-like tone.

    Each instrument plays one note at a time (half and dotted-half notes at 120
    bpm), the two overlapping; returns ``(mixture, sources, sr)``.
    """
    rng = np.random.default_rng(seed)
    n = int(sr * seconds)
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    flute = [1, 0.3, 0.1, 0.03]
    reed = [1, 0.02, 0.5, 0.02, 0.3, 0.02, 0.2, 0.02, 0.1]  # odd harmonics
    parts = []
    for partials, step, start in [(flute, 0.5, 0.0), (reed, 0.75, 0.2)]:
        part = np.zeros(n)
        t = np.arange(int(step * sr)) / sr
        envelope = np.minimum(1, t / 0.05) * np.minimum(1, (t[-1] - t) / 0.05)
        while start < seconds - step:
            f0 = 440.0 * 2 ** ((rng.choice(scale) - 69) / 12)
            phase = 2 * np.pi * f0 * np.cumsum(1 + 0.004 * np.sin(2 * np.pi * 5 * t)) / sr
            note = envelope * sum(a * np.sin((h + 1) * phase) for h, a in enumerate(partials))
            i = int(start * sr)
            part[i:i + len(note)] += note[: n - i]
            start += step
        parts.append(part / np.std(part))
    sources = 0.1 * np.stack(parts)
    return sources.sum(axis=0), sources, sr


def relative_error(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def test_sources_add_up_to_the_mono_mixture(example):
    sep = nmfsep.separate(example.mixture, example.sr, n_components=8, max_iter=30)
    assert sep.sources.shape == (2, 1, example.mixture.shape[1])
    assert sep.sources.dtype == np.float32
    assert relative_error(sep.sources.sum(axis=0), example.mixture) < 1e-5


def test_stereo_keeps_channels_and_adds_up(stereo_example):
    mix = stereo_example.mixture
    sep = nmfsep.separate(mix, stereo_example.sr, n_sources=2, n_components=8, max_iter=30)
    assert sep.sources.shape == (2, 2, mix.shape[1])
    assert relative_error(sep.sources.sum(axis=0), mix) < 1e-5
    # one set of masks for both channels: the channels of a source differ
    assert not np.allclose(sep.sources[0, 0], sep.sources[0, 1])


def test_one_dimensional_input_gets_a_channel_axis(example):
    sep = nmfsep.separate(example.mixture[0], example.sr, n_components=4, max_iter=10)
    assert sep.sources.shape == (2, 1, example.mixture.shape[1])


def masks_sum_to_one_even_where_the_model_is_silent():
    models = np.zeros((3, 4, 5))
    models[0, 0, 0] = 1.0
    masks = soft_masks(models)
    np.testing.assert_allclose(masks.sum(axis=0), 1.0, rtol=1e-6)


@pytest.mark.parametrize("power", [1.0, 2.0])
def test_masks_sum_to_one(rng, power):
    W, H = rng.random((20, 6)), rng.random((6, 30))
    W[:, 0] = 0
    labels = np.array([0, 1, 2, 0, 1, 2])
    masks = soft_masks(source_models(W, H, labels, 3), power)
    np.testing.assert_allclose(masks.sum(axis=0), 1.0, rtol=1e-6)
    silent = soft_masks(np.zeros((3, 4, 5)))
    np.testing.assert_allclose(silent, 1 / 3)


def test_components_add_up_to_the_mixture_and_regroup_reuses_the_factorization(example):
    sep = nmfsep.separate(example.mixture, example.sr, n_components=6, max_iter=30)
    comps = sep.components()
    assert comps.shape == (6, 1, example.mixture.shape[1])
    assert relative_error(comps.sum(axis=0), example.mixture) < 1e-5
    groups = [[0, 2, 4], [1, 3, 5]]
    again = sep.regroup(groups=groups)
    np.testing.assert_array_equal(again.W, sep.W)
    np.testing.assert_allclose(again.sources[0], comps[[0, 2, 4]].sum(axis=0), atol=1e-5)
    three = sep.regroup(labels=[0, 1, 2, 0, 1, 2])
    assert three.sources.shape[0] == 3


def oracle_labels(sep, true_sources):
    """Each component to the true source it explains most energy of."""
    power = np.stack([(np.abs(stft(s, sep.stft)) ** 2).sum(axis=0) for s in true_sources])
    model = sep.W @ sep.H + 1e-12
    shares = [[np.sum(np.outer(sep.W[:, k], sep.H[k]) / model * p) for p in power]
              for k in range(sep.n_components)]
    return np.argmax(shares, axis=1)


def test_default_separation_of_the_example_meets_the_floor(example):
    sep = nmfsep.separate(example.mixture, example.sr)
    auto = evaluate(example.sources, sep.sources)
    assert np.all(auto.sdr > AUTO_FLOOR_DB), auto.sdr
    truth = oracle_labels(sep, example.sources)
    groups = [np.flatnonzero(truth == s).tolist() for s in range(2)]
    manual = evaluate(example.sources, sep.regroup(groups=groups).sources, permute=False)
    assert np.all(manual.sdr > ORACLE_FLOOR_DB), manual.sdr
    assert np.all(manual.sdr >= auto.sdr[np.argsort(auto.permutation)] - 0.5)


def test_auto_separates_instruments_without_drums_by_timbre_and_time():
    auto, timbre = [], []
    for seed in range(3):
        mixture, sources, sr = sustained_duet(seed)
        sep = nmfsep.separate(mixture, sr, n_sources=2, n_runs=1)
        assert sep.prior is None  # no drums heard: timbre+time, no HPSS prior
        auto.append(evaluate(sources, sep.sources).sdr)
        timbre.append(evaluate(sources, sep.regroup(grouping="timbre").sources).sdr)
    assert np.mean(auto) > DUET_AUTO_FLOOR_DB, auto
    assert np.mean(auto) > np.mean(timbre) + DUET_MARGIN_OVER_TIMBRE_DB, (auto, timbre)


@pytest.mark.parametrize("strategy", sorted(nmfsep.grouping.STRATEGIES.keys() - {"manual"}))
def test_every_strategy_separates_better_than_the_mixture(example, strategy):
    sep = nmfsep.separate(example.mixture, example.sr, grouping=strategy, n_components=16)
    scores = evaluate(example.sources, sep.sources)
    mixture_sdr = evaluate(example.sources, np.stack([example.mixture] * 2), permute=False).sdr
    assert np.mean(scores.sdr) > np.mean(mixture_sdr)
    assert relative_error(sep.sources.sum(axis=0), example.mixture) < 1e-5


def test_separator_reuses_its_configuration(example):
    separator = nmfsep.Separator(n_sources=2, n_components=6, max_iter=20)
    a = separator(example.mixture, example.sr)
    b = separator(example.mixture, example.sr)
    np.testing.assert_array_equal(a.sources, b.sources)
    assert a.parameters["n_components"] == 6


def test_silent_input_gives_silent_finite_sources_and_says_so():
    with pytest.warns(AudioWarning, match="signal: the recording is silent, or too quiet"):
        sep = nmfsep.separate(np.zeros(8000, dtype=np.float32), 8000, n_components=4)
    assert np.all(np.isfinite(sep.sources)) and np.all(sep.sources == 0)


def test_dc_input_gives_finite_sources_that_add_up():
    y = np.full(8000, 0.5, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AudioWarning)  # not silent
        sep = nmfsep.separate(y, 8000, n_components=4)
    assert np.all(np.isfinite(sep.sources))
    assert relative_error(sep.sources.sum(axis=0), y[None]) < 1e-5


def test_input_shorter_than_a_frame_gives_a_clean_result(rng):
    y = rng.standard_normal(100).astype(np.float32)
    sep = nmfsep.separate(y, 22050, n_components=4)
    assert sep.sources.shape == (2, 1, 100)
    assert np.all(np.isfinite(sep.sources))
    assert relative_error(sep.sources.sum(axis=0), y[None]) < 1e-5


def test_non_finite_or_empty_input_is_a_clear_error():
    with pytest.raises(AudioError, match="NaN or Inf"):
        nmfsep.separate(np.array([0.0, np.nan, 1.0] * 1000), 8000)
    with pytest.raises(AudioError, match="no samples"):
        nmfsep.separate(np.zeros(0), 8000)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"n_components": 1}, "n_components"), ({"n_sources": 0}, "n_sources"),
     ({"grouping": "nope"}, "unknown grouping"), ({"beta": 3.0}, "beta"),
     ({"groups": [[0, 1], [1, 2]], "n_components": 3}, "component 1 is in group 1 and group 2"),
     ({"groups": [[0], [1]], "n_components": 3}, r"components \[2\] are in no group"),
     ({"groups": [[0, 7], [1, 2]], "n_components": 3}, "component 7 does not exist")],
)
def test_bad_parameters_raise_parameter_error(example, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        nmfsep.separate(example.mixture[:, :4000], example.sr, max_iter=2, **kwargs)


def test_torch_backend_separates_like_numpy(example):
    pytest.importorskip("torch")
    short = example.mixture[:, : 3 * example.sr]
    kwargs = dict(n_components=8, max_iter=40, tol=0)
    ours = nmfsep.separate(short, example.sr, **kwargs)
    torch_run = nmfsep.separate(short, example.sr, backend="torch", device="cpu", **kwargs)
    np.testing.assert_array_equal(torch_run.labels, ours.labels)
    assert relative_error(torch_run.sources, ours.sources) < 1e-3
    assert relative_error(torch_run.sources.sum(axis=0), short) < 1e-5


def test_the_percussive_prior_applies_only_where_the_grouping_made_drums(example):
    sep = nmfsep.separate(example.mixture, example.sr, max_iter=50, n_runs=1)
    assert sep.prior is not None and sep.prior.source == 0
    assert sep.parameters["percussive_prior"] == 0.75
    assert relative_error(sep.sources.sum(axis=0), example.mixture) < 1e-5
    np.testing.assert_allclose(sep.masks().sum(axis=0), 1.0, atol=1e-5)
    off = nmfsep.separate(example.mixture, example.sr, max_iter=50, percussive_prior=0,
                          n_runs=1)
    assert off.prior is None
    np.testing.assert_array_equal(off.labels, sep.labels)
    assert relative_error(off.sources, sep.sources) > 1e-3  # the prior changes the masks
    # the same grouping again gives the same sources; labels alone give plain masks
    np.testing.assert_allclose(sep.regroup(grouping="auto").sources, sep.sources, atol=1e-6)
    by_labels = sep.regroup(labels=sep.labels)
    assert by_labels.prior is None
    np.testing.assert_allclose(by_labels.sources, off.sources, atol=1e-6)
    assert sep.regroup(grouping="timbre").prior is None
    assert sep.regroup(grouping="auto", percussive_prior=0).prior is None
    with pytest.raises(ParameterError, match="percussive_prior must be 0 or more"):
        sep.regroup(grouping="auto", percussive_prior=-1)


@pytest.mark.parametrize("bad", [-0.5, float("nan")])
def test_a_negative_percussive_prior_is_refused(example, bad):
    with pytest.raises(ParameterError, match="percussive_prior must be 0 or more"):
        nmfsep.separate(example.mixture, example.sr, percussive_prior=bad)
