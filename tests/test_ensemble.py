"""Several factorizations combined (``n_runs``): masks, matching of sources, the pipeline."""

import json
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

import nmfsep
from nmfsep.cli import main
from nmfsep.config import SeparationConfig
from nmfsep.ensemble import Run, align_labels, combine_runs
from nmfsep.errors import ParameterError
from nmfsep.masks import MaskPrior, soft_masks, source_models
from nmfsep.metrics import evaluate
from nmfsep.model import Model
from nmfsep.policy import DEFAULT_POLICY, RunPlan, decide
from nmfsep.spectral import STFTConfig, grid_positions, stft

FLOOR, FLOOR_WITHOUT_DRUMS = DEFAULT_POLICY.floor, DEFAULT_POLICY.floor_without_drums


def random_run(rng, n_bins=30, n_frames=40, n_components=6, n_sources=3):
    W = rng.random((n_bins, n_components)).astype(np.float32)
    H = rng.random((n_components, n_frames)).astype(np.float32)
    labels = np.arange(n_components) % n_sources
    return Run(W, H, labels)


def test_combined_masks_are_the_normalized_geometric_mean_of_the_runs_ratio_masks(rng):
    runs = [random_run(rng) for _ in range(3)]
    ratio = [source_models(r.W, r.H, r.labels, 3) for r in runs]
    ratio = [m / m.sum(axis=0) for m in ratio]
    expected = np.exp(np.mean([np.log(m + FLOOR) for m in ratio], axis=0))
    expected /= expected.sum(axis=0)

    first = runs[0]
    models = source_models(first.W, first.H, first.labels, 3)
    combined = soft_masks(combine_runs(models, tuple(runs[1:]), 3))
    np.testing.assert_allclose(combined, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(combined.sum(axis=0), 1.0, atol=1e-6)


def test_combining_frames_by_blocks_equals_combining_them_at_once(rng):
    runs = [random_run(rng) for _ in range(2)]
    first = runs[0]
    whole = combine_runs(source_models(first.W, first.H, first.labels, 3), (runs[1],), 3)
    part = combine_runs(source_models(first.W, first.H[:, 10:25], first.labels, 3), (runs[1],),
                        3, 10, 25)
    np.testing.assert_allclose(part, whole[:, :, 10:25], rtol=1e-5)


def test_no_other_runs_leaves_the_models_alone(rng):
    run = random_run(rng)
    models = source_models(run.W, run.H, run.labels, 3)
    assert combine_runs(models, (), 3) is models


def test_align_labels_undoes_a_renumbering_of_the_sources(rng):
    reference = random_run(rng, n_components=9)
    noisy_W = reference.W * rng.uniform(0.8, 1.25, reference.W.shape).astype(np.float32)
    renumbered = np.array([2, 0, 1])[reference.labels]
    aligned = align_labels(reference, Run(noisy_W, reference.H, renumbered), 3)
    np.testing.assert_array_equal(aligned, reference.labels)


@pytest.fixture(scope="module")
def ensemble(example_for_runs):
    return nmfsep.separate(example_for_runs.mixture, example_for_runs.sr, n_sources=2, n_runs=3)


@pytest.fixture(scope="module")
def example_for_runs():
    return nmfsep.synth.drums_and_guitar(duration=8.0, sr=22050, seed=0)


def test_the_masks_take_the_larger_floor_without_a_drum_source(rng):
    runs = [random_run(rng) for _ in range(3)]
    ratio = [source_models(r.W, r.H, r.labels, 3) for r in runs]
    ratio = [m / m.sum(axis=0) for m in ratio]
    first = runs[0]
    n_frames = first.H.shape[1]

    def expected(floor):
        mean = np.exp(np.mean([np.log(m + floor) for m in ratio], axis=0))
        return mean / mean.sum(axis=0)

    pitched_floor = decide("auto", n_sources=3, percussive_share=0.0, n_runs=3).floor
    drums_floor = decide("auto", n_sources=3, percussive_share=0.9, n_runs=3).floor
    assert (pitched_floor, drums_floor) == (FLOOR_WITHOUT_DRUMS, FLOOR)
    model = Model(first.W, first.H, first.labels, STFTConfig(64, 16), runs=tuple(runs[1:]))
    pitched = replace(model, floor=pitched_floor).factor_masks(0, n_frames)
    np.testing.assert_allclose(pitched, expected(FLOOR_WITHOUT_DRUMS), rtol=1e-4, atol=1e-6)
    drums = MaskPrior(source=0, mask=np.full((first.W.shape[0], n_frames), 0.5), strength=0.0)
    with_drums = replace(model, floor=drums_floor, prior=drums).factor_masks(0, n_frames)
    np.testing.assert_allclose(with_drums, expected(FLOOR), rtol=1e-4, atol=1e-6)
    assert np.abs(pitched - with_drums).max() > 1e-3  # the floors make a difference here


def test_three_runs_add_up_to_the_mixture_and_meet_the_floor(ensemble, example_for_runs):
    assert len(ensemble.runs) == 2
    assert ensemble.parameters["n_runs"] == 3
    np.testing.assert_allclose(ensemble.sources.sum(axis=0), example_for_runs.mixture, atol=1e-5)
    np.testing.assert_allclose(ensemble.masks().sum(axis=0), 1.0, atol=1e-5)
    sdr = evaluate(example_for_runs.sources, ensemble.sources).sdr
    assert sdr[0] > 8.5 and sdr[1] > 4.5


def test_each_run_is_its_own_factorization(ensemble):
    for run in ensemble.runs:
        assert run.W.shape == ensemble.W.shape and run.H.shape == ensemble.H.shape
        assert not np.allclose(run.W, ensemble.W)
        assert sorted(set(run.labels.tolist())) == [0, 1]


def test_regroup_by_strategy_keeps_the_runs_and_by_hand_drops_them(ensemble):
    by_strategy = ensemble.regroup(grouping="timbre")
    assert len(by_strategy.runs) == 2
    by_hand = ensemble.regroup(labels=ensemble.labels)
    assert by_hand.runs == ()
    single = source_models(ensemble.W, ensemble.H, ensemble.labels, 2)
    np.testing.assert_allclose(by_hand.masks(), soft_masks(single), atol=1e-6)


def test_progress_counts_on_across_runs(example_for_runs):
    seen = []
    nmfsep.separate(example_for_runs.mixture[:, : 2 * 22050], example_for_runs.sr, n_runs=2,
                    max_iter=20, tol=0, callback=lambda i, loss: seen.append(i))
    assert max(seen) == 40
    assert min(i for i in seen if i > 20) <= 30


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_runs=0), "n_runs must be a positive integer"),
    (dict(n_runs=2.5), "n_runs must be a positive integer"),
    (dict(n_runs=2, groups=[[0, 1], [2, 3]], n_components=4), "needs a blind grouping"),
])
def test_bad_runs_are_refused(example_for_runs, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        nmfsep.separate(example_for_runs.mixture, example_for_runs.sr, **kwargs)


def test_runs_with_dictionaries_are_refused(example_for_runs):
    y, sr = example_for_runs.mixture, example_for_runs.sr
    dictionary = nmfsep.learn_dictionary(y[:, : sr], sr, name="mix", n_components=4,
                                         max_iter=10)
    with pytest.raises(ParameterError, match="blind separation only"):
        nmfsep.separate(y, sr, dictionaries=[dictionary], n_runs=2)


@pytest.fixture(scope="module")
def short_song(tmp_path_factory):
    example = nmfsep.synth.drums_and_guitar(duration=3.0, sr=16000, seed=2)
    path = tmp_path_factory.mktemp("in") / "song.wav"
    sf.write(path, example.mixture.T, example.sr, subtype="PCM_16")
    return path


def test_cli_runs_writes_sources_that_add_up_and_records_the_runs(short_song, tmp_path):
    out = tmp_path / "sep"
    assert main(["separate", str(short_song), "-o", str(out), "-q", "--runs", "2",
                 "--max-iter", "30", "-k", "8"]) == 0
    record = json.loads((out / "song" / "separation.json").read_text())
    assert record["parameters"]["n_runs"] == 2
    # beside the shares, an ensemble's HPSS weights are at half of --percussive-prior 0.75
    assert record["mask_experts"] == {"hpss": {"source": 0, "strength": 0.375},
                                      "register": "shares", "consistent": True,
                                      "drum_templates": False}
    assert record["parameters"]["percussive_prior"] == 0.75  # what was asked for
    mixture, _ = sf.read(short_song, always_2d=True)
    total = sum(sf.read(out / "song" / f"source{s}.wav", always_2d=True)[0] for s in (1, 2))
    assert np.abs(total - mixture).max() < 2e-4  # 16-bit files


@pytest.mark.parametrize("extra, message", [
    (["--runs", "0"], "--runs must be a positive integer, got 0"),
    (["--runs", "2", "--groups", "0,1,2,3;4,5,6,7"], "cannot be combined with --groups"),
    (["--runs", "2", "--from", "somewhere"], "cannot be combined with --from"),
])
def test_cli_refuses_runs_it_cannot_honour(short_song, tmp_path, capsys, extra, message):
    out = tmp_path / "sep"
    code = main(["separate", str(short_song), "-o", str(out), "-k", "8", *extra])
    assert code != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() or not any(out.rglob("*.wav"))


def test_five_runs_by_default_up_to_a_minute_and_one_beyond():
    config = SeparationConfig()
    assert config.resolve(sr=22050, n_samples=60 * 22050).n_runs == 5
    assert config.resolve(sr=22050, n_samples=60 * 22050 + 1).n_runs == 1


def test_the_default_runs_and_hand_grouping_gets_one(example_for_runs):
    y, sr = example_for_runs.mixture, example_for_runs.sr
    blind = nmfsep.separate(y, sr, max_iter=20)
    assert blind.parameters["n_runs"] == 5 and len(blind.runs) == 4
    by_hand = nmfsep.separate(y, sr, groups=[[0, 1, 2], [3, 4, 5]], n_components=6, max_iter=20)
    assert by_hand.parameters["n_runs"] == 1 and by_hand.runs == ()


def test_cli_says_when_it_combines_runs_by_default(short_song, tmp_path, capsys):
    out = tmp_path / "sep"
    assert main(["separate", str(short_song), "-o", str(out), "--max-iter", "20",
                 "-k", "8"]) == 0
    assert "5 factorizations combined" in capsys.readouterr().err
    record = json.loads((out / "song" / "separation.json").read_text())
    assert record["parameters"]["n_runs"] == 5


def test_hand_grouping_gets_one_run_by_default():
    def runs(**options):
        return SeparationConfig(**options).resolve(sr=22050, n_samples=22050).n_runs

    assert runs(groups=[[0], [1]], n_components=2) == 1
    assert runs(grouping="timbre") == 5
    assert runs(n_sources=1) == 1  # its mask is 1 whatever the runs
    assert runs(n_sources=2) == 5


def test_grid_positions_match_frame_centres_and_frequencies():
    fine, coarse = STFTConfig(n_fft=1024, hop=256), STFTConfig(n_fft=2048, hop=512)
    frames, bins = grid_positions(fine, coarse, 0, 4)
    # both STFTs put their first frame's centre one hop before the signal starts
    np.testing.assert_allclose(frames, [-1, 1, 3, 5])
    np.testing.assert_allclose(bins[:4], [0, 0.5, 1, 1.5])
    click = np.zeros(22050, dtype=np.float32)
    click[8192] = 1
    peak_coarse = np.argmax(np.abs(stft(click, coarse)).sum(axis=0))
    peak_fine = np.argmax(np.abs(stft(click, fine)).sum(axis=0))
    assert grid_positions(fine, coarse, peak_coarse, peak_coarse + 1)[0][0] == peak_fine


def linear_masks_run(along: str, n_bins: int = 9, n_frames: int = 12) -> Run:
    """A two-source run whose first ratio mask rises linearly along bins or frames."""
    ramp = np.linspace(0.1, 0.9, n_bins if along == "bins" else n_frames, dtype=np.float32)
    W = np.ones((n_bins, 2), dtype=np.float32)
    H = np.ones((2, n_frames), dtype=np.float32)
    if along == "bins":
        W = np.column_stack([ramp, 1 - ramp])
    else:
        H = np.vstack([ramp, 1 - ramp])
    return Run(W, H, np.array([0, 1]), stft=STFTConfig(n_fft=16, hop=4))


@pytest.mark.parametrize("along", ["bins", "frames"])
def test_masks_of_a_run_with_its_own_stft_are_interpolated_linearly(along):
    run = linear_masks_run(along)
    grid = STFTConfig(n_fft=32, hop=8)  # twice as long: bins at 0, 2, 4…, frames at 1, 3, 5…
    frames, bins = grid_positions(run.stft, grid, 0, 5)
    combined = soft_masks(combine_runs(np.full((2, grid.n_bins, 5), 0.5, np.float32), (run,),
                                       2, 0, 5, config=grid))
    position = bins if along == "bins" else frames
    size = 9 if along == "bins" else 12
    expected_first = np.interp(np.clip(position, 0, size - 1), np.arange(size),
                               np.linspace(0.1, 0.9, size))
    expected_first = expected_first[:, None] if along == "bins" else expected_first[None, :]
    # geometric mean with a flat 0.5 / 0.5 run, normalized
    first = np.sqrt(expected_first + FLOOR)
    second = np.sqrt(1 - expected_first + FLOOR)
    expected = np.broadcast_to(first / (first + second), (grid.n_bins, 5))
    np.testing.assert_allclose(combined[0], expected, rtol=1e-4)


def test_a_run_with_its_own_stft_needs_the_grid_to_combine_on():
    run = linear_masks_run("bins")
    with pytest.raises(ValueError, match="needs the STFT"):
        combine_runs(np.ones((2, 9, 3), np.float32), (run,), 2)


def test_run_plans_two_random_starts_more_components_shorter_frames_then_random():
    run_plan = DEFAULT_POLICY.run_plan
    assert run_plan(1) == run_plan(2) == RunPlan(init="random")
    assert run_plan(3).component_scale == 1.5 and run_plan(3).init == "first"
    assert run_plan(4).frame_scale == 0.5 and run_plan(4).init == "first"
    assert run_plan(5) == run_plan(9) == RunPlan()
    with pytest.raises(ValueError):
        run_plan(0)


@pytest.fixture(scope="module")
def five_runs(example_for_runs):
    return nmfsep.separate(example_for_runs.mixture, example_for_runs.sr, n_sources=2, n_runs=5)


def test_five_runs_follow_their_plans_add_up_and_meet_the_floor(five_runs, example_for_runs):
    runs = five_runs.runs
    assert [run.W.shape[1] for run in runs] == [20, 20, 30, 20]
    assert [run.stft for run in runs[:3]] == [None] * 3
    assert runs[3].stft == STFTConfig(n_fft=1024, hop=256)
    assert runs[3].H.shape[1] > 1.9 * five_runs.H.shape[1]
    np.testing.assert_allclose(five_runs.sources.sum(axis=0), example_for_runs.mixture,
                               atol=1e-5)
    np.testing.assert_allclose(five_runs.masks().sum(axis=0), 1.0, atol=1e-5)
    sdr = evaluate(example_for_runs.sources, five_runs.sources).sdr
    assert sdr[0] > 8.0 and sdr[1] > 4.3


def test_regroup_regroups_the_shorter_frame_run_on_its_own_spectrogram(five_runs):
    regrouped = five_runs.regroup(grouping="timbre")
    assert len(regrouped.runs) == 4
    short = regrouped.runs[3]
    assert short.stft == five_runs.runs[3].stft and short.context is five_runs.runs[3].context
    assert short.labels.shape == (20,) and sorted(set(short.labels.tolist())) == [0, 1]
    np.testing.assert_allclose(regrouped.sources.sum(axis=0), five_runs.sources.sum(axis=0),
                               atol=1e-5)
