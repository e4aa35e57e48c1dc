"""The experts that weigh the masks beside the factorization, built as the policy decided.

:func:`nmfsep.policy.decide` says which experts a separation gets; this module
makes them from the recording and the grouped factorization:

- HPSS across time: the drums' mask weighed by the mixture's percussive mask,
  every other source's by its complement;
- the low register for a bass line (:func:`nmfsep.grouping.low_register_weights`);
- each source's share of the long-term spectrum (:func:`nmfsep.masks.share_weights`),
  measured on the masks of the factorizations themselves (:func:`source_profiles`);
- the masks estimated again from the sources they rebuild
  (:attr:`nmfsep.masks.MaskPrior.consistent`);
- with dictionaries, HPSS alone, on the source of a dictionary named a drum
  part (:func:`dictionary_prior`);
- when the drums are named, a second model of them: nmfsep's drum templates
  held fixed beside free components (:func:`template_drums`), whose drum mask
  widens the drums' (:meth:`nmfsep.masks.MaskPrior.unite`).

>>> import nmfsep
>>> example = nmfsep.synth.drums_and_guitar(duration=2.0)
>>> sep = nmfsep.separate(example.mixture, example.sr, n_sources=2, n_runs=1)
>>> sep.prior.source  # the drums, weighed by HPSS
0
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .config import Plan
from .dictionary import drum_template_atoms
from .grouping import GroupingContext, low_register_weights
from .masks import MaskPrior, TemplateDrums, share_weights
from .model import Model
from .nmf import ProgressCallback
from .policy import DEFAULT_POLICY, Decision, Policy, drum_dictionary
from .spectral import STFTConfig, frame_blocks
from .supervised import factorize_beside

__all__ = ["build_prior", "dictionary_prior", "source_profiles", "template_drums",
           "template_iterations"]


def source_profiles(V: np.ndarray, model: Model, spectrogram_power: float = 1.0,
                    block: int = 1024) -> np.ndarray:
    """Each source's long-term magnitude spectrum: its masks times the mixture's, over frames.

    The masks are the model's (:meth:`nmfsep.model.Model.factor_masks`: the
    runs combined, the prior's weights), computed by blocks of frames so that
    memory stays bounded.

    Parameters
    ----------
    V : np.ndarray, shape=(bins, frames)
        The mixture's spectrogram, as factorized (any scale).
    model : Model
    spectrogram_power : float
        The power ``V`` was taken to; the profiles are of magnitudes.
    block : int
        Frames per block.

    Returns
    -------
    np.ndarray, shape=(n_sources, bins), float64
    """
    profiles = np.zeros((model.n_sources, V.shape[0]))
    for first, last in frame_blocks(V.shape[1], block):
        magnitude = V[:, first:last]
        if spectrogram_power != 1:
            magnitude = magnitude ** np.float32(1 / spectrogram_power)
        masks = model.factor_masks(first, last)
        masks *= magnitude
        profiles += masks.sum(axis=-1, dtype=np.float64)
    return profiles


def template_iterations(max_iter: int, policy: Policy = DEFAULT_POLICY) -> int:
    """Iterations of :func:`template_drums`: ``max_iter``, at most
    :attr:`Policy.drum_template_iterations`."""
    return min(max_iter, policy.drum_template_iterations)


def template_drums(context: GroupingContext, stft: STFTConfig, *, beta: float = 1.0,
                   init: str = "nndsvda", max_iter: int = 200, tol: float = 1e-4,
                   policy: Policy = DEFAULT_POLICY,
                   callback: ProgressCallback | None = None) -> TemplateDrums:
    """The drums modelled by nmfsep's drum templates, held fixed, beside free components.

    The factorization of ``nmfsep separate --dict builtin:drums --free N
    --max-iter I`` (:func:`nmfsep.dictionary.drum_template_atoms` at the
    separation's own STFT, N = :attr:`Policy.drum_template_free` free
    components, I at most :attr:`Policy.drum_template_iterations`), on the
    spectrogram the blind factorization had.  A kit much quieter than the
    rest of a band often gets no component of its own from a blind NMF; the
    templates still hear its hits (``python -m benchmarks.quality.drum_templates_band``).

    Parameters
    ----------
    context : GroupingContext
        With ``V``, its power, the sample rate and the random state.
    stft : STFTConfig
        The STFT of ``context.V``.
    beta, init, max_iter, tol
        The factorization's, as for the blind one; at most
        :attr:`Policy.drum_template_iterations` iterations.
    policy : Policy
    callback : callable(iteration, loss), optional
        Progress of the factorization.

    Returns
    -------
    TemplateDrums
        Its drum mask weighed by HPSS as a supervised separation's is
        (:attr:`Policy.dictionary_percussive_prior`).
    """
    atoms = drum_template_atoms(context.sr, stft, context.power)
    result = factorize_beside(context.V, atoms, policy.drum_template_free, beta=beta,
                              init=init, max_iter=template_iterations(max_iter, policy),
                              tol=tol, random_state=context.random_state, callback=callback)
    return TemplateDrums(W=result.W, H=result.H,
                         is_drum=np.arange(result.W.shape[1]) < atoms.shape[1],
                         strength=policy.dictionary_percussive_prior)


def build_prior(decision: Decision, context: GroupingContext, model: Model, *,
                spectrogram_power: float = 1.0, policy: Policy = DEFAULT_POLICY,
                block: int = 1024, templates: TemplateDrums | None = None) -> MaskPrior | None:
    """The experts ``decision`` asks for, made for ``model``'s grouping, or None.

    Parameters
    ----------
    decision : Decision
        From :func:`nmfsep.policy.decide`.
    context : GroupingContext
        With ``V``, the spectrogram that was factorized (its percussive mask
        gives the HPSS weights).
    model : Model
        The grouped factorization, with its runs and floor, without a prior.
    spectrogram_power : float
        The power of ``context.V``.
    policy : Policy
        The register's and the shares' constants.
    block : int
        Frames per block of :func:`source_profiles`.
    templates : TemplateDrums, optional
        The drum templates' model (:func:`template_drums`), when ``decision``
        asks for it (:attr:`Decision.drum_templates`).

    Returns
    -------
    MaskPrior or None
    """
    prior = None
    if decision.drum_source is not None:
        register = None
        if decision.register == "bass line":
            register = low_register_weights(model.W, model.H, model.labels,
                                            decision.drum_source, context.sr, policy)
        prior = MaskPrior(source=decision.drum_source, mask=context.percussive,
                          strength=decision.hpss_strength, register=register,
                          consistent=decision.consistent,
                          register_kind=None if register is None else "bass line")
    if decision.register == "shares":
        profiles = source_profiles(context.V, replace(model, prior=prior), spectrogram_power,
                                   block)
        weights = share_weights(profiles, policy.share_smooth_bins, policy.share_strength)
        prior = replace(prior or MaskPrior(), register=weights, register_kind="shares")
    # after the shares, which are measured on the blind grouping's own masks
    if templates is not None and prior is not None:
        prior = replace(prior, templates=templates)
    return prior


def dictionary_prior(plan: Plan) -> MaskPrior | None:
    """HPSS beside the dictionaries of a supervised separation, its mask still to set; or None.

    The source of the one dictionary named a drum part
    (:func:`nmfsep.policy.drum_dictionary`) is to be weighed by the mixture's
    percussive mask, every other source by its complement, to the plan's
    ``percussive_prior``: offline with the whole mixture's mask
    (:func:`nmfsep.pipeline.separate_recording`), in the stream with each
    batch's (:class:`nmfsep.stream.SourceStream`).

    Parameters
    ----------
    plan : Plan
        The supervised plan: its sources' names and ``percussive_prior``.

    Returns
    -------
    MaskPrior or None
        None without such a dictionary or with a ``percussive_prior`` of 0.
    """
    source = drum_dictionary(plan.names)
    if source is None or plan.percussive_prior == 0:
        return None
    return MaskPrior(source=source, strength=plan.percussive_prior)
