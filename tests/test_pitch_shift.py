"""Pitch-shifted copies by resampling, and dictionaries learned with them."""

import numpy as np
import pytest

import nmfsep
from nmfsep.errors import ParameterError
from nmfsep.pitch_shift import check_pitch_shifts, pitch_shifted, semitone_steps
from nmfsep.policy import DEFAULT_POLICY

SR = 16000
A4 = 440.0


def tone(frequency: float, seconds: float = 2.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return np.tile(0.5 * np.sin(2 * np.pi * frequency * t), (channels, 1)).astype(np.float32)


def harmonic_tone(frequency: float, seconds: float) -> np.ndarray:
    """Eight harmonics falling as 1/k: it sounds pitched, its fundamental strongest."""
    return sum(tone(k * frequency, seconds) / k for k in range(1, 9)) / 3


def peak_frequency(y: np.ndarray) -> float:
    """The strongest frequency of a mono signal, from a zero-padded FFT (0.1 Hz grid)."""
    n = 10 * SR
    spectrum = np.abs(np.fft.rfft(y[0] * np.hanning(y.shape[-1]), n))
    return float(np.argmax(spectrum) * SR / n)


@pytest.mark.parametrize("semitones", [1, -1, 2, -2, 12, 0.5])
def test_a_shifted_tone_sounds_at_the_equal_tempered_pitch(semitones):
    shifted = pitch_shifted(tone(A4), semitones)
    expected = A4 * 2 ** (semitones / 12)
    assert peak_frequency(shifted) == pytest.approx(expected, abs=0.3)
    assert shifted.shape[-1] == pytest.approx(2 * SR / 2 ** (semitones / 12), abs=2)
    assert shifted.dtype == np.float32


def test_channels_are_kept_and_no_shift_is_a_copy():
    stereo = tone(A4, channels=2)
    assert pitch_shifted(stereo, 3).shape[0] == 2
    same = pitch_shifted(stereo, 0)
    np.testing.assert_array_equal(same, stereo)
    assert same is not stereo


def test_shifts_are_checked_and_steps_listed():
    assert check_pitch_shifts([1, 0, -1, 1]) == (1.0, -1.0)
    assert semitone_steps(2) == (-2.0, -1.0, 1.0, 2.0)
    assert semitone_steps(0) == ()
    for bad in ([np.nan], [25], ["up"]):
        with pytest.raises(ParameterError, match="pitch.shift"):
            check_pitch_shifts(bad)
    for bad in (-1, 1.5, 25):
        with pytest.raises(ParameterError, match="whole number of semitones from 0 to 24"):
            semitone_steps(bad)


def test_a_dictionary_of_one_note_also_holds_its_neighbours():
    """Learned from A4 alone, the default dictionary has a basis spectrum at every
    semitone from G4 to B4; learned without shifts, A4 is all it knows."""
    example = harmonic_tone(A4, seconds=4.0)
    shifted = nmfsep.learn_dictionary(example, SR, name="flute", n_components=5)
    plain = nmfsep.learn_dictionary(example, SR, name="flute", n_components=1,
                                    pitch_shifts=())
    bin_hz = SR / shifted.stft.n_fft
    peaks = np.sort(np.argmax(shifted.W, axis=0) * bin_hz)
    np.testing.assert_allclose(peaks, A4 * 2 ** (np.arange(-2, 3) / 12), atol=bin_hz)
    assert abs(np.argmax(plain.W[:, 0]) * bin_hz - A4) <= bin_hz
    assert shifted.info["pitch_shifts"] == "-2,-1,1,2" and plain.info["pitch_shifts"] == ""
    assert shifted.info["seconds"] == 4.0


def test_a_drum_example_is_learned_as_recorded_unless_asked():
    """Shifts apply to examples that sound pitched: the guitar of the built-in example,
    not its drums (nmfsep.pitched.pitched_fraction against Policy.drums_alone_frames)."""
    train = nmfsep.synth.drums_and_guitar(duration=4.0, seed=7)
    drums, guitar = train.sources
    threshold = DEFAULT_POLICY.drums_alone_frames
    options = dict(n_components=4, max_iter=10)
    kit = nmfsep.learn_dictionary(drums, train.sr, name="drums", **options)
    assert kit.info["pitched_frames"] <= threshold and kit.info["pitch_shifts"] == ""
    forced = nmfsep.learn_dictionary(drums, train.sr, name="drums", shift_unpitched=True,
                                     **options)
    assert forced.info["pitch_shifts"] == "-2,-1,1,2"
    strings = nmfsep.learn_dictionary(guitar, train.sr, name="guitar", **options)
    assert strings.info["pitched_frames"] > threshold
    assert strings.info["pitch_shifts"] == "-2,-1,1,2"
