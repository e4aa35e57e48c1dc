"""benchmarks/drums/report.py: docs/drums.md from the drum benchmark's records."""

import json

from benchmarks.drums.report import real_half, write_docs


def _records():
    """Two rendered items and four real ones; nmfsep and libnmfd with known SDRs."""
    rows = []

    def add(item, category, half, method, sdrs, seconds):
        for piece, sdr in sdrs.items():
            rows.append(dict(item=item, category=category, half=half, method=method,
                             piece=piece, sdr=sdr, seconds=seconds, audio_seconds=15.0,
                             kit="k", rest=False))

    for half in ("tuning", "reporting"):
        add(f"drumkit-3-{half}", "drumkit-3", half, "nmfsep drums",
            dict(kick=20.0, snare=10.0, hihat=5.0), 1.0)
        add(f"drumkit-3-{half}", "drumkit-3", half, "libnmfd NMFD recipe",
            dict(kick=18.0, snare=9.0, hihat=4.0), 5.0)
    # sorted: a (tuning), b (reporting), c (tuning), d (reporting)
    for item, mine in (("d", 30.0), ("c", 10.0), ("b", 20.0), ("a", 12.0)):
        add(item, "real: kick+snare+hihat", "real", "nmfsep drums",
            dict(kick=mine, snare=mine, hihat=mine), 1.0)
        add(item, "real: kick+snare+hihat", "real", "libnmfd NMFD recipe",
            dict(kick=mine - 2, snare=mine - 2, hihat=mine - 2), 5.0)
    return rows


def test_real_halves_follow_the_sorted_positions():
    assert real_half([dict(item=n) for n in ("gmd6_socal", "gmd5_heavy", "gmd6_portland",
                                             "gmd5_motown_revisited")]) == {
        "gmd5_heavy": "tuning", "gmd5_motown_revisited": "reporting",
        "gmd6_portland": "tuning", "gmd6_socal": "reporting"}


def test_the_page_has_each_half_of_the_real_recordings_and_the_speed_ratio(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    run = dict(command="python -m benchmarks.drums", started="now",
               machine=dict(commit="abc", cpu="cpu", cores=2), records=_records())
    (results / "drums.json").write_text(json.dumps(run))
    page = write_docs(results, tmp_path / "docs").read_text()
    lines = page.splitlines()
    # reporting half of the real items: b (20) and d (30) -> median 25 vs 23
    row = next(x for x in lines if x.startswith("| real: kick+snare+hihat (reporting half)"))
    assert "| 25.0 | 23.0 | +2.0 |" in row
    row = next(x for x in lines if x.startswith("| real: kick+snare+hihat (tuning half)"))
    assert "| 11.0 | 9.0 | +2.0 |" in row
    # the per-recording table names each recording's half
    assert any(x.startswith("| b | reporting |") for x in lines)
    assert any(x.startswith("| c | tuning |") for x in lines)
    # speed: 1 s vs 5 s for 15 s of audio, in the same run
    assert "| drums only | 4.0 | 20.0 | 5.0× |" in page
    assert "![The shipped templates](figures/drum_templates.png)" in page
