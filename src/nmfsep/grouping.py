"""Strategies that assign the K components to ``n_sources`` sources.

Every strategy is a function ``(W, H, n_sources, context) -> labels`` with
``labels`` of shape ``(K,)`` holding source indices ``0 .. n_sources-1``,
each source receiving at least one component.  They are looked up by name in
:data:`STRATEGIES`; :func:`group` is the one entry point.

==============  ===========================================================
name            what it uses
==============  ===========================================================
``manual``      lists of component indices given by a person
``spectral``    where each basis spectrum lies in frequency (centroid);
                sources ordered from low to high
``timbre``      k-means on MFCCs of the basis spectra (NMF-MFCC,
                Spiertz & Gnann 2009)
``timbre+time`` spectral clustering of the components on how alike their
                MFCCs are and how seldom they sound together: two
                components heard at the same moments are more likely two
                instruments of an ensemble than two notes of one
                (:func:`coactivity_affinity`)
``percussive``  a component is a drum when it is broadband (two-means on
                the tonalness of its basis spectrum: the share above its
                running median across frequency) and comes in percussive
                bursts (two-means on the share of its rebuilt spectrogram
                that a median-filter HPSS calls percussive and on the
                spikiness of its activation); beside one pitched source, one
                that only one of the two tests calls a drum goes to the side
                it is nearer to in timbre (:func:`settle_by_timbre`), beside
                more it is a drum; with more than two sources,
                the pitched components are split further by
                ``timbre+time``; the drums come first, and their masks are
                weighted by HPSS (:func:`percussive_prior`); a bass line
                among two or more pitched sources is given the low
                register (:func:`low_register_weights`)
``learned``     spectral clustering of a learned same-source affinity: a
                logistic model (:attr:`nmfsep.policy.Policy.affinity_weights`)
                of eight pair features of the components
                (:func:`nmfsep.features.pair_features`: MFCC distance,
                co-activation, differences of centroid, tonalness,
                percussiveness, spikiness and low-frequency ratio, cosine of
                the spectra), fitted on oracle labels (:func:`learned_affinity`)
``auto``        the default: ``percussive`` when a drum part is heard,
                ``timbre`` when three or more sources are the pieces of a
                drum kit playing alone, otherwise ``timbre+time``
                (:func:`nmfsep.policy.auto_grouping`; the whole automatic
                policy is :mod:`nmfsep.policy`)
==============  ===========================================================

Every tuned constant a strategy reads (how strongly ``timbre+time`` keeps
co-active components apart, how the drum split settles its unsure components,
what makes a bass line) comes from the context's :class:`nmfsep.policy.Policy`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from .errors import ParameterError
from .features import (
    MedianFilterLengths,
    basis_mfcc,
    bin_frequencies,
    blocked_percussive_mask,
    coactivation,
    low_frequency_ratio,
    median_filter_lengths,
    pair_features,
    percussive_mask,
    percussive_share,
    percussiveness,
    spectral_centroid,
    spikiness,
    tonalness,
)
from .pitched import pitched_fraction
from .policy import DEFAULT_POLICY, Policy, auto_grouping, needs_pitched_fraction

__all__ = [
    "GroupingContext", "STRATEGIES", "group", "parse_groups", "example_groups",
    "labels_from_groups",
    "kmeans", "spectral_clusters", "coactivity_affinity", "low_register_weights",
    "settle_by_timbre", "learned_affinity", "place_lead", "swap_sources", "low_register_share",
]

@dataclass
class GroupingContext:
    """What a strategy may know besides ``W`` and ``H``.

    Attributes
    ----------
    sr : int
        Sample rate, to put the bins on a frequency axis.
    V : np.ndarray, optional, shape=(bins, frames)
        The factorized spectrogram (for HPSS-informed features).
    groups : sequence of sequences of int, optional
        For ``manual``.
    random_state : int or None
    hop : int, optional
        STFT hop of ``V`` in samples, to give the median filters of the HPSS
        features the same length in seconds and hertz at every STFT
        (:func:`nmfsep.features.median_filter_lengths`).  Without it (or
        without ``V``) they keep fixed lengths in frames and bins.
    policy : Policy
        The tuned constants the strategies read.
    block : int, optional
        Compute the percussive mask by blocks of this many frames (the same
        result in bounded temporary memory); None filters ``V`` whole.
    power : float
        ``V`` is the magnitude spectrogram to this power (1: magnitude).
    channels : np.ndarray or callable(first, last), optional
        A stereo recording's two channels at ``V``'s STFT, for the components'
        pans (:func:`nmfsep.panning.component_pans`): the STFT, shape=(2, bins,
        frames), or a function giving its frames ``first:last``.  None for a
        recording of one channel or more than two.
    """

    sr: int
    V: np.ndarray | None = None
    groups: Sequence[Sequence[int]] | None = None
    random_state: int | None = None
    hop: int | None = None
    policy: Policy = DEFAULT_POLICY
    block: int | None = None
    power: float = 1.0
    channels: np.ndarray | Callable[[int, int], np.ndarray] | None = None

    @property
    def filter_lengths(self) -> MedianFilterLengths:
        """Median-filter lengths of the HPSS features for this STFT."""
        if self.hop is None or self.V is None:
            return MedianFilterLengths(frames=17, bins=17, spike_frames=21)
        return median_filter_lengths(self.sr, self.hop, self.V.shape[0], self.policy)

    @cached_property
    def percussive(self) -> np.ndarray:
        """Soft percussive mask of ``V``, computed once."""
        if self.V is None:
            raise ParameterError("this grouping needs the spectrogram V")
        lengths = self.filter_lengths
        if self.block is None:
            return percussive_mask(self.V, lengths.frames, lengths.bins)
        return blocked_percussive_mask(self.V, block=self.block, frames=lengths.frames,
                                       bins=lengths.bins)

    @cached_property
    def percussive_share(self) -> float:
        """Share of ``V`` that the percussive mask holds, in [0, 1]."""
        return percussive_share(self.V, self.percussive)

    @cached_property
    def pitched_fraction(self) -> float:
        """Share of ``V``'s frames that sound pitched (:func:`nmfsep.pitched.pitched_fraction`)."""
        if self.V is None or self.hop is None:
            raise ParameterError("telling drums alone from a band needs V and its hop")
        V = self.V if self.power == 1 else self.V ** (1 / self.power)
        return pitched_fraction(V, self.sr, self.hop)

    def auto_evidence(self, n_sources: int) -> tuple[float, float | None]:
        """What ``auto`` decides from: the percussive share, and the pitched share if needed.

        The pitched share is measured only when it can change the decision
        (:func:`nmfsep.policy.needs_pitched_fraction`), else None.
        """
        share = self.percussive_share
        needed = needs_pitched_fraction(share, n_sources, self.policy)
        return share, self.pitched_fraction if needed else None

    def with_policy(self, policy: Policy) -> GroupingContext:
        """This context under another policy.

        Its percussive mask and share, once computed, are kept when the
        policy's HPSS filters are the same, and made again otherwise.
        """
        if policy == self.policy:
            return self
        fresh = replace(self, policy=policy)
        if "pitched_fraction" in self.__dict__:
            fresh.__dict__["pitched_fraction"] = self.__dict__["pitched_fraction"]
        if _hpss_filters(policy) == _hpss_filters(self.policy):
            for cached in ("percussive", "percussive_share"):
                if cached in self.__dict__:
                    fresh.__dict__[cached] = self.__dict__[cached]
        return fresh


def _hpss_filters(policy: Policy) -> tuple[float, float]:
    """The policy's fields that make a percussive mask."""
    return policy.harmonic_filter_seconds, policy.percussive_filter_hz


Strategy = Callable[[np.ndarray, np.ndarray, int, GroupingContext], np.ndarray]


def kmeans(
    X: np.ndarray, k: int, *, n_init: int = 10, max_iter: int = 100,
    random_state: int | None = None,
) -> np.ndarray:
    """K-means with k-means++ seeding; every cluster keeps at least one point.

    Parameters
    ----------
    X : np.ndarray, shape=(n_points, n_features)
    k : int

    Returns
    -------
    labels : np.ndarray, shape=(n_points,)
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    if k >= n:
        return np.arange(n) % k
    rng = np.random.default_rng(random_state)
    best, best_inertia = None, np.inf
    for _ in range(n_init):
        centres = [X[rng.integers(n)]]
        for _ in range(1, k):
            d2 = np.min([np.sum((X - c) ** 2, axis=1) for c in centres], axis=0)
            total = d2.sum()
            index = rng.choice(n, p=d2 / total) if total > 0 else rng.integers(n)
            centres.append(X[index])
        C = np.array(centres)
        labels = np.zeros(n, dtype=int)
        for _ in range(max_iter):
            d2 = ((X[:, None, :] - C[None]) ** 2).sum(axis=2)
            labels = _fill_empty(np.argmin(d2, axis=1), d2, k)
            newC = np.array([X[labels == j].mean(axis=0) for j in range(k)])
            if np.allclose(newC, C):
                break
            C = newC
        inertia = float(((X - C[labels]) ** 2).sum())
        if inertia < best_inertia - 1e-12:
            best, best_inertia = labels, inertia
    return best


def _fill_empty(labels: np.ndarray, d2: np.ndarray, k: int) -> np.ndarray:
    """Give every empty cluster the point that fits its own cluster worst."""
    labels = labels.copy()
    for j in range(k):
        if not np.any(labels == j):
            own = d2[np.arange(len(labels)), labels]
            counts = np.bincount(labels, minlength=k)
            candidates = np.where(counts[labels] > 1)[0]
            labels[candidates[np.argmax(own[candidates])]] = j
    return labels


def spectral_clusters(
    affinity: np.ndarray, k: int, *, random_state: int | None = None,
) -> np.ndarray:
    """Spectral clustering of points given their affinities (Ng, Jordan & Weiss 2002).

    Parameters
    ----------
    affinity : np.ndarray, shape=(n_points, n_points)
        Symmetric, non-negative; larger is more alike.
    k : int

    Returns
    -------
    labels : np.ndarray, shape=(n_points,)
        Every cluster keeps at least one point.

    Notes
    -----
    The k-means on the embedding restarts 50 times (it is small: one point per
    component, ``k`` dimensions): with 10 restarts the partition of the
    benchmark's chorales still depended on the seed; with 50 it no longer did.
    """
    A = np.asarray(affinity, dtype=np.float64)
    n = A.shape[0]
    if k >= n:
        return np.arange(n) % k
    A = A.copy()
    np.fill_diagonal(A, 0.0)
    scale = 1.0 / np.sqrt(np.maximum(A.sum(axis=1), 1e-12))
    _, vectors = np.linalg.eigh(A * scale[:, None] * scale[None, :])
    embedding = vectors[:, -k:]
    embedding /= np.maximum(np.linalg.norm(embedding, axis=1, keepdims=True), 1e-12)
    return kmeans(embedding, k, n_init=50, random_state=random_state)


def coactivity_affinity(W: np.ndarray, H: np.ndarray, sr: int,
                        weight: float = DEFAULT_POLICY.coactivity_weight) -> np.ndarray:
    """Affinity of components for ``timbre+time``: alike in timbre, seldom together.

    ``exp(-d2 / median(d2) - weight * c)``, with ``d2`` the squared distance of
    the z-scored MFCCs of two basis spectra and ``c`` the cosine of their
    activations (:func:`nmfsep.features.coactivation`).

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    sr : int
    weight : float
        How strongly co-activity keeps components apart
        (:attr:`nmfsep.policy.Policy.coactivity_weight`); 0 gives a
        timbre-only affinity.

    Returns
    -------
    np.ndarray, shape=(K, K)
    """
    features = _zscore(basis_mfcc(W, sr))
    d2 = ((features[:, None, :] - features[None, :, :]) ** 2).sum(axis=2)
    off_diagonal = d2[np.triu_indices(len(d2), 1)]
    scale = max(float(np.median(off_diagonal)), 1e-12) if off_diagonal.size else 1.0
    return np.exp(-d2 / scale - weight * coactivation(H))


def _order_by(labels: np.ndarray, key: np.ndarray, n_sources: int) -> np.ndarray:
    """Renumber clusters so that their mean ``key`` increases with the source index."""
    means = np.array([key[labels == j].mean() if np.any(labels == j) else np.inf
                      for j in range(n_sources)])
    rank = np.empty(n_sources, dtype=int)
    rank[np.argsort(means, kind="stable")] = np.arange(n_sources)
    return rank[labels]


def _zscore(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    return (X - X.mean(axis=0)) / np.maximum(X.std(axis=0), 1e-9)


def _log_centroid(W: np.ndarray, context: GroupingContext) -> np.ndarray:
    return np.log(np.maximum(spectral_centroid(W, context.sr), 1.0))


def labels_from_groups(groups: Sequence[Sequence[int]], n_components: int) -> np.ndarray:
    """Turn lists of component indices into labels, checking each is used exactly once.

    Raises
    ------
    ParameterError
        Naming the component that is out of range, in two groups, or in none.
    """
    if isinstance(groups, str) or any(isinstance(members, (str, bytes)) or np.ndim(members) != 1
                                      for members in groups):
        raise ParameterError(f"groups must be a list of lists of component indices, one list "
                             f"per source, e.g. [[0, 3], [1, 2]]; got {groups!r}")
    labels = np.full(n_components, -1, dtype=int)
    for source, members in enumerate(groups):
        if len(members) == 0:
            raise ParameterError(f"group {source + 1} is empty; every source needs a component")
        for index in members:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
                raise ParameterError(f"group {source + 1}: {index!r} is not a component index")
            index = int(index)
            if not 0 <= index < n_components:
                raise ParameterError(
                    f"component {index} does not exist; components are 0..{n_components - 1}"
                )
            if labels[index] >= 0:
                raise ParameterError(
                    f"component {index} is in group {labels[index] + 1} and group {source + 1}"
                )
            labels[index] = source
    missing = np.flatnonzero(labels < 0)
    if missing.size:
        raise ParameterError(f"components {missing.tolist()} are in no group")
    return labels


#: The largest component index ``--groups`` may name: far more components than any
#: factorization holds in memory, small enough that a mistyped range costs nothing.
MAX_COMPONENT_INDEX = 99_999


def parse_groups(text: str) -> list[list[int]]:
    """Parse ``"0,3,5;1,2,4"`` (``;`` between sources, ``,`` and ``a-b`` ranges within).

    Raises
    ------
    ParameterError
        For an item that is not an index or a range, a range that runs backwards,
        or an index above :data:`MAX_COMPONENT_INDEX`.
    """
    groups = []
    for part in text.split(";"):
        members: list[int] = []
        for item in part.split(","):
            item = item.strip()
            if not item:
                continue
            first, dash, last = item.partition("-")
            try:
                if first.strip().startswith("-") or (dash and last.strip().startswith("-")):
                    raise ValueError(item)  # no index is negative: "3--5" is a typo
                start, stop = int(first), int(last if dash else first)
            except ValueError:
                raise ParameterError(
                    f"malformed --groups {text!r}: {item!r} is not a component index; "
                    "write e.g. \"0,3,5;1,2,4\""
                ) from None
            if stop < start:
                raise ParameterError(f"--groups {text!r}: the range {item!r} runs backwards; "
                                     f"write {stop}-{start}")
            if stop > MAX_COMPONENT_INDEX:
                raise ParameterError(f"--groups {text!r}: component {stop} does not exist "
                                     "(no factorization has that many components)")
            members.extend(range(start, stop + 1))
        groups.append(members)
    return groups


def example_groups(n_components: int) -> str:
    """Groups in :func:`parse_groups`' syntax that put every component in one of two sources.

    What the command line and the components page suggest: an example that
    works as it is for ``n_components`` components (``"0-7;8-15"`` for 16).
    """
    def span(first: int, last: int) -> str:
        return str(first) if first == last else f"{first}-{last}"
    if n_components < 2:
        raise ParameterError(f"{n_components} component(s) cannot be grouped into two sources")
    half = n_components // 2
    return f"{span(0, half - 1)};{span(half, n_components - 1)}"


def _manual(W, H, n_sources, context):
    if context.groups is None:
        raise ParameterError("grouping 'manual' needs groups, e.g. [[0, 3, 5], [1, 2, 4]]")
    if len(context.groups) != n_sources:
        raise ParameterError(
            f"{len(context.groups)} groups given for {n_sources} sources; give one per source"
        )
    return labels_from_groups(context.groups, W.shape[1])


def _spectral(W, H, n_sources, context):
    key = _log_centroid(W, context)
    labels = kmeans(key[:, None], n_sources, random_state=context.random_state)
    return _order_by(labels, key, n_sources)


def _timbre(W, H, n_sources, context):
    labels = kmeans(_zscore(basis_mfcc(W, context.sr)), n_sources,
                    random_state=context.random_state)
    return _order_by(labels, _log_centroid(W, context), n_sources)


def _timbre_time(W, H, n_sources, context):
    affinity = coactivity_affinity(W, H, context.sr, context.policy.coactivity_weight)
    labels = spectral_clusters(affinity, n_sources, random_state=context.random_state)
    return _order_by(labels, _log_centroid(W, context), n_sources)


def learned_affinity(W: np.ndarray, H: np.ndarray, context: GroupingContext) -> np.ndarray:
    """Probability that two components belong to one source, shape=(K, K).

    The logistic model of :attr:`Policy.affinity_weights` on
    :func:`nmfsep.features.pair_features`; symmetric, ones on the diagonal.
    """
    policy = context.policy
    features = pair_features(W, H, context.sr, context.percussive,
                             context.filter_lengths.spike_frames)
    z = (features - np.asarray(policy.affinity_offsets)) / np.asarray(policy.affinity_scales)
    affinity = 1.0 / (1.0 + np.exp(-(z @ np.asarray(policy.affinity_weights)
                                     + policy.affinity_bias)))
    affinity = (affinity + affinity.T) / 2
    np.fill_diagonal(affinity, 1.0)
    return affinity


def _learned(W, H, n_sources, context):
    labels = spectral_clusters(learned_affinity(W, H, context), n_sources,
                               random_state=context.random_state)
    return _order_by(labels, _log_centroid(W, context), n_sources)


def _drum_features(W, H, context) -> np.ndarray:
    return np.column_stack([percussiveness(W, H, context.percussive),
                            spikiness(H, context.filter_lengths.spike_frames)])


def _drum_components(W, H, context, settle: bool) -> np.ndarray:
    """True for the components that sound like drums: broadband and percussive bursts.

    Two two-means splits, each catching what the other misses: on tonalness
    (cymbals, hi-hats and snares have no line spectrum) and on percussiveness
    with spikiness (a kick's tonal body still comes in short HPSS-percussive
    hits).  A component is surely a drum when both say so and surely pitched
    when neither does.  With ``settle`` (beside at most the policy's
    ``settle_beside_pitched`` pitched sources), :func:`settle_by_timbre`
    decides the others; without, every such component is a drum.
    """
    policy = context.policy
    tonal = tonalness(W, context.sr, policy.tonalness_median_hz)
    by_tone = kmeans(tonal[:, None], 2, random_state=context.random_state)
    broadband = by_tone == int(np.argmin([tonal[by_tone == j].mean() for j in range(2)]))
    features = _drum_features(W, H, context)
    by_hits = kmeans(features, 2, random_state=context.random_state)
    hits = by_hits == by_hits[np.argmax(features.mean(axis=1))]
    kick = hits & ~broadband & (low_frequency_ratio(W, context.sr, policy.bass_band_hz) >= 0.5)
    return settle_by_timbre(basis_mfcc(W, context.sr), broadband, hits, kick,
                            policy.timbre_neighbours if settle else 0)


def settle_by_timbre(timbre: np.ndarray, broadband: np.ndarray, hits: np.ndarray,
                     kick: np.ndarray,
                     neighbours: int = DEFAULT_POLICY.timbre_neighbours) -> np.ndarray:
    """The drum components, the unsure ones settled by the sure ones they sound like.

    A component that both tests of the drum split call a drum (``broadband``
    and ``hits``) is surely one, and one that neither does surely pitched.  A
    component that only one test calls a drum is unsure: a muted or overdriven
    guitar chord comes in bursts as percussive as a snare's, and a ride
    cymbal's wash is as sustained as a chord.  It goes to the side whose sure
    components it is nearer to in ``timbre``: the mean squared distance (of
    the z-scored features) to its ``neighbours`` nearest on each side.  A
    ``kick`` stays a drum: a tonal hit with most of its energy in the bass
    register sounds as much like a bass line's plucks as like the other drums.

    Chosen on drums + guitar of the quality benchmark's item sets against
    calling every unsure component a drum (``benchmarks/quality/notes.md``,
    thirteenth round).

    Parameters
    ----------
    timbre : np.ndarray, shape=(K, n_features)
        Typically :func:`~nmfsep.features.basis_mfcc` of the bases.
    broadband, hits, kick : np.ndarray of bool, shape=(K,)
        The two tests, and the components that stay drums whatever their timbre.
    neighbours : int
        How many sure components on each side decide
        (:attr:`nmfsep.policy.Policy.timbre_neighbours`); 0 calls every unsure
        component a drum.

    Returns
    -------
    np.ndarray of bool, shape=(K,)
        The union of the two tests when a side has no sure component.
    """
    drums = broadband | hits
    sure_drums, sure_pitched = broadband & hits, ~drums
    unsure = (broadband ^ hits) & ~kick
    if neighbours <= 0 or not (sure_drums.any() and sure_pitched.any() and unsure.any()):
        return drums
    X = _zscore(timbre)
    d2 = ((X[unsure, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    to_drums = np.sort(d2[:, sure_drums], axis=1)[:, :neighbours].mean(axis=1)
    to_pitched = np.sort(d2[:, sure_pitched], axis=1)[:, :neighbours].mean(axis=1)
    drums[unsure] = to_drums < to_pitched
    return drums


def _percussive(W, H, n_sources, context):
    drums = _drum_components(W, H, context,
                             settle=n_sources - 1 <= context.policy.settle_beside_pitched)
    labels = np.zeros(W.shape[1], dtype=int)
    pitched = np.flatnonzero(~drums)
    if pitched.size < n_sources - 1:  # keep a component for every pitched source
        pitched = np.argsort(-tonalness(W, context.sr))[: n_sources - 1]
        drums = ~np.isin(np.arange(W.shape[1]), pitched)
    if n_sources > 2:
        beside = STRATEGIES[context.policy.pitched_beside_drums]
        labels[pitched] = 1 + beside(W[:, pitched], H[pitched], n_sources - 1, context)
    else:
        labels[pitched] = 1
    labels[drums] = 0
    return labels


def _auto(W, H, n_sources, context):
    share, pitched = context.auto_evidence(n_sources)
    strategy = auto_grouping(share, context.policy, n_sources=n_sources,
                             pitched_fraction=pitched)
    return STRATEGIES[strategy](W, H, n_sources, context)


def _mfcc_drums(W, H, n_sources, context):
    drums = _drum_features(W, H, context)
    features = np.column_stack([_zscore(basis_mfcc(W, context.sr)), 3.0 * _zscore(drums)])
    labels = kmeans(features, n_sources, random_state=context.random_state)
    return _order_by(labels, -drums.mean(axis=1), n_sources)


STRATEGIES: dict[str, Strategy] = {
    "auto": _auto,
    "manual": _manual,
    "mfcc+drums": _mfcc_drums,
    "spectral": _spectral,
    "timbre": _timbre,
    "timbre+time": _timbre_time,
    "percussive": _percussive,
    "learned": _learned,
}


def low_register_weights(W: np.ndarray, H: np.ndarray, labels: np.ndarray, drum_source: int,
                         sr: int, policy: Policy = DEFAULT_POLICY) -> np.ndarray | None:
    """Weights across frequency that give the low register to a bass line, or None.

    With drums and two or more pitched sources, the pitched source whose model
    has the lowest spectral centroid is a bass line when at least half of its
    magnitude spectrum (summed over time) lies below the policy's
    ``bass_band_hz``.  Its masks are then weighted by a low-pass
    ``L(f) = 1 / (1 + (f / register_cutoff_hz)**8)`` and the other pitched
    sources' by ``1 - L(f)``, each to the power ``register_strength``
    (plus 1e-3, so that no bin is ruled out); the
    drums keep weight 1.  A factorization often gives a bass line too few
    components, or shares them with the kick drum; the register is the second
    opinion that a bass line sits below the other pitched instruments.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    labels : np.ndarray, shape=(K,)
        The source of each component; every source has at least one.
    drum_source : int
        The source of the drums.
    sr : int
        Sample rate.
    policy : Policy
        ``bass_band_hz``, ``register_cutoff_hz`` and ``register_strength``.

    Returns
    -------
    np.ndarray, shape=(n_sources, bins), float32, or None
        None with fewer than two pitched sources or no bass line among them.
    """
    labels = np.asarray(labels)
    n_sources = int(labels.max()) + 1
    pitched = [j for j in range(n_sources) if j != drum_source]
    if len(pitched) < 2:
        return None
    freqs = bin_frequencies(W.shape[0], sr)
    profiles = _source_spectra(W, H, labels, pitched)
    lowest = int(np.argmin(spectral_centroid(profiles, sr)))
    profile = profiles[:, lowest]
    if profile.sum() <= 0 or profile[freqs < policy.bass_band_hz].sum() < 0.5 * profile.sum():
        return None  # a silent source, or no bass line
    low = 1.0 / (1.0 + (freqs / policy.register_cutoff_hz) ** 8)
    weights = np.ones((n_sources, freqs.size))
    for j in pitched:
        weights[j] = (low if j == pitched[lowest] else 1.0 - low) + 1e-3
    return (weights**policy.register_strength).astype(np.float32)


def swap_sources(labels: np.ndarray, first: int, second: int) -> np.ndarray:
    """``labels`` with sources ``first`` and ``second`` exchanged."""
    labels = np.asarray(labels)
    return np.where(labels == first, second, np.where(labels == second, first, labels))


def place_lead(W: np.ndarray, H: np.ndarray, labels: np.ndarray, lead: int, sr: int,
               policy: Policy = DEFAULT_POLICY) -> np.ndarray:
    """Two sources' labels, swapped if needed so that the voice or lead is source ``lead``.

    The voice or lead is the source whose model (its spectrum summed over time)
    has the smaller share below the low register's cutoff
    (``policy.register_cutoff_hz``): the rest holds the bass line and the kick.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    labels : np.ndarray of int in {0, 1}, shape=(K,)
    lead : int
        The source (0 or 1) named a voice or lead (:func:`nmfsep.policy.named_lead`).
    sr : int
    policy : Policy

    Returns
    -------
    np.ndarray, shape=(K,)
        ``labels`` or ``1 - labels``.
    """
    labels = np.asarray(labels)
    found = int(np.argmin(low_register_share(W, H, labels, (0, 1), sr, policy)))
    return labels if found == lead else 1 - labels


def low_register_share(W: np.ndarray, H: np.ndarray, labels: np.ndarray,
                       sources: Sequence[int], sr: int,
                       policy: Policy = DEFAULT_POLICY) -> np.ndarray:
    """Each of ``sources``' share of its model's energy below ``policy.register_cutoff_hz``.

    Returns
    -------
    np.ndarray, shape=(len(sources),), in [0, 1]
    """
    low = bin_frequencies(W.shape[0], sr) < policy.register_cutoff_hz
    profiles = _source_spectra(W, H, labels, sources)
    return profiles[low].sum(axis=0) / np.maximum(profiles.sum(axis=0),
                                                 np.finfo(np.float64).tiny)


def bass_note_components(W: np.ndarray, labels: np.ndarray, source: int, sr: int,
                         policy: Policy = DEFAULT_POLICY) -> np.ndarray:
    """The components of ``source`` that sound a bass note.

    A bass note's strongest bin lies in ``policy.bass_notes_hz`` (below any
    guitar's lowest note, above a five-string bass's lowest) and it has a
    second partial: within one bin of twice that frequency the basis spectrum
    reaches ``policy.bass_partial_ratio`` of its peak and stands above the
    valley halfway between the two partials (at one and a half times the
    peak's frequency).  A kick drum's tail, a sine gliding down to its pitch,
    has no such partial, nor has a kick's body, a lobe falling steadily from
    its peak.  With frequency bins too coarse to hold that valley apart (a
    peak in bin 2 or lower) no component is called a bass note.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    labels : np.ndarray, shape=(K,)
        The source of each component.
    source : int
    sr : int
        Sample rate.
    policy : Policy

    Returns
    -------
    np.ndarray, shape=(K,), bool

    >>> W = np.full((2049, 4), 1e-4)
    >>> W[4, :] = 1.0  # 43 Hz: E1 or a kick's tail
    >>> W[8, 0] = W[8, 2] = W[8, 3] = 0.5  # a partial at 86 Hz
    >>> W[5:8, 3] = 0.8  # ... above no valley: a kick's body
    >>> bass_note_components(W, np.array([0, 0, 1, 0]), 0, 44100).tolist()
    [True, False, False, False]
    """
    freqs = bin_frequencies(W.shape[0], sr)
    peaks = np.argmax(W, axis=0)
    low, high = policy.bass_notes_hz
    found = (np.asarray(labels) == source) & (freqs[peaks] >= low) & (freqs[peaks] < high)
    for k in np.flatnonzero(found):
        peak = int(peaks[k])
        valley = int(round(1.5 * peak))
        second = W[2 * peak - 1:2 * peak + 2, k].max()
        found[k] = (valley < 2 * peak - 1 and second > W[valley, k]
                    and second >= policy.bass_partial_ratio * W[peak, k])
    return found


def _source_spectra(W: np.ndarray, H: np.ndarray, labels: np.ndarray,
                   sources: Sequence[int]) -> np.ndarray:
    """Each of ``sources``' model spectrum summed over time, ``W_s @ H_s.sum(axis=1)``.

    Returns
    -------
    np.ndarray, shape=(bins, len(sources)), float64
    """
    labels = np.asarray(labels)
    activity = np.asarray(H, dtype=np.float64).sum(axis=1)
    return np.column_stack([W[:, labels == j].astype(np.float64) @ activity[labels == j]
                            for j in sources])


def group(
    W: np.ndarray, H: np.ndarray, n_sources: int, strategy: str = "auto", *,
    sr: int | None = None, V: np.ndarray | None = None,
    groups: Sequence[Sequence[int]] | None = None, random_state: int | None = None,
    context: GroupingContext | None = None,
) -> np.ndarray:
    """Assign components to sources.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    n_sources : int
    strategy : str
        A name from :data:`STRATEGIES`.
    sr : int
    V : np.ndarray, optional, shape=(bins, frames)
        The factorized spectrogram, for strategies that use HPSS.
    groups : list of lists of int, optional
        For ``manual``.
    random_state : int or None
    context : GroupingContext, optional
        Instead of ``sr``, ``V``, ``groups`` and ``random_state``: a context to
        reuse, so that its percussive mask (costly) is computed once for a
        separation and its later regroupings and features.

    Returns
    -------
    labels : np.ndarray of int, shape=(K,)
    """
    if context is None:
        if sr is None:
            raise ParameterError("group() needs the sample rate sr (or a context)")
        context = GroupingContext(sr=sr, V=V, groups=groups, random_state=random_state)
    if strategy not in STRATEGIES:
        raise ParameterError(
            f"unknown grouping {strategy!r}; choose one of {', '.join(sorted(STRATEGIES))}"
        )
    n_components = W.shape[1]
    if n_sources < 1:
        raise ParameterError(f"n_sources must be at least 1, got {n_sources}")
    if n_components < n_sources:
        raise ParameterError(
            f"{n_components} components cannot make {n_sources} sources; "
            "use at least one component per source"
        )
    if strategy != "manual" and n_sources == 1:
        return np.zeros(n_components, dtype=int)
    labels = np.asarray(STRATEGIES[strategy](W, H, n_sources, context), dtype=int)
    assert labels.shape == (n_components,) and set(labels) == set(range(n_sources))
    return labels
