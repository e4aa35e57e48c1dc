"""The studio's one door into the separation library.

Every call the studio makes to nmfsep's separation API is in this module:
reading a recording, factorizing it, grouping its components automatically,
rebuilding sources for any assignment, one component's audio, features,
saving the factorization for ``nmfsep separate --from``, and parsing
``--groups``.  The rest of the studio sees :class:`Recording` and
:class:`Model` only, so a new model value in the library changes this module
and nothing else.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._version import __version__
from ..audio import audio_info, clipped_fraction, load, validate_signal
from ..config import Plan, SeparationConfig
from ..errors import AudioError, NmfsepError, ParameterError
from ..grouping import labels_from_groups
from ..grouping import parse_groups as parse_group_text
from ..record import separation_record
from ..resources import format_bytes, parse_bytes
from ..separate import separate
from ..store import save_factorization

__all__ = ["Recording", "Model", "read_recording", "factorize", "parse_groups",
           "parse_size", "format_size", "default_iterations", "library_version"]

#: Called with (iterations done, at most this many) while a factorization runs.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Recording:
    """A decoded recording.

    Attributes
    ----------
    y : np.ndarray, shape=(channels, samples), float32
    sr : int
    name : str
        The name the user knows it by (the file's name), for messages and exports.
    warnings : tuple of str
        What the decoder noticed (truncated, clipped), in words.
    """

    y: np.ndarray
    sr: int
    name: str
    warnings: tuple[str, ...] = ()

    @property
    def channels(self) -> int:
        """Number of channels."""
        return int(self.y.shape[0])

    @property
    def n_samples(self) -> int:
        """Length in samples."""
        return int(self.y.shape[1])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.sr


def _renamed(message: str, path: Path, name: str) -> str:
    """``message`` with the server's path of the file replaced by the user's name of it."""
    return message.replace(str(path), name)


def read_recording(path: str | os.PathLike, name: str, *, max_seconds: float) -> Recording:
    """Decode an audio file, refusing one that lasts longer than ``max_seconds``.

    Parameters
    ----------
    path : path-like
        Where the file is.
    name : str
        What to call it in messages (the user's file name, not the server's path).
    max_seconds : float
        The longest recording accepted, checked on the header before decoding
        and on the decoded samples after.

    Returns
    -------
    Recording

    Raises
    ------
    AudioError
        Naming ``name`` and the problem: unreadable, empty, corrupt, too long.
    """
    path = Path(path)
    # the file's warnings (truncated, ...) become notes under the user's name, not printed
    # with the private folder's path
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sr, _, frames = audio_info(path)
            if frames / sr > max_seconds:
                raise AudioError(f"{name}: the recording lasts {_minutes(frames / sr)}; the "
                                 f"studio takes at most {_minutes(max_seconds)} (--max-duration)")
            y, sr = load(path)
            y = validate_signal(y, sr, name=name)
        except NmfsepError as exc:
            raise AudioError(_renamed(str(exc), path, name)) from None
    if y.shape[1] / sr > max_seconds:
        raise AudioError(f"{name}: the decoded recording lasts {_minutes(y.shape[1] / sr)}; the "
                         f"studio takes at most {_minutes(max_seconds)} (--max-duration)")
    notes = list(dict.fromkeys(_renamed(str(warning.message), path, name)
                               for warning in caught))  # once each
    if clipped_fraction(y) > 1e-3:
        notes.append(f"{name}: some samples are clipped; the distortion is spread over "
                     "every source")
    return Recording(y=y, sr=int(sr), name=name, warnings=tuple(notes))


def _minutes(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


#: Iterations of each factorization (the command line's default).
MAX_ITER = 200


def _plan(recording: Recording, n_sources: int) -> Plan:
    """The library's defaults for this recording: components, runs combined, STFT."""
    config = SeparationConfig(n_sources=n_sources)
    return config.resolve(sr=recording.sr, n_samples=recording.n_samples)


def _runs(recording: Recording, n_sources: int) -> int:
    """Factorizations combined by default for this recording (the library's choice)."""
    return _plan(recording, n_sources).n_runs


def default_iterations(recording: Recording, n_sources: int) -> int:
    """The most NMF iterations :func:`factorize` reports (every run's, one after another)."""
    return MAX_ITER * _runs(recording, n_sources)


class Model:
    """One factorization of a recording, its automatic grouping and its sources.

    Make it with :func:`factorize`; :meth:`sources_for` gives the sources of any
    assignment of components without factorizing again.
    """

    def __init__(self, recording: Recording, separation) -> None:
        self.recording = recording
        self._separation = separation

    # -- what the page shows
    @property
    def n_components(self) -> int:
        """K."""
        return int(self._separation.n_components)

    @property
    def n_sources(self) -> int:
        """Sources of the automatic grouping."""
        return int(self._separation.n_sources)

    @property
    def sr(self) -> int:
        """Sample rate of the recording."""
        return int(self._separation.sr)

    @property
    def W(self) -> np.ndarray:
        """Spectra of the components, shape=(bins, K)."""
        return self._separation.W

    @property
    def H(self) -> np.ndarray:
        """Activations of the components, shape=(K, frames)."""
        return self._separation.H

    @property
    def labels(self) -> np.ndarray:
        """The automatic grouping's source of each component, shape=(K,)."""
        return np.asarray(self._separation.labels, dtype=int)

    @property
    def sources(self) -> np.ndarray:
        """The automatic grouping's sources, shape=(n_sources, channels, samples)."""
        return self._separation.sources

    @property
    def parameters(self) -> dict:
        """What produced this factorization and grouping, for the record."""
        return dict(self._separation.parameters)

    def record(self) -> dict:
        """The library's record of the automatic separation (:mod:`nmfsep.record`)."""
        names = [f"source{i + 1}" for i in range(self.n_sources)]
        return separation_record(self._separation, names=names,
                                 files=[f"{name}.wav" for name in names],
                                 input=self.recording.name)

    def magnitude(self) -> np.ndarray:
        """The mixture's magnitude spectrogram (channels summed), shape=(bins, frames)."""
        if self._separation.spectrogram is not None:
            return self._separation.spectrogram
        return np.abs(self._separation.mixture_stft).sum(axis=0)

    def features(self) -> dict[str, np.ndarray]:
        """Readable features of each component (:func:`nmfsep.features.component_features`)."""
        return self._separation.features()

    # -- what the page plays and exports
    def component(self, k: int) -> np.ndarray:
        """Component ``k``'s audio, shape=(channels, samples)."""
        return self._separation.component(int(k))

    def regroup(self, n_sources: int) -> Model:
        """The automatic grouping again, into ``n_sources`` sources (no new factorization)."""
        return Model(self.recording, self._separation.regroup(
            grouping=self._separation.parameters.get("grouping", "auto"), n_sources=n_sources))

    def sources_for(self, labels: Sequence[int] | np.ndarray, n_sources: int) -> np.ndarray:
        """The sources of an assignment, without factorizing again.

        Parameters
        ----------
        labels : sequence of int, shape=(K,)
            The source of each component, in ``0 .. n_sources - 1``.
        n_sources : int
            Sources, some of which may have no component (they are silent).

        Returns
        -------
        np.ndarray, shape=(n_sources, channels, samples), float32
            They add up to the mixture.  The automatic grouping's own labels
            give its own sources (with its mask experts and runs).
        """
        labels = np.asarray(labels, dtype=int)
        if labels.shape != (self.n_components,) or labels.min() < 0 or labels.max() >= n_sources:
            raise ParameterError(f"give one source in 0..{n_sources - 1} for each of the "
                                 f"{self.n_components} components")
        if n_sources == self.n_sources and np.array_equal(labels, self.labels):
            return self.sources
        used = np.unique(labels)
        compact = np.searchsorted(used, labels)
        rebuilt = self._separation.regroup(labels=compact).sources
        y = self.recording.y
        sources = np.zeros((n_sources, *y.shape), dtype=rebuilt.dtype)
        sources[used] = rebuilt
        return sources

    def save_factorization(self, path: str | os.PathLike) -> None:
        """Write ``factorization.npz`` for ``nmfsep separate --from DIR --groups ...``."""
        save_factorization(self._separation, path, force=True)


def factorize(recording: Recording, n_sources: int | None, n_components: int | None, *,
              progress: Progress | None = None) -> Model:
    """Factorize a recording and group its components automatically.

    Parameters
    ----------
    recording : Recording
    n_sources, n_components : int or None
        None takes the library's defaults.
    progress : callable(done, total), optional
        Called from the factorization every few iterations; it may raise to stop it.

    Returns
    -------
    Model
    """
    n_sources = 2 if n_sources is None else int(n_sources)
    if n_components is None:  # asked for, so that drums alone keep NMF components to hear
        n_components = _plan(recording, n_sources).n_components
    runs = _runs(recording, n_sources)
    callback = None if progress is None else (lambda i, loss: progress(i, MAX_ITER * runs))
    separation = separate(recording.y, recording.sr, n_sources=n_sources,
                                 n_components=n_components, n_runs=runs, max_iter=MAX_ITER,
                                 callback=callback)
    return Model(recording, separation)


def parse_groups(text: str, n_components: int) -> np.ndarray:
    """Labels from ``--groups`` text (``"0,3,5;1,2,4"``, ``a-b`` ranges), shape=(K,).

    Raises
    ------
    ParameterError
        If the text is malformed, or a component is missing, repeated or out of range.
    """
    return labels_from_groups(parse_group_text(text), n_components)


def parse_size(text: str, option: str) -> int:
    """Bytes from ``"500M"``, ``"1G"``, ``"1.5G"`` or a number; ParameterError naming ``option``."""
    try:
        return parse_bytes(text)
    except ParameterError:
        raise ParameterError(f"{option} {text!r} is not a positive size; write e.g. 500M or "
                             "2G") from None


def format_size(n: float) -> str:
    """``1536 * 2**20`` → ``'1.5 GB'``."""
    return format_bytes(n)


def library_version() -> str:
    """nmfsep's version, for the record."""
    return __version__
