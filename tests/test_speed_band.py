"""The band benchmark's stage table: the stages cut from a profile, the report's section."""

from __future__ import annotations

import cProfile
import pstats

import numpy as np
import pytest

from benchmarks.speed.band import STAGES, stage_seconds
from benchmarks.speed.report import _band


def test_stage_seconds_take_the_loss_and_the_inverse_stft_from_the_profile():
    import nmfsep

    example = nmfsep.synth.drums_and_guitar(duration=3.0)
    profile = cProfile.Profile()
    profile.enable()
    sep = nmfsep.separate(example.mixture, example.sr, max_iter=30, random_state=0)
    profile.disable()
    stages = stage_seconds({"read": 0.5, "write": 0.25}, sep.timings, pstats.Stats(profile))
    assert {name for name, _ in STAGES} <= set(stages)
    assert stages["read"] == 0.5 and stages["write"] == 0.25
    assert 0 < stages["loss checks"] < sep.timings["factorize"]
    assert 0 < stages["inverse STFT"] < sep.timings["rebuild"]
    assert np.isclose(stages["factorization"] + stages["loss checks"], sep.timings["factorize"])
    assert np.isclose(stages["masks"] + stages["inverse STFT"], sep.timings["rebuild"])
    assert 0 < stages["percussive mask (HPSS, within grouping)"] <= sep.timings["grouping"]


def test_the_report_marks_the_slowest_stage_and_gives_the_ratio_to_the_anchor():
    stages = {name: 1.0 for name, _ in STAGES}
    stages["masks"] = 5.0
    band = {"started": "t", "load_start": [1.0], "load_end": [1.0], "run_by": "cmd",
            "anchor": {"seconds": 30.0, "shape": [1025, 100]},
            "wall": {"seconds": 10.0, "audio_seconds": 180.0, "n_iter": 200, "peak_mib": 900},
            "stages": {"seconds": 12.0, "stages": stages, "checks": 21},
            "stream": {"error": "boom"}}
    text = "\n".join(_band({"band": band, "command": "cmd"}))
    assert "| **masks** |" in text and "| **factorization** |" not in text
    assert "| 10.0 | 0.33 | 18.0 | 900 |" in text
    assert "The stream run failed: `boom`" in text


FACTS = {"bins": 1025, "frames": 1000, "rank": 20, "runs": 1, "iterations": 200,
         "evaluations": 2, "channels": 2, "sources": 4, "samples": 512_000, "n_fft": 2048,
         "beta": 1.0}
RATES = {"sgemm_gflops": 100.0, "bandwidth_gbs": 10.0}


def test_stage_limits_count_each_stages_work_at_the_measured_rates():
    from benchmarks.speed.machine import limit
    from benchmarks.speed.stage_limits import stage_limits

    limits = stage_limits(FACTS, RATES)
    assert set(limits) == {name for name, _ in STAGES}
    # 200 iterations of the iteration's own limit
    assert np.isclose(limits["factorization"], 200 * limit((1025, 1000), 20, 1.0, RATES))
    # reading: 2 channels × 512000 float32 samples, read and written, at 10 GB/s
    assert np.isclose(limits["read"], 2 * 4 * 2 * 512_000 / 10e9)
    # inverse STFT: 4 sources × 2 channels × 1000 frames × 2.5·2048·11 flops at 100 GFLOP/s
    assert np.isclose(limits["inverse STFT"], 4 * 2 * 1000 * 2.5 * 2048 * 11 / 100e9)
    assert np.isclose(limits["write"], 4 * limits["read"])
    assert all(value > 0 for value in limits.values())


def test_the_report_gives_each_stage_its_limit_and_the_ratio_to_it():
    from benchmarks.speed.stage_limits import stage_limits

    stages = {name: 1.0 for name, _ in STAGES}
    band = {"started": "t", "load_start": [1.0], "load_end": [1.0], "run_by": "cmd",
            "anchor": {}, "wall": {}, "stream": {},
            "stages": {"seconds": 9.0, "stages": stages, "checks": 21, "facts": FACTS,
                       "machine": RATES}}
    text = "\n".join(_band({"band": band, "command": "cmd"}))
    bound = stage_limits(FACTS, RATES)["factorization"]
    assert f"| 1.00 | 11 % | {bound:.2f} | {1.0 / bound:.1f} |" in text
    assert "100 GFLOP/s (sgemm), 10 GB/s" in text


def test_the_report_gives_the_sixty_minute_file_its_row_and_its_stages():
    band = {"started": "t", "load_start": [1.0], "load_end": [1.0], "run_by": "cmd",
            "anchor": {"seconds": 30.0, "shape": [1025, 100]},
            "wall": {"seconds": 10.0, "audio_seconds": 180.0, "n_iter": 200, "peak_mib": 900},
            "stages": {}, "stream": {},
            "long": {"seconds": 300.0, "audio_seconds": 3600.0, "n_iter": 200, "sources": 4,
                     "peak_mib": 3000, "timings": {"factorize": 120.0, "rebuild": 60.0}}}
    text = "\n".join(_band({"band": band, "command": "cmd"}))
    assert "repeated to 60 min" in text and "| 300.0 | | 12.0 | 3000 |" in text
    assert "The 60-minute file's stages: factorize 120.0 s, rebuild 60.0 s." in text
    band["long"] = {"error": "killed"}
    assert "The 60-minute run failed: `killed`" in "\n".join(_band({"band": band,
                                                                     "command": "cmd"}))


def test_the_report_shows_the_rebuild_at_each_block_length_with_the_default_in_bold():
    band = {"started": "t", "load_start": [1.0], "load_end": [1.0], "run_by": "cmd",
            "anchor": {}, "wall": {}, "stages": {}, "stream": {}, "long": {},
            "blocks": {"seconds": {"128": 1.1, "512": 1.0, "8192": 2.8},
                       "max_difference": {"128": 3e-8, "512": 0.0, "8192": 6e-8},
                       "default": 512, "sources": 2, "channels": 2, "bins": 2049,
                       "consistent": True}}
    text = "\n".join(_band({"band": band, "command": "cmd"}))
    assert "### The rebuild's block length" in text
    assert "| **512** | 1.00 | 0.0e+00 |" in text and "| 8192 | 2.80 | 6.0e-08 |" in text
    del band["blocks"]
    assert "block length" not in "\n".join(_band({"band": band, "command": "cmd"}))


def test_the_stream_stage_table_counts_the_activations_against_their_limit():
    from benchmarks.speed.band import STREAM_STAGES

    stages = {name: 0.5 for name, *_ in STREAM_STAGES}
    stages["activations"] = 3.0
    run = {"seconds": 5.5, "stages": stages, "bins": 1000, "components": 50,
           "column_sweeps": 2_000_000, "machine": {"sgemm_gflops": 200.0}}
    band = {"started": "t", "load_start": [1.0], "load_end": [1.0], "run_by": "cmd",
            "anchor": {}, "wall": {}, "stages": {}, "stream": {}, "long": {},
            "stream_stages": run}
    text = "\n".join(_band({"band": band, "command": "cmd"}))
    # 4 flops per bin, component and frame-sweep: 4e11 flops at 200 GFLOP/s
    assert "| activations | the dictionaries' activations of every batch | 3.00 | 55 % | " \
           "2.00 | 1.5 |" in text
    assert "| other | reading the file, the input's buffer, the outputs closed | 0.50 | 9 % |" \
           in text
    del band["stream_stages"]
    assert "The stream, stage by stage" not in "\n".join(_band({"band": band,
                                                                 "command": "cmd"}))


def test_the_band_section_states_issue_28s_targets_with_this_runs_values():
    band = {"started": "t", "load_start": [1.0], "load_end": [1.0], "run_by": "cmd",
            "anchor": {"seconds": 24.0, "shape": [1025, 100]},
            "wall": {"seconds": 8.0, "audio_seconds": 180.0, "n_iter": 200, "peak_mib": 900},
            "stages": {}, "stream": {"seconds": 4.0, "audio_seconds": 180.0, "command": "c"},
            "long": {"seconds": 300.0, "audio_seconds": 3600.0, "n_iter": 200, "sources": 4,
                     "peak_mib": 3000}}
    text = "\n".join(_band({"band": band, "command": "cmd"}))
    assert "× scikit-learn's KL NMF alone | ≤ 0.33 | 0.33 |" in text
    assert "× real time | ≥ 30 (≥ 50 in the benchmark) | 45.0 |" in text
    assert "60-min stereo band file, peak memory | ≤ 4096 MiB | 3000 MiB |" in text


def test_the_gpu_benchmark_prints_every_engine_side_by_side_with_equal_losses(capsys,
                                                                              tmp_path):
    pytest.importorskip("torch")
    import soundfile as sf

    import nmfsep
    from benchmarks.speed import gpu

    example = nmfsep.synth.drums_and_guitar(duration=2.0)
    path = tmp_path / "mix.wav"
    sf.write(path, np.atleast_2d(example.mixture).T, example.sr)
    gpu.main(["--input", str(path)])
    lines = capsys.readouterr().out.splitlines()
    rows = {line[:40].strip(): line[40:].split() for line in lines[2:]
            if not line.startswith("no GPU")}
    assert {"numpy engine (CPU)", "torch, cpu"} <= set(rows)
    losses = [float(values[1]) for values in rows.values()]
    assert max(losses) - min(losses) <= 1e-4 * max(losses)


def test_the_band_section_states_the_versions_its_run_recorded_not_todays():
    band = {"started": "t", "load_start": [1.0], "load_end": [1.0], "run_by": "cmd",
            "anchor": {}, "wall": {}, "stages": {}, "stream": {}, "long": {},
            "versions": {"numpy": "9.9.9", "scikit-learn": "0.0.1"}}
    text = "\n".join(_band({"band": band, "command": "cmd"}))
    assert "numpy 9.9.9" in text and "scikit-learn 0.0.1" in text
    assert "scipy not recorded" in text


def test_the_report_states_the_streams_latency_from_its_block_and_frame():
    band = {"started": "t", "load_start": [1.0], "load_end": [1.0], "run_by": "cmd",
            "anchor": {}, "wall": {}, "stages": {}, "long": {},
            "stream": {"seconds": 4.0, "startup_seconds": 0.4, "audio_seconds": 180.0,
                       "command": "c",
                       "latency": {"n_fft": 4096, "block_size": 32768, "sr": 44100}}}
    text = "\n".join(_band({"band": band, "command": "cmd"}))
    assert "(32768 samples) plus a frame (n_fft 4096), 836 ms at 44100 Hz" in text


def test_the_fastest_of_repeated_runs_is_kept_with_every_runs_time():
    from benchmarks.speed.run import fastest

    runs = [{"seconds": 9.0, "peak_mib": 800}, {"seconds": 8.0, "peak_mib": 810},
            {"seconds": 8.5, "peak_mib": 805}]
    best = fastest(runs)
    assert best == {"seconds": 8.0, "peak_mib": 810, "runs_seconds": [9.0, 8.0, 8.5]}
    assert fastest(runs[:1]) == runs[0]  # one run: as it is
    failed = {"error": "exit 1", "command": "x"}
    assert fastest([runs[0], failed]) is failed


def test_the_report_says_how_many_runs_each_timed_row_took_the_fastest_of():
    band = {"started": "t", "load_start": [1.0], "load_end": [1.0], "run_by": "cmd",
            "anchor": {"seconds": 30.0, "shape": [1025, 100], "runs_seconds": [31.0, 30.0, 32.0]},
            "wall": {"seconds": 8.0, "audio_seconds": 180.0, "n_iter": 200, "peak_mib": 800,
                     "runs_seconds": [8.0, 9.5, 8.2]}}
    text = "\n".join(_band({"band": band, "command": "cmd"}))
    assert "Scikit-learn's anchor ran 3 times, each in a fresh process; its rows give the " \
           "fastest run (all: 31.0, 30.0, 32.0 s)." in text
    assert "The end-to-end separation ran 3 times" in text and "8.0, 9.5, 8.2 s" in text


def test_the_report_gives_the_named_separation_its_row_beside_the_defaults():
    band = {"started": "t", "load_start": [1.0], "load_end": [1.0], "run_by": "cmd",
            "anchor": {"seconds": 30.0, "shape": [1025, 100]},
            "wall": {"seconds": 8.0, "audio_seconds": 180.0, "n_iter": 200, "peak_mib": 800},
            "named": {"seconds": 12.0, "audio_seconds": 180.0, "n_iter": 200, "peak_mib": 850,
                      "names": ["drums", "rest"], "runs_seconds": [12.0, 12.5]}}
    text = "\n".join(_band({"band": band, "command": "cmd"}))
    assert ("| the same with the sources named `drums,rest` (the drums also modelled by the "
            "drum templates: one shorter factorization more) | 12.0 | 0.40 | 15.0 | 850 |") in text
    assert "The separation with the sources named ran 2 times" in text
