"""The drum-templates study (benchmarks/quality/drum_templates_band.py) on the built-in example."""

from __future__ import annotations

import numpy as np
import pytest

import nmfsep
from benchmarks.quality.drum_templates_band import (
    ATOMS,
    AUTO,
    CONVOLUTIVE,
    PIECES,
    T_ATOMS,
    atoms_dictionary,
    drums_and_rest,
    nmfd_templates,
    summary,
)
from benchmarks.quality.generate import Item
from nmfsep.metrics import evaluate
from nmfsep.spectral import default_n_fft


@pytest.fixture(scope="module")
def example():
    return nmfsep.synth.drums_and_guitar(duration=4.0, seed=3)


def test_the_atoms_are_every_pieces_first_frames_each_summing_to_one(example):
    drums = atoms_dictionary(example.sr)
    n_fft = default_n_fft(example.sr)
    assert drums.name == "drums" and drums.sr == example.sr
    assert (drums.stft.n_fft, drums.stft.hop) == (n_fft, n_fft // 4)
    assert drums.W.shape == (n_fft // 2 + 1, len(PIECES) * T_ATOMS)
    np.testing.assert_allclose(drums.W.sum(axis=0), 1.0, rtol=1e-5)
    assert drums.W.min() > 0


def test_the_nmfd_split_adds_up_and_finds_the_drums(example):
    estimates = nmfd_templates(example.mixture, example.sr)
    assert estimates.shape == (2, *example.mixture.shape)
    np.testing.assert_allclose(estimates.sum(axis=0), example.mixture, atol=1e-6)
    sdr = evaluate(example.sources, estimates, permute=False).sdr
    # drums first: with the two swapped these floors fail
    assert sdr[0] > 1.5 and sdr[1] > 0.5


def test_drums_against_the_other_sources_summed(example):
    guitar = example.sources[1]
    sources = np.stack([guitar, example.sources[0], 0.5 * guitar]).astype(np.float32)
    item = Item(name="x-0", category="bass+drums+piano", sr=example.sr,
                mixture=sources.sum(axis=0), sources=sources, names=["bass", "drums", "piano"],
                training={}, info={})
    reference, rest = drums_and_rest(item)
    assert rest == "rest"
    np.testing.assert_array_equal(reference[0], example.sources[0])
    np.testing.assert_allclose(reference[1], 1.5 * guitar, rtol=1e-6)


def test_the_summary_takes_every_source_of_a_group_and_puts_autos_worst_first():
    rows = [("a", {AUTO: np.array([1.0, 3.0]), ATOMS: np.array([0.0, 0.0]),
                   CONVOLUTIVE: np.array([5.0, 7.0])}),
            ("a", {AUTO: np.array([2.0, 4.0]), ATOMS: np.array([1.0, 1.0]),
                   CONVOLUTIVE: np.array([6.0, 8.0])}),
            ("b", {AUTO: np.array([0.0, 0.0]), ATOMS: np.array([9.0, 9.0]),
                   CONVOLUTIVE: np.array([1.0, 1.0])})]
    lines = summary(rows)
    assert lines[2] == "| b | 0.00 | 9.00 | 1.00 |"
    assert lines[3] == "| a | 2.50 | 0.50 | 6.50 |"
