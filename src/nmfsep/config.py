"""One configuration value for every separation: checked once, resolved once.

:class:`SeparationConfig` holds every parameter of a separation: blind or with
dictionaries, in memory, from a file block by block or as a live stream, from
Python or from the command line.  It is checked when it is made (the message
names the parameter and its bad value), before any audio is read; what
depends on the recording (the STFT at its sample rate, the number of runs for
its length) is resolved once by :meth:`SeparationConfig.resolve` into a
:class:`Plan`.

>>> from nmfsep.config import SeparationConfig
>>> config = SeparationConfig(n_sources=3)
>>> plan = config.resolve(sr=44100, n_samples=44100 * 30)
>>> plan.n_components, plan.stft.n_fft, plan.stft.hop, plan.n_runs
(30, 4096, 1024, 5)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from .dictionary import Dictionary, dictionaries_stft, dictionary_names, remap_dictionaries
from .errors import ParameterError
from .grouping import STRATEGIES, labels_from_groups
from .masks import check_mask_power, check_prior_strength
from .nmf import check_options
from .policy import DEFAULT_POLICY, Policy
from .spectral import BLOCK_FRAMES, STFTConfig, default_n_fft

__all__ = ["SeparationConfig", "Plan", "make_config", "source_names", "free_source_names"]


def free_source_names(n_free_sources: int) -> list[str]:
    """``["rest"]`` for one source of free components, ``["rest1", "rest2", …]`` for more."""
    if n_free_sources == 1:
        return ["rest"]
    return [f"rest{i + 1}" for i in range(n_free_sources)]


def source_names(dictionaries: Sequence[Dictionary], n_free_components: int = 0,
                 n_sources: int | None = None) -> list[str]:
    """The names of the sources a separation with these dictionaries makes, in order.

    Parameters
    ----------
    dictionaries : sequence of Dictionary
    n_free_components : int
    n_sources : int, optional
        All sources; by default one per dictionary, plus ``rest`` if there are
        free components.

    Raises
    ------
    ParameterError
        If the counts are inconsistent or two sources would share a name.
    """
    names = dictionary_names(dictionaries)
    n_known = len(names)
    n_free_sources = (1 if n_free_components else 0) if n_sources is None else n_sources - n_known
    if n_free_components == 0 and n_free_sources != 0:
        raise ParameterError(
            f"n_sources={n_sources} but there are {n_known} dictionaries and no free "
            f"components; give n_free_components to learn the other sources"
        )
    if n_free_components and not 1 <= n_free_sources <= n_free_components:
        raise ParameterError(
            f"n_sources={n_sources} with {n_known} dictionaries leaves {n_free_sources} sources "
            f"for the {n_free_components} free components; it must be between {n_known + 1} "
            f"and {n_known + n_free_components}"
        )
    free = free_source_names(n_free_sources) if n_free_sources else []
    clash = set(names) & set(free)
    if clash:
        raise ParameterError(f"a dictionary is named {clash.pop()!r} like the source of the free "
                             f"components; rename the dictionary")
    return names + free


def _is_count(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


#: Iterations of a factorization at most when ``max_iter`` is not given
#: (:meth:`SeparationConfig.iterations`).
DEFAULT_MAX_ITER = 200

#: Fields that hold a number (checked before they are compared), and those that count.
_NUMBERS = ("beta", "spectrogram_power", "mask_power", "percussive_prior", "tol", "l1_H",
            "continuity")
_COUNTS = {"n_sources": "a positive integer", "n_components": "a positive integer",
           "n_free_components": "an integer >= 0", "n_fft": "a positive integer",
           "hop": "a positive integer", "n_runs": "a positive integer",
           "max_iter": "an integer >= 0", "random_state": "an integer >= 0 or None",
           "max_memory": "a positive number of bytes", "block_frames": "a positive integer"}


@dataclass(frozen=True)
class Plan:
    """A configuration resolved for one recording: every value concrete.

    Attributes
    ----------
    n_sources, n_components : int
        ``n_components`` counts the free components beside dictionaries.
    stft : STFTConfig
    n_runs : int
    percussive_prior : float
    beta : float
        The β-divergence the factorization minimizes (:meth:`SeparationConfig.divergence`).
    max_iter : int
        Its iterations at most (:meth:`SeparationConfig.iterations`).
    names : list of str or None
        The sources' names when the dictionaries or ``names`` give them.
    dictionaries : list of Dictionary or None
        The dictionaries re-mapped to the recording's sample rate and STFT.
    """

    n_sources: int
    n_components: int
    stft: STFTConfig
    n_runs: int
    percussive_prior: float
    beta: float
    max_iter: int = DEFAULT_MAX_ITER
    names: list[str] | None = None
    dictionaries: list[Dictionary] | None = None


@dataclass(frozen=True, eq=False)
class SeparationConfig:
    """Every parameter of a separation, checked when made.

    Parameters
    ----------
    n_sources : int, optional
        2 by default; with ``groups``, their number; with ``dictionaries``, one
        per dictionary plus one (``rest``) if there are free components.
    n_components : int, optional
        K; the policy's ``components_per_source`` per source by default.  Not
        with ``dictionaries``.
    beta : float in [0, 2], optional
        Divergence: 0 Itakura-Saito, 1 Kullback-Leibler, 2 Euclidean.  By
        default Kullback-Leibler; with ``dictionaries`` and no free
        components, the policy's ``dictionary_beta`` for the mixture's
        activations (the stream keeps Kullback-Leibler): :meth:`divergence`.
    grouping : str
        ``"auto"`` (the policy, :mod:`nmfsep.policy`) or a strategy of
        :data:`nmfsep.grouping.STRATEGIES`; ``"manual"`` with ``groups``.
    groups : list of lists of int, optional
        Component indices per source, chosen by hand; implies ``"manual"``.
    names : list of str, optional
        What the blind sources are, in order (e.g. ``["vocals", "accompaniment"]``);
        they set ``n_sources`` when it is not given.  ``auto`` reads them: two
        sources named a voice or lead and the rest are not split into drums and
        the rest, and the voice comes out where its name is
        (:func:`nmfsep.policy.named_lead`).  Not with ``dictionaries``, which
        name their sources.
    dictionaries : list of Dictionary, optional
        Supervised separation: one source per dictionary, named after it,
        rebuilt from its fixed basis spectra; the STFT parameters not given
        are the dictionaries'.
    n_free_components : int
        With ``dictionaries``: components learned from the mixture for what
        the dictionaries do not explain (semi-supervised); they make the source
        ``rest``, or are split by ``grouping`` if ``n_sources`` asks for more.
    n_fft, hop : int, optional
        STFT frame and hop; by default about 93 ms
        (:func:`nmfsep.spectral.default_n_fft`) and a quarter of it.
    window : str
    spectrogram_power : float
        1 factorizes the magnitude spectrogram, 2 the power spectrogram.
    mask_power : float
        1 ratio masks, 2 Wiener masks.
    percussive_prior : float, optional
        Exponent of the experts' weights beside the factorization (HPSS for a
        drum source, with registers and shares as :mod:`nmfsep.policy` says);
        the policy's by default; 0 turns every expert off.  With
        ``dictionaries``, the HPSS weights on the source of the one dictionary
        named a drum part (:func:`nmfsep.policy.drum_dictionary`), the policy's
        ``dictionary_percussive_prior`` by default.
    n_runs : int, optional
        Factorizations combined (:mod:`nmfsep.ensemble`); by default the
        policy's ``auto_runs`` up to ``auto_runs_seconds`` of audio, else 1,
        and 1 for hand grouping or one source.  Blind separation.
    init, max_iter, tol, l1_H, continuity
        Passed to :func:`nmfsep.nmf.factorize`.  The spectrogram is scaled to a
        mean of 1 first, so the penalties weigh the same for loud and quiet
        recordings.  ``max_iter`` is :data:`DEFAULT_MAX_ITER` by default, and
        the policy's ``dictionary_iterations`` for the activations of
        dictionaries alone under its ``dictionary_beta`` (:meth:`iterations`).
    random_state : int or None
        Seed for initialization and clustering; None draws fresh randomness.
    solver : {"mu", "amu", "hals"}
        The update rule (blind separation).
    backend : {"numpy", "torch"}
        ``"torch"`` factorizes with PyTorch (the ``torch`` extra) on
        ``device`` (blind separation).
    device : str, optional
    max_memory : int, optional
        Bytes the separation's arrays may take (the recording's samples in
        memory and the interpreter aside).  When the whole STFT fits, it is
        held in memory; else the recording is read block by block.  By
        default the memory the machine has available.
    block_frames : int
        Frames per block of the passes that go block by block.
    policy : Policy
        The tuned constants of the automatic decisions.
    """

    n_sources: int | None = None
    n_components: int | None = None
    beta: float | None = None
    grouping: str = "auto"
    groups: tuple[tuple[int, ...], ...] | None = None
    names: tuple[str, ...] | None = None
    dictionaries: tuple[Dictionary, ...] | None = field(default=None, repr=False)
    n_free_components: int = 0
    n_fft: int | None = None
    hop: int | None = None
    window: str = "hann"
    spectrogram_power: float = 1.0
    mask_power: float = 1.0
    percussive_prior: float | None = None
    n_runs: int | None = None
    init: str = "nndsvda"
    max_iter: int | None = None
    tol: float = 1e-4
    l1_H: float = 0.0
    continuity: float = 0.0
    random_state: int | None = 0
    solver: str = "mu"
    backend: str = "numpy"
    device: str | None = None
    max_memory: int | None = None
    block_frames: int = BLOCK_FRAMES
    policy: Policy = field(default=DEFAULT_POLICY, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # the normalized values of a frozen dataclass
        self._check_types()
        if self.groups is not None:
            set_(self, "groups", tuple(tuple(int(i) for i in group) for group in self.groups))
            set_(self, "grouping", "manual")
            set_(self, "n_sources", len(self.groups))
        if self.n_sources is not None and (not _is_count(self.n_sources) or self.n_sources < 1):
            raise ParameterError(f"n_sources must be a positive integer, got {self.n_sources!r}")
        if self.names is not None:
            self._check_names()
        if self.grouping not in STRATEGIES:
            raise ParameterError(f"unknown grouping {self.grouping!r}; choose one of "
                                 f"{', '.join(sorted(STRATEGIES))}")
        if self.dictionaries is not None:
            set_(self, "dictionaries", tuple(self.dictionaries))
            self._check_supervised()
        elif self.n_free_components:
            raise ParameterError("n_free_components needs dictionaries (semi-supervised "
                                 "separation)")
        if self.dictionaries is None:
            n_sources = self.n_sources or 2
            n_components = self.n_components
            if n_components is None:
                n_components = self.policy.components_per_source * n_sources
            if not _is_count(n_components) or n_components < n_sources:
                raise ParameterError(f"n_components ({n_components}) must be an integer >= "
                                     f"n_sources ({n_sources})")
            if self.groups is not None:
                labels_from_groups(self.groups, n_components)
        check_options(beta=self.divergence(), max_iter=self.iterations(), tol=self.tol,
                      l1_H=self.l1_H, continuity=self.continuity, solver=self.solver,
                      backend=self.backend)
        if self.n_fft is not None:
            STFTConfig(n_fft=int(self.n_fft), hop=self._hop(int(self.n_fft)), window=self.window)
        elif self.hop is not None and self.hop < 1:
            raise ParameterError(f"hop must be at least 1, got {self.hop}")
        else:
            STFTConfig(window=self.window)
        if not self.spectrogram_power > 0 or not math.isfinite(self.spectrogram_power):
            raise ParameterError(f"spectrogram_power must be positive, got "
                                 f"{self.spectrogram_power}")
        check_mask_power(self.mask_power)
        if self.percussive_prior is not None:
            set_(self, "percussive_prior", check_prior_strength(self.percussive_prior))
        if self.n_runs is not None:
            if not _is_count(self.n_runs) or self.n_runs < 1:
                raise ParameterError(f"n_runs must be a positive integer, got {self.n_runs!r}")
            if self.n_runs > 1 and self.grouping == "manual":
                raise ParameterError("n_runs > 1 needs a blind grouping strategy: hand-chosen "
                                     "groups name the components of one factorization")
        if self.max_memory is not None and (not _is_count(self.max_memory)
                                            or self.max_memory < 1):
            raise ParameterError(f"max_memory must be a positive number of bytes, got "
                                 f"{self.max_memory!r}")
        if not _is_count(self.block_frames) or self.block_frames < 1:
            raise ParameterError(f"block_frames must be positive, got {self.block_frames}")

    def _check_types(self) -> None:
        """Numbers are numbers and counts integers, before any comparison of them."""
        for name in _NUMBERS:
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, (int, float, np.number))):
                raise ParameterError(f"{name} must be a number, got {value!r}")
        for name, kind in _COUNTS.items():
            value = getattr(self, name)
            if value is not None and not _is_count(value):
                raise ParameterError(f"{name} must be {kind}, got {value!r}")
        if self.random_state is not None and self.random_state < 0:
            raise ParameterError(f"random_state must be an integer >= 0 or None, got "
                                 f"{self.random_state!r}")
        for name in ("grouping", "window", "init", "solver", "backend"):
            if not isinstance(getattr(self, name), str):
                raise ParameterError(f"{name} must be a string, got {getattr(self, name)!r}")
        if isinstance(self.groups, str):
            raise ParameterError(f"groups must be lists of component indices, e.g. [[0, 3], "
                                 f"[1, 2]], not the text {self.groups!r} (nmfsep.grouping."
                                 f"parse_groups reads the command line's form)")
        if self.groups is not None and not all(
                isinstance(group, (list, tuple, range, np.ndarray))
                and all(_is_count(i) for i in group) for group in self.groups):
            raise ParameterError(f"groups must be lists of component indices, got "
                                 f"{self.groups!r}")
        if self.dictionaries is not None:
            given = self.dictionaries
            if isinstance(given, Dictionary):
                raise ParameterError(f"dictionaries must be a list of Dictionary objects, got "
                                     f"one Dictionary ({given.name!r}): give [it]")
            items = (given,) if isinstance(given, (str, os.PathLike)) else tuple(given)
            loose = [item for item in items if not isinstance(item, Dictionary)]
            if loose:
                raise ParameterError(f"dictionaries must be a list of Dictionary objects, got "
                                     f"{loose[0]!r} (nmfsep.load_dictionary reads a file)")
        if not isinstance(self.policy, Policy):
            raise ParameterError(f"policy must be a Policy, got {type(self.policy).__name__}")

    def _check_names(self) -> None:
        names = (self.names,) if isinstance(self.names, str) else self.names
        names = tuple(names)
        if not names or not all(isinstance(name, str) and name.strip() for name in names):
            raise ParameterError(f"names must be non-empty strings, got {list(names)!r}")
        if len({name.strip().lower() for name in names}) != len(names):
            raise ParameterError(f"names must differ, got {list(names)!r}")
        if self.dictionaries is not None:
            raise ParameterError("names apply to blind separation: the dictionaries name "
                                 "their sources")
        if self.n_sources is not None and self.n_sources != len(names):
            raise ParameterError(f"{len(names)} names for {self.n_sources} sources")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "n_sources", len(names))

    def _check_supervised(self) -> None:
        if (self.solver, self.backend, self.device) != ("mu", "numpy", None):
            raise ParameterError("solver, backend and device apply to blind separation only")
        if self.n_components is not None or self.groups is not None:
            raise ParameterError("with dictionaries, give n_free_components instead of "
                                 "n_components or groups")
        if self.n_runs not in (None, 1):
            raise ParameterError("n_runs applies to blind separation only")
        if not _is_count(self.n_free_components) or self.n_free_components < 0:
            raise ParameterError(f"n_free_components must be an integer >= 0, got "
                                 f"{self.n_free_components!r}")
        names = source_names(self.dictionaries, self.n_free_components, self.n_sources)
        free = len(names) - len(self.dictionaries)
        if free > 1 and self.grouping == "manual":
            choices = ", ".join(sorted(STRATEGIES.keys() - {"manual"}))
            raise ParameterError(f"grouping {self.grouping!r} cannot split the free components; "
                                 f"choose one of {choices}")

    def _hop(self, n_fft: int) -> int:
        return n_fft // 4 if self.hop is None else int(self.hop)

    @property
    def supervised(self) -> bool:
        """Whether the separation uses dictionaries."""
        return self.dictionaries is not None

    def resolve(self, *, sr: int, n_samples: int) -> Plan:
        """Every default made concrete for a recording of ``n_samples`` at ``sr``.

        Raises
        ------
        ParameterError
            If a dictionary does not fit ``sr`` or the STFT.
        """
        default = self.policy.percussive_prior if self.dictionaries is None \
            else self.policy.dictionary_percussive_prior
        strength = default if self.percussive_prior is None else self.percussive_prior
        if self.dictionaries is not None:
            config = dictionaries_stft(self.dictionaries, sr, n_fft=self.n_fft, hop=self.hop,
                                       window=None if self.window == "hann" else self.window,
                                       spectrogram_power=self.spectrogram_power)
            names = source_names(self.dictionaries, self.n_free_components, self.n_sources)
            remapped = remap_dictionaries(self.dictionaries, sr, config)
            n_known = sum(item.n_components for item in remapped)
            return Plan(n_sources=len(names), n_components=n_known + self.n_free_components,
                        stft=config, n_runs=1, percussive_prior=strength,
                        beta=self.divergence(), max_iter=self.iterations(), names=names,
                        dictionaries=remapped)
        n_sources = self.n_sources or 2
        n_fft = default_n_fft(sr) if self.n_fft is None else int(self.n_fft)
        config = STFTConfig(n_fft=n_fft, hop=self._hop(n_fft), window=self.window)
        n_components = self.n_components or self.policy.components_per_source * n_sources
        return Plan(n_sources=n_sources, n_components=int(n_components), stft=config,
                    n_runs=self.default_runs(n_samples, sr) if self.n_runs is None
                    else int(self.n_runs), percussive_prior=strength,
                    beta=self.divergence(), max_iter=self.iterations(),
                    names=None if self.names is None else list(self.names))

    def divergence(self, *, streamed: bool = False) -> float:
        """The β-divergence the factorization minimizes: ``beta``, or its default.

        Kullback-Leibler (1) for blind separation; with dictionaries alone the
        policy's ``dictionary_beta`` (the activations of fixed dictionaries fit
        the quiet bins better under it), but for a stream (``streamed``), whose
        relaxation and tolerance were chosen under Kullback-Leibler, and beside
        free components (semi-supervised), where it gained nothing
        (docs/supervised.md).
        """
        if self.beta is not None:
            return float(self.beta)
        if self.dictionaries is not None and not self.n_free_components and not streamed:
            return float(self.policy.dictionary_beta)
        return 1.0

    def iterations(self, *, streamed: bool = False) -> int:
        """The factorization's iterations at most: ``max_iter``, or its default.

        :data:`DEFAULT_MAX_ITER`, but for the activations of dictionaries alone,
        offline, under the policy's ``dictionary_beta`` (the default, or that
        value given): the policy's ``dictionary_iterations``, since their masks
        settle long before the objective does (docs/supervised.md).
        """
        if self.max_iter is not None:
            return int(self.max_iter)
        if (self.dictionaries is not None and not self.n_free_components and not streamed
                and self.divergence() == self.policy.dictionary_beta):
            return self.policy.dictionary_iterations
        return DEFAULT_MAX_ITER

    def default_runs(self, n_samples: int, sr: int) -> int:
        """Runs when none are asked for: the policy's ``auto_runs`` up to its length, else 1.

        Hand grouping names the components of one factorization, so it always
        gets one run; so does a single source, whose mask is 1 whatever the
        runs say.
        """
        if self.grouping == "manual" or self.n_sources == 1:
            return 1
        policy = self.policy
        return policy.auto_runs if n_samples <= policy.auto_runs_seconds * sr else 1

    def describe(self, *, streamed: bool = False) -> dict[str, Any]:
        """The parameters as plain data, for the record (dictionaries by name).

        ``beta`` is the divergence the separation minimizes, offline or, with
        ``streamed``, in the stream (:meth:`divergence`), and ``max_iter`` its
        iterations at most (:meth:`iterations`).
        """
        out = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "policy":
                continue
            if item.name == "dictionaries" and value is not None:
                value = [d.name for d in value]
            if item.name == "groups" and value is not None:
                value = [list(g) for g in value]
            if item.name == "beta":
                value = self.divergence(streamed=streamed)
            if item.name == "max_iter":
                value = self.iterations(streamed=streamed)
            out[item.name] = value
        return out


def make_config(config: SeparationConfig | None = None, **options: Any) -> SeparationConfig:
    """``config`` (or the defaults) with ``options`` replaced, checked.

    Raises
    ------
    ParameterError
        If ``config`` is not a :class:`SeparationConfig` or an option is not
        one of its fields.
    """
    if config is not None and not isinstance(config, SeparationConfig):
        raise ParameterError(f"config must be a SeparationConfig, got "
                             f"{type(config).__name__} (its fields can be given as keywords)")
    known = {item.name for item in fields(SeparationConfig)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ParameterError(f"unknown separation parameter {unknown[0]!r}; the parameters are "
                             f"{', '.join(sorted(known))}")
    if config is None:
        return SeparationConfig(**options)
    return replace(config, **options) if options else config
