"""The methods compared by the quality benchmark, in one registry.

A method is a function ``(item) -> estimates`` with ``estimates`` of shape
``(n_sources, channels, samples)``; the benchmark solves the permutation, so
the order of the estimates does not matter.  Each :class:`Method` says what it
may look at:

* ``kind="blind"``: the mixture and the number of sources only;
* ``kind="supervised"``: also ``item.training`` (one clip per source of the
  same instrument playing other material), for dictionary-based methods;
* ``kind="oracle"``: also the true stems (upper bounds, not competitors).

A method whose outputs are named (``by_name``, e.g. one output per drum piece) is
scored against the source of the same name; the others' permutation is solved.

Adding a supervised column is one function and one line in :func:`methods`,
e.g. ``Method("nmfsep supervised", "supervised", lambda item:
nmfsep.separate(item.mixture, item.sr, dictionaries=...).sources)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import nmfsep
from nmfsep.grouping import STRATEGIES
from nmfsep.masks import soft_masks, source_models
from nmfsep.policy import DEFAULT_POLICY, drums_named, named_lead
from nmfsep.spectral import STFTConfig, default_n_fft, istft, stft

from . import drum_nmfd
from .anchors import centroid_labels, nussl_nmf_mfcc, nussl_problem
from .generate import Item

# The "plain NMF" of the oracle-grouping reference: fixed here, so that the
# reference does not move when nmfsep's defaults do (nmfsep 0.1.0's K, beta and
# iterations). Every method, anchors and oracles included, works on the same STFT
# (nmfsep's default frame, ``_config``), so that no column wins by its frame length.
PLAIN = dict(n_components_per_source=10, beta=1.0, max_iter=200)
# With drums, HPSS sends the harmonic part below this frequency to the bass.
HPSS_BASS_CUTOFF_HZ = 250.0


CENTROID = "NMF + low-frequency centroid"
NUSSL = "nussl NMF-MFCC"
NMFD = "NMFD (libnmfd recipe)"
CROSSOVER = "filterbank, crossover"
BEST_BANDS = "filterbank, best bands"
NAMED = "nmfsep, sources named"
DRUMS_NAMED = "nmfsep, drums named"
#: Free components beside the built-in drum dictionary: those ``auto`` puts beside the
#: drum templates when the drums are named (``auto``'s ten per source, for two).
BUILTIN_DRUMS_FREE = DEFAULT_POLICY.drum_template_free
BUILTIN_DRUMS = f"nmfsep --dict builtin:drums --free {BUILTIN_DRUMS_FREE}"


@dataclass
class Method:
    """A named separation method and what it is allowed to know."""

    name: str
    kind: str  # "blind", "supervised" or "oracle"
    run: Callable[[Item], np.ndarray]
    applies: Callable[[Item], bool] = lambda item: True
    note: str = ""
    by_name: bool = False


def _config(sr: int) -> STFTConfig:
    n_fft = default_n_fft(sr)
    return STFTConfig(n_fft=n_fft, hop=n_fft // 4)


def _rebuild_from_masks(X: np.ndarray, masks: np.ndarray, config: STFTConfig,
                        n_samples: int) -> np.ndarray:
    return np.stack([istft(X * m, config, n_samples) for m in masks])


def has_drums(item: Item) -> bool:
    return "drums" in item.names


def has_training(item: Item) -> bool:
    return bool(item.training)


def drum_pieces(item: Item) -> bool:
    """Every source a different drum piece (kick, snare, hi-hat, toms, cymbals)."""
    return drum_nmfd.applies(item.names)


# --------------------------------------------------------------------------- nmfsep

_DEFAULT_SEPARATION: dict[str, nmfsep.Separation] = {}


def default_separation(item: Item) -> nmfsep.Separation:
    """``nmfsep.separate`` with every default, computed once per item.

    The factorization does not depend on the grouping, so the strategies and
    the oracle regroup this one (``Separation.regroup`` runs the same grouping
    call as ``separate``); only the first nmfsep row's time includes the NMF.
    """
    if item.name not in _DEFAULT_SEPARATION:
        _DEFAULT_SEPARATION.clear()
        _DEFAULT_SEPARATION[item.name] = nmfsep.separate(item.mixture, item.sr,
                                                         n_sources=len(item.names))
    return _DEFAULT_SEPARATION[item.name]


_NMF_SEPARATION: dict[str, nmfsep.Separation] = {}


def nmf_separation(item: Item) -> nmfsep.Separation:
    """The defaults' NMF of the item, for the strategies to regroup.

    It is :func:`default_separation`, unless the defaults factorized drums
    alone by the drum templates (``decision.kit``): then the same defaults with
    an NMF grouped by ``timbre`` (what ``auto`` took for drums alone before).
    """
    default = default_separation(item)
    if default.decision is None or not default.decision.kit:
        return default
    if item.name not in _NMF_SEPARATION:
        _NMF_SEPARATION.clear()
        _NMF_SEPARATION[item.name] = nmfsep.separate(item.mixture, item.sr,
                                                     n_sources=len(item.names),
                                                     grouping="timbre")
    return _NMF_SEPARATION[item.name]


def nmfsep_default(item: Item) -> np.ndarray:
    """nmfsep with every default: what a user gets from ``nmfsep separate mix.wav -n N``."""
    return default_separation(item).sources


def names_a_lead(item: Item) -> bool:
    """Whether the category's names are a voice or lead and the rest
    (:func:`nmfsep.policy.named_lead`), the case ``auto`` reads names for."""
    return named_lead(item.names) is not None


def nmfsep_named(item: Item) -> np.ndarray:
    """nmfsep's defaults told the sources' names, as ``--names`` does; its outputs come in
    the names' order and are scored by name."""
    return nmfsep.separate(item.mixture, item.sr, names=item.names).sources


def names_drums(item: Item) -> bool:
    """Whether one of the item's sources, beside others, is a drum part
    (:func:`nmfsep.policy.drums_named`): ``auto`` then models the drums by the
    drum templates too."""
    return drums_named(item.names)


def nmfsep_drums_named(item: Item) -> np.ndarray:
    """nmfsep's defaults told the sources' names, one of them a drum part: the drums
    are also modelled by the drum templates.  Only the drums are placed by their name,
    so the outputs are scored as the unnamed ones are (the best permutation)."""
    return nmfsep.separate(item.mixture, item.sr, names=item.names).sources


def drums_and_one_other(item: Item) -> bool:
    """Whether the item is drums against one other source (a drum split of two)."""
    return has_drums(item) and len(item.names) == 2


def nmfsep_builtin_drums(item: Item) -> np.ndarray:
    """nmfsep's built-in drum dictionary beside free components for the rest (``--dict
    builtin:drums --free 20``); its outputs in the names' order, scored by name."""
    drums = nmfsep.load_dictionary("builtin:drums")
    sources = nmfsep.separate(item.mixture, item.sr, dictionaries=[drums],
                              n_free_components=BUILTIN_DRUMS_FREE).sources
    return sources if item.names[0] == "drums" else sources[::-1]


def nmfsep_runs(n_runs: int) -> Callable[[Item], np.ndarray]:
    """nmfsep with ``n_runs`` factorizations (``--runs``); one is the default over a minute."""
    def run(item: Item) -> np.ndarray:
        return nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names),
                               n_runs=n_runs).sources
    run.__name__ = f"nmfsep_runs_{n_runs}"
    return run


def nmfsep_strategy(strategy: str) -> Callable[[Item], np.ndarray]:
    def run(item: Item) -> np.ndarray:
        separation = default_separation(item) if strategy == "auto" else nmf_separation(item)
        return separation.regroup(grouping=strategy).sources
    run.__name__ = f"nmfsep_{strategy}"
    run.__doc__ = (f"nmfsep's default NMF (the defaults' runs) regrouped by the "
                   f"``{strategy}`` strategy: ``Separation.regroup(grouping={strategy!r})``; "
                   "for drums alone, which the defaults factorize by the drum templates, the "
                   "NMF of ``grouping='timbre'`` (``auto`` regroups the defaults' own).")
    return run


# --------------------------------------------------------------------------- anchors

def nmf_mfcc(item: Item) -> np.ndarray:
    """NMF-MFCC as nussl implements it: scikit-learn NMF via librosa.decompose, then k-means
    on MFCCs of the templates (mel filterbank → dB → DCT, 20 coefficients), ratio masks."""
    import librosa
    from scipy.fft import dct
    from sklearn.cluster import KMeans
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    n = len(item.names)
    config = _config(item.sr)
    X = stft(item.mixture, config)
    S = np.abs(X[0])
    transformer = NMF(n_components=10 * n, solver="mu", beta_loss="kullback-leibler",
                      init="nndsvda", max_iter=200, random_state=0)
    with warnings.catch_warnings():  # a fixed iteration budget, as nussl's
        warnings.simplefilter("ignore", ConvergenceWarning)
        W, H = librosa.decompose.decompose(S, transformer=transformer)
    mel = librosa.filters.mel(sr=item.sr, n_fft=config.n_fft, n_mels=128) @ W
    log_mel = 10 * np.log10(np.maximum(mel, 1e-10))
    mfcc = dct(log_mel, type=2, norm="ortho", axis=0)[:20]
    labels = KMeans(n_clusters=n, n_init=10, random_state=0).fit_predict(mfcc.T)
    for j in range(n):  # k-means may leave a cluster empty only in degenerate cases
        if not np.any(labels == j):
            labels[np.argmax(W.sum(axis=0) * H.sum(axis=1) * (labels != j))] = j
    masks = soft_masks(source_models(W, H, labels, n))
    return _rebuild_from_masks(X, masks, config, item.mixture.shape[-1])


def nmf_centroid(item: Item) -> np.ndarray:
    """The plain NMF of the oracle-grouping row, its components grouped by the low-frequency
    centroid: optimal 1-D k-means of the log spectral centroids of the templates
    (``benchmarks.quality.anchors``, independent of nmfsep's grouping)."""
    sep = plain_separation(item)
    return sep.regroup(labels=centroid_labels(sep.W, item.sr, len(item.names))).sources


def nussl_anchor(item: Item) -> np.ndarray:
    """nussl 1.1.9's NMF-MFCC (``TimbreClustering``: NMF with 10 components per source,
    k-means on MFCC features, soft masks) on the benchmark's STFT frame."""
    config = _config(item.sr)
    return nussl_nmf_mfcc(item.mixture, item.sr, len(item.names), config.n_fft, config.hop)


def nmfd_drums(item: Item) -> np.ndarray:
    """libnmfd's NMFD recipe (Dittmar & Müller 2016): T = 8-frame templates learned by
    libnmfd from one-shots of another kit (Hydrogen's The Black Pearl 1.0), 30 iterations,
    STFT 2048 / 512 at 44.1 kHz (resampled), α-Wiener filter; each output scored as its
    piece."""
    return drum_nmfd.separate(item.mixture, item.sr, item.names)


def hpss(item: Item) -> np.ndarray:
    """librosa HPSS (soft masks): percussive → drums; harmonic → the other source, or with
    two other sources, harmonic below HPSS_BASS_CUTOFF_HZ → bass and the rest → the third."""
    import librosa

    config = _config(item.sr)
    X = stft(item.mixture, config)
    harmonic_mask, percussive_mask = librosa.decompose.hpss(np.abs(X[0]), mask=True)
    others = [name for name in item.names if name != "drums"]
    masks = {"drums": percussive_mask}
    if len(others) == 1:
        masks[others[0]] = harmonic_mask
    else:
        low = (librosa.fft_frequencies(sr=item.sr, n_fft=config.n_fft) < HPSS_BASS_CUTOFF_HZ)
        bass = "bass" if "bass" in others else others[0]
        masks[bass] = harmonic_mask * low[:, None]
        rest = [name for name in others if name != bass]
        for name in rest:
            masks[name] = harmonic_mask * ~low[:, None] / len(rest)
    stack = np.stack([masks[name] for name in item.names])
    return _rebuild_from_masks(X, stack, config, item.mixture.shape[-1])


def band_edges(sr: int, per_octave: int = 3, fmin: float = 40.0) -> np.ndarray:
    """Edges of a bank of 1/3-octave bands from ``fmin`` to Nyquist (first band from 0 Hz)."""
    edges = [0.0]
    f = fmin
    while f < sr / 2:
        edges.append(f)
        f *= 2 ** (1 / per_octave)
    edges.append(sr / 2 + 1)
    return np.array(edges)


def band_bins(sr: int, config: STFTConfig) -> list[np.ndarray]:
    """The STFT bins of each non-empty 1/3-octave band (:func:`band_edges`), low to high."""
    freqs = np.linspace(0, sr / 2, config.n_bins)
    edges = band_edges(sr)
    return [band for lo, hi in zip(edges[:-1], edges[1:], strict=True)
            if (band := (freqs >= lo) & (freqs < hi)).any()]


def filterbank(item: Item) -> np.ndarray:
    """A bank of 1/3-octave bandpass filters (brick-wall, in the STFT domain); each band goes
    to the source with the most energy in it (the best assignment of bands to sources)."""
    config = _config(item.sr)
    X = stft(item.mixture, config)
    S = np.stack([stft(s, config)[0] for s in item.sources])
    masks = np.zeros((len(item.names), config.n_bins, X.shape[-1]), dtype=np.float32)
    for band in band_bins(item.sr, config):
        energy = (np.abs(S[:, band]) ** 2).sum(axis=(1, 2))
        masks[int(np.argmax(energy)), band] = 1.0
    return _rebuild_from_masks(X, masks, config, item.mixture.shape[-1])

def crossover_ranges(band_energy: np.ndarray, n_ranges: int) -> list[tuple[int, int]]:
    """Contiguous ranges of bands, one per source, with about equal shares of the energy.

    Cut ``j`` (``j = 1 .. n_ranges - 1``) goes after the band where the
    cumulative energy comes nearest to ``j / n_ranges`` of the total (the lower
    cut on a tie), with at least one band left for every range; a silent
    mixture is cut into ranges of equal numbers of bands.

    Parameters
    ----------
    band_energy : np.ndarray, shape=(n_bands,)
        The mixture's energy in each band, low to high.
    n_ranges : int
        Number of ranges, at most ``n_bands``.

    Returns
    -------
    list of (first, stop) band indices, low to high, covering every band once.
    """
    n_bands = len(band_energy)
    if not 1 <= n_ranges <= n_bands:
        raise ValueError(f"cannot cut {n_bands} bands into {n_ranges} ranges")
    energy = np.asarray(band_energy, dtype=np.float64)
    if not energy.sum() > 0:
        energy = np.ones(n_bands)
    shares = np.cumsum(energy) / energy.sum()  # shares[b]: energy of bands 0..b
    cuts = [0]
    for j in range(1, n_ranges):
        lowest, highest = cuts[-1] + 1, n_bands - (n_ranges - j)
        candidates = np.arange(lowest, highest + 1)
        cuts.append(int(candidates[np.argmin(np.abs(shares[candidates - 1] - j / n_ranges))]))
    cuts.append(n_bands)
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def filterbank_crossover(item: Item) -> np.ndarray:
    """A blind crossover: the 1/3-octave bands cut into one contiguous range per source,
    each range with an equal share of the mixture's energy (brick-wall, in the STFT
    domain), as a multiband crossover would split the mixture into N."""
    config = _config(item.sr)
    X = stft(item.mixture, config)
    bands = band_bins(item.sr, config)
    power = (np.abs(X) ** 2).sum(axis=(0, 2))
    energy = np.array([power[band].sum() for band in bands])
    masks = np.zeros((len(item.names), config.n_bins, X.shape[-1]), dtype=np.float32)
    for source, (first, stop) in enumerate(crossover_ranges(energy, len(item.names))):
        for band in bands[first:stop]:
            masks[source, band] = 1.0
    return _rebuild_from_masks(X, masks, config, item.mixture.shape[-1])


# --------------------------------------------------------------------------- oracles

def oracle_labels(W: np.ndarray, H: np.ndarray, sources: np.ndarray,
                  config: STFTConfig) -> np.ndarray:
    """Each component to the true source whose power its soft mask captures most of."""
    power = np.stack([(np.abs(stft(s, config)) ** 2).sum(axis=0) for s in sources])
    model = W @ H + 1e-12
    shares = np.array([[np.sum(np.outer(W[:, k], H[k]) / model * p) for p in power]
                       for k in range(W.shape[1])])
    labels = np.argmax(shares, axis=1)
    for j in range(len(sources)):  # every source keeps a component
        if not np.any(labels == j):
            labels[np.argmax(shares[:, j] - shares.max(axis=1))] = j
    return labels


_PLAIN_SEPARATION: dict[str, nmfsep.Separation] = {}


def plain_separation(item: Item) -> nmfsep.Separation:
    """Plain KL-NMF (nmfsep 0.1.0 defaults, fixed in PLAIN), one run, computed once per item.

    The oracle grouping and the low-frequency centroid group this same factorization.
    """
    if item.name not in _PLAIN_SEPARATION:
        _PLAIN_SEPARATION.clear()
        n = len(item.names)
        _PLAIN_SEPARATION[item.name] = nmfsep.separate(
            item.mixture, item.sr, n_sources=n,
            n_components=PLAIN["n_components_per_source"] * n, beta=PLAIN["beta"],
            max_iter=PLAIN["max_iter"], n_fft=default_n_fft(item.sr), continuity=0.0,
            grouping="spectral", n_runs=1)
    return _PLAIN_SEPARATION[item.name]


def plain_nmf_oracle(item: Item) -> np.ndarray:
    """Plain KL-NMF (nmfsep 0.1.0 defaults, fixed in PLAIN), each component to the source it
    best explains: the best any grouping can do with that factorization."""
    sep = plain_separation(item)
    return sep.regroup(labels=oracle_labels(sep.W, sep.H, item.sources, sep.stft)).sources


def default_nmf_oracle(item: Item) -> np.ndarray:
    """nmfsep's default factorization with oracle grouping: the ceiling of its grouping."""
    sep = default_separation(item)
    return sep.regroup(labels=oracle_labels(sep.W, sep.H, item.sources, sep.stft)).sources


def ideal_ratio_mask(item: Item) -> np.ndarray:
    """Oracle ratio mask |S_j| / sum_i |S_i| on the default STFT: the limit of masking."""
    config = _config(item.sr)
    X = stft(item.mixture, config)
    S = np.stack([np.abs(stft(s, config)[0]) for s in item.sources])
    masks = soft_masks(S, 1.0)
    return _rebuild_from_masks(X, masks, config, item.mixture.shape[-1])


def nmfsep_supervised(item: Item) -> np.ndarray:
    """nmfsep with one dictionary per source, learned from that source's training clip."""
    dictionaries = [nmfsep.learn_dictionary(item.training[name], item.sr, name=name)
                    for name in item.names]
    return nmfsep.separate(item.mixture, item.sr, dictionaries=dictionaries).sources


def methods() -> list[Method]:
    """Every method of the benchmark, in table order."""
    rows = [Method("nmfsep (defaults)", "blind", nmfsep_default,
                   note="nmfsep.separate(y, sr, n_sources=N)"),
            Method(NAMED, "blind", nmfsep_named, applies=names_a_lead,
                   by_name=True, note="nmfsep.separate(y, sr, names=[...]): the defaults "
                   "with --names, where the names are a voice or lead and the rest"),
            Method(DRUMS_NAMED, "blind", nmfsep_drums_named, applies=names_drums,
                   note="nmfsep.separate(y, sr, names=[...]) where one name is a drum part: "
                   "the drum split, widened by the drum templates' model"),
            Method(BUILTIN_DRUMS, "blind", nmfsep_builtin_drums, applies=drums_and_one_other,
                   by_name=True, note="nmfsep's drum templates as the drums' dictionary, "
                   "the rest from free components; no example of the recording's sources"),
            Method("nmfsep runs=1", "blind", nmfsep_runs(1),
                   note="nmfsep.separate(y, sr, n_sources=N, n_runs=1)"),
            Method("nmfsep runs=3", "blind", nmfsep_runs(3),
                   note="nmfsep.separate(y, sr, n_sources=N, n_runs=3)")]
    rows += [Method(f"nmfsep grouping={name}", "blind", nmfsep_strategy(name))
             for name in sorted(STRATEGIES) if name != "manual"]
    rows += [
        Method("NMF-MFCC (librosa/sklearn)", "blind", nmf_mfcc),
        Method("HPSS (librosa)", "blind", hpss, applies=has_drums),
        Method(CENTROID, "blind", nmf_centroid),
        Method(CROSSOVER, "blind", filterbank_crossover,
               note="1/3-octave bands in N contiguous ranges of equal mixture energy"),
    ]
    if nussl_problem() is None:
        rows.append(Method(NUSSL, "blind", nussl_anchor))
    rows += [
        Method(NMFD, "blind", nmfd_drums, applies=drum_pieces, by_name=True,
               note=f"one-shots of {drum_nmfd.KIT.name}"),
        Method("nmfsep supervised", "supervised", nmfsep_supervised, applies=has_training,
               note="a dictionary per source learned from its training clip (issue 7)"),
        Method(BEST_BANDS, "oracle", filterbank,
               note="1/3-octave bands, each to the source with most energy in it"),
        Method("plain NMF, oracle grouping", "oracle", plain_nmf_oracle),
        Method("nmfsep NMF, oracle grouping", "oracle", default_nmf_oracle),
        Method("ideal ratio mask", "oracle", ideal_ratio_mask),
    ]
    return rows


def unavailable() -> dict[str, str]:
    """The methods that cannot run here, each with the one-line reason."""
    problem = nussl_problem()
    return {NUSSL: problem} if problem else {}


BLIND_ANCHORS = ("NMF-MFCC (librosa/sklearn)", "HPSS (librosa)", CROSSOVER, CENTROID, NUSSL,
                 NMFD)
