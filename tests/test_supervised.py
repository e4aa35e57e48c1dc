"""Learned dictionaries: supervised and semi-supervised separation, saving, streaming."""

import os
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

import nmfsep
from nmfsep import synth
from nmfsep.dictionary import TOP_BAND_FRACTION
from nmfsep.errors import AudioError, OutputError, ParameterError
from nmfsep.features import median_filter_lengths
from nmfsep.metrics import evaluate
from nmfsep.policy import DEFAULT_POLICY
from nmfsep.spectral import default_n_fft

# Floors on the built-in example (8 s, seed 0) with dictionaries learned from
# different material (seed 7, 120 bpm, Em-D-G-C, 4 s), with a margin below what
# supervised separation gives (test_supervised_separation_beats_blind_grouping), and
# its lead over blind "auto" grouping.
SUPERVISED_FLOOR_DB = 11.0
SUPERVISED_MARGIN_DB = 4.5
# Drums dictionary plus 8 free components: the guitar's floor.
SEMI_SUPERVISED_FLOOR_DB = 11.0
# The stream against the offline result, relative L2 error of the sources: with the
# same updates (relaxation=1) and iterations (tol=0) float rounding only; with the
# defaults (the stream's own tolerance, over-relaxed updates) the iterations differ between
# batches and the whole recording.
STREAM_EXACT_TOLERANCE = 1e-5
STREAM_DEFAULT_TOLERANCE = 3e-3
# The stream fits the activations under Kullback-Leibler (its relaxation and tolerance were
# chosen under it); offline, a supervised separation takes the policy's dictionary_beta.
STREAM_BETA = 1.0
# The same example rendered at 16 and 48 kHz, separated with the 22.05 kHz dictionaries
# re-mapped: a floor on every source, and the most the mean SDR may lose against the
# 22.05 kHz rendering separated with them as they are.
OTHER_RATE_FLOOR_DB = 10.5
OTHER_RATE_LOSS_DB = 2.0


def relative_error(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def training():
    """Other notes, another drum pattern and tempo than the test example's."""
    return synth.drums_and_guitar(duration=4.0, seed=7, tempo=120,
                                  progression=("Em", "D", "G", "C"))


@pytest.fixture(scope="module")
def dictionaries(training):
    return [nmfsep.learn_dictionary(source, training.sr, name=name, max_iter=100)
            for source, name in zip(training.sources, training.names, strict=True)]


@pytest.fixture(scope="module")
def small_dictionaries(training):
    return [nmfsep.learn_dictionary(source, training.sr, name=name, n_components=6,
                                    max_iter=30)
            for source, name in zip(training.sources, training.names, strict=True)]


def test_learned_dictionary_has_unit_sum_columns_and_remembers_its_analysis(dictionaries):
    drums = dictionaries[0]
    assert drums.name == "drums" and drums.sr == 22050
    assert drums.W.shape == (default_n_fft(22050) // 2 + 1, 32) and drums.W.dtype == np.float32
    np.testing.assert_allclose(drums.W.sum(axis=0), 1.0, rtol=1e-5)
    assert (drums.stft.n_fft, drums.stft.hop, drums.stft.window) == (2048, 512, "hann")
    assert drums.info["n_examples"] == 1 and drums.info["seconds"] == 4.0


def test_several_examples_make_one_dictionary(training):
    drums = training.sources[0]
    one = nmfsep.learn_dictionary([drums[:, :20000], drums[:, 40000:]], training.sr,
                                  name="drums", n_components=4, max_iter=20)
    assert one.info["n_examples"] == 2
    assert one.W.shape == (default_n_fft(22050) // 2 + 1, 4)


def test_a_short_example_gets_fewer_components_by_default(training):
    short = nmfsep.learn_dictionary(training.sources[1][:, :22050 // 2], training.sr,
                                    name="guitar", max_iter=10)
    assert short.n_components == 6  # 22 frames (hop 512) of 0.5 s, a quarter of them


def test_learning_from_silence_or_with_a_bad_name_is_a_clear_error():
    with pytest.raises(AudioError, match="examples are silent"):
        nmfsep.learn_dictionary(np.zeros(8000), 8000, name="hum")
    with pytest.raises(ParameterError, match="dictionary name 'my/drums'"):
        nmfsep.learn_dictionary(np.ones(8000), 8000, name="my/drums")
    with pytest.raises(AudioError, match="example 2: the audio holds 1 NaN"):
        nmfsep.learn_dictionary([np.ones(8000), np.r_[np.ones(10), np.nan]], 8000, name="x")


def test_supervised_separation_beats_blind_grouping(example, dictionaries):
    supervised = nmfsep.separate(example.mixture, example.sr, dictionaries=dictionaries)
    assert supervised.names == ["drums", "guitar"]
    assert supervised.sources.shape == (2, 1, example.mixture.shape[1])
    assert relative_error(supervised.sources.sum(axis=0), example.mixture) < 1e-5
    np.testing.assert_array_equal(supervised.W[:, :32], dictionaries[0].W)
    scores = evaluate(example.sources, supervised.sources, permute=False)
    blind = evaluate(example.sources, nmfsep.separate(example.mixture, example.sr).sources)
    assert np.all(scores.sdr > SUPERVISED_FLOOR_DB), scores.sdr
    assert scores.sdr.mean() - blind.sdr.mean() > SUPERVISED_MARGIN_DB, (scores.sdr, blind.sdr)


def test_semi_supervised_with_the_drums_known_recovers_the_guitar(example, dictionaries):
    sep = nmfsep.separate(example.mixture, example.sr, dictionaries=dictionaries[:1],
                          n_free_components=8)
    assert sep.names == ["drums", "rest"]
    assert sep.n_components == 40
    np.testing.assert_array_equal(sep.labels, [0] * 32 + [1] * 8)
    np.testing.assert_array_equal(sep.W[:, :32], dictionaries[0].W)
    assert relative_error(sep.sources.sum(axis=0), example.mixture) < 1e-5
    scores = evaluate(example.sources, sep.sources, permute=False)
    assert scores.sdr[1] > SEMI_SUPERVISED_FLOOR_DB, scores.sdr


def test_free_components_can_make_several_sources(example, small_dictionaries):
    mix = example.mixture[:, : example.sr * 2]
    sep = nmfsep.separate(mix, example.sr, dictionaries=small_dictionaries[:1],
                          n_free_components=6, n_sources=3, grouping="spectral", max_iter=20)
    assert sep.names == ["drums", "rest1", "rest2"]
    assert sorted(set(sep.labels[6:].tolist())) == [1, 2]
    assert relative_error(sep.sources.sum(axis=0), mix) < 1e-5
    assert sep.regroup(labels=sep.labels).names is None


@pytest.mark.parametrize("n_sources", [3, 4])
def test_the_free_components_are_grouped_by_auto_into_several_sources(example,
                                                                      small_dictionaries,
                                                                      n_sources):
    # auto's evidence (is it drums alone?) needs the spectrogram's hop: with three free
    # sources it once stopped at "telling drums alone from a band needs V and its hop"
    mix = example.mixture[:, : example.sr * 2]
    sep = nmfsep.separate(mix, example.sr, dictionaries=small_dictionaries[:1],
                          n_free_components=9, n_sources=n_sources, max_iter=20)
    assert sep.names == ["drums"] + [f"rest{j}" for j in range(1, n_sources)]
    assert sorted(set(sep.labels[6:].tolist())) == list(range(1, n_sources))
    assert relative_error(sep.sources.sum(axis=0), mix) < 1e-5


def test_separator_reuses_dictionaries(example, small_dictionaries):
    separator = nmfsep.Separator(dictionaries=small_dictionaries, max_iter=10)
    sep = separator(example.mixture[:, :8000], example.sr)
    assert sep.names == ["drums", "guitar"]
    assert sep.parameters["dictionaries"] == ["drums", "guitar"]


def test_save_and_load_give_back_the_same_dictionary(tmp_path, example, small_dictionaries):
    drums = small_dictionaries[0]
    path = drums.save(tmp_path / "drums.npz")
    loaded = nmfsep.load_dictionary(path)
    np.testing.assert_array_equal(loaded.W, drums.W)
    assert (loaded.name, loaded.sr, loaded.stft, loaded.beta, loaded.spectrogram_power) == (
        drums.name, drums.sr, drums.stft, drums.beta, drums.spectrogram_power)
    assert loaded.info == drums.info and loaded.path == path
    mix = example.mixture[:, :8000]
    a = nmfsep.separate(mix, example.sr, dictionaries=[drums, small_dictionaries[1]],
                        max_iter=10)
    b = nmfsep.separate(mix, example.sr, dictionaries=[loaded, small_dictionaries[1]],
                        max_iter=10)
    np.testing.assert_array_equal(a.sources, b.sources)
    assert os.listdir(tmp_path) == ["drums.npz"]


def test_saving_never_overwrites_without_force(tmp_path, small_dictionaries):
    path = tmp_path / "d.npz"
    small_dictionaries[0].save(path)
    with pytest.raises(OutputError, match="exists already"):
        small_dictionaries[1].save(path)
    assert nmfsep.load_dictionary(path).name == "drums"
    small_dictionaries[1].save(path, force=True)
    assert nmfsep.load_dictionary(path).name == "guitar"


def test_loading_something_else_is_a_clear_error(tmp_path):
    with pytest.raises(ParameterError, match="no such file"):
        nmfsep.load_dictionary(tmp_path / "missing.npz")
    other = tmp_path / "other.npz"
    np.savez(other, W=np.ones((3, 3)))
    with pytest.raises(ParameterError, match="not an nmfsep dictionary"):
        nmfsep.load_dictionary(other)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ParameterError, match="not an nmfsep dictionary"):
        nmfsep.load_dictionary(broken)
    text = tmp_path / "notes.wav"
    text.write_text("not audio, not an archive\n")
    with pytest.raises(ParameterError) as error:
        nmfsep.load_dictionary(text)
    assert str(error.value) == (f"{text}: not an nmfsep dictionary (not a .npz file; make one "
                                "with 'nmfsep learn')")  # not numpy's advice on pickles


@pytest.mark.parametrize("sr", [16000, 48000])
def test_dictionaries_separate_a_mixture_at_another_sample_rate(dictionaries, sr):
    """Learned at 22.05 kHz, used on the built-in example rendered at ``sr``.

    The re-mapping alone: without the HPSS expert, whose effect on this example
    differs between rates (measured on the benchmark in docs/supervised.md).
    """
    same = synth.drums_and_guitar(duration=8.0, sr=22050, seed=0)
    other = synth.drums_and_guitar(duration=8.0, sr=sr, seed=0)
    reference = evaluate(same.sources, nmfsep.separate(same.mixture, same.sr,
                                                       dictionaries=dictionaries,
                                                       percussive_prior=0).sources,
                         permute=False).sdr
    sep = nmfsep.separate(other.mixture, sr, dictionaries=dictionaries, percussive_prior=0)
    assert sep.sr == sr and sep.stft.n_fft == (2048 if sr == 16000 else 4096)
    assert relative_error(sep.sources.sum(axis=0), other.mixture) < 1e-5
    scores = evaluate(other.sources, sep.sources, permute=False).sdr
    assert np.all(scores > OTHER_RATE_FLOOR_DB), scores
    assert scores.mean() > reference.mean() - OTHER_RATE_LOSS_DB, (scores, reference)


def test_remap_to_half_the_rate_keeps_the_lower_half_of_the_bins(dictionaries):
    """At half the rate and half the frame the bins are the same frequencies: no interpolation."""
    drums = dictionaries[0]
    half = drums.remap(11025, nmfsep.spectral.STFTConfig(1024, 256))
    assert half.sr == 11025 and half.W.shape == (513, drums.n_components)
    expected = drums.W[:513] / drums.W[:513].sum(axis=0)
    np.testing.assert_allclose(half.W, expected, rtol=1e-5, atol=1e-9)
    assert drums.remap(drums.sr, drums.stft) is drums


def test_remap_to_twice_the_rate_holds_the_top_band_above_the_old_nyquist(dictionaries):
    drums = dictionaries[0]
    double = drums.remap(44100, nmfsep.spectral.STFTConfig(4096, 1024))
    top = drums.W[-round(drums.stft.n_bins * TOP_BAND_FRACTION):].mean(axis=0)
    scale = double.W[0] / drums.W[0]  # each column's new sum
    # 4096 bins at 44.1 kHz are as wide as 2048 at 22.05 kHz: the lower half is the same
    np.testing.assert_allclose(double.W[:1025], drums.W * scale, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(double.W[-1], top * scale, rtol=1e-4, atol=1e-9)


def test_other_stft_parameters_are_rejected_naming_both(example, small_dictionaries):
    message = ("learned with n_fft=2048, hop=512, window=hann but the mixture is analysed "
               "with n_fft=2048, hop=256, window=hann")
    with pytest.raises(ParameterError, match=message):
        nmfsep.separate(example.mixture, example.sr, dictionaries=small_dictionaries,
                        n_fft=2048, hop=256)
    with pytest.raises(ParameterError, match="spectrogram_power=1 but the mixture uses "
                                             "spectrogram_power=2"):
        nmfsep.separate(example.mixture, example.sr, dictionaries=small_dictionaries,
                        spectrogram_power=2.0)
    other = nmfsep.learn_dictionary(example.sources[0, :, :8000], example.sr, name="kit",
                                    n_fft=512, n_components=2, max_iter=5)
    with pytest.raises(ParameterError, match="'kit' was learned with n_fft=512, hop=128"):
        nmfsep.separate(example.mixture, example.sr,
                        dictionaries=[small_dictionaries[0], other])


@pytest.mark.parametrize(
    "kwargs, message",
    [({"n_components": 8}, "give n_free_components instead"),
     ({"n_sources": 3}, "n_sources=3 but there are 2 dictionaries and no free components"),
     ({"n_sources": 6, "n_free_components": 2}, "between 3 and 4"),
     ({"n_free_components": -1}, "n_free_components must be an integer >= 0")],
)
def test_inconsistent_supervised_parameters_are_rejected(example, small_dictionaries, kwargs,
                                                         message):
    with pytest.raises(ParameterError, match=message):
        nmfsep.separate(example.mixture[:, :4000], example.sr,
                        dictionaries=small_dictionaries, **kwargs)


def test_dictionary_names_must_be_distinct(example, small_dictionaries):
    drums = small_dictionaries[0]
    with pytest.raises(ParameterError, match="two dictionaries are named 'drums'"):
        nmfsep.separate(example.mixture[:, :4000], example.sr, dictionaries=[drums, drums])
    rest = nmfsep.Dictionary(W=drums.W, name="rest", sr=drums.sr, stft=drums.stft)
    with pytest.raises(ParameterError, match="named 'rest' like the source of the free"):
        nmfsep.separate(example.mixture[:, :4000], example.sr, dictionaries=[rest],
                        n_free_components=2)
    with pytest.raises(ParameterError, match="n_free_components needs dictionaries"):
        nmfsep.separate(example.mixture[:, :4000], example.sr, n_free_components=2)


def _masks_by_hand(sep, prior_strength):
    """Each dictionary's model, weighed by scipy's median-filter HPSS mask for the drums."""
    from scipy.ndimage import median_filter

    lengths = median_filter_lengths(sep.sr, sep.stft.hop, sep.stft.n_bins)
    V = sep.spectrogram.astype(np.float64)
    harmonic = median_filter(V, size=(1, lengths.frames), mode="nearest")
    percussive = median_filter(V, size=(lengths.bins, 1), mode="nearest")
    P = percussive**2 / np.maximum(percussive**2 + harmonic**2, 1e-30)
    W, H = sep.W.astype(np.float64), sep.H.astype(np.float64)
    models = np.stack([W[:, sep.labels == j] @ H[sep.labels == j] for j in range(2)])
    models[0] *= P**prior_strength
    models[1] *= (1 - P) ** prior_strength
    return models / np.maximum(models.sum(axis=0), 1e-30)


def test_a_drum_dictionary_weighs_the_masks_by_hpss_as_the_blind_pipeline_does(example,
                                                                               dictionaries):
    strength = DEFAULT_POLICY.dictionary_percussive_prior
    sep = nmfsep.separate(example.mixture, example.sr, dictionaries=dictionaries)
    assert sep.prior.describe() == {"hpss": {"source": 0, "strength": strength},
                                    "register": None, "consistent": False, "drum_templates": False}
    np.testing.assert_allclose(sep.masks(), _masks_by_hand(sep, strength), atol=1e-3)
    plain = nmfsep.separate(example.mixture, example.sr, dictionaries=dictionaries,
                            percussive_prior=0)
    assert plain.prior is None
    np.testing.assert_allclose(plain.masks(), _masks_by_hand(plain, 0.0), atol=1e-3)
    assert np.abs(sep.masks() - plain.masks()).max() > 0.1  # the expert moves them
    assert relative_error(sep.sources.sum(axis=0), example.mixture) < 1e-5


def test_without_a_drum_dictionary_no_expert_weighs_the_masks(example, small_dictionaries):
    renamed = [replace(d, name=name) for d, name in zip(small_dictionaries, ["hits", "strings"],
                                                        strict=True)]
    sep = nmfsep.separate(example.mixture[:, :22050], example.sr, dictionaries=renamed)
    assert sep.prior is None
    stream = nmfsep.stream(example.mixture, example.sr, renamed)
    assert stream.latency == stream.stft.n_fft


def test_the_stream_waits_for_the_hpss_filter_s_frames(example, small_dictionaries):
    stream = nmfsep.stream(example.mixture, example.sr, small_dictionaries)
    lengths = median_filter_lengths(example.sr, stream.stft.hop, stream.stft.n_bins)
    assert stream.latency == stream.stft.n_fft + lengths.frames // 2 * stream.stft.hop
    off = nmfsep.stream(example.mixture, example.sr, small_dictionaries, percussive_prior=0)
    assert off.latency == off.stft.n_fft


def test_stream_equals_the_offline_result_with_the_same_iterations(example, dictionaries):
    offline = nmfsep.separate(example.mixture, example.sr, dictionaries=dictionaries,
                              max_iter=50, tol=0, beta=STREAM_BETA)
    blocks = list(nmfsep.stream(example.mixture, example.sr, dictionaries, block_size=5000,
                                max_iter=50, tol=0, relaxation=1.0))
    assert len(blocks) >= 35 and all(b.shape[:2] == (2, 1) for b in blocks)
    streamed = np.concatenate(blocks, axis=-1)
    assert streamed.shape == offline.sources.shape and streamed.dtype == np.float32
    assert relative_error(streamed, offline.sources) < STREAM_EXACT_TOLERANCE
    assert relative_error(streamed.sum(axis=0), example.mixture) < 1e-5


def test_the_stream_counts_its_batches_frames_and_iterations(example, dictionaries):
    offline = nmfsep.separate(example.mixture, example.sr, dictionaries=dictionaries,
                              max_iter=5, tol=0)
    stream = nmfsep.stream(example.mixture, example.sr, dictionaries, block_size=5000,
                           max_iter=5, tol=0)
    assert (stream.n_batches, stream.n_frames, stream.frame_iterations) == (0, 0, 0)
    for _ in stream:
        pass
    assert stream.n_frames == offline.H.shape[1]
    assert stream.frame_iterations == 5 * stream.n_frames  # tol 0: every batch runs them all
    batch = 5000 // stream.stft.hop
    assert -(-stream.n_frames // batch) <= stream.n_batches <= stream.n_frames
    stopping = nmfsep.stream(example.mixture, example.sr, dictionaries, block_size=5000)
    for _ in stopping:
        pass
    assert stopping.n_frames <= stopping.frame_iterations < 200 * stopping.n_frames


def test_stream_with_default_stopping_stays_close_to_offline(example, dictionaries):
    offline = nmfsep.separate(example.mixture, example.sr, dictionaries=dictionaries,
                              beta=STREAM_BETA)
    streamed = np.concatenate(list(nmfsep.stream(example.mixture, example.sr, dictionaries)),
                              axis=-1)
    assert relative_error(streamed, offline.sources) < STREAM_DEFAULT_TOLERANCE


def test_stream_takes_blocks_of_any_size_and_keeps_stereo(stereo_example, rng):
    sr = stereo_example.sr
    dicts = [nmfsep.learn_dictionary(s, sr, name=n, n_components=4, max_iter=20)
             for s, n in zip(stereo_example.sources, stereo_example.names, strict=True)]
    mix = stereo_example.mixture[:, : sr]
    cuts = np.cumsum(rng.integers(1, 3000, size=40))
    pieces = [p for p in np.split(mix, cuts[cuts < mix.shape[1]], axis=1) if p.shape[1]]
    streamed = np.concatenate(list(nmfsep.stream(iter(pieces), sr, dicts, max_iter=20, tol=0,
                                                 relaxation=1.0)), axis=-1)
    offline = nmfsep.separate(mix, sr, dictionaries=dicts, max_iter=20, tol=0,
                              beta=STREAM_BETA)
    assert streamed.shape == (2, 2, sr)
    assert relative_error(streamed, offline.sources) < STREAM_EXACT_TOLERANCE
    assert relative_error(streamed.sum(axis=0), mix) < 1e-5


@pytest.mark.parametrize("length", [1, 100, 1023, 1025])
def test_stream_of_a_signal_shorter_than_a_few_frames_matches_offline(small_dictionaries, rng,
                                                                     length):
    y = rng.standard_normal(length).astype(np.float32)
    streamed = np.concatenate(list(nmfsep.stream(y, 22050, small_dictionaries, max_iter=10,
                                                 tol=0, relaxation=1.0)), axis=-1)
    offline = nmfsep.separate(y, 22050, dictionaries=small_dictionaries, max_iter=10, tol=0,
                              beta=STREAM_BETA)
    assert streamed.shape == (2, 1, length)
    assert relative_error(streamed, offline.sources) < STREAM_EXACT_TOLERANCE


def test_supervised_divergence_defaults_to_the_policy_s_offline_and_kl_in_the_stream(
        small_dictionaries):
    supervised = nmfsep.SeparationConfig(dictionaries=small_dictionaries)
    assert DEFAULT_POLICY.dictionary_beta != STREAM_BETA  # else this test checks nothing
    assert supervised.divergence() == DEFAULT_POLICY.dictionary_beta
    assert supervised.divergence(streamed=True) == STREAM_BETA
    assert nmfsep.SeparationConfig().divergence() == 1.0  # blind: Kullback-Leibler
    assert nmfsep.SeparationConfig().divergence(streamed=True) == 1.0
    given = nmfsep.SeparationConfig(dictionaries=small_dictionaries, beta=1.5)
    assert given.divergence() == given.divergence(streamed=True) == 1.5
    semi = nmfsep.SeparationConfig(dictionaries=small_dictionaries[:1], n_free_components=4)
    assert semi.divergence() == 1.0  # beside free components: measured under KL alone
    other = replace(DEFAULT_POLICY, dictionary_beta=0.25)
    assert replace(supervised, policy=other).divergence() == 0.25
    with pytest.raises(ValueError, match=r"dictionary_beta must be a beta-divergence in \[0, 2\]"):
        replace(DEFAULT_POLICY, dictionary_beta=5.0)
    assert supervised.describe()["beta"] == DEFAULT_POLICY.dictionary_beta
    assert supervised.describe(streamed=True)["beta"] == STREAM_BETA


def test_offline_supervised_separation_fits_under_the_policy_s_divergence(
        small_dictionaries, rng):
    y = rng.standard_normal(22050).astype(np.float32)
    default = nmfsep.separate(y, 22050, dictionaries=small_dictionaries, max_iter=10, tol=0)
    given = nmfsep.separate(y, 22050, dictionaries=small_dictionaries, max_iter=10, tol=0,
                            beta=DEFAULT_POLICY.dictionary_beta)
    kl = nmfsep.separate(y, 22050, dictionaries=small_dictionaries, max_iter=10, tol=0,
                         beta=1.0)
    assert default.beta == default.parameters["beta"] == DEFAULT_POLICY.dictionary_beta
    assert np.array_equal(default.sources, given.sources)
    assert kl.beta == 1.0 and not np.allclose(default.sources, kl.sources)
    # a stream asked for the offline divergence follows the offline solve exactly
    streamed = np.concatenate(list(nmfsep.stream(y, 22050, small_dictionaries, max_iter=10,
                                                 tol=0, relaxation=1.0,
                                                 beta=DEFAULT_POLICY.dictionary_beta)),
                              axis=-1)
    assert relative_error(streamed, default.sources) < STREAM_EXACT_TOLERANCE


def test_supervised_iterations_cap_only_the_default_offline_fit(small_dictionaries):
    cap = DEFAULT_POLICY.dictionary_iterations
    assert cap < 200  # else this test checks nothing
    supervised = nmfsep.SeparationConfig(dictionaries=small_dictionaries)
    assert supervised.iterations() == cap == supervised.describe()["max_iter"]
    assert supervised.resolve(sr=22050, n_samples=22050).max_iter == cap
    assert supervised.iterations(streamed=True) == 200  # the stream's own tolerance
    assert nmfsep.SeparationConfig().iterations() == 200  # blind
    assert replace(supervised, beta=1.0).iterations() == 200  # another divergence
    assert replace(supervised, beta=DEFAULT_POLICY.dictionary_beta).iterations() == cap
    semi = nmfsep.SeparationConfig(dictionaries=small_dictionaries[:1], n_free_components=4)
    assert semi.iterations() == 200
    assert replace(supervised, max_iter=cap // 2).iterations() == cap // 2  # given: as given
    assert replace(supervised, max_iter=cap + 50).iterations() == cap + 50
    longer = replace(DEFAULT_POLICY, dictionary_iterations=300)
    assert replace(supervised, policy=longer).iterations() == 300
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="dictionary_iterations must be a positive integer"):
            replace(DEFAULT_POLICY, dictionary_iterations=bad)


def test_the_default_supervised_fit_is_the_fit_stopped_at_the_policy_s_iterations(
        small_dictionaries, rng):
    y = rng.standard_normal(22050).astype(np.float32)
    cap = DEFAULT_POLICY.dictionary_iterations
    default = nmfsep.separate(y, 22050, dictionaries=small_dictionaries, tol=0)
    stopped = nmfsep.separate(y, 22050, dictionaries=small_dictionaries, tol=0, max_iter=cap)
    assert default.n_iter == stopped.n_iter == cap
    assert np.array_equal(default.sources, stopped.sources)
    assert default.parameters["max_iter"] == cap


def test_stream_rejects_empty_input(small_dictionaries):
    with pytest.raises(AudioError, match="no samples"):
        list(nmfsep.stream(iter([]), 22050, small_dictionaries))


def test_stream_at_another_rate_matches_offline(small_dictionaries, rng):
    y = rng.standard_normal(44100).astype(np.float32)
    streamed = np.concatenate(list(nmfsep.stream(y, 44100, small_dictionaries, max_iter=10,
                                                 tol=0, relaxation=1.0)), axis=-1)
    offline = nmfsep.separate(y, 44100, dictionaries=small_dictionaries, max_iter=10, tol=0,
                              beta=STREAM_BETA)
    assert offline.stft.n_fft == 4096
    assert relative_error(streamed, offline.sources) < STREAM_EXACT_TOLERANCE


def test_stream_of_silence_is_silent_and_finite(small_dictionaries):
    out = np.concatenate(list(nmfsep.stream(np.zeros(30000), 22050, small_dictionaries)),
                         axis=-1)
    assert out.shape == (2, 1, 30000) and np.all(out == 0)


def test_the_built_in_drum_dictionary_is_every_pieces_first_template_frames():
    from nmfsep.dictionary import (
        DRUM_TEMPLATE_FRAMES,
        DRUM_TEMPLATE_PIECES,
        drum_template_dictionary,
    )
    from nmfsep.drumtemplates import load_drum_templates

    drums = drum_template_dictionary(22050)
    assert drums.name == "drums" and drums.sr == 22050
    assert (drums.stft.n_fft, drums.stft.hop) == (2048, 512)
    assert drums.W.shape == (1025, len(DRUM_TEMPLATE_PIECES) * DRUM_TEMPLATE_FRAMES)
    np.testing.assert_allclose(drums.W.sum(axis=0), 1.0, rtol=1e-5)
    # frame t of piece k is column t * pieces + k, the templates' own patch, rescaled
    patches, pieces, _ = load_drum_templates().patches(22050, 2048, 512, DRUM_TEMPLATE_FRAMES,
                                                       pieces=DRUM_TEMPLATE_PIECES)
    kick_attack = patches[:, 0, pieces.index("kick")]
    np.testing.assert_allclose(drums.W[:, 0], kick_attack / kick_attack.sum(), rtol=1e-5)
    loaded = nmfsep.load_dictionary("builtin:drums")
    assert loaded.sr == 44100 and loaded.W.shape[0] == 2049
    np.testing.assert_array_equal(loaded.W, drum_template_dictionary(44100).W)
    with pytest.raises(nmfsep.ParameterError, match="no such built-in dictionary"):
        nmfsep.load_dictionary("builtin:piano")


def test_stream_rejects_input_of_empty_blocks_only(small_dictionaries):
    with pytest.raises(AudioError, match="no samples"):
        list(nmfsep.stream([np.zeros(0, np.float32)] * 3, 22050, small_dictionaries))


def test_stream_file_names_the_file_and_the_first_bad_sample(tmp_path, small_dictionaries):
    from nmfsep.stream import stream_file

    y = np.full(150_000, 0.1, dtype=np.float32)
    y[100_000] = np.nan
    bad = tmp_path / "bad.wav"
    sf.write(bad, y, 22050, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"bad\.wav: the input holds NaN or Inf samples "
                                         r"\(the first at sample 100000, 4\.535 s\)"):
        stream_file(bad, [tmp_path / "a.wav", tmp_path / "b.wav"], small_dictionaries)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.float32), 22050)
    with pytest.raises(AudioError, match=r"empty\.wav: the input has no samples"):
        stream_file(empty, [tmp_path / "a.wav", tmp_path / "b.wav"], small_dictionaries)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wav", "empty.wav"]


def test_stream_file_refuses_one_file_twice_or_the_input_even_with_force(tmp_path,
                                                                         small_dictionaries):
    from nmfsep.stream import stream_file

    mix = tmp_path / "mix.wav"
    sf.write(mix, np.full(30_000, 0.1, dtype=np.float32), 22050)
    before = mix.read_bytes()
    with pytest.raises(ParameterError, match="every source needs its own file"):
        stream_file(mix, [tmp_path / "same.wav", tmp_path / "same.wav"], small_dictionaries)
    with pytest.raises(OutputError, match="would overwrite the input"):
        stream_file(mix, [mix, tmp_path / "other.wav"], small_dictionaries, force=True)
    with pytest.raises(ParameterError, match="block_size must be a positive"):
        stream_file(mix, [tmp_path / "a.wav", tmp_path / "b.wav"], small_dictionaries,
                    block_size=0)
    assert mix.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mix.wav"]
