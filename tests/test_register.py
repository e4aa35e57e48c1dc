"""The low register of a mixture with drums goes to its bass line (end to end)."""

from dataclasses import replace

import numpy as np
from mixtures import SR, bass_drums_keys

import nmfsep
from nmfsep.metrics import evaluate


def test_the_bass_line_gets_the_low_register_and_the_keys_gain():
    sources = bass_drums_keys(seed=1)
    mixture = sources.sum(axis=0)
    sep = nmfsep.separate(mixture, SR, n_sources=3)
    assert sep.prior is not None and sep.prior.register is not None
    assert sep.prior.describe() == {"hpss": {"source": 0, "strength": 0.75},
                                    "register": "bass line", "consistent": True,
                                    "drum_templates": False}
    np.testing.assert_allclose(sep.sources.sum(axis=0), mixture, atol=1e-4)
    without = replace(sep.model, prior=replace(sep.prior, register=None)).sources(sep.frames)
    with_register = evaluate(sources, sep.sources).sdr
    without_register = evaluate(sources, without).sdr
    assert with_register.mean() >= without_register.mean() + 2.0
    assert with_register.min() >= 2.0
