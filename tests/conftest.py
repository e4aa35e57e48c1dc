"""Shared fixtures: seeded generators and small built-in signals."""

from __future__ import annotations

import numpy as np
import pytest

from nmfsep import synth


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261128)


@pytest.fixture(scope="session")
def example() -> synth.Example:
    """The built-in drums + guitar mixture, 8 s at 22.05 kHz, mono."""
    return synth.drums_and_guitar(duration=8.0, sr=22050, seed=0)


@pytest.fixture(scope="session")
def stereo_example() -> synth.Example:
    return synth.drums_and_guitar(duration=3.0, sr=16000, seed=1, stereo=True)
