"""nmfsep: source separation by non-negative matrix factorization.

>>> import nmfsep
>>> y, sr = nmfsep.load("mix.wav")                       # doctest: +SKIP
>>> example = nmfsep.synth.drums_and_guitar(duration=4.0, seed=0)   # the built-in example
>>> sep = nmfsep.separate(example.mixture, example.sr, n_sources=2)
>>> sep.sources.shape                                     # (n_sources, channels, samples)
(2, 1, 88200)
"""

from __future__ import annotations

from . import grouping, nmf, policy, spectral, synth
from ._version import __version__
from .audio import load, save
from .config import SeparationConfig
from .dictionary import Dictionary, learn_dictionary, load_dictionary
from .errors import AudioError, NmfsepError, OutputError, ParameterError, ResourceError
from .model import Model
from .policy import DEFAULT_POLICY, Policy
from .separate import Separation, Separator, separate, separate_file
from .stream import stream

__all__ = [
    "load",
    "save",
    "separate",
    "separate_file",
    "Separation",
    "Separator",
    "SeparationConfig",
    "Model",
    "Policy",
    "DEFAULT_POLICY",
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
    "policy",
    "spectral",
    "synth",
    "__version__",
]
