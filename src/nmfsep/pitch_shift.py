"""Pitch-shifted copies of a recording, by resampling, for learning dictionaries.

A dictionary learned from a source playing other music holds basis spectra at
the notes of that music; the mixture's notes are often others.  Learning also
from copies of the examples shifted by a semitone or two gives every note of
the examples its neighbours (:func:`nmfsep.learn_dictionary`,
``pitch_shifts=``).  The shift is the simplest there is: the signal is
resampled and played back at its own rate, so its pitch, its spectral envelope
and its tempo all move together by the same ratio.  For a basis spectrum that
is what matters: partials ``2 ** (semitones / 12)`` times higher.

>>> import numpy as np
>>> from nmfsep.pitch_shift import pitch_shifted
>>> sr = 8000
>>> tone = np.sin(2 * np.pi * 440 * np.arange(sr) / sr)[None]
>>> up = pitch_shifted(tone, 12)                    # an octave up: half as long
>>> up.shape
(1, 4000)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .errors import ParameterError

__all__ = ["pitch_shifted", "check_pitch_shifts", "semitone_steps", "MAX_SEMITONES"]

#: The largest shift accepted, up or down (two octaves).
MAX_SEMITONES = 24.0
#: Largest denominator of the rational resampling ratio: the shift is exact to
#: within a fraction of a cent (about 0.2 cent for one semitone).
_MAX_DENOMINATOR = 200


def check_pitch_shifts(pitch_shifts: Sequence[float]) -> tuple[float, ...]:
    """Return the shifts as a tuple of floats, without 0 or repeats; else raise ParameterError."""
    try:
        values = [float(s) for s in pitch_shifts]
    except (TypeError, ValueError):
        raise ParameterError(f"pitch_shifts must be numbers of semitones, got "
                             f"{pitch_shifts!r}") from None
    for value in values:
        if not np.isfinite(value) or abs(value) > MAX_SEMITONES:
            raise ParameterError(f"a pitch shift must be a number of semitones within "
                                 f"±{MAX_SEMITONES:g}, got {value!r}")
    return tuple(dict.fromkeys(v for v in values if v != 0))


def semitone_steps(largest: int, what: str = "the largest shift") -> tuple[float, ...]:
    """Every whole semitone from ``-largest`` to ``largest`` but 0: ``(-2, -1, 1, 2)`` for 2.

    Raises
    ------
    ParameterError
        If ``largest`` is not a whole number from 0 to :data:`MAX_SEMITONES`; the
        message names it as ``what``.
    """
    if not isinstance(largest, (int, np.integer)) or not 0 <= largest <= MAX_SEMITONES:
        raise ParameterError(f"{what} must be a whole number of semitones from 0 to "
                             f"{MAX_SEMITONES:g}, got {largest!r}")
    return tuple(float(s) for s in range(-int(largest), int(largest) + 1) if s != 0)


def pitch_shifted(y: np.ndarray, semitones: float) -> np.ndarray:
    """Return ``y`` resampled so that, played at its own rate, it sounds ``semitones`` higher.

    Parameters
    ----------
    y : np.ndarray, shape=(..., samples)
    semitones : float
        Positive shifts up (the copy is shorter), negative down (longer).

    Returns
    -------
    np.ndarray, shape=(..., about samples / 2 ** (semitones / 12)), float32
    """
    from scipy.signal import resample_poly  # only here: the command line starts without it

    y = np.asarray(y, dtype=np.float32)
    if not check_pitch_shifts([semitones]):  # a shift of 0
        return y.copy()
    ratio = Fraction(2.0 ** (-semitones / 12.0)).limit_denominator(_MAX_DENOMINATOR)
    return resample_poly(y, ratio.numerator, ratio.denominator, axis=-1).astype(np.float32)
