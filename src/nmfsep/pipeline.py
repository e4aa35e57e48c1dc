"""The separation pipeline, once: recording → STFT → NMF → grouping → masks → sources.

:func:`separate_recording` is the one chain every entry point runs (in memory,
a file block by block, blind or with dictionaries):

1. the configuration is resolved for the recording (:meth:`SeparationConfig.resolve`)
   and the memory decides whether the whole STFT is held or the recording is
   read block by block (:func:`nmfsep.resources.plan_memory`): the frames are
   the same numbers either way (:class:`nmfsep.recording.Frames`);
2. the channel-summed spectrogram, scaled to a mean of 1, is factorized
   (with dictionaries: :func:`nmfsep.supervised.factorize_with_dictionaries`);
3. the policy decides the grouping and the experts from the recording
   (:func:`nmfsep.policy.decide`); the components are grouped, the other runs
   of an ensemble factorized and grouped the same way (:mod:`nmfsep.ensemble`),
   the experts built (:func:`nmfsep.priors.build_prior`), making the
   :class:`~nmfsep.model.Model`;
4. the model's masks rebuild the sources block by block (:meth:`Model.rebuild`),
   into memory or into the writer given (the files of :func:`nmfsep.separate_file`).

The result, a :class:`Separation`, keeps what it takes to regroup the
components and rebuild the sources without a new factorization.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import grouping as grouping_
from .config import Plan, SeparationConfig
from .ensemble import Run, regroup_runs
from .errors import AudioWarning, MemoryWarning, ParameterError
from .features import component_features
from .kit import fit_kit, kit_iterations
from .masks import MaskPrior
from .model import Model, Writer, check_component
from .nmf import ProgressCallback, factorize
from .panning import component_pans, refine_by_pan
from .policy import KIT_PIECES, Decision, Policy, decide
from .priors import build_prior, dictionary_prior, template_drums, template_iterations
from .recording import ArrayRecording, Frames, Recording, stereo_channels, unit_spectrogram
from .resources import format_bytes, plan_memory
from .spectral import BLOCK_FRAMES, STFTConfig
from .supervised import factorize_with_dictionaries

__all__ = ["Separation", "separate_recording", "grouped_model", "Log"]

#: callable(message): what the pipeline decides on the way, in words (memory, …).
Log = Callable[[str], None]


@dataclass
class Separation:
    """A separation: its model, the mixture's frames, and the sources when they are in memory.

    It regroups and rebuilds without factorizing again (:meth:`regroup`).

    Attributes
    ----------
    model : Model
        W, H, labels, the runs, the experts, the STFT: the masks of any frames.
    frames : Frames
        The mixture's STFT frames (held whole, or computed from the recording).
    config : SeparationConfig
        What was asked for.
    plan : Plan
        ``config`` resolved for this recording.
    sources : np.ndarray or None, shape=(n_sources, channels, samples), float32
        They add up to the mixture; None when they were written to files.
    context : GroupingContext or None
        The factorized spectrogram and its percussive mask, for regrouping and features.
    decision : Decision or None
        What the policy decided (None with dictionaries or hand-made labels).
    names : list of str or None
        The sources' names when they are known (from dictionaries, or the drum
        pieces of ``auto`` on drums alone).
    loss_history : list of (iteration, loss)
    n_iter : int
    converged : bool
    paths : list of Path
        The files the sources were written to, if any.
    timings : dict of str to float
        Seconds spent in each stage.
    block_frames : int
        Frames per block of the rebuild (fewer when memory is short).
    """

    model: Model
    frames: Frames = field(repr=False)
    config: SeparationConfig = field(repr=False)
    plan: Plan = field(repr=False)
    sources: np.ndarray | None = field(default=None, repr=False)
    context: grouping_.GroupingContext | None = field(default=None, repr=False)
    decision: Decision | None = None
    names: list[str] | None = None
    loss_history: list[tuple[int, float]] = field(default_factory=list, repr=False)
    n_iter: int = 0
    converged: bool = False
    paths: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    block_frames: int = BLOCK_FRAMES

    # ------------------------------------------------------------ the model's parts
    @property
    def W(self) -> np.ndarray:
        """Basis spectra of the first run, shape=(bins, K)."""
        return self.model.W

    @property
    def H(self) -> np.ndarray:
        """Activations of the first run, shape=(K, frames)."""
        return self.model.H

    @property
    def labels(self) -> np.ndarray:
        """The source of each component, shape=(K,)."""
        return self.model.labels

    @property
    def runs(self) -> tuple[Run, ...]:
        """The other factorizations of an ensemble (empty for one run)."""
        return self.model.runs

    @property
    def prior(self) -> MaskPrior | None:
        """The experts that weigh the masks beside the factorization."""
        return self.model.prior

    @property
    def stft(self) -> STFTConfig:
        """The STFT of the factorization and the masks."""
        return self.model.stft

    @property
    def sr(self) -> int:
        """Sample rate."""
        return self.frames.recording.sr

    @property
    def beta(self) -> float:
        """The β-divergence that was minimized."""
        return self.plan.beta

    @property
    def mask_power(self) -> float:
        """1 ratio masks, 2 Wiener masks."""
        return self.model.mask_power

    @property
    def n_sources(self) -> int:
        """Number of sources."""
        return self.model.n_sources

    @property
    def n_components(self) -> int:
        """Number of NMF components of the first run, K."""
        return self.model.n_components

    @property
    def n_samples(self) -> int:
        """Length of the mixture in samples."""
        return self.frames.n_samples

    @property
    def spectrogram(self) -> np.ndarray | None:
        """The factorized spectrogram, scaled to a mean of 1, shape=(bins, frames)."""
        return None if self.context is None else self.context.V

    @property
    def mixture_stft(self) -> np.ndarray:
        """The mixture's whole STFT, shape=(channels, bins, frames) (computed if not held)."""
        return self.frames.hold()

    @property
    def parameters(self) -> dict[str, Any]:
        """Everything that produced this separation, resolved, for the record."""
        config, plan = self.config, self.plan
        grouping = config.grouping
        if config.supervised and plan.n_sources - len(config.dictionaries) <= 1:
            grouping = "dictionaries"  # no free components to group
        parameters = dict(
            n_sources=self.n_sources, n_components=self.n_components, beta=plan.beta,
            grouping=grouping,
            n_fft=self.stft.n_fft, hop=self.stft.hop, window=self.stft.window,
            spectrogram_power=config.spectrogram_power, mask_power=self.mask_power,
            init=config.init, max_iter=plan.max_iter, tol=config.tol, l1_H=config.l1_H,
            continuity=config.continuity, random_state=config.random_state,
            n_iter=self.n_iter, converged=self.converged,
        )
        if config.supervised:
            parameters.update(dictionaries=[item.name for item in config.dictionaries],
                              n_free_components=int(config.n_free_components),
                              percussive_prior=plan.percussive_prior)
        else:
            parameters.update(percussive_prior=plan.percussive_prior, n_runs=plan.n_runs,
                              solver=config.solver, backend=config.backend)
        return parameters

    # ------------------------------------------------------------ audio
    def masks(self) -> np.ndarray:
        """The soft masks that rebuilt the sources, shape=(n_sources, bins, frames)."""
        return self.model.masks(self.frames, 0, self.frames.n_frames)[1]

    def component(self, k: int) -> np.ndarray:
        """One component's audio, rebuilt with its soft mask ``W_k H_k / WH``.

        Returns
        -------
        np.ndarray, shape=(channels, samples)
        """
        check_component(k, self.n_components)
        labels = np.where(np.arange(self.n_components) == k, 0, 1)
        alone = Model(self.W, self.H, labels, self.stft, self.mask_power)
        return alone.sources(self.frames)[0]

    def components(self) -> np.ndarray:
        """Every component's audio, shape=(K, channels, samples); they add up to the mixture."""
        return np.stack([self.component(k) for k in range(self.n_components)])

    def features(self) -> dict[str, np.ndarray]:
        """Readable features of every component (centroid, flatness, percussiveness…)."""
        if self.context is None or self.context.V is None:
            return component_features(self.W, self.H, self.sr)
        return component_features(self.W, self.H, self.sr, self.context.percussive,
                                  self.context.filter_lengths.spike_frames)

    # ------------------------------------------------------------ regrouping
    def regroup(
        self, labels: Sequence[int] | np.ndarray | None = None, *,
        groups: Sequence[Sequence[int]] | None = None, grouping: str | None = None,
        n_sources: int | None = None, percussive_prior: float | None = None,
        policy: Policy | None = None,
    ) -> Separation:
        """New sources from the same factorization, without factorizing again.

        Give exactly one of ``labels`` (one source index per component),
        ``groups`` (lists of component indices, one list per source) or
        ``grouping`` (a strategy name, ``"auto"`` included).  A strategy
        regroups every run of an ensemble and gets the experts the policy
        decides (with ``percussive_prior`` and ``policy``, by default this
        separation's; a policy with other HPSS filters makes the percussive
        masks again); labels and groups choose among the first run's
        components and give the masks of the factorization alone (the other
        runs are dropped).  A strategy keeps the sources' names (``names=``)
        and puts the voice or the drums where they are named again, unless
        ``n_sources`` is another number; labels and groups drop the names.

        Parameters
        ----------
        labels : sequence of int, optional
            The source of each of the first run's components, indices from 0.
        groups : sequence of sequences of int, optional
            The components of each source.
        grouping : str, optional
            A strategy of :data:`nmfsep.grouping.STRATEGIES`.
        n_sources : int, optional
            With ``grouping``: how many sources (this separation's by default).
        percussive_prior : float, optional
            With ``grouping``: the experts' strength (this separation's by default).
        policy : Policy, optional
            With ``grouping``: the policy's constants (this separation's by default).

        Raises
        ------
        ParameterError
            Unless exactly one of ``labels``, ``groups`` and ``grouping`` is
            given; for ``n_sources`` without ``grouping``; for labels or groups
            that leave a source or a component out, name a component twice or
            are not whole indices.

        Returns
        -------
        Separation
            With ``sources`` in memory.
        """
        if sum(x is not None for x in (labels, groups, grouping)) != 1:
            raise ParameterError("give exactly one of labels, groups or grouping")
        if grouping is None and n_sources is not None:
            raise ParameterError("n_sources goes with grouping=...: labels and groups give "
                                 "the number of sources themselves")
        if (grouping == "auto" and self.decision is not None and self.decision.kit
                and n_sources in (None, self.n_sources) and policy is None):
            # the drum pieces' factorization is auto's own grouping of itself
            return replace(self, paths=[],
                           sources=self.model.sources(self.frames, self.block_frames))
        config = self.config
        context, runs = self.context, self.runs
        if grouping is not None:
            if context is None:
                raise ParameterError("this separation keeps no spectrogram to group by")
            strength = self.plan.percussive_prior if percussive_prior is None \
                else percussive_prior
            count = n_sources or self.n_sources
            # the names hold for as many sources as they name (and place them again)
            names = config.names if config.names and len(config.names) == count else None
            config = replace(config, grouping=grouping, n_sources=count, names=names,
                             percussive_prior=strength, groups=None, n_runs=None,
                             **({} if policy is None else {"policy": policy}))
            plan = replace(self.plan, n_sources=config.n_sources,
                           percussive_prior=config.percussive_prior,
                           names=None if names is None else list(names))
            context = context.with_policy(config.policy)
            runs = tuple(run if run.context is None else
                         replace(run, context=run.context.with_policy(config.policy))
                         for run in runs)
            model, decision = grouped_model(self.W, self.H, runs, context, config, plan)
        else:
            if groups is not None:
                labels = grouping_.labels_from_groups(groups, self.n_components)
            model = self.model.with_labels(np.asarray(labels))
            plan = replace(self.plan, n_sources=model.n_sources)
            decision = None
            config = replace(config, grouping="manual", n_sources=None, groups=None,
                             n_runs=None) if groups is None else \
                replace(config, groups=tuple(tuple(g) for g in groups), n_runs=None)
        return replace(self, model=model, config=config, plan=plan, decision=decision,
                       context=context, names=plan.names if grouping is not None else None,
                       paths=[],
                       sources=model.sources(self.frames, self.block_frames))


def grouped_model(W: np.ndarray, H: np.ndarray, runs: tuple[Run, ...],
                  context: grouping_.GroupingContext, config: SeparationConfig,
                  plan: Plan, *, callback: ProgressCallback | None = None,
                  log: Log | None = None) -> tuple[Model, Decision]:
    """Group a factorization and its other runs as the policy decides; the model it makes.

    Parameters
    ----------
    W, H : np.ndarray
        The first run's factors.
    runs : tuple of Run
        The other runs, factorized (their labels are replaced).
    context : GroupingContext
        The first run's spectrogram and what the strategies may know.
    config : SeparationConfig
        ``grouping``, ``percussive_prior``, ``mask_power``, ``spectrogram_power``, ``policy``.
    plan : Plan
        ``config`` resolved: ``n_sources``, ``stft``, the strength.
    callback : callable(iteration, loss), optional
        Progress of the drum templates' factorization when the decision asks
        for it, on the scale of :func:`separate_recording`'s (``max_iter``
        times the runs planned).
    log : callable(message), optional
        Told when that factorization starts.

    Returns
    -------
    model : Model
    decision : Decision
    """
    n_sources, policy = plan.n_sources, config.policy
    heard = config.grouping == "auto" and n_sources > 1  # what auto decides from
    share, pitched = context.auto_evidence(n_sources) if heard else (0.0, None)
    evidence = {"n_sources": n_sources, "percussive_share": share,
                "pitched_fraction": pitched, "n_runs": len(runs) + 1,
                "strength": plan.percussive_prior, "policy": policy, "names": plan.names}
    decision = decide(config.grouping, **evidence)
    if decision.kit:  # the pieces' own factorization is separate_recording's (_kit_decision)
        decision = replace(decision, kit=(), reasons=(
            *decision.reasons, "these components come from an NMF, not from the drum "
            "templates (a number of components was asked for, the recording is too long to "
            "hold, or it is regrouped): they are told apart by their timbre"))
    labels = grouping_.group(W, H, n_sources, decision.grouping, context=context)
    refined = refined_by_pan(W, H, labels, decision, context)
    moved, labels = int(np.count_nonzero(refined != labels)), refined
    # the other runs follow the first one's sources
    if decision.lead_source is not None:
        labels = grouping_.place_lead(W, H, labels, decision.lead_source, context.sr, policy)
    if decision.drum_source:  # the drum split's drums (source 0) go where they are named
        labels = grouping_.swap_sources(labels, 0, decision.drum_source)
    if (decision.register == "shares" and decision.drum_source is not None
            and grouping_.bass_note_components(W, labels, 1 - decision.drum_source,
                                               context.sr, policy).any()):
        decision = decide(config.grouping, **evidence, bass_notes=True)
    if moved:  # said once the decision is final
        decision = replace(decision, reasons=(*decision.reasons, _pan_reason(moved)))

    def group(W_run: np.ndarray, H_run: np.ndarray,
              run_context: grouping_.GroupingContext | None) -> np.ndarray:
        run_context = context if run_context is None else run_context
        return refined_by_pan(W_run, H_run, grouping_.group(
            W_run, H_run, n_sources, decision.grouping, context=run_context),
            decision, run_context)

    # Held in memory, the sums go by the modules' own blocks; block by block, by the plan's.
    bounded = {} if context.block is None else {"block": context.block}
    runs = regroup_runs(runs, Run(W, H, labels), n_sources, group=group, config=plan.stft,
                        **bounded) if runs else ()
    model = Model(W, H, labels, plan.stft, config.mask_power, runs, floor=decision.floor)
    templates = None
    if decision.drum_templates:
        iterations = template_iterations(plan.max_iter, policy)
        if log is not None:
            log(f"the drums are named and heard: one more factorization (at most {iterations} "
                "iterations) models them with nmfsep's drum templates")
        templates = template_drums(
            context, plan.stft, beta=plan.beta, init=config.init, max_iter=plan.max_iter,
            tol=config.tol, policy=policy,
            callback=_rescaled(callback, iterations, plan.max_iter * plan.n_runs))
    prior = build_prior(decision, context, model, spectrogram_power=config.spectrogram_power,
                        policy=policy, templates=templates, **bounded)
    return replace(model, prior=prior), decision


def refined_by_pan(W: np.ndarray, H: np.ndarray, labels: np.ndarray, decision: Decision,
                   context: grouping_.GroupingContext) -> np.ndarray:
    """``labels`` regrouped by the components' pans when the decision says so and the
    recording is stereo (:func:`nmfsep.panning.refine_by_pan`); the drums stay.

    The drum split's drums are source 0 of a ``percussive`` grouping, before
    they are moved to where they are named.
    """
    fixed = 0 if decision.grouping == "percussive" else None
    if not decision.by_pan or context.channels is None or len(set(labels) - {fixed}) < 2:
        return labels
    pans = component_pans(W, H, context.channels)
    energy = W.sum(axis=0, dtype=np.float64) * H.sum(axis=1, dtype=np.float64)
    return refine_by_pan(labels, pans, energy, context.policy.pan_ratio, fixed=fixed,
                         margin=context.policy.pan_margin)


def _pan_reason(moved: int) -> str:
    """The decision's words for a grouping refined by pan."""
    return (f"the instruments sit at different places between the loudspeakers: "
            f"{moved} sound{'s' if moved != 1 else ''} went to the instrument "
            f"{'they sit' if moved != 1 else 'it sits'} with")


def _rescaled(callback: ProgressCallback | None, done: int, total: int
              ) -> ProgressCallback | None:
    """``callback`` told iteration ``i`` of ``done`` as ``i * total / done`` (rounded)."""
    if callback is None or done == total:
        return callback
    return lambda iteration, loss: callback(round(iteration * total / done), loss)


def _kit_decision(context: grouping_.GroupingContext, config: SeparationConfig,
                  plan: Plan) -> Decision | None:
    """``auto``'s decision when it hears drums alone and names their pieces, else None.

    Decided from the spectrogram before any factorization, since the pieces'
    factorization replaces the NMF (:mod:`nmfsep.kit`); only for a recording
    held in memory and when no number of NMF components was asked for (else the
    NMF's components are grouped by timbre, as the decision says).
    """
    if (config.grouping != "auto" or plan.n_sources not in KIT_PIECES
            or config.n_components is not None or context.block is not None):
        return None
    share, pitched = context.auto_evidence(plan.n_sources)
    decision = decide("auto", n_sources=plan.n_sources, percussive_share=share,
                      pitched_fraction=pitched, n_runs=1, strength=plan.percussive_prior,
                      policy=config.policy)
    return decision if decision.kit else None


def _scaled_config(config: STFTConfig, scale: float) -> STFTConfig:
    """``config`` with frame and hop ``scale`` times as long (frames of at least 16 samples)."""
    if scale == 1 or round(config.n_fft * scale) < 16:
        return config
    return STFTConfig(n_fft=round(config.n_fft * scale), hop=max(1, round(config.hop * scale)),
                      window=config.window)


def _extra_runs(recording: Recording, frames: Frames, V: np.ndarray, scale: float,
                context: grouping_.GroupingContext, config: SeparationConfig, plan: Plan,
                callback: ProgressCallback | None) -> tuple[Run, ...]:
    """Runs 1, 2, … of an ensemble, factorized as the policy's run plans say; not yet grouped.

    Run ``r`` starts from seed ``random_state + r``; a run with its own STFT
    gets its spectrogram and grouping context.
    """
    runs = []
    for index in range(1, plan.n_runs):
        run_plan = config.policy.run_plan(index)
        seed = None if config.random_state is None else config.random_state + index
        run_stft, run_context, V_run, run_scale = None, None, V, scale
        frame_config = _scaled_config(plan.stft, run_plan.frame_scale)
        if frame_config != plan.stft:
            run_stft = frame_config
            run_frames = Frames(recording, frame_config, hold=frames.X is not None)
            V_run, run_scale = unit_spectrogram(run_frames, config.spectrogram_power,
                                                context.block or BLOCK_FRAMES)
            run_context = grouping_.GroupingContext(
                sr=recording.sr, V=V_run, random_state=config.random_state,
                hop=frame_config.hop, policy=config.policy, block=context.block,
                power=config.spectrogram_power,
                # the pans compute this STFT again when asked rather than hold it
                channels=stereo_channels(Frames(recording, frame_config)))
        offset = index * plan.max_iter
        result = factorize(
            V_run, max(plan.n_sources, round(plan.n_components * run_plan.component_scale)),
            beta=plan.beta, init=config.init if run_plan.init == "first" else run_plan.init,
            max_iter=plan.max_iter, tol=config.tol, l1_H=config.l1_H,
            continuity=config.continuity, random_state=seed, solver=config.solver,
            backend=config.backend, device=config.device,
            callback=None if callback is None else
            lambda i, loss, offset=offset: callback(offset + i, loss),
        )
        W = result.W * np.float32(run_scale)
        runs.append(Run(W, result.H, np.zeros(W.shape[1], dtype=int), run_stft, run_context))
    return tuple(runs)


def separate_recording(recording: Recording, config: SeparationConfig, *,
                       write: Writer | None = None, callback: ProgressCallback | None = None,
                       log: Log | None = None) -> Separation:
    """Separate a recording as ``config`` says; the one pipeline of every entry point.

    Parameters
    ----------
    recording : Recording
        In memory or read from its file.
    config : SeparationConfig
    write : callable(source, start, samples), optional
        Where the sources' samples go, block by block and in order
        (:data:`nmfsep.model.Writer`); by default they are kept in memory
        (``Separation.sources``).
    callback : callable(iteration, loss), optional
        Progress of the factorization; run ``r`` of an ensemble reports its
        iterations plus ``r * max_iter``.  The drum templates' factorizations
        (of drums alone, and beside the other sources when the drums are
        named) report on the same scale: their iterations as a share of
        ``max_iter`` times the runs planned, so that a progress bar sized for
        the NMF fills again, and ends full.
    log : callable(message), optional
        Told when the recording is read block by block, and why, and when
        the named drums' templates are factorized.

    Returns
    -------
    Separation

    Raises
    ------
    ResourceError
        Before any work, if the separation would not fit in memory even block by block.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    plan = config.resolve(sr=recording.sr, n_samples=recording.n_samples)
    memory = plan_memory(recording.n_samples, channels=recording.channels, sr=recording.sr,
                         n_sources=plan.n_sources, n_components=plan.n_components,
                         n_fft=plan.stft.n_fft, hop=plan.stft.hop, n_runs=plan.n_runs,
                         keep_sources=write is None, max_memory=config.max_memory,
                         signal_bytes=0 if isinstance(recording, ArrayRecording)
                         else 8 * recording.channels * recording.n_samples,
                         what=recording.name)
    if not memory.hold and log is not None:
        log(f"too long to hold in memory ({format_bytes(memory.in_memory)}); separating it "
            f"block by block (about {format_bytes(memory.streamed)})")
    if memory.over_budget:
        warnings.warn(f"{recording.name}: even block by block the separation needs about "
                      f"{format_bytes(memory.needed)}, more than max_memory allows; going on "
                      f"with blocks of {memory.block_frames} frames", MemoryWarning, stacklevel=3)
    block = memory.block_frames if not memory.hold else config.block_frames
    frames = Frames(recording, plan.stft, hold=memory.hold)
    V, scale = unit_spectrogram(frames, config.spectrogram_power, block)
    recording.warn_if_clipped()
    if not V.any():  # silence, or samples too small for a float32 spectrogram
        warnings.warn(f"{recording.name}: the recording is silent, or too quiet for its "
                      "spectrogram, which is zero everywhere: there is nothing to tell the "
                      "sources apart by, and each gets an equal share of it",
                      AudioWarning, stacklevel=3)
    context = grouping_.GroupingContext(
        sr=recording.sr, V=V, groups=config.groups, random_state=config.random_state,
        hop=plan.stft.hop, policy=config.policy, block=None if memory.hold else block,
        power=config.spectrogram_power, channels=stereo_channels(frames))
    timings["spectrogram"] = time.perf_counter() - clock

    clock = time.perf_counter()
    decision = None
    if config.supervised:
        factors = factorize_with_dictionaries(V, scale, config, plan, sr=recording.sr,
                                              callback=callback)
        result = factors.result
        prior = dictionary_prior(plan)
        if prior is not None:
            prior = replace(prior, mask=context.percussive)
        model = Model(factors.W, factors.H, factors.labels, plan.stft, config.mask_power,
                      prior=prior)
        timings["factorize"] = time.perf_counter() - clock
    elif (kit := _kit_decision(context, config, plan)) is not None:
        fitted = fit_kit(recording, kit.kit, hold=memory.hold, block=block,
                         callback=_rescaled(callback, kit_iterations(kit.kit),
                                            plan.max_iter * plan.n_runs))
        frames, model, result = fitted.frames, fitted.model, fitted.fit.result
        decision = replace(kit, kit=(fitted.pieces,), reasons=(*kit.reasons, fitted.reason()))
        plan = replace(plan, stft=model.stft, n_runs=1, n_components=model.n_components,
                       names=plan.names or list(fitted.pieces))
        context = grouping_.GroupingContext(
            sr=recording.sr, V=fitted.V, random_state=config.random_state,
            hop=model.stft.hop, policy=config.policy, block=context.block)
        timings["factorize"] = time.perf_counter() - clock
    else:
        if log is not None and config.n_runs is None and plan.n_runs > 1:
            log(f"{plan.n_runs} factorizations combined (the default up to "
                f"{config.policy.auto_runs_seconds:.0f} s; --runs 1 is faster)")
        result = factorize(
            V, plan.n_components, beta=plan.beta, init=config.init,
            max_iter=plan.max_iter, tol=config.tol, l1_H=config.l1_H,
            continuity=config.continuity, random_state=config.random_state, callback=callback,
            solver=config.solver, backend=config.backend, device=config.device)
        W = result.W * np.float32(scale)
        runs = _extra_runs(recording, frames, V, scale, context, config, plan, callback)
        timings["factorize"] = time.perf_counter() - clock
        clock = time.perf_counter()
        model, decision = grouped_model(W, result.H, runs, context, config, plan,
                                        callback=callback, log=log)
        timings["grouping"] = time.perf_counter() - clock

    clock = time.perf_counter()
    sources = None
    if write is None:
        sources = model.sources(frames, block)
    else:
        model.rebuild(frames, write, block)
    timings["rebuild"] = time.perf_counter() - clock
    return Separation(model=model, frames=frames, config=config, plan=plan, sources=sources,
                      context=context, decision=decision, names=plan.names,
                      loss_history=result.loss_history, n_iter=result.n_iter,
                      converged=result.converged, timings=timings, block_frames=block)
