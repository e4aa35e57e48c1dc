"""The studio's small parts: PNG writer, figures, assignment text, words, names, options."""

from __future__ import annotations

import io
import shlex

import numpy as np
import pytest
from PIL import Image

from nmfsep.errors import ParameterError
from nmfsep.grouping import parse_groups
from nmfsep.studio.assignment import (
    Assignment,
    check_names,
    command_line,
    groups_text,
    parse_saved,
    saved_text,
)
from nmfsep.studio.command import parse_duration
from nmfsep.studio.describe import describe
from nmfsep.studio.figures import (
    activation_curves,
    band_starts,
    spectrogram_levels,
    spectrum_curves,
)
from nmfsep.studio.png import COLORMAP, colorize, png_bytes
from nmfsep.studio.uploads import display_name, safe_suffix


def test_png_bytes_decode_to_the_same_pixels_with_pillow(rng):
    rgb = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(png_bytes(rgb))).convert("RGB"))
    np.testing.assert_array_equal(decoded, rgb)


def test_png_bytes_refuses_an_array_that_is_not_an_rgb_image():
    with pytest.raises(ValueError, match="RGB"):
        png_bytes(np.zeros((4, 4), np.uint8))


def test_colorize_puts_the_anchors_at_evenly_spaced_levels():
    levels = np.linspace(0, 1, len(COLORMAP))[np.newaxis, :]
    np.testing.assert_array_equal(colorize(levels)[0], COLORMAP.astype(np.uint8))
    np.testing.assert_array_equal(colorize(np.array([[-1.0, 2.0, np.nan]]))[0],
                                  COLORMAP[[0, -1, 0]].astype(np.uint8))


def test_the_spectrogram_picture_puts_a_tone_in_its_band_and_low_frequencies_at_the_bottom():
    sr, n_bins, height = 22050, 1025, 64
    S = np.full((n_bins, 100), 1e-6, np.float32)
    tone_bin = int(round(1000 / (sr / 2) * (n_bins - 1)))
    S[tone_bin, 50] = 1.0
    levels = spectrogram_levels(S, sr, height=height, width=10)
    assert levels.shape == (height, 10)
    row, column = np.unravel_index(np.argmax(levels), levels.shape)
    assert column == 5  # frames 50..59 fall on the sixth column
    starts = band_starts(n_bins, sr, height)
    band = height - 1 - row  # counted from the bottom
    low = starts[band]
    high = starts[band + 1] if band + 1 < height else n_bins
    assert low <= tone_bin < max(high, low + 1)  # the band's bins hold the tone
    assert levels.max() == 1.0 and levels.min() == 0.0


def test_spectrum_and_activation_curves_peak_at_one_and_stay_finite_for_silence():
    W = np.zeros((513, 3), np.float32)
    W[:, 0] = 1.0
    W[100, 1] = 5.0
    curves = spectrum_curves(W, 16000, n_points=32)
    assert curves.shape == (3, 32)
    np.testing.assert_allclose(curves[0], 1.0)
    assert curves[1].max() == 1.0 and np.isfinite(curves).all()
    H = np.zeros((2, 500), np.float32)
    H[0, 250] = 4.0
    activations = activation_curves(H, n_points=50)
    assert activations.shape == (2, 50)
    assert activations[0, 25] == 1.0 and activations[0].sum() == 1.0
    np.testing.assert_array_equal(activations[1], 0.0)


def test_groups_text_writes_ranges_that_the_command_lines_parser_reads_back():
    assignment = Assignment(("drums", "guitar", "empty"), (0, 0, 0, 1, 0, 1, 1, 1, 0))
    text = groups_text(assignment)
    assert text == "0-2,4,8;3,5-7"
    assert parse_groups(text) == [[0, 1, 2, 4, 8], [3, 5, 6, 7]]


def test_a_saved_assignment_loads_back_with_its_names():
    assignment = Assignment(("kick and snare", "guitar"), (1, 0, 0, 1))
    text = saved_text(assignment)
    assert text == "--groups \"1,2;0,3\" --names 'kick and snare,guitar'\n"
    loaded = parse_saved(text, 4)
    assert loaded.names == ("kick and snare", "guitar")
    assert loaded.labels == (1, 0, 0, 1)


def test_bare_groups_keep_the_current_names_and_invent_the_missing_ones():
    loaded = parse_saved("0;1-2;3", 4, names=["drums", "source2"])
    assert loaded.names == ("drums", "source2", "source3")
    assert loaded.labels == (0, 1, 1, 2)


@pytest.mark.parametrize("text, message", [
    ("0,1;2", "components \\[3\\] are in no group"),
    ("0,1;1,2,3", "component 1 is in group 1 and group 2"),
    ("0-4", "component 4 does not exist"),
    ("0,x;1", "not a component index"),
    ('--groups "0,1;2,3" --names a', "--names gives 1 names for 2 sources"),
    ("--groups", "write the assignment as"),
    ("", "empty"),
])
def test_a_wrong_assignment_text_is_refused_with_the_reason(text, message):
    with pytest.raises(ParameterError, match=message):
        parse_saved(text, 4)


@pytest.mark.parametrize("names, message", [
    (["a/b"], "cannot name a source"), ([".hidden"], "cannot name a source"),
    (["a,b"], "cannot name a source"), (["a", "a"], "its own name"), ([""], "1 to 40"),
    (["x" * 41], "1 to 40"), ([], "1 to 16"),
])
def test_source_names_must_be_usable_as_file_names_and_as_names_option(names, message):
    with pytest.raises(ParameterError, match=message):
        check_names(names)


def test_the_command_shown_parses_with_the_command_line_to_the_same_assignment():
    from nmfsep.cli import build_parser

    assignment = Assignment(("drums", "my guitar"), (0, 1, 1, 0, 1))
    command = command_line("my song.wav", "my song_stems", assignment)
    words = shlex.split(command)
    assert words[:2] == ["nmfsep", "separate"]
    args = build_parser().parse_args(words[1:])
    assert args.inputs == ["my song.wav"]
    assert args.from_dir == "my song_stems"
    assert parse_groups(args.groups) == [[0, 3], [1, 2, 4]]
    assert args.names == "drums,my guitar"


def test_assignment_checked_refuses_labels_that_do_not_fit():
    with pytest.raises(ParameterError, match="component 1: source 2 does not exist"):
        Assignment.checked(["a", "b"], [0, 2, 1], 3)
    with pytest.raises(ParameterError, match="each of the 3 components"):
        Assignment.checked(["a", "b"], [0, 1], 3)


def test_words_describe_register_texture_and_attack():
    assert describe({"centroid_hz": 150.0, "flatness": 0.001, "energy": 0.18,
                     "percussiveness": 0.1}) == (
        "low (centre 150 Hz), tonal, sustained; 18 % of the energy")
    assert describe({"centroid_hz": 7000.0, "flatness": 0.5, "energy": 0.05,
                     "spikiness": 0.9}) == (
        "very high (centre 7.0 kHz), noisy, hits; 5 % of the energy")


def test_client_file_names_are_reduced_to_a_safe_display_name_and_suffix():
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("C:\\music\\song.wav") == "song.wav"
    assert display_name("a\x00b\nc.wav") == "abc.wav"
    assert display_name("..") == "upload"
    assert safe_suffix("song.FLAC") == ".flac"
    assert safe_suffix("song.wav;rm -rf") == ""
    assert safe_suffix("noext") == ""


@pytest.mark.parametrize("text, seconds", [("90", 90.0), ("90s", 90.0), ("20m", 1200.0),
                                           ("20min", 1200.0), ("1.5h", 5400.0)])
def test_durations_read_seconds_minutes_and_hours(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0", "-5", "ten", "5 days"])
def test_a_duration_that_is_not_one_is_refused(text):
    with pytest.raises(ParameterError, match="--max-duration"):
        parse_duration(text)


def test_a_truncated_upload_is_noted_once_under_the_users_name(tmp_path):
    import warnings

    import soundfile as sf

    from nmfsep.studio.engine import read_recording

    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    whole = tmp_path / "whole.wav"
    sf.write(whole, y, 16000, subtype="PCM_16")
    private = tmp_path / "upload-4.wav"
    private.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with warnings.catch_warnings(record=True) as printed:
        warnings.simplefilter("always")
        recording = read_recording(private, "song.wav", max_seconds=60)
    assert printed == []  # the terminal once showed the private folder's path
    assert len(recording.warnings) == 1
    assert recording.warnings[0].startswith("song.wav: truncated")
    assert "upload-4" not in recording.warnings[0]
