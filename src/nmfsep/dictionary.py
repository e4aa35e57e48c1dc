"""Per-source dictionaries for supervised and semi-supervised separation.

A dictionary is a matrix ``W`` of basis spectra learned by NMF from examples
of one source alone (a few seconds of the drummer, of the singer), together
with what it takes to use it: the source's name, the STFT parameters, the
sample rate, the spectrogram power and the divergence it was learned with.

Every column of ``W`` sums to one, so a dictionary carries no loudness: the
activations ``H`` found on a mixture hold the level of each basis spectrum in
each frame, and a dictionary learned from a quiet example serves a loud
mixture as well.

>>> import nmfsep
>>> train = nmfsep.synth.drums_and_guitar(duration=3.0, seed=7)
>>> drums = nmfsep.learn_dictionary(train.sources[0], train.sr, name="drums",
...                                 n_components=8)
>>> drums.W.shape
(1025, 8)
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .audio import atomic_path, check_sample_rate, validate_signal
from .drumtemplates import REFERENCE_SR, load_drum_templates
from .errors import AudioError, ParameterError
from .nmf import ProgressCallback, factorize
from .pitch_shift import check_pitch_shifts, pitch_shifted
from .pitched import pitched_fraction
from .policy import DEFAULT_POLICY
from .spectral import STFTConfig, default_n_fft, mixture_spectrogram, stft

__all__ = [
    "Dictionary",
    "learn_dictionary",
    "load_dictionary",
    "drum_template_dictionary",
    "default_dictionary_size",
    "check_name",
    "stack_dictionaries",
    "dictionary_names",
    "dictionaries_stft",
    "frame_at",
    "remap_dictionaries",
    "initial_activations",
    "FORMAT_VERSION",
    "DEFAULT_PITCH_SHIFTS",
]

FORMAT_VERSION = 1
#: Above a dictionary's Nyquist frequency, a basis spectrum re-mapped to a higher
#: sample rate is held at its mean over this top fraction of its bins.
TOP_BAND_FRACTION = 0.05
#: Semitones by which :func:`learn_dictionary` also shifts examples that sound
#: pitched, by default: chosen by the worst category of the supervised
#: benchmark's tuning half among no shift, ±1, ±2 and ±3 (docs/supervised.md).
DEFAULT_PITCH_SHIFTS: tuple[float, ...] = (-2.0, -1.0, 1.0, 2.0)
_NAME = re.compile(r"^\w[\w.+-]*$")


def default_dictionary_size(n_frames: int) -> int:
    """Components learned when none are asked for: 32, fewer for very short examples.

    At most a quarter of the examples' sounding frames, so that each basis
    spectrum is fitted to several frames.
    """
    return int(max(1, min(32, n_frames // 4)))


def check_name(name: str) -> str:
    """Return ``name`` if it can name a dictionary and its file; else raise ParameterError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ParameterError(
            f"dictionary name {name!r} must be a word of letters, digits, '_', '-', '+' or '.' "
            f"(it names the source's output file)"
        )
    return name


def _describe(config: STFTConfig) -> str:
    return f"n_fft={config.n_fft}, hop={config.hop}, window={config.window}"


@dataclass(eq=False)
class Dictionary:
    """Basis spectra of one source, learned from examples of it alone.

    Attributes
    ----------
    W : np.ndarray, shape=(n_bins, n_components), float32
        Non-negative basis spectra; every column sums to one.
    name : str
        The source's name; separated sources are named after it.
    sr : int
        Sample rate of the examples.  A mixture at the same rate is analysed
        with the same STFT; at another rate the dictionary is re-mapped to the
        mixture's frequency bins (:meth:`remap`).
    stft : STFTConfig
        STFT parameters of the examples.
    beta : float
        Divergence the dictionary was learned with.
    spectrogram_power : float
        1 if learned from magnitude spectrograms, 2 from power spectrograms.
    info : dict
        How it was learned: ``n_examples``, ``seconds`` (of the examples as
        recorded), ``pitched_frames`` (the share of their frames that sound
        pitched, when it decided whether to shift them), ``pitch_shifts``
        (the shifted copies also learned from, semitones separated by commas),
        ``n_iter``, ``loss``.
    path : Path or None
        The file it was loaded from, for messages.
    """

    W: np.ndarray
    name: str
    sr: int
    stft: STFTConfig
    beta: float = 1.0
    spectrogram_power: float = 1.0
    info: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        check_name(self.name)
        W = np.asarray(self.W)
        if W.ndim != 2 or W.shape[1] == 0:
            raise ParameterError(f"dictionary {self.name!r}: W must be (bins, components), "
                                 f"got shape {W.shape}")
        if W.shape[0] != self.stft.n_bins:
            raise ParameterError(
                f"dictionary {self.name!r}: W has {W.shape[0]} rows but n_fft={self.stft.n_fft} "
                f"gives {self.stft.n_bins} frequency bins"
            )
        if not np.all(np.isfinite(W)) or W.min() < 0:
            raise ParameterError(f"dictionary {self.name!r}: W must be finite and non-negative")
        sums = W.sum(axis=0, dtype=np.float64)
        if np.any(sums <= 0):
            raise ParameterError(f"dictionary {self.name!r}: W has all-zero columns")
        self.W = (W / sums).astype(np.float32)

    @property
    def n_components(self) -> int:
        """Number of basis spectra."""
        return self.W.shape[1]

    def _label(self) -> str:
        where = f" ({self.path})" if self.path is not None else ""
        return f"dictionary {self.name!r}{where}"

    def check(self, sr: int, config: STFTConfig, spectrogram_power: float = 1.0, *,
              what: str = "the mixture") -> None:
        """Raise unless a signal at ``sr`` analysed with ``config`` can use this dictionary.

        At the dictionary's own sample rate the STFT must be its own; at another
        rate any frame length serves (the dictionary is re-mapped to it by
        :meth:`remap`), but the window must be the same.

        Raises
        ------
        ParameterError
            Naming both values, if the STFT parameters, the window or the
            spectrogram power differ.
        """
        if float(spectrogram_power) != self.spectrogram_power:
            raise ParameterError(
                f"{self._label()} was learned with spectrogram_power={self.spectrogram_power:g} "
                f"but {what} uses spectrogram_power={float(spectrogram_power):g}"
            )
        if int(sr) != self.sr:
            if config.window != self.stft.window:
                raise ParameterError(
                    f"{self._label()} was learned with window={self.stft.window} but {what} "
                    f"is analysed with window={config.window}; use the same window"
                )
            return
        if (config.n_fft, config.hop, config.window) != (
            self.stft.n_fft, self.stft.hop, self.stft.window
        ):
            raise ParameterError(
                f"{self._label()} was learned with {_describe(self.stft)} but {what} is "
                f"analysed with {_describe(config)}; use the same STFT parameters"
            )

    def remap(self, sr: int, config: STFTConfig) -> Dictionary:
        """This dictionary for signals at ``sr`` analysed with ``config``.

        Every basis spectrum is a function of frequency sampled at the bins of
        the dictionary's STFT; here it is interpolated (linearly, on the
        frequency axis) at the bins of ``config`` at ``sr``, above the
        dictionary's Nyquist frequency held at its mean level over the top
        ``TOP_BAND_FRACTION`` of its bins (so that a source with energy at the
        top of the learned band, cymbals, keeps it above), and its sum made one
        again.  The same
        dictionary at its own rate and STFT is returned unchanged.

        Raises
        ------
        ParameterError
            If no basis spectrum has energy below the new Nyquist frequency.
        """
        sr = int(sr)
        if sr == self.sr and config.n_fft == self.stft.n_fft:
            return self
        source = np.arange(self.stft.n_bins) * (self.sr / self.stft.n_fft)
        target = np.arange(config.n_bins) * (sr / config.n_fft)
        top = max(1, int(round(self.stft.n_bins * TOP_BAND_FRACTION)))
        W = np.stack([np.interp(target, source, column, right=float(column[-top:].mean()))
                      for column in self.W.T], axis=1)
        alive = W.sum(axis=0) > np.finfo(np.float32).tiny * W.shape[0]
        if not np.any(alive):
            raise ParameterError(f"{self._label()} has no energy below {sr / 2:g} Hz, the "
                                 f"Nyquist frequency of a recording at {sr} Hz")
        info = dict(self.info, remapped_from_sr=self.sr, remapped_from_n_fft=self.stft.n_fft)
        return Dictionary(W=W[:, alive], name=self.name, sr=sr, stft=config, beta=self.beta,
                          spectrogram_power=self.spectrogram_power, info=info, path=self.path)

    def save(self, path: str | os.PathLike, *, force: bool = False) -> Path:
        """Write the dictionary to one ``.npz`` file, atomically.

        Parameters
        ----------
        path : str or PathLike
        force : bool
            Overwrite an existing file.

        Returns
        -------
        Path

        Raises
        ------
        OutputError
            If the file exists and ``force`` is false, or cannot be written.
        """
        path = Path(path)
        info = {f"info_{key}": value for key, value in self.info.items()
                if isinstance(value, (int, float, str, bool, np.number))}
        with atomic_path(path, force=force) as tmp, open(tmp, "wb") as handle:
            np.savez_compressed(
                handle, format=np.str_("nmfsep-dictionary"), format_version=FORMAT_VERSION,
                W=self.W, name=np.str_(self.name), sr=self.sr, n_fft=self.stft.n_fft,
                hop=self.stft.hop, window=np.str_(self.stft.window), beta=self.beta,
                spectrogram_power=self.spectrogram_power, **info,
            )
        return path


#: What names a built-in dictionary instead of a file: ``builtin:drums``.
BUILTIN_PREFIX = "builtin:"
#: Frames of each drum template that become atoms of the built-in drum dictionary.
DRUM_TEMPLATE_FRAMES = 4
#: The drum pieces whose templates make the built-in drum dictionary.
DRUM_TEMPLATE_PIECES = ("kick", "snare", "hihat", "toms", "cymbals")


def drum_template_dictionary(sr: int = REFERENCE_SR) -> Dictionary:
    """nmfsep's drum templates as a dictionary named ``drums`` (``builtin:drums``).

    The first :data:`DRUM_TEMPLATE_FRAMES` frames of the mean template of every
    piece of :data:`DRUM_TEMPLATE_PIECES` (:mod:`nmfsep.drumtemplates`: one-shots
    of Debian's hydrogen kits), each a basis spectrum, on the default STFT of
    ``sr``.  No example of the user's drums is needed: beside free components
    (``n_free_components``, ``--free``), the drums keep a model of their own
    however quiet they are in the mix, where the blind grouping may find
    none (the study ``python -m benchmarks.quality.drum_templates_band``; with
    drums as loud as the rest, blind ``auto`` does better).

    Parameters
    ----------
    sr : int
        Sample rate whose STFT the atoms are mapped to; at another rate the
        separation re-maps them as any dictionary (:meth:`Dictionary.remap`).

    Returns
    -------
    Dictionary
    """
    n_fft = default_n_fft(sr)
    config = STFTConfig(n_fft, n_fft // 4)
    return Dictionary(W=drum_template_atoms(sr, config), name="drums", sr=int(sr),
                      stft=config, info={"built_in": "drum templates",
                                         "pieces": ",".join(DRUM_TEMPLATE_PIECES),
                                         "frames": DRUM_TEMPLATE_FRAMES})


def drum_template_atoms(sr: int, config: STFTConfig,
                        spectrogram_power: float = 1.0) -> np.ndarray:
    """The atoms of :func:`drum_template_dictionary` on any STFT, each summing to one.

    Parameters
    ----------
    sr : int
    config : STFTConfig
        The STFT they are mapped to (its ``n_fft`` and ``hop``).
    spectrogram_power : float
        1 for magnitude spectra, 2 for power spectra.

    Returns
    -------
    np.ndarray, shape=(config.n_fft // 2 + 1, pieces * DRUM_TEMPLATE_FRAMES), float32
    """
    W, _, _ = load_drum_templates().patches(sr, config.n_fft, config.hop,
                                            DRUM_TEMPLATE_FRAMES, pieces=DRUM_TEMPLATE_PIECES,
                                            exponent=spectrogram_power / 2)
    W = W.reshape(W.shape[0], -1)
    return (W / W.sum(axis=0)).astype(np.float32)


#: The built-in dictionaries, by the name after :data:`BUILTIN_PREFIX`.
BUILTIN_DICTIONARIES = {"drums": drum_template_dictionary}


def load_dictionary(path: str | os.PathLike) -> Dictionary:
    """Read a dictionary written by :meth:`Dictionary.save`, or a built-in one.

    ``builtin:drums`` is :func:`drum_template_dictionary` at the templates' own
    rate (:data:`nmfsep.drumtemplates.REFERENCE_SR`, 44.1 kHz).

    Parameters
    ----------
    path : str or PathLike
        A ``.npz`` file from :meth:`Dictionary.save` (``nmfsep learn``), or
        ``builtin:<name>``.

    Returns
    -------
    Dictionary
        With ``path`` set to the file it was read from (None for a built-in one).

    Raises
    ------
    ParameterError
        If the file is missing, unreadable or not an nmfsep dictionary, or was
        written by a newer nmfsep; or the built-in name is unknown.
    """
    if isinstance(path, str) and path.startswith(BUILTIN_PREFIX):
        name = path[len(BUILTIN_PREFIX):]
        if name not in BUILTIN_DICTIONARIES:
            raise ParameterError(f"{path}: no such built-in dictionary (built in: "
                                 + ", ".join(BUILTIN_PREFIX + n for n in BUILTIN_DICTIONARIES)
                                 + ")")
        return BUILTIN_DICTIONARIES[name]()
    path = Path(path)
    if not path.is_file():
        reason = "is a folder" if path.is_dir() else "no such file"
        raise ParameterError(f"{path}: {reason} (make a dictionary with 'nmfsep learn')")
    try:
        with np.load(path, allow_pickle=False) as data:
            saved = {key: data[key] for key in data.files}
    except OSError as exc:
        raise ParameterError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (ValueError, EOFError, zipfile.BadZipFile):
        raise ParameterError(f"{path}: not an nmfsep dictionary (not a .npz file; make one "
                             "with 'nmfsep learn')") from None
    if str(saved.get("format", "")) != "nmfsep-dictionary":
        raise ParameterError(f"{path}: not an nmfsep dictionary")
    version = int(saved.get("format_version", 0))
    if version > FORMAT_VERSION:
        raise ParameterError(f"{path}: dictionary format {version} is newer than this "
                             f"nmfsep reads ({FORMAT_VERSION}); upgrade nmfsep")
    try:
        config = STFTConfig(int(saved["n_fft"]), int(saved["hop"]), str(saved["window"]))
        info = {key[5:]: saved[key].item() for key in saved if key.startswith("info_")}
        return Dictionary(
            W=saved["W"], name=str(saved["name"]), sr=int(saved["sr"]), stft=config,
            beta=float(saved["beta"]), spectrogram_power=float(saved["spectrogram_power"]),
            info=info, path=path,
        )
    except KeyError as exc:
        raise ParameterError(f"{path}: not an nmfsep dictionary (no {exc.args[0]})") from None
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None


def _as_examples(y: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    if isinstance(y, np.ndarray):
        return [y]
    examples = list(y)
    if examples and all(np.ndim(item) == 0 for item in examples):
        return [np.asarray(examples)]  # a list of samples is one signal
    if not examples:
        raise ParameterError("learn_dictionary needs at least one example signal")
    return examples


def learn_dictionary(
    y: np.ndarray | Sequence[np.ndarray],
    sr: int,
    *,
    name: str,
    n_components: int | None = None,
    beta: float = 1.0,
    n_fft: int | None = None,
    hop: int | None = None,
    window: str = "hann",
    spectrogram_power: float = 1.0,
    pitch_shifts: Sequence[float] = DEFAULT_PITCH_SHIFTS,
    shift_unpitched: bool = False,
    init: str = "nndsvda",
    max_iter: int = 200,
    tol: float = 1e-4,
    l1_H: float = 0.0,
    random_state: int | None = 0,
    callback: ProgressCallback | None = None,
) -> Dictionary:
    """Learn a source's dictionary by NMF of examples of that source alone.

    Parameters
    ----------
    y : np.ndarray or sequence of np.ndarray
        One example, shape=(samples,) or (channels, samples), or several; the
        spectrograms of several examples are laid side by side and factorized
        together (no frame straddles two examples).
    sr : int
        Sample rate of every example.
    name : str
        The source's name (letters, digits, ``_ - + .``).
    n_components : int, optional
        Number of basis spectra; :func:`default_dictionary_size` by default (32).
    beta : float in [0, 2]
        Divergence: 0 Itakura-Saito, 1 Kullback-Leibler, 2 Euclidean.
    n_fft, hop : int, optional
        STFT parameters, by default those :func:`nmfsep.separate` uses at ``sr``.
    window : str
    spectrogram_power : float
        1 magnitude, 2 power; must match the separation's.
    pitch_shifts : sequence of float
        Semitones: besides each example as recorded, a copy of it shifted by
        each of these (:func:`nmfsep.pitch_shift.pitch_shifted`) is learned
        from, so that a dictionary learned from other music than the
        mixture's also holds the notes next to those of its examples.
        ``()`` learns from the examples as they are.
    shift_unpitched : bool
        Shift examples that do not sound pitched too.  By default the shifts
        apply only when more than ``Policy.drums_alone_frames`` of the
        examples' frames sound pitched (:func:`nmfsep.pitched.pitched_fraction`,
        the test that tells a drum kit from a band): a drum kit has no notes to
        lend neighbours to, and on the supervised benchmark its shifted copies
        cost the categories with drums (docs/supervised.md).
    init, max_iter, tol, l1_H, random_state, callback
        Passed to :func:`nmfsep.nmf.factorize`.

    Returns
    -------
    Dictionary

    Raises
    ------
    AudioError
        If an example is empty or non-finite, or all of them are silent.
    ParameterError
        If a parameter is out of range.
    """
    check_name(name)
    check_sample_rate(sr, f"dictionary {name!r}")
    shifts = check_pitch_shifts(pitch_shifts)
    n_fft = default_n_fft(sr) if n_fft is None else int(n_fft)
    config = STFTConfig(n_fft=n_fft, hop=n_fft // 4 if hop is None else int(hop), window=window)
    examples = [validate_signal(example, sr, name=f"example {index + 1}")
                for index, example in enumerate(_as_examples(y))]
    seconds = sum(signal.shape[1] for signal in examples) / sr
    recorded = _sounding_frames(examples, config, spectrogram_power)
    if recorded.shape[1] == 0:
        raise AudioError(f"dictionary {name!r}: the examples are silent; there is nothing "
                         f"to learn")
    if n_components is None:
        n_components = default_dictionary_size(recorded.shape[1])
    if not isinstance(n_components, (int, np.integer)) or n_components < 1:
        raise ParameterError(f"n_components must be a positive integer, got {n_components!r}")
    measured = {}
    if shifts and not shift_unpitched:  # the pitched test decides whether to shift
        magnitudes = recorded if spectrogram_power == 1 else recorded ** (1 / spectrogram_power)
        pitched = pitched_fraction(magnitudes, sr, config.hop)
        measured["pitched_frames"] = round(float(pitched), 3)
        if pitched <= DEFAULT_POLICY.drums_alone_frames:
            shifts = ()
    V = np.concatenate([recorded] + [
        _sounding_frames([pitch_shifted(signal, shift) for signal in examples], config,
                         spectrogram_power) for shift in shifts], axis=1)
    V = V / np.float32(V.mean(dtype=np.float64))
    result = factorize(V, int(n_components), beta=beta, init=init, max_iter=max_iter, tol=tol,
                       l1_H=l1_H, random_state=random_state, callback=callback)
    W = result.W
    alive = W.sum(axis=0) > np.finfo(np.float32).tiny
    W = W[:, alive]
    order = np.argsort(np.argmax(W, axis=0), kind="stable")
    return Dictionary(
        W=W[:, order], name=name, sr=int(sr), stft=config, beta=float(beta),
        spectrogram_power=float(spectrogram_power),
        info={"n_examples": len(examples), "seconds": round(seconds, 3), **measured,
              "pitch_shifts": ",".join(f"{shift:g}" for shift in shifts),
              "n_iter": result.n_iter, "loss": result.loss},
    )


def _sounding_frames(signals: list[np.ndarray], config: STFTConfig,
                     spectrogram_power: float) -> np.ndarray:
    """The spectrograms of ``signals`` side by side, their silent frames left out."""
    spectrograms = []
    for signal in signals:
        V = mixture_spectrogram(stft(signal, config), spectrogram_power)
        spectrograms.append(V[:, V.sum(axis=0) > 0])
    return np.concatenate(spectrograms, axis=1)


def dictionaries_stft(
    dictionaries: Sequence[Dictionary], sr: int, *, n_fft: int | None = None,
    hop: int | None = None, window: str | None = None, spectrogram_power: float = 1.0,
) -> STFTConfig:
    """The STFT to analyse a mixture with so that every dictionary applies.

    Parameters not given are taken from the dictionaries; given ones must
    agree with them.  At another sample rate than the first dictionary's, the
    frame is the one of the same duration (:func:`frame_at`) and the
    dictionaries are re-mapped to it (:func:`remap_dictionaries`).

    Raises
    ------
    ParameterError
        If there are no dictionaries, or the dictionaries disagree with one
        another or with ``sr``, ``n_fft``, ``hop``, ``window`` or
        ``spectrogram_power`` (the message names both values).
    """
    dictionaries = list(dictionaries)
    if not dictionaries:
        raise ParameterError("give at least one dictionary")
    for item in dictionaries:
        if not isinstance(item, Dictionary):
            raise ParameterError(f"dictionaries must be Dictionary objects (see "
                                 f"nmfsep.load_dictionary), got {type(item).__name__}")
    first = dictionaries[0]
    default_fft, default_hop = first.stft.n_fft, first.stft.hop
    if int(sr) != first.sr:
        default_fft, default_hop = frame_at(first, int(sr))
        if n_fft is not None:
            default_hop = max(1, int(n_fft) * first.stft.hop // first.stft.n_fft)
    config = STFTConfig(
        n_fft=default_fft if n_fft is None else int(n_fft),
        hop=default_hop if hop is None else int(hop),
        window=first.stft.window if window is None else window,
    )
    for item in dictionaries:
        item.check(sr, config, spectrogram_power)
    return config


def frame_at(dictionary: Dictionary, sr: int) -> tuple[int, int]:
    """The STFT frame and hop at ``sr`` closest in duration to the dictionary's own.

    The frame is a power of two (as :func:`nmfsep.spectral.default_n_fft`); the
    hop keeps the dictionary's ratio of hop to frame.
    """
    seconds = dictionary.stft.n_fft / dictionary.sr
    n_fft = int(2 ** max(6, round(np.log2(seconds * sr))))
    hop = max(1, round(n_fft * dictionary.stft.hop / dictionary.stft.n_fft))
    return n_fft, int(hop)


def remap_dictionaries(dictionaries: Sequence[Dictionary], sr: int,
                       config: STFTConfig) -> list[Dictionary]:
    """Every dictionary re-mapped to ``sr`` and ``config`` (:meth:`Dictionary.remap`)."""
    return [item.remap(sr, config) for item in dictionaries]


def dictionary_names(dictionaries: Sequence[Dictionary]) -> list[str]:
    """The dictionaries' names, in order.

    Raises
    ------
    ParameterError
        If two dictionaries have the same name (the sources are named after them).
    """
    names = [item.name for item in dictionaries]
    for name in names:
        if names.count(name) > 1:
            raise ParameterError(f"two dictionaries are named {name!r}; the sources are named "
                                 f"after their dictionaries, so give each its own name")
    return names


def stack_dictionaries(
    dictionaries: Sequence[Dictionary],
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """All dictionaries side by side.

    Returns
    -------
    W : np.ndarray, shape=(n_bins, sum of n_components), float32
    labels : np.ndarray of int, shape=(sum of n_components,)
        The index of the dictionary (source) each column comes from.
    names : list of str

    Raises
    ------
    ParameterError
        If two dictionaries have the same name.
    """
    names = dictionary_names(dictionaries)
    W = np.concatenate([item.W for item in dictionaries], axis=1)
    labels = np.repeat(np.arange(len(dictionaries)), [item.n_components for item in dictionaries])
    return W, labels, names


def initial_activations(V: np.ndarray, n_components: int) -> np.ndarray:
    """Activations to start from, given basis spectra that each sum to one.

    Every component starts at an equal share of its frame's total, so
    ``W @ H`` has the column sums of ``V``.  Because this start scales with each
    frame, and the updates of ``H`` with ``W`` fixed treat every frame on its own,
    the activations found for a frame do not depend on the other frames nor on
    the overall level: the property that lets :func:`nmfsep.stream` run block
    by block and match the offline result.

    Returns
    -------
    np.ndarray, shape=(n_components, frames), V's dtype
    """
    share = V.sum(axis=0, dtype=np.float64) / n_components
    return np.ascontiguousarray(np.broadcast_to(share, (n_components, V.shape[1])),
                                dtype=V.dtype)
