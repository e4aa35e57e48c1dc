"""The library's entry points name a wrong argument and its value in a ParameterError."""

from __future__ import annotations

import numpy as np
import pytest

import nmfsep
from nmfsep.errors import ParameterError


@pytest.fixture(scope="module")
def example():
    return nmfsep.synth.drums_and_guitar(duration=2.0)


@pytest.fixture(scope="module")
def separation(example):
    return nmfsep.separate(example.mixture, example.sr, n_runs=1, max_iter=5)


@pytest.mark.parametrize(("options", "message"), [
    (dict(beta="1"), "beta must be a number, got '1'"),
    (dict(hop="512"), "hop must be a positive integer, got '512'"),
    (dict(max_iter=2.5), "max_iter must be an integer >= 0, got 2.5"),
    (dict(random_state="a"), "random_state must be an integer >= 0 or None, got 'a'"),
    (dict(random_state=-1), "random_state must be an integer >= 0 or None, got -1"),
    (dict(n_sources=2.0), "n_sources must be a positive integer, got 2.0"),
    (dict(percussive_prior="a"), "percussive_prior must be a number, got 'a'"),
    (dict(grouping=3), "grouping must be a string, got 3"),
    (dict(groups="0,1;2"), "groups must be lists of component indices"),
    (dict(dictionaries="drums.npz"), "got 'drums.npz' \\(nmfsep.load_dictionary reads a file\\)"),
    (dict(config={"n_sources": 2}), "config must be a SeparationConfig, got dict"),
])
def test_separate_names_a_wrong_type(example, options, message):
    with pytest.raises(ParameterError, match=message):
        nmfsep.separate(example.mixture, example.sr, **options)


def test_a_dictionary_given_alone_is_asked_for_in_a_list(example):
    drums = nmfsep.learn_dictionary(example.sources[0], example.sr, name="drums",
                                    n_components=4, max_iter=5)
    with pytest.raises(ParameterError, match="got one Dictionary \\('drums'\\): give \\[it\\]"):
        list(nmfsep.stream(example.mixture, example.sr, drums))


@pytest.mark.parametrize(("call", "message"), [
    (dict(labels=[0, 1] * 10, n_sources=3), "n_sources goes with grouping"),
    (dict(labels=[0.5] * 20), "labels must be whole source indices"),
    (dict(labels=[0] * 19 + [5]), "sources \\[1, 2, 3, 4\\] have no component \\(the labels go "
                                  "up to 5"),
    (dict(groups=[0, 1]), "groups must be a list of lists of component indices"),
    (dict(groups=[["0"], ["1"]]), "group 1: '0' is not a component index"),
])
def test_regroup_names_what_is_wrong(separation, call, message):
    with pytest.raises(ParameterError, match=message):
        separation.regroup(**call)


def test_regroup_takes_whole_labels_of_any_number_type(separation):
    labels = np.arange(separation.n_components) % 2
    ints = separation.regroup(labels=labels)
    floats = separation.regroup(labels=labels.astype(float))
    np.testing.assert_array_equal(ints.sources, floats.sources)


@pytest.mark.parametrize("k", [1.5, -1, 20, True])
def test_a_component_that_does_not_exist_is_named(separation, k):
    with pytest.raises(ParameterError, match=f"component {k!r} does not exist; they are 0..19"):
        separation.component(k)


@pytest.mark.parametrize("sr", ["22050", -5, 22050.7])
def test_a_sample_rate_that_is_not_a_positive_integer_is_named(example, tmp_path, sr):
    with pytest.raises(ParameterError, match=f"sample rate must be a positive integer, got "
                                             f"{sr!r}"):
        nmfsep.save(tmp_path / "x.wav", example.mixture, sr)
    with pytest.raises(ParameterError, match="dictionary 'x': sample rate must be a positive"):
        nmfsep.learn_dictionary(example.sources[0], sr, name="x")
    assert not (tmp_path / "x.wav").exists()


def test_a_list_of_samples_is_one_example_to_learn_from(example):
    samples = example.sources[0][0].tolist()
    from_list = nmfsep.learn_dictionary(samples, example.sr, name="x", n_components=4,
                                        max_iter=5)
    from_array = nmfsep.learn_dictionary(np.asarray(samples), example.sr, name="x",
                                         n_components=4, max_iter=5)
    np.testing.assert_array_equal(from_list.W, from_array.W)


def test_the_figures_name_a_wrong_argument_before_drawing(separation, example, tmp_path):
    from nmfsep import plot

    target = tmp_path / "f.png"
    cases = [
        (lambda: plot.plot_overview(separation, target, names=["a"]), "1 names for 2 sources"),
        (lambda: plot.plot_overview(example.mixture, target), "expected a Separation"),
        (lambda: plot.plot_component(separation, 99, target), "component 99 does not exist"),
        (lambda: plot.plot_component(separation, -1, target), "component -1 does not exist"),
        (lambda: plot.plot_spectrogram(np.ones(10), 22050, 512, target),
         "must be \\(bins, frames\\), got shape \\(10,\\)"),
        (lambda: plot.plot_spectrogram(np.ones((4, 4)), "22050", 512, target),
         "sample rate must be a positive integer"),
        (lambda: plot.plot_spectrogram(np.ones((4, 4)), 22050, 0, target),
         "hop must be a positive integer, got 0"),
    ]
    for call, message in cases:
        with pytest.raises(ParameterError, match=message):
            call()
    assert not target.exists()
