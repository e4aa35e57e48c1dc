"""nmfsep: source separation by non-negative matrix factorization.

>>> import nmfsep
>>> y, sr = nmfsep.load("mix.wav")                       # doctest: +SKIP
>>> sep = nmfsep.separate(y, sr, n_sources=2)            # doctest: +SKIP
>>> sep.sources.shape                                     # (n_sources, channels, samples)
"""

from __future__ import annotations

from . import grouping, nmf, spectral, synth
from .audio import load, save
from .dictionary import Dictionary, learn_dictionary, load_dictionary
from .errors import AudioError, NmfsepError, OutputError, ParameterError, ResourceError
from .separate import Separation, Separator, separate
from .stream import stream

__version__ = "0.1.0"

__all__ = [
    "load",
    "save",
    "separate",
    "Separation",
    "Separator",
    "Dictionary",
    "learn_dictionary",
    "load_dictionary",
    "stream",
    "NmfsepError",
    "AudioError",
    "ParameterError",
    "OutputError",
    "ResourceError",
    "grouping",
    "nmf",
    "spectral",
    "synth",
    "__version__",
]
