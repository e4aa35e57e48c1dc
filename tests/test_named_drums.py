"""Named drums: nmfsep's drum templates model them too and widen their mask.

``names=[..., "drums", ...]`` (``--names``) with ``auto``: the drum split as
without names, and beside it the separation ``--dict builtin:drums --free N``
would make; the drums get the larger of the two drum masks
(:func:`nmfsep.masks.unite_drums`).  Checked against that separation itself,
against the unnamed separation's masks, block by block against in memory,
and on a real band whose drums are quiet.
"""

import json
import os

import numpy as np
import pytest

import nmfsep
from nmfsep import synth
from nmfsep.cli import main
from nmfsep.dictionary import drum_template_atoms, drum_template_dictionary
from nmfsep.errors import MemoryWarning
from nmfsep.masks import unite_drums
from nmfsep.metrics import evaluate
from nmfsep.policy import DEFAULT_POLICY, decide, drums_named
from nmfsep.spectral import STFTConfig

HEARD = dict(n_sources=2, percussive_share=0.4, n_runs=5)


@pytest.mark.parametrize("names, named", [
    (["drums", "rest"], True), (["guitar", " Kit "], True), (["bass", "drums", "keys"], True),
    (["drums"], False),                   # drums alone: the kit's pieces, not this
    (["drums", "percussion"], False),     # which one?
    (["vocals", "band"], False), (None, False),
])
def test_drums_are_named_by_one_drum_name_beside_others(names, named):
    assert drums_named(names) is named


def test_auto_models_named_drums_by_the_templates_too():
    unnamed = decide("auto", **HEARD)
    assert not unnamed.drum_templates
    assert "naming the drums (--names drums,rest" in " ".join(unnamed.reasons)
    named = decide("auto", **HEARD, names=["guitar", "drums"])
    assert named.drum_templates and named.drum_source == 1
    assert "drum templates" in " ".join(named.reasons)
    assert named.describe()["drum_templates"] is True
    # only auto's drum split, and only with its experts on
    assert not decide("auto", **HEARD, names=["vocals", "band"]).drum_templates
    assert not decide("percussive", **HEARD, names=["drums", "guitar"]).drum_templates
    assert not decide("auto", **HEARD, names=["drums", "guitar"], strength=0).drum_templates
    no_drums = HEARD | {"percussive_share": 0.1}
    assert not decide("auto", **no_drums, names=["drums", "guitar"]).drum_templates


def test_united_masks_give_the_drums_the_larger_mask_and_still_add_up_to_one(rng):
    masks = rng.dirichlet(np.ones(3), size=(40, 30)).transpose(2, 0, 1).astype(np.float32)
    masks[:, 0, 0] = (0, 1, 0)  # a bin the drums hold whole
    drums = rng.random((40, 30)).astype(np.float32)
    before = masks.copy()
    unite_drums(masks, 1, drums)
    np.testing.assert_allclose(masks[1], np.maximum(before[1], drums), atol=1e-6)
    np.testing.assert_allclose(masks.sum(axis=0), 1, atol=1e-5)
    # the other sources keep their ratio to each other
    np.testing.assert_allclose(masks[0] * before[2], masks[2] * before[0], atol=1e-6)
    assert masks[:, 0, 0].tolist() == [0, 1, 0]


def test_the_atoms_follow_the_spectrogram_power_and_any_stft():
    magnitude = drum_template_atoms(22050, STFTConfig(1024, 256))
    power = drum_template_atoms(22050, STFTConfig(1024, 256), spectrogram_power=2)
    assert magnitude.shape == power.shape == (513, magnitude.shape[1])
    np.testing.assert_allclose(magnitude.sum(axis=0), 1, rtol=1e-5)
    # the power atoms are the squared magnitude atoms, up to the patches' floor and sum
    squared = magnitude.astype(np.float64) ** 2
    cosine = (power * squared).sum(axis=0) / (np.linalg.norm(power, axis=0)
                                              * np.linalg.norm(squared, axis=0))
    assert cosine.min() > 0.99
    builtin = drum_template_dictionary(22050)
    np.testing.assert_allclose(builtin.W, drum_template_atoms(22050, builtin.stft), rtol=1e-5)


@pytest.fixture(scope="module")
def named_and_not():
    example = synth.drums_and_guitar(duration=4.0, seed=0)
    options = dict(n_runs=1, random_state=0)
    named = nmfsep.separate(example.mixture, example.sr, names=["drums", "guitar"], **options)
    unnamed = nmfsep.separate(example.mixture, example.sr, n_sources=2, **options)
    return example, named, unnamed


def test_the_templates_model_is_the_separation_with_the_builtin_drum_dictionary(named_and_not):
    example, named, _ = named_and_not
    supervised = nmfsep.separate(example.mixture, example.sr, random_state=0,
                                 dictionaries=[drum_template_dictionary(example.sr)],
                                 n_free_components=DEFAULT_POLICY.drum_template_free,
                                 max_iter=DEFAULT_POLICY.drum_template_iterations)
    n_frames = named.model.n_frames
    drums = named.prior.templates.drum_mask(named.context.percussive, named.mask_power, 0,
                                            n_frames)
    np.testing.assert_allclose(drums, supervised.masks()[0], atol=1e-4)


def test_named_drums_widen_the_unnamed_drum_mask_and_change_nothing_else(named_and_not):
    example, named, unnamed = named_and_not
    assert named.prior.describe()["drum_templates"] and not unnamed.prior.templates
    np.testing.assert_array_equal(named.labels, unnamed.labels)
    n_frames = named.model.n_frames
    drums = named.prior.templates.drum_mask(named.context.percussive, named.mask_power, 0,
                                            n_frames)
    expected = unite_drums(unnamed.model.factor_masks(0, n_frames), 0, drums)
    np.testing.assert_allclose(named.model.factor_masks(0, n_frames), expected, atol=1e-5)
    np.testing.assert_allclose(named.sources.sum(axis=0), example.mixture,
                               atol=1e-4)


def test_named_drums_block_by_block_equal_the_in_memory_separation():
    example = synth.drums_and_guitar(duration=3.0, seed=1)
    options = dict(names=["drums", "guitar"], n_runs=1, max_iter=40)
    whole = nmfsep.separate(example.mixture, example.sr, **options)
    with pytest.warns(MemoryWarning):  # a byte is too little even block by block
        blocks = nmfsep.separate(example.mixture, example.sr, max_memory=1, **options)
    assert blocks.frames.X is None and blocks.prior.templates is not None
    np.testing.assert_allclose(blocks.sources, whole.sources, atol=1e-5)


def test_the_command_line_records_the_templates_and_why(tmp_path, capsys):
    import soundfile as sf

    example = synth.drums_and_guitar(duration=3.0, seed=0)
    song = tmp_path / "song.wav"
    sf.write(song, example.mixture.T, example.sr)
    out = tmp_path / "out"
    assert main(["separate", str(song), "-o", str(out), "--names", "guitar,drums", "-v",
                 "--max-iter", "40", "--runs", "1"]) == 0
    record = json.loads((out / "song" / "separation.json").read_text())
    assert record["decision"]["drum_templates"] is True
    assert record["decision"]["drum_source"] == 1
    assert record["mask_experts"]["drum_templates"] is True
    assert "drum templates" in capsys.readouterr().err


def test_the_templates_factorization_is_announced_and_fills_the_progress_bar_again(tmp_path):
    example = synth.drums_and_guitar(duration=3.0, seed=0)
    song = tmp_path / "song.wav"
    nmfsep.save(song, example.mixture, example.sr)
    told, iterations = [], []
    max_iter, n_runs = 40, 2
    nmfsep.separate_file(song, [tmp_path / "drums.wav", tmp_path / "guitar.wav"],
                         names=["drums", "guitar"], max_iter=max_iter, n_runs=n_runs,
                         tol=0.0, log=told.append,
                         callback=lambda iteration, loss: iterations.append(iteration))
    assert any("drum templates" in message for message in told)
    total = max_iter * n_runs
    restart = int(np.argmin(np.diff(iterations))) + 1  # the one place the count goes back
    assert iterations[restart - 1] == total and iterations[-1] == total
    assert iterations[restart] == 0
    assert np.all(np.diff(iterations[:restart]) >= 0) and np.all(np.diff(iterations[restart:]) >= 0)
    told.clear()
    nmfsep.separate_file(song, [tmp_path / "a.wav", tmp_path / "b.wav"], n_sources=2,
                         max_iter=max_iter, n_runs=n_runs, force=True, log=told.append)
    assert not any("drum templates" in message for message in told)  # unnamed: no second one


# A real band whose drums are quiet (../shared/real-tuning): the blind drum split gives
# them few components of their own; named, the templates still hear the hits.  Floors a
# margin below what this separation gives (SDR, dB, drums then the rest).
REAL_RECORDING = "md_beatles"
REAL_DRUMS_GAIN_DB = 1.5


def test_on_a_real_band_with_quiet_drums_the_named_drums_come_out_better():
    from benchmarks.quality import real

    try:
        folder = real.locate()
    except real.RealFolderMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI has ../shared beside the checkout)")
        pytest.skip(str(missing))
    item = next(item for item in real.build_all(folder, ["real:drums+rest"])
                if item.name.endswith(REAL_RECORDING))
    assert item.names == ["drums", "rest"]
    references = np.asarray(item.sources)
    named = nmfsep.separate(item.mixture, item.sr, names=item.names)
    unnamed = nmfsep.separate(item.mixture, item.sr, n_sources=2)
    with_templates = evaluate(references, named.sources, permute=False).sdr
    blind = evaluate(references, unnamed.sources).sdr
    assert with_templates[0] >= blind[0] + REAL_DRUMS_GAIN_DB
    assert with_templates.mean() >= blind.mean() + REAL_DRUMS_GAIN_DB / 2
