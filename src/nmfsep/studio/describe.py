"""A component's features in words, for people deciding where it belongs.

The words read the features of :func:`nmfsep.features.component_features`:
the register from the spectral centroid, the texture from the spectral
flatness, the attack from the percussiveness (else the spikiness of the
activation), and the component's share of the model's energy.  They describe;
they do not decide anything.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["describe", "describe_all", "REGISTERS", "TONAL_BELOW", "NOISY_ABOVE",
           "HITS_ABOVE", "SUSTAINED_BELOW"]

#: (upper centroid in Hz, word), lowest first.
REGISTERS = ((250.0, "low"), (1000.0, "middle"), (4000.0, "bright"), (np.inf, "very high"))
#: Spectral flatness below which a spectrum is called tonal (harmonic peaks)...
TONAL_BELOW = 0.02
#: ... and above which it is called noisy.
NOISY_ABOVE = 0.2
#: Percussiveness (or spikiness) above which a component is called hits...
HITS_ABOVE = 0.6
#: ... and below which it is called sustained.
SUSTAINED_BELOW = 0.3


def _hertz(value: float) -> str:
    return f"{value / 1000:.1f} kHz" if value >= 1000 else f"{value:.0f} Hz"


def describe(features: Mapping[str, float]) -> str:
    """One component's features in a few words.

    Parameters
    ----------
    features : mapping
        ``centroid_hz``, ``flatness``, ``energy`` and ``percussiveness`` or
        ``spikiness`` of one component.

    Returns
    -------
    str
        For example ``"low (centre 180 Hz), tonal, sustained; 18 % of the energy"``.
    """
    centroid = float(features["centroid_hz"])
    register = next(word for limit, word in REGISTERS if centroid < limit)
    flatness = float(features["flatness"])
    texture = ("tonal" if flatness < TONAL_BELOW else
               "noisy" if flatness > NOISY_ABOVE else "partly noisy")
    attack = float(features.get("percussiveness", features.get("spikiness", 0.0)))
    time = ("hits" if attack > HITS_ABOVE else
            "sustained" if attack < SUSTAINED_BELOW else "some attacks")
    share = 100 * float(features["energy"])
    return (f"{register} (centre {_hertz(centroid)}), {texture}, {time}; "
            f"{share:.0f} % of the energy")


def describe_all(features: Mapping[str, np.ndarray]) -> list[str]:
    """:func:`describe` for every component; ``features`` maps names to arrays of shape=(K,)."""
    n = len(next(iter(features.values())))
    return [describe({name: values[k] for name, values in features.items()}) for k in range(n)]
