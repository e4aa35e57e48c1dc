"""The quality benchmark's real categories (``../shared/real-tuning``) and their anchors.

Tests marked by the ``folder`` fixture read the real recordings; they skip, with the
reason, when the folder is missing, except under CI (``$CI`` set), where the folder is
beside the checkout and a missing folder fails them.  The others build a small folder of
their own.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import nmfsep
from benchmarks.quality import __main__ as bench
from benchmarks.quality import drum_nmfd, real
from benchmarks.quality.anchors import centroid_labels, kmeans_1d
from benchmarks.quality.report_real import TITLE, real_section, worst_first

SR = 22050
EXPECTED = {
    "real:drums+rest": ["md_beatles", "md_country1", "md_punk", "md_rockabilly", "md_shadows"],
    "real:drums+bass+other+vocals": ["md_beatles", "md_country1", "md_punk", "md_rockabilly"],
    "real:vocals+accompaniment": ["md_beatles", "md_country1", "md_punk", "md_rockabilly"],
    "real:kick+snare+hihat": ["gmd5_heavy", "gmd5_motown_revisited", "gmd6_portland",
                              "gmd6_socal"],
}


@pytest.fixture(scope="module")
def folder() -> Path:
    try:
        return real.locate()
    except real.RealFolderMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI has ../shared beside the checkout)")
        pytest.skip(str(missing))


def _write_folder(root: Path, recordings: dict[str, dict[str, np.ndarray]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    manifest = {"sr": SR, "recordings": []}
    for rec_id, stems in recordings.items():
        (root / rec_id).mkdir(parents=True)
        for stem, audio in stems.items():
            sf.write(str(root / rec_id / f"{stem}.flac"), audio, SR, subtype="PCM_24")
        manifest["recordings"].append({"id": rec_id, "stems": list(stems)})
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def _noise(rng: np.random.Generator, level_db: float, n: int = SR) -> np.ndarray:
    """Noise with RMS ``level_db`` dB re. full scale."""
    return (rng.standard_normal(n) * 10 ** (level_db / 20)).astype(np.float32)


# --------------------------------------------------------------------------- the folder

def test_missing_folder_is_one_line_naming_it_and_the_variable(tmp_path, monkeypatch):
    with pytest.raises(real.RealFolderMissing) as caught:
        real.locate(tmp_path)
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path) in message and real.ENV_VAR in message
    monkeypatch.setenv(real.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(real.RealFolderMissing, match="nowhere"):
        real.locate()


def test_env_var_and_argument_choose_the_folder(tmp_path, monkeypatch):
    made = _write_folder(tmp_path / "recs", {})
    monkeypatch.setenv(real.ENV_VAR, str(made))
    assert real.locate() == made
    monkeypatch.setenv(real.ENV_VAR, str(tmp_path / "nowhere"))
    assert real.locate(made) == made  # the argument (--real-dir) wins


def test_benchmark_says_so_in_one_line_and_runs_the_rest(tmp_path, monkeypatch, capsys):
    rendered = []
    monkeypatch.setattr(bench, "run_rendered",
                        lambda args, argv, categories, *rest: rendered.append(categories))
    code = bench.main(["--categories", "chorale,real:drums+rest", "--real-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 0 and rendered == [["chorale"]]
    assert err.count("\n") == 1 and "real recordings not found" in err
    # only real categories asked for, and none can run: the same line, and a failure code
    assert bench.main(["--real", "--real-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err == err


# --------------------------------------------------------------------------- building items

def test_items_from_a_folder_sum_exactly_and_leave_silent_stems_out(tmp_path, rng):
    loud = {name: _noise(rng, -20) for name in ("drums", "bass", "other")}
    made = _write_folder(tmp_path, {
        "md_quiet_voice": dict(loud, vocals=_noise(rng, -20 - 70)),  # 70 dB under: silent
        "md_soft_voice": {**{k: _noise(rng, -20) for k in loud},
                          "vocals": _noise(rng, -20 - 50)},  # 50 dB under: a source
        "gmd_kit": {name: _noise(rng, -25) for name in ("kick", "snare", "hihat")},
    })
    items = {item.name: item for item in real.build_all(made)}
    assert set(items) == {
        "real:drums+rest-md_quiet_voice", "real:drums+rest-md_soft_voice",
        "real:drums+bass+other+vocals-md_quiet_voice",
        "real:drums+bass+other+vocals-md_soft_voice",
        "real:vocals+accompaniment-md_soft_voice",  # without its voice, no item
        "real:kick+snare+hihat-gmd_kit"}
    for item in items.values():
        assert item.mixture.dtype == np.float32 and item.sources.dtype == np.float32
        assert item.mixture.shape == (1, SR) and item.sources.shape == (len(item.names), 1, SR)
        assert np.array_equal(item.sources.sum(axis=0), item.mixture)
    quiet = items["real:drums+bass+other+vocals-md_quiet_voice"]
    assert quiet.names == ["drums", "bass", "other"]
    assert list(quiet.info["left_out"]) == ["vocals"]
    assert quiet.info["left_out"]["vocals"] < real.SILENCE_DB
    rest = items["real:drums+rest-md_quiet_voice"]
    assert rest.info["stems"] == {"drums": ["drums"], "rest": ["bass", "other"]}
    stems = {name: sf.read(str(made / "md_quiet_voice" / f"{name}.flac"), dtype="float32")[0]
             for name in loud}
    np.testing.assert_array_equal(rest.sources[1, 0], stems["bass"] + stems["other"])
    soft = items["real:vocals+accompaniment-md_soft_voice"]
    assert soft.names == ["vocals", "accompaniment"] and soft.info["left_out"] == {}
    assert soft.info["stems"]["accompaniment"] == ["drums", "bass", "other"]


def test_real_categories_have_their_recordings(folder):
    for category, expected in EXPECTED.items():
        items = real.build_category(category, folder)
        assert [item.info["recording"] for item in items] == expected
        spec = dict(real.CATEGORIES[category].sources)
        for item in items:
            assert item.names == list(spec) and item.sr == SR
            assert item.name == f"{category}-{item.info['recording']}"
            assert np.array_equal(item.sources.sum(axis=0), item.mixture)


def test_resummed_mixture_is_the_folders_mix_up_to_24_bit_rounding(folder):
    for category in ("real:drums+rest", "real:kick+snare+hihat"):  # every stem used
        for item in real.build_category(category, folder, n_items=2, seconds=3.0):
            mix, _ = sf.read(str(folder / item.info["recording"] / "mix.flac"),
                             frames=item.mixture.shape[-1], dtype="float64")
            n_stems = len(item.info["levels_db"])
            lsb = 2.0 ** -23  # each file is rounded to 24 bits
            assert np.max(np.abs(item.mixture[0] - mix)) <= (n_stems + 1) * lsb


def test_a_stem_silent_in_the_excerpt_is_left_out(folder):
    """md_punk's singer starts after its first two seconds."""
    punk = next(r for r in real.recordings(folder) if r["id"] == "md_punk")
    item = real.build("real:drums+bass+other+vocals", punk, folder, seconds=2.0)
    assert item.names == ["drums", "bass", "other"] and list(item.info["left_out"]) == ["vocals"]
    assert real.build("real:vocals+accompaniment", punk, folder, seconds=2.0) is None
    whole = real.build("real:drums+bass+other+vocals", punk, folder)
    assert whole.names == ["drums", "bass", "other", "vocals"] and whole.info["left_out"] == {}


# --------------------------------------------------------------------------- anchors

def test_kmeans_1d_is_the_optimum_over_every_labelling(rng):
    def sse(values, labels):
        return sum(((values[labels == j] - values[labels == j].mean()) ** 2).sum()
                   for j in np.unique(labels))

    for _ in range(5):
        values = rng.normal(size=7) * rng.uniform(0.5, 3, size=7)
        labels = kmeans_1d(values, 3)
        best = min(sse(values, np.array(lab)) for lab in itertools.product(range(3), repeat=7)
                   if len(set(lab)) == 3)
        assert len(set(labels)) == 3
        assert sse(values, labels) == pytest.approx(best, rel=1e-9)
        means = [values[labels == j].mean() for j in range(3)]
        assert means == sorted(means)  # cluster 0 is the lowest


def test_centroid_groups_templates_by_register():
    freqs = np.linspace(0, SR / 2, 1025)
    peaks = [80, 100, 120, 900, 1100, 6000, 7000]
    W = np.stack([np.exp(-0.5 * ((freqs - f) / 20) ** 2) + 1e-9 for f in peaks], axis=1)
    np.testing.assert_array_equal(centroid_labels(W, SR, 3), [0, 0, 0, 1, 1, 2, 2])


def test_drum_pieces_by_name():
    assert [drum_nmfd.drum_piece(n) for n in ("Kick", "hi-hat", "HH", "toms", "ride", "bass")] \
        == ["kick", "hihat", "hihat", "toms", "cymbals", None]
    assert drum_nmfd.applies(["kick", "snare", "hihat"])
    assert drum_nmfd.applies(["kick", "snare", "hihat", "toms"])
    assert not drum_nmfd.applies(["drums", "rest"])
    assert not drum_nmfd.applies(["kick", "bass drum"])  # the same piece twice
    assert not drum_nmfd.applies(["kick"])


def test_nmfd_recipe_outputs_each_piece_under_its_name(folder):
    if not drum_nmfd.KIT.is_dir():
        pytest.skip(f"{drum_nmfd.KIT} missing (Debian package hydrogen-drumkits)")
    pytest.importorskip("libnmfd")
    heavy = next(r for r in real.recordings(folder) if r["id"] == "gmd5_heavy")
    item = real.build("real:kick+snare+hihat", heavy, folder, seconds=3.0)
    estimates = drum_nmfd.separate(item.mixture, item.sr, item.names)
    assert estimates.shape == item.sources.shape and estimates.dtype == np.float32
    by_name = {row["source"]: row["sdr"] for row in bench.score(item, estimates, permute=False)}
    assert by_name["kick"] > 20.0 and by_name["snare"] > 10.0
    swapped = bench.score(item, estimates[[1, 0, 2]], permute=False)
    assert swapped[0]["sdr"] < 0.0  # scored by name, not matched to the best source


# --------------------------------------------------------------------------- report

def _records(method, category, item, values):
    return [dict(method=method, category=category, item=item, source=f"s{i}", sdr=v, sir=v,
                 sar=v, si_sdr=v, sdri=v, seconds=1.0) for i, v in enumerate(values)]


def test_section_shows_the_worst_category_first_and_a_skipped_anchor_once():
    records = (_records("nmfsep (defaults)", "real:a", "real:a-x", [5.0, 7.0])
               + _records("nmfsep (defaults)", "real:b", "real:b-x", [-1.0, 1.0])
               + _records("plain NMF, oracle grouping", "real:a", "real:a-x", [8.0, 8.0])
               + _records("NMF + low-frequency centroid", "real:b", "real:b-x", [2.0, 2.0]))
    assert worst_first(records, ["real:a", "real:b"]) == ["real:b", "real:a"]
    result = dict(
        records=records, categories=["real:a", "real:b"], folder="../shared/real-tuning",
        command="python -m benchmarks.quality --real", started="now", seconds=60.0,
        silence_db=-60.0, excerpt_seconds=None,
        methods=[dict(name=n, kind="blind", doc="", note="") for n in
                 ("nmfsep (defaults)", "NMF + low-frequency centroid",
                  "plain NMF, oracle grouping")],
        unavailable={"nussl NMF-MFCC": "nussl 1.1.9 does not import"},
        items={"real:a-x": dict(stems={"s0": ["s0"]}, levels_db={"s0": 0.0}, left_out={})})
    page = real_section(result, ("NMF + low-frequency centroid",), set())
    assert page.startswith(f"## {TITLE}\n")
    assert page.count("nussl 1.1.9 does not import") == 1
    header = next(line for line in page.splitlines() if line.startswith("| method | real:"))
    assert header.index("real:b") < header.index("real:a")
    targets = [line for line in page.splitlines() if line.startswith("| real:")]
    assert targets[0].startswith("| real:b | 0.0 | NMF + low-frequency centroid 2.0 | -2.0 | no")


def test_the_studies_get_no_real_items_and_one_line_without_the_folder(tmp_path, capsys):
    from benchmarks.quality.real import items_or_say

    assert items_or_say(["real:drums+rest"], tmp_path / "absent") == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("real recordings not found:")
    assert err[0].count("skipped") == 1


# --------------------------------------------------------------------------- the regroup harness

def test_the_regroup_harness_takes_the_real_items_by_half(tmp_path, rng, monkeypatch):
    from benchmarks.quality import regroup

    made = _write_folder(tmp_path, {
        name: {stem: _noise(rng, -20) for stem in ("drums", "bass", "other", "vocals")}
        for name in ("md_c", "md_a", "md_b")})
    monkeypatch.setenv(real.ENV_VAR, str(made))
    assert [i.name for i in regroup.real_items("real:drums+rest")] == [
        "real:drums+rest-md_a", "real:drums+rest-md_b", "real:drums+rest-md_c"]
    categories = ["real:drums+rest", "real:vocals+accompaniment"]
    assert regroup.real_jobs(categories, "tuning") == [
        ("real:drums+rest", 0), ("real:drums+rest", 2),
        ("real:vocals+accompaniment", 0), ("real:vocals+accompaniment", 2)]
    assert regroup.real_jobs(categories, "reporting") == [
        ("real:drums+rest", 1), ("real:vocals+accompaniment", 1)]
    # measured like a rendered item: the defaults regrouped give the separation back
    monkeypatch.setattr(regroup, "cached_separation", lambda item, tag: nmfsep.separate(
        item.mixture, item.sr, n_sources=len(item.names), n_runs=1))
    record = regroup.measure_real_item("real:drums+rest", 1, [regroup.DEFAULTS])
    assert record["item"] == "real:drums+rest-md_b" and record["reproduces"]
    assert len(record["sdr"]["defaults"]) == 2


def test_the_regroup_harness_says_so_without_the_folder(tmp_path, monkeypatch, capsys):
    from benchmarks.quality import regroup

    monkeypatch.setenv(real.ENV_VAR, str(tmp_path / "absent"))
    assert regroup.real_jobs(["real:drums+rest"], "all") == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("real recordings not found:")
    assert err[0].count("skipped") == 1
    # asked for the real set alone: nothing to measure, said, and a failure code
    assert regroup.main(["--sets", "real", "--categories", "real:drums+rest"]) == 1
    assert "no items to measure" in capsys.readouterr().err


# --------------------------------------------------------------------------- the supervised harness

def test_the_supervised_harness_trains_on_the_other_recordings_alone(tmp_path, rng, monkeypatch):
    from benchmarks.quality import supervised

    stems = {name: {stem: _noise(rng, -20) for stem in ("drums", "bass", "other", "vocals")}
             for name in ("md_c", "md_a", "md_b")}
    monkeypatch.setenv(real.ENV_VAR, str(_write_folder(tmp_path, stems)))
    item = supervised.real_item("real:drums+rest", 1)  # md_b, by sorted name
    assert item.name == "real:drums+rest-md_b" and item.names == ["drums", "rest"]
    # the training clips: md_a's then md_c's stems of each source, end to end, not md_b's
    a, c = real.build("real:drums+rest", {"id": "md_a", "stems": list(stems["md_a"])},
                      real.locate()), \
        real.build("real:drums+rest", {"id": "md_c", "stems": list(stems["md_c"])},
                   real.locate())
    for j, name in enumerate(item.names):
        expected = np.concatenate([a.sources[j], c.sources[j]], axis=-1)
        np.testing.assert_array_equal(item.training[name], expected)
    assert real.jobs(["real:drums+rest"], "reporting") == [("real:drums+rest", 1)]
    assert real.jobs(["real:drums+rest"], "all") == [
        ("real:drums+rest", 0), ("real:drums+rest", 1), ("real:drums+rest", 2)]


def test_the_supervised_harness_says_so_without_the_folder(tmp_path, monkeypatch, capsys):
    from benchmarks.quality import supervised

    monkeypatch.setenv(real.ENV_VAR, str(tmp_path / "absent"))
    assert real.jobs(["real:drums+rest"], "all") == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("real recordings not found:")
    assert err[0].count("skipped") == 1
    out = tmp_path / "r.json"
    assert supervised.main(["--real", "--categories", "", "--out", str(out)]) == 1
    assert "no items to measure" in capsys.readouterr().err and not out.exists()


def test_the_supervised_section_reports_the_real_recordings_apart(tmp_path):
    from benchmarks.quality import supervised_report as report

    records = []
    for category, items, base in (("cat", 4, 5.0), ("real:drums+rest", 3, 1.0)):
        for method, lead in ((report.BLIND, 0.0), (report.PLAIN, 1.0), ("mine", 3.0)):
            for index in range(items):
                records.append(dict(category=category, item=index,
                                    half="tuning" if index % 2 == 0 else "reporting",
                                    method=method, source="a", sdr=base + lead + index,
                                    seconds=1.0))
    result = dict(command="c", started="now", duration=10.0, items=4,
                  categories=["cat", "real:drums+rest"], records=records, docs={})
    text = report.section(result)
    main, real_part = text.split("### Real recordings (../shared/real-tuning)")
    assert "real:drums+rest" not in main
    # every real recording together: median of base + lead + (0, 1, 2)
    assert "| mine | 5.0 |" in real_part and "| blind auto | 2.0 |" in real_part
    assert "| mine | +3.0 / +2.0 |" in real_part and "real:drums+rest: 3" in real_part
