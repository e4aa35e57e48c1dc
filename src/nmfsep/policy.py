"""What ``auto`` decides from the recording, and every tuned constant it decides with.

The automatic policy is one table.  Each row says what the recording looks like,
which grouping strategy then splits the components, which experts weigh the
masks beside the factorization and how large the floor of the runs' combined
masks is (:mod:`nmfsep.ensemble`):

============================  ================  ==============================  =========
what the recording holds      grouping          mask weights                    floor
============================  ================  ==============================  =========
one source                    (all components)  none                            --
drums, one other source       ``percussive``    HPSS (half strength with        ``floor``
                                                several runs), each source's
                                                share of the spectrum, masks
                                                re-estimated from the sources
drums, one other source with  ``percussive``    HPSS, masks re-estimated from   ``floor``
bass notes (a band with a                       the sources
bass line)
drums, two or more others     ``percussive``,   HPSS, the low register for a    ``floor``
                              the others by     bass line among them, masks
                              ``timbre+time``   re-estimated from the sources
drums alone, three or four   the kit's pieces  none (the drum settings'        --
pieces                        by NMFD from the  Wiener masks)
                              drum templates
                              (:data:`KIT_
                              PIECES`)
drums alone, five or more     ``timbre``        none                            ``floor_
pieces                                                                          without_
                                                                                drums``
no drums, two sources         ``timbre+time``   none                            ``floor_
                                                                                without_
                                                                                drums``
no drums, three or more       ``timbre+time``   each source's share of the      ``floor_
                                                spectrum                        without_
                                                                                drums``
two sources named a voice or  ``timbre+time``   none                            ``floor_
lead and the rest (no drums   (the voice: the                                   without_
named), drums heard or not    source with less                                  drums``
                              of its energy in
                              the low register)
============================  ================  ==============================  =========

"Drums" means that a median-filter HPSS puts at least :attr:`Policy.drums_share`
of the spectrogram in its percussive part; "drums alone" that, besides, at most
:attr:`Policy.drums_alone_frames` of its frames sound pitched
(:func:`nmfsep.pitched.pitched_fraction`), so that the sources asked for are
the kit's pieces: then the recording is factorized as ``nmfsep drums`` does
(:mod:`nmfsep.kit`), into the pieces of :data:`KIT_PIECES`, and with four
sources into toms or cymbals beside kick, snare and hi-hat, whichever explains
the recording better (unless a number of NMF components is asked for).  A
strategy chosen by name instead of ``auto`` keeps its own grouping;
``percussive`` still gets the HPSS weights and the bass line's register (its
masks re-estimated from the sources), the other strategies no experts.
``percussive_prior=0`` turns every expert off.

Beside the drums, one other source is a band with a bass line rather than
one instrument when one of its components sounds a bass note (its peak in
:attr:`Policy.bass_notes_hz` and a second partial,
:func:`nmfsep.grouping.bass_note_components`):
this is known only once the components are grouped, so the pipeline decides
again with ``bass_notes=True`` (:func:`decide`) when it finds one.

In a stereo recording ``auto`` also hears where the instruments sit between the
loudspeakers: once the components are grouped, in every run of the ensemble,
two sources (never the drums) whose components' pans stand apart by more than
:attr:`Policy.pan_ratio` exchange the components that sit more than
:attr:`Policy.pan_margin` of the way towards the other's mean pan
(:mod:`nmfsep.panning`).

Two sources without names are ambiguous when drums are heard: drums and the
rest, or a voice and its accompaniment.  ``auto`` takes the drums unless the
sources are named (``names=``, ``--names``) as a voice or lead instrument
(:data:`LEAD_NAMES`) and something that is not a drum part (:data:`DRUM_NAMES`):
then the sources are grouped as a recording without drums, and the voice is
put where its name is (:func:`named_lead`).  A drum split puts the drums where
a drum part is named (:func:`named_drums`), else in the first source.  Named
drums (:func:`drums_named`) also get a second model: nmfsep's drum templates
held fixed beside :attr:`Policy.drum_template_free` free components
(:func:`nmfsep.priors.template_drums`), and the drums' mask is the larger of
the two models' (:func:`nmfsep.masks.unite_drums`), so that hits the blind
split missed in a kit quieter than the band stay with the drums.  Not without
names: two unnamed sources of a sung song are scored against the voice as
often as against the drums, and the widened drums cost the voice there
(``benchmarks/quality/notes.md``, twenty-fifth round).

The constants live in one frozen :class:`Policy`, passed explicitly to every
step that reads one (:func:`nmfsep.separate` takes ``policy=``); the quality
benchmark's harness (``python -m benchmarks.quality.regroup``) measures
variants of it.  Each constant's comment names the evidence it was chosen on
(``benchmarks/quality/notes.md``); the figures themselves are in
``docs/benchmarks.md``.

This module imports nothing else of nmfsep: the modules that carry a decision
out (:mod:`nmfsep.grouping`, :mod:`nmfsep.priors`, :mod:`nmfsep.ensemble`)
import it.

>>> from dataclasses import replace
>>> from nmfsep.policy import DEFAULT_POLICY, decide
>>> decide("auto", n_sources=2, percussive_share=0.4, n_runs=5, policy=DEFAULT_POLICY).grouping
'percussive'
>>> stricter = replace(DEFAULT_POLICY, drums_share=0.5)
>>> decide("auto", n_sources=2, percussive_share=0.4, n_runs=5, policy=stricter).grouping
'timbre+time'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields

__all__ = ["Policy", "RunPlan", "Decision", "DEFAULT_POLICY", "KIT_PIECES", "LEAD_NAMES",
           "DRUM_NAMES", "named_lead", "named_drums", "drum_dictionary", "decide",
           "auto_grouping", "needs_pitched_fraction", "policy_field_names", "drums_named",
           "PITCHED_STRATEGIES"]

#: The candidate sets of pieces for drums alone, by number of sources: the
#: drum benchmark's kits (kick, snare, hi-hat; toms fills or crash and ride),
#: the fourth piece chosen by the divergence (the tuning half of drumkit-4,
#: docs/drums.md and benchmarks/quality/notes.md, fifteenth round).
KIT_PIECES: dict[int, tuple[tuple[str, ...], ...]] = {
    3: (("kick", "snare", "hihat"),),
    4: (("kick", "snare", "hihat", "toms"), ("kick", "snare", "hihat", "cymbals")),
}


@dataclass(frozen=True)
class RunPlan:
    """How one extra run of an ensemble differs from the first.

    Attributes
    ----------
    init : str
        "random" or "first" (the first run's initialization).
    component_scale : float
        Its number of components, relative to the first run's.
    frame_scale : float
        Its STFT frame length and hop, relative to the first run's.
    """

    init: str = "random"
    component_scale: float = 1.0
    frame_scale: float = 1.0


#: The strategies :attr:`Policy.pitched_beside_drums` may name: those that group the
#: components the drum split leaves without splitting drums off again.
PITCHED_STRATEGIES = ("timbre+time", "timbre", "spectral", "learned")


@dataclass(frozen=True)
class Policy:
    """Every tuned constant of the automatic separation, in one value.

    Grouping
    --------
    drums_share : float
        Share of the spectrogram in the percussive mask from which ``auto``
        hears drums: the geometric middle of the gap between the most
        percussive pitched-only mixture and the least percussive one with
        drums, over the 176 items of the benchmark's seven item sets
        (93 ms frames, ``percussive_filter_hz``; notes.md, twelfth round).
    drums_alone_frames : float
        A recording with drums is drums alone when at most this share of its
        frames sounds pitched; then three or four sources are the kit's pieces,
        factorized from the drum templates (:data:`KIT_PIECES`, notes.md,
        fifteenth round), more by ``timbre`` (NMF-MFCC), the best grouping
        strategy on the tuning half of every drum-kit category, rendered and
        real (notes.md, fourteenth round, with its commands; results/choices/).
        The threshold is the drums command's: between the largest value of the
        drum benchmark's drums-only tuning items and the smallest of its items
        with a band (``python -m benchmarks.drums``; docs/drums.md).
        :func:`nmfsep.learn_dictionary` reads it too: examples at or below it
        (a drum kit) are learned without pitch-shifted copies
        (docs/supervised.md).
    coactivity_weight : float
        How strongly ``timbre+time`` keeps apart components that sound
        together: the affinity is ``exp(-d2 / median(d2) - weight * c)``
        (:func:`nmfsep.grouping.coactivity_affinity`); chosen by the sweep of
        the quality benchmark (notes.md, first rounds).
    timbre_neighbours : int
        How many nearest sure drum and sure pitched components settle a
        component only one of the drum split's tests calls a drum
        (:func:`nmfsep.grouping.settle_by_timbre`); 0 calls every such
        component a drum (notes.md, thirteenth round).
    settle_beside_pitched : int
        The most pitched sources beside the drums for which the drum split is
        settled by timbre; beside more, a component either test calls a drum
        is one.
    bass_band_hz : float
        A pitched source is a bass line when at least half of its model's
        magnitude spectrum lies below this frequency; a tonal drum hit with
        half its energy below it is a kick.
    bass_notes_hz : tuple of float
        Beside the drums, the other source is a band with a bass line, not one
        instrument, when one of its components peaks in this range (Hz): from
        B0, a five-string bass's lowest note, to D2, a guitar's lowest in
        drop-D tuning, so that no guitar part has one; bounds from the
        instruments, not fitted.  Then its mask does not lean on the shares:
        beside a band the shares stopped helping the drums and cost the real
        drums on every recording (the shares study,
        ``python -m benchmarks.quality.shares_beside_drums``; notes.md,
        twentieth round, both halves).  An empty range turns the test off.
    bass_partial_ratio : float
        A bass note also has a second partial: within one bin of twice its
        peak's frequency its basis spectrum reaches this fraction of the peak
        and rises above the valley between the partials, which a
        kick drum's tail or body does not
        (:func:`nmfsep.grouping.bass_note_components`).  Every value between
        the kick tails' ratios and the weakest bass line's decides alike on
        the measured items (notes.md, twenty-first round).
    affinity_weights, affinity_offsets, affinity_scales : tuple of float
        The ``learned`` grouping's logistic model of "two components belong to
        one source", one entry per :data:`nmfsep.features.PAIR_FEATURES`: a
        pair's features are standardized by the offsets and scales, then
        weighed.  Fitted on the tuning half of the rendered, drum-kit and real
        categories by ``python -m benchmarks.quality.grouping_affinity
        --fit-only`` (results in docs/grouping.md).
    affinity_bias : float
        The logistic model's intercept.
    pan_ratio : float
        In a stereo recording, two sources (not a drum kit) whose components'
        pans stand apart by more than this Fisher ratio are regrouped by where
        their components sit between the loudspeakers
        (:func:`nmfsep.panning.refine_by_pan`); chosen by the sweep of the
        tuning half of every stereo and mastered category (notes.md,
        twenty-second round); infinity turns it off.
    pan_margin : float
        How far from its source's mean pan towards the other's a component
        must sit to move (0.5: nearer the other's;
        :func:`nmfsep.panning.refine_by_pan`): above one half, a sound between
        the two stays where the grouping put it.  Chosen with ``pan_ratio`` by
        the sweep of the same tuning items (notes.md, twenty-second round).

    HPSS features
    -------------
    harmonic_filter_seconds : float
        Length of the median filter across time that keeps sustained sounds.
    percussive_filter_hz : float
        Length of the median filter across frequency that keeps broadband hits
        (notes.md, eleventh and twelfth rounds: 175 Hz against 350 and 125).
    spikiness_seconds : float
        Length of the running median under an activation
        (:func:`nmfsep.features.spikiness`).
    tonalness_median_hz : float
        Width of the running median under a basis spectrum
        (:func:`nmfsep.features.tonalness`).

    Mask weights
    ------------
    percussive_prior : float
        Default exponent of the HPSS weights (``percussive_prior`` of
        :func:`nmfsep.separate`; notes.md, twelfth round).
    dictionary_percussive_prior : float
        The same exponent in a supervised separation, on the source of the one
        dictionary named a drum part (:func:`drum_dictionary`): chosen by the
        sweep on the tuning half of the supervised benchmark (docs/supervised.md).
    dictionary_beta : float
        The beta-divergence under which a supervised separation fits the
        mixture's activations to the fixed dictionaries (learned under
        Kullback-Leibler) when ``beta`` is not given: below 1 it weighs the
        quiet bins more.  Chosen by the sweep on the tuning half of the
        supervised benchmark (0, 0.25, 0.5, 0.75, 1, 1.5) and checked on its
        reporting half and the real recordings (docs/supervised.md), on
        separations with dictionaries alone: beside free components, and in
        the stream (whose relaxation and tolerance were chosen under it,
        docs/stream-relaxation.md), Kullback-Leibler stays.
    dictionary_iterations : int
        The most iterations of those activations under ``dictionary_beta``
        offline, unless ``max_iter`` is given: their masks settle long before
        the objective does.  50, 100 and 200 were compared on the tuning half
        of the supervised benchmark, and 100 against 200 on its reporting half
        and the real recordings (docs/supervised.md).
    hpss_scale_beside_shares : float
        Beside the shares, drums and one other source of an ensemble take the
        HPSS weights to this fraction of ``percussive_prior``: the shares and
        the combined runs already say where the drums sit.
    min_share_sources : int
        Pitched sources, without drums, from which each source's share of the
        long-term spectrum weighs its masks (with two, in one range, the shares
        hold no register to go by).
    share_smooth_bins : int
        Bins over which a source's share of the spectrum is smoothed
        (:func:`nmfsep.masks.share_weights`).
    share_strength : float
        Exponent of the share weights.
    register_cutoff_hz : float
        The low register given to a bass line
        (:func:`nmfsep.grouping.low_register_weights`).
    register_strength : float
        Exponent of the register weights (notes.md, seventh round).

    Ensemble
    --------
    auto_runs : int
        Runs combined by default (:mod:`nmfsep.ensemble`) for recordings up to
        ``auto_runs_seconds``.
    auto_runs_seconds : float
        Longer recordings are factorized once by default (the cost of five runs
        is measured in docs/performance.md).
    run_plans : tuple of RunPlan
        Runs 1, 2, … of an ensemble: two random starts, then half again as many
        components, then frames half as long; runs beyond start at random.
    floor : float
        Added to every run's ratio mask before the geometric mean when HPSS
        weighs a drum source, so that one run cannot silence a source.
    floor_without_drums : float
        The floor for pitched instruments alone, whose voices share partials
        that runs give to one voice or another (notes.md, tenth round).

    Size
    ----
    components_per_source : int
        Components per factorization when none are asked for, per source.

    Named drums
    -----------
    drum_template_free : int
        Components learned from the recording beside the drum templates held
        fixed, for the sources but the drums, when the drums are named
        (:func:`nmfsep.priors.template_drums`).
    drum_template_iterations : int
        At most this many iterations of that factorization, which costs in
        proportion to them: 50, 100 and 200 were compared on the tuning half
        (notes.md, twenty-fifth round).

    Beside the drums
    ----------------
    pitched_beside_drums : str
        The strategy that groups the components the drum split leaves into the
        other sources (two or more), one of :data:`PITCHED_STRATEGIES`; ``learned``
        was compared on the tuning half (notes.md, twenty-fifth round).
    """

    drums_share: float = 0.24
    drums_alone_frames: float = 0.15
    coactivity_weight: float = 8.0
    timbre_neighbours: int = 3
    settle_beside_pitched: int = 1
    bass_band_hz: float = 300.0
    bass_notes_hz: tuple[float, float] = (30.9, 73.4)
    bass_partial_ratio: float = 0.1
    affinity_weights: tuple[float, ...] = (-0.4004, -0.061, -0.2545, 0.1154, -0.3628, -0.1321,
                                           0.2371, -0.0736)
    affinity_offsets: tuple[float, ...] = (1.3749, 0.0788, 0.7957, 0.1817, 0.1699, 1.2988,
                                           0.1861, 0.3171)
    affinity_scales: tuple[float, ...] = (0.4099, 0.1638, 0.7379, 0.1537, 0.1429, 1.3071,
                                          0.1521, 0.3476)
    affinity_bias: float = -0.3387
    pan_ratio: float = 2.0
    pan_margin: float = 0.65

    harmonic_filter_seconds: float = 0.2
    percussive_filter_hz: float = 175.0
    spikiness_seconds: float = 0.25
    tonalness_median_hz: float = 150.0

    percussive_prior: float = 0.75
    dictionary_percussive_prior: float = 0.5
    dictionary_beta: float = 0.5
    dictionary_iterations: int = 100
    hpss_scale_beside_shares: float = 0.5
    min_share_sources: int = 3
    share_smooth_bins: int = 9
    share_strength: float = 0.5
    register_cutoff_hz: float = 250.0
    register_strength: float = 0.5

    auto_runs: int = 5
    auto_runs_seconds: float = 60.0
    run_plans: tuple[RunPlan, ...] = field(default=(
        RunPlan(), RunPlan(), RunPlan(init="first", component_scale=1.5),
        RunPlan(init="first", frame_scale=0.5)))
    floor: float = 1e-6
    floor_without_drums: float = 1e-3

    components_per_source: int = 10

    drum_template_free: int = 20
    drum_template_iterations: int = 100
    pitched_beside_drums: str = "timbre+time"

    def __post_init__(self) -> None:
        if self.pitched_beside_drums not in PITCHED_STRATEGIES:
            raise ValueError(f"pitched_beside_drums must be one of {', '.join(PITCHED_STRATEGIES)} "
                             f"(a strategy that groups pitched components); got "
                             f"{self.pitched_beside_drums!r}")
        if (isinstance(self.dictionary_iterations, bool)
                or not isinstance(self.dictionary_iterations, int)
                or self.dictionary_iterations < 1):
            raise ValueError(f"dictionary_iterations must be a positive integer, got "
                             f"{self.dictionary_iterations!r}")
        if not 0 <= self.dictionary_beta <= 2:
            raise ValueError(f"dictionary_beta must be a beta-divergence in [0, 2], got "
                             f"{self.dictionary_beta!r}")

    def run_plan(self, index: int) -> RunPlan:
        """The plan of extra run ``index`` (1, 2, …): :attr:`run_plans`, then random starts."""
        if index < 1:
            raise ValueError(f"run 0 is the first run, not an extra one; got {index}")
        return self.run_plans[index - 1] if index <= len(self.run_plans) else RunPlan()


DEFAULT_POLICY = Policy()


def policy_field_names() -> tuple[str, ...]:
    """The names of :class:`Policy`'s constants, for tools that vary them."""
    return tuple(item.name for item in fields(Policy))


@dataclass(frozen=True)
class Decision:
    """What the policy decided for one recording and grouping, and why.

    Attributes
    ----------
    grouping : str
        The strategy that groups the components (never ``"auto"``).
    drum_source : int or None
        The source that holds the drums, whose mask HPSS weighs; None for none.
    hpss_strength : float
        Exponent of the HPSS weights (0: none).
    register : str or None
        ``"bass line"`` (the low register for a bass line among the pitched
        sources, when the grouping makes one), ``"shares"`` (each source's
        share of the long-term spectrum) or None.
    consistent : bool
        Whether the masks are estimated again from the sources they rebuild.
    floor : float
        The floor of the runs' combined masks.
    reasons : tuple of str
        The decision in words, for ``separation.json`` and ``-v``.
    kit : tuple of tuple of str
        For drums alone: the candidate sets of drum pieces the recording is
        factorized into (:mod:`nmfsep.kit`), one set once it is chosen; the
        sources are the pieces in order and ``grouping`` only regroups.
        Empty otherwise.
    lead_source : int or None
        The source named a voice or lead instrument (:func:`named_lead`): the
        group with less of its energy in the low register is put there
        (:func:`nmfsep.grouping.place_lead`).  None otherwise.
    by_pan : bool
        Whether the sources of a stereo recording that sit apart are regrouped
        by their components' pans (:attr:`Policy.pan_ratio`); never the drums.
    drum_templates : bool
        Whether the named drums are also modelled by nmfsep's drum templates
        beside free components (:func:`nmfsep.priors.template_drums`), the
        drums' mask the larger of the two models' (:class:`nmfsep.masks.MaskPrior`).
    """

    grouping: str
    drum_source: int | None = None
    hpss_strength: float = 0.0
    register: str | None = None
    consistent: bool = False
    floor: float = DEFAULT_POLICY.floor_without_drums
    reasons: tuple[str, ...] = ()
    kit: tuple[tuple[str, ...], ...] = ()
    lead_source: int | None = None
    by_pan: bool = False
    drum_templates: bool = False

    def describe(self) -> dict:
        """The decision as plain data (``separation.json``)."""
        return {"grouping": self.grouping, "drum_source": self.drum_source,
                "hpss_strength": round(float(self.hpss_strength), 6),
                "register": self.register, "consistent": self.consistent,
                "floor": self.floor, "reasons": list(self.reasons),
                "kit": [list(pieces) for pieces in self.kit], "lead_source": self.lead_source,
                "by_pan": self.by_pan, "drum_templates": self.drum_templates}


#: Source names that say "a voice or a lead instrument" (lower case).
LEAD_NAMES = frozenset({"vocals", "vocal", "voice", "vox", "singer", "singing", "lead",
                        "melody"})
#: Source names that say "a drum part" (lower case).
DRUM_NAMES = frozenset({"drums", "drum", "percussion", "kit", "beat"})


def named_drums(names: Sequence[str] | None) -> int:
    """The source a drum split puts the drums in: the one named a drum part
    (:data:`DRUM_NAMES`), else the first.

    >>> named_drums(["guitar", "Drums"]), named_drums(["guitar", "bass"]), named_drums(None)
    (1, 0, 0)
    """
    words = [name.strip().lower() for name in names or ()]
    drums = [index for index, word in enumerate(words) if word in DRUM_NAMES]
    return drums[0] if len(drums) == 1 else 0


def drums_named(names: Sequence[str] | None) -> bool:
    """Whether exactly one source is named a drum part (:data:`DRUM_NAMES`) beside others.

    >>> drums_named(["Drums", "rest"]), drums_named(["guitar", "bass"]), drums_named(["drums"])
    (True, False, False)
    """
    return drum_dictionary(names) is not None


def drum_dictionary(names: Sequence[str] | None) -> int | None:
    """The source of the one dictionary named a drum part (:data:`DRUM_NAMES`) beside
    others, whose masks HPSS weighs in a supervised separation; else None.

    >>> drum_dictionary(["Drums", "guitar"]), drum_dictionary(["piano", "voice"])
    (0, None)
    >>> drum_dictionary(["drums"]), drum_dictionary(["drums", "kit", "bass"])
    (None, None)
    """
    words = [name.strip().lower() for name in names or ()]
    drums = [index for index, word in enumerate(words) if word in DRUM_NAMES]
    return drums[0] if len(drums) == 1 and len(words) > 1 else None


def named_lead(names: Sequence[str] | None) -> int | None:
    """The source that two names call a voice or lead against the rest, else None.

    Exactly one of two names must be in :data:`LEAD_NAMES` and neither in
    :data:`DRUM_NAMES` (drums named beside a voice are a drum split).

    >>> named_lead(["vocals", "accompaniment"]), named_lead(["drums", "vocals"])
    (0, None)
    """
    if names is None or len(names) != 2:
        return None
    words = [name.strip().lower() for name in names]
    if any(word in DRUM_NAMES for word in words):
        return None
    leads = [index for index, word in enumerate(words) if word in LEAD_NAMES]
    return leads[0] if len(leads) == 1 else None


def needs_pitched_fraction(percussive_share: float, n_sources: int,
                           policy: Policy = DEFAULT_POLICY) -> bool:
    """Whether ``auto`` asks how much of the recording sounds pitched.

    Only for three or more sources of a recording with drums: whether they are
    a kit's pieces decides between ``percussive`` and ``timbre``.
    """
    return n_sources >= 3 and percussive_share >= policy.drums_share


def auto_grouping(percussive_share: float, policy: Policy = DEFAULT_POLICY, *,
                  n_sources: int = 2, pitched_fraction: float | None = None) -> str:
    """The strategy ``auto`` takes.

    Parameters
    ----------
    percussive_share : float
        Share of the spectrogram in its percussive mask.
    policy : Policy
    n_sources : int
    pitched_fraction : float, optional
        Share of the frames that sound pitched
        (:func:`nmfsep.pitched.pitched_fraction`); None when not measured.

    Returns
    -------
    str
        ``timbre+time`` without drums; ``timbre`` for three or more sources of
        drums alone (at most ``drums_alone_frames`` pitched); else ``percussive``.
    """
    if percussive_share < policy.drums_share:
        return "timbre+time"
    if (needs_pitched_fraction(percussive_share, n_sources, policy)
            and pitched_fraction is not None and pitched_fraction <= policy.drums_alone_frames):
        return "timbre"
    return "percussive"


def decide(strategy: str, *, n_sources: int, percussive_share: float | None, n_runs: int,
           strength: float | None = None, policy: Policy = DEFAULT_POLICY,
           pitched_fraction: float | None = None,
           names: Sequence[str] | None = None, bass_notes: bool = False) -> Decision:
    """One row of the table above: the grouping, the mask weights and the floor.

    Parameters
    ----------
    strategy : str
        The grouping asked for (``"auto"`` or a strategy's name).
    n_sources : int
    percussive_share : float or None
        Share of the spectrogram in its percussive mask
        (:func:`nmfsep.features.percussive_share`); None when no spectrogram
        is known (no experts then, and ``auto`` hears no drums).
    n_runs : int
        Runs combined (:mod:`nmfsep.ensemble`).
    strength : float, optional
        ``percussive_prior``; :attr:`Policy.percussive_prior` by default.  0
        turns every expert off.
    policy : Policy
    pitched_fraction : float, optional
        Share of the frames that sound pitched, for ``auto`` with three or more
        sources of a recording with drums (:func:`needs_pitched_fraction`).
    names : sequence of str, optional
        What the sources are, in order: two sources named a voice or lead and
        the rest are grouped as a recording without drums, the voice where its
        name is (:func:`named_lead`); a drum split puts the drums where a drum
        part is named (:func:`named_drums`).
    bass_notes : bool
        Whether the source beside the drums of a two-source drum split plays
        bass notes (:func:`nmfsep.grouping.bass_note_components`, known once
        the components are grouped): a band with a bass line, whose masks do
        not lean on the shares.

    Returns
    -------
    Decision

    >>> decide("auto", n_sources=2, percussive_share=0.4, n_runs=5).register
    'shares'
    >>> band = decide("auto", n_sources=2, percussive_share=0.4, n_runs=5, bass_notes=True)
    >>> band.register, band.hpss_strength == DEFAULT_POLICY.percussive_prior
    ('bass line', True)
    """
    strength = policy.percussive_prior if strength is None else float(strength)
    if strategy == "auto":
        share = 0.0 if percussive_share is None else percussive_share
        grouping = auto_grouping(share, policy, n_sources=n_sources,
                                 pitched_fraction=pitched_fraction)
        drums = grouping == "percussive"
        heard = (f"a drum part is heard ({share:.0%} of the spectrogram is percussive, "
                 f"{policy.drums_share:.0%} needed)" if share >= policy.drums_share else
                 f"no drum part is heard ({share:.0%} of the spectrogram is percussive, "
                 f"{policy.drums_share:.0%} needed)")
        reasons = [heard]
        lead = named_lead(names)
        if lead is not None:
            reasons.append(f"the sources are named {names[lead]!r} and {names[1 - lead]!r}: a "
                           "voice or lead instrument and the rest, with no drum part named, "
                           "so they are grouped as a recording without drums, by timbre and "
                           f"by when they play; {names[lead]!r} gets the source with less of "
                           "its sound in the low register")
            return Decision("timbre+time", floor=policy.floor_without_drums,
                            reasons=tuple(reasons), lead_source=lead, by_pan=True)
        if grouping == "timbre":  # auto takes it for drums alone only
            alone = (f"the drums play alone ({pitched_fraction:.0%} of the frames sound "
                     f"pitched, at most {policy.drums_alone_frames:.0%} allowed): the sources "
                     f"are the kit's pieces")
            kit = KIT_PIECES.get(n_sources, ())
            if kit:
                reasons.append(f"{alone}, each found from nmfsep's drum templates as "
                               f"`nmfsep drums` does")
            else:
                reasons.append(f"{alone}, told apart by their timbre (the drum templates "
                               f"are used for three or four pieces; `nmfsep drums` splits "
                               f"more by name)")
            return Decision(grouping, floor=policy.floor_without_drums, reasons=tuple(reasons),
                            kit=kit)
    else:
        grouping, drums = strategy, strategy == "percussive"
        reasons = [f"the grouping {strategy!r} was asked for"]
    if n_sources == 1:
        return Decision(grouping, reasons=("one source: every component belongs to it",))
    by_pan = strategy == "auto"  # a stereo image's places, for the sources but the drums
    if drums:
        reasons.append("the drums are grouped first; a component that sounds like "
                       "neither side is settled by its timbre" if grouping == "percussive"
                       and n_sources - 1 <= policy.settle_beside_pitched else
                       "the drums are grouped first, the other instruments by timbre and "
                       "by when they play")
        if strategy == "auto" and n_sources == 2 and not names:
            reasons.append("two sources of a recording with drums are taken as the drums and "
                           "everything else; for a voice or a lead instrument against the "
                           "rest, name them (--names vocals,rest)")
    else:
        reasons.append("the instruments are told apart by timbre and by when they play"
                       if grouping == "timbre+time" else
                       "sounds are put together when a model learned from known stems "
                       "judges them one instrument: alike in timbre, register and attack, "
                       "and seldom struck at the same moment" if grouping == "learned" else
                       f"the components are grouped by {grouping!r}")
    if strength == 0 or percussive_share is None:
        if strength == 0:
            reasons.append("percussive_prior is 0: the masks come from the factorization "
                           "alone")
        return Decision(grouping, floor=policy.floor_without_drums, reasons=tuple(reasons),
                        by_pan=by_pan)
    shares = strategy == "auto" and (n_sources == 2 and not bass_notes if drums
                                     else n_sources >= policy.min_share_sources)
    if not drums:
        if shares:
            reasons.append("each instrument keeps to its own register: its mask leans on its "
                           "share of the long-term spectrum")
        return Decision(grouping, register="shares" if shares else None,
                        floor=policy.floor_without_drums, reasons=tuple(reasons), by_pan=by_pan)
    hpss = strength
    if shares:
        if n_runs > 1:
            hpss *= policy.hpss_scale_beside_shares
        reasons.append("the drums' mask leans on a harmonic/percussive split (HPSS) and each "
                       "source on its share of the long-term spectrum")
        register = "shares"
    else:
        if bass_notes:
            low, high = policy.bass_notes_hz
            reasons.append(f"the instruments beside the drums play bass notes (a sound whose "
                           f"strongest partial lies between {low:g} and {high:g} Hz, with a "
                           f"second partial at twice that): a band with a bass line rather "
                           f"than one instrument, so no source leans on its share of the "
                           f"spectrum")
        reasons.append("the drums' mask leans on a harmonic/percussive split (HPSS); a bass "
                       "line, if there is one, keeps the low register")
        register = "bass line"
    templates = strategy == "auto" and drums_named(names)
    if templates:
        reasons.append(f"the drums are named, so nmfsep's drum templates model them too, "
                       f"beside {policy.drum_template_free} components learned from the "
                       f"recording for the rest: where the templates hear a drum hit the "
                       f"grouping missed (a kit quieter than the band), the drums keep it")
    elif strategy == "auto" and not names:
        reasons.append("naming the drums (--names drums,rest, or one name per source with "
                       "drums among them) would have nmfsep's drum templates model them too, "
                       "for a kit quieter than the band")
    reasons.append("the masks are estimated once more from the sources they rebuild")
    return Decision(grouping, drum_source=named_drums(names), hpss_strength=hpss,
                    register=register,
                    consistent=True, floor=policy.floor, reasons=tuple(reasons), by_pan=by_pan,
                    drum_templates=templates)

