"""NMFD of a drum spectrogram into named pieces, started from drum templates.

The one factorization behind :mod:`nmfsep.drums` (``nmfsep drums``) and
``auto`` on drums alone (:mod:`nmfsep.pipeline`): one component (or a few) per
piece, started from templates (:mod:`nmfsep.drumtemplates`) so that each is
known to be the kick, the snare … before the factorization starts, and the
convolutive activations keep each hit's decay with its attack.  Every constant
is one frozen :class:`DrumSettings`, chosen on the tuning half of the drum
benchmark (``python -m benchmarks.drums``; docs/drums.md).

:func:`flatten` writes the convolutive model as an ordinary one, ``Λ = W H``
with a column of ``W`` per template frame and a row of ``H`` per lag, so that
the masks, the rebuild and the record of the pipeline take it as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import nmfd
from .drumtemplates import PIECES, DrumTemplates
from .errors import ParameterError
from .policy import DEFAULT_POLICY
from .spectral import STFTConfig

__all__ = ["DrumSettings", "SETTINGS", "PieceFit", "factorize_drums", "fit_pieces", "flatten"]


@dataclass(frozen=True)
class DrumSettings:
    """Every constant of the drum split, in one place (chosen on the tuning half).

    Attributes
    ----------
    frame_seconds : float
        STFT frame, rounded to the nearest power of two in samples.
    hop_fraction : float
        Hop as a fraction of the frame.
    template_seconds : float
        Length of each template; ``T`` frames = this over the hop, rounded.
    piece_seconds : tuple of (piece, seconds)
        Shorter templates for some pieces (their later frames held at zero).
    beta : float
        Divergence of the NMFD (1: Kullback-Leibler).
    spectrogram_power : float
        1 factorizes the magnitude spectrogram, 2 the power spectrogram.
    max_iter : int
        NMFD iterations, the warm-up included.
    warmup : int
        First iterations with the templates held fixed (only the activations move).
    adapt_templates : bool
        Let the templates adapt to the recording after the warm-up.
    split : str
        Templates per piece: "piece" (one), "sound", "kit" or "entry"
        (:meth:`nmfsep.drumtemplates.DrumTemplates.select`).
    mask_power : float
        Exponent α of the soft masks (1: ratio masks of the models, 2: Wiener).
    onset_offset : float
        Where a hit's onset falls in its template's first frame, in hops.
    band_frames : float
        ``rest="auto"`` keeps ``rest`` when more than this fraction of the frames
        sound pitched (:func:`band_evidence`).

    Raises
    ------
    ParameterError
        On creation, naming the field and its value, for a value outside its
        range (a NaN included) or of the wrong type.
    """

    frame_seconds: float = 2048 / 44100
    hop_fraction: float = 0.25
    template_seconds: float = 0.186
    piece_seconds: tuple = ()
    beta: float = 1.0
    spectrogram_power: float = 1.0
    max_iter: int = 60
    warmup: int = 10
    adapt_templates: bool = True
    split: str = "piece"
    mask_power: float = 2.0
    onset_offset: float = 0.0
    band_frames: float = DEFAULT_POLICY.drums_alone_frames

    def __post_init__(self) -> None:
        for name in ("frame_seconds", "hop_fraction", "template_seconds", "beta",
                     "spectrogram_power", "mask_power", "onset_offset", "band_frames"):
            _check_number(name, getattr(self, name))
        for name in ("frame_seconds", "template_seconds", "spectrogram_power", "mask_power"):
            if not getattr(self, name) > 0:
                raise ParameterError(f"DrumSettings.{name} must be positive, got "
                                     f"{getattr(self, name)!r}")
        if not 0 < self.hop_fraction <= 1:
            raise ParameterError(f"DrumSettings.hop_fraction must be in (0, 1], got "
                                 f"{self.hop_fraction!r}")
        if not 0 <= self.beta <= 2:
            raise ParameterError(f"DrumSettings.beta must be in [0, 2], got {self.beta!r}")
        if not 0 <= self.band_frames <= 1:
            raise ParameterError(f"DrumSettings.band_frames must be a fraction in [0, 1], got "
                                 f"{self.band_frames!r}")
        for name, least in (("max_iter", 1), ("warmup", 0)):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                    or value < least):
                raise ParameterError(f"DrumSettings.{name} must be an integer >= {least}, got "
                                     f"{value!r}")
        if not isinstance(self.adapt_templates, (bool, np.bool_)):
            raise ParameterError(f"DrumSettings.adapt_templates must be True or False, got "
                                 f"{self.adapt_templates!r}")
        if self.split not in ("piece", "sound", "kit", "entry"):
            raise ParameterError(f"DrumSettings.split must be 'piece', 'sound', 'kit' or "
                                 f"'entry', got {self.split!r}")
        self._check_piece_seconds()

    def _check_piece_seconds(self) -> None:
        try:
            pairs = [(piece, seconds) for piece, seconds in self.piece_seconds]
        except (TypeError, ValueError):
            raise ParameterError(f"DrumSettings.piece_seconds must be (piece, seconds) pairs, "
                                 f"got {self.piece_seconds!r}") from None
        for piece, seconds in pairs:
            if not isinstance(piece, str) or piece not in PIECES:
                raise ParameterError(f"DrumSettings.piece_seconds: unknown drum piece {piece!r}; "
                                     f"use {', '.join(PIECES)}")
            _check_number(f"piece_seconds[{piece!r}]", seconds)
            if not seconds > 0:
                raise ParameterError(f"DrumSettings.piece_seconds[{piece!r}] must be positive, "
                                     f"got {seconds!r}")

    def stft_config(self, sr: int) -> STFTConfig:
        """The STFT for sample rate ``sr``."""
        n_fft = int(2 ** max(6, round(np.log2(self.frame_seconds * sr))))
        return STFTConfig(n_fft=n_fft, hop=max(1, int(round(n_fft * self.hop_fraction))))

    def template_frames(self, sr: int, hop: int) -> int:
        """T for this sample rate and hop."""
        return max(1, int(round(self.template_seconds * sr / hop)))


def _check_number(name: str, value) -> None:
    """A finite real number (not a bool), else ParameterError naming the field."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number))
            or not math.isfinite(value)):
        raise ParameterError(f"DrumSettings.{name} must be a finite number, got {value!r}")


SETTINGS = DrumSettings()


def factorize_drums(V: np.ndarray, W0: np.ndarray, *, settings: DrumSettings,
                    callback=None) -> nmfd.NMFDResult:
    """NMFD of ``V`` started from the templates ``W0``.

    The activations start uniform, at the level that gives the model the
    sum of ``V``; the first ``settings.warmup`` iterations move only them, the
    others (``settings.adapt_templates``) the templates too.

    Parameters
    ----------
    V : np.ndarray, shape=(n_bins, n_frames)
    W0 : np.ndarray, shape=(n_bins, T, n_templates)
    settings : DrumSettings
    callback : callable(iteration, loss), optional

    Returns
    -------
    NMFDResult
    """
    K = W0.shape[2]
    level = float(V.sum(dtype=np.float64)) / max(1, K * V.shape[1])
    H = np.full((K, V.shape[1]), max(level, 1e-12), dtype=np.float32)
    W = W0
    history: list = []
    done = 0
    if settings.warmup:
        first = nmfd.factorize(V, W=W, H=H, beta=settings.beta, fixed_W=True,
                               max_iter=min(settings.warmup, settings.max_iter),
                               callback=callback)
        W, H, history, done = first.W, first.H, list(first.loss_history), first.n_iter
    remaining = settings.max_iter - done
    if remaining <= 0 and settings.warmup:
        return first
    result = nmfd.factorize(V, W=W, H=H, beta=settings.beta,
                            fixed_W=not settings.adapt_templates, max_iter=remaining,
                            callback=None if callback is None else
                            (lambda i, loss: callback(i + done, loss)))
    result.loss_history = history + [(i + done, v) for i, v in result.loss_history[1:]]
    result.n_iter += done
    return result


def _shorten(W0: np.ndarray, piece_of: list[str], seconds: dict, frame_rate: float) -> None:
    """Zero the frames of each piece's templates beyond its own length, in place.

    Multiplicative updates keep zeros, so the pieces keep their lengths; the
    templates are scaled back to unit sum.
    """
    for k, piece in enumerate(piece_of):
        if piece in seconds:
            frames = max(1, int(round(seconds[piece] * frame_rate)))
            W0[:, frames:, k] = 0.0
            W0[:, :, k] /= W0[:, :, k].sum()



@dataclass
class PieceFit:
    """NMFD of a spectrogram into named pieces.

    Attributes
    ----------
    result : nmfd.NMFDResult
        ``W`` (bins, T, n_templates), ``H`` (n_templates, frames), the loss.
    labels : np.ndarray of int, shape=(n_templates,)
        Each template's piece, as an index into ``pieces``.
    pieces : tuple of str
    template_labels : list of str
        Each template's label (piece, sound, kit or entry).
    """

    result: nmfd.NMFDResult
    labels: np.ndarray
    pieces: tuple[str, ...]
    template_labels: list[str]

    @property
    def piece_of(self) -> list[str]:
        """The piece each template stands for."""
        return [self.pieces[label] for label in self.labels]


def fit_pieces(V: np.ndarray, sr: int, config: STFTConfig, pieces: tuple[str, ...],
               templates: DrumTemplates, settings: DrumSettings, callback=None) -> PieceFit:
    """NMFD of ``V`` (the spectrogram of ``config`` at ``sr``) into ``pieces``.

    Parameters
    ----------
    V : np.ndarray, shape=(n_bins, n_frames)
        Magnitude (or, with ``settings.spectrogram_power`` 2, power) spectrogram.
    sr : int
    config : STFTConfig
        The STFT of ``V`` (the templates are mapped to it).
    pieces : tuple of str
    templates : DrumTemplates
        Covering every piece.
    settings : DrumSettings
    callback : callable(iteration, loss), optional

    Returns
    -------
    PieceFit
    """
    T = settings.template_frames(sr, config.hop)
    W0, piece_of, template_labels = templates.patches(
        sr, config.n_fft, config.hop, T, pieces=pieces, split=settings.split,
        exponent=settings.spectrogram_power / 2, onset_offset=settings.onset_offset)
    if settings.piece_seconds:
        _shorten(W0, piece_of, dict(settings.piece_seconds), sr / config.hop)
    result = factorize_drums(V, W0, settings=settings, callback=callback)
    labels = np.array([pieces.index(p) for p in piece_of], dtype=int)
    return PieceFit(result, labels, tuple(pieces), list(template_labels))


def flatten(W: np.ndarray, H: np.ndarray, labels: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The convolutive model ``Σ_t W_t shift_t(H)`` as one product ``W_flat @ H_lagged``.

    Column ``t * K + k`` of ``W_flat`` is frame ``t`` of template ``k``; row
    ``t * K + k`` of ``H_lagged`` is ``H[k]`` shifted ``t`` frames later
    (:func:`nmfsep.nmfd.lagged`).  Each column keeps its template's label.

    Parameters
    ----------
    W : np.ndarray, shape=(n_bins, T, K)
    H : np.ndarray, shape=(K, n_frames)
    labels : np.ndarray of int, shape=(K,)

    Returns
    -------
    W_flat : np.ndarray, shape=(n_bins, T * K)
    H_lagged : np.ndarray, shape=(T * K, n_frames)
    labels : np.ndarray of int, shape=(T * K,)
    """
    T = W.shape[1]
    return (np.ascontiguousarray(W).reshape(W.shape[0], -1), nmfd.lagged(H, T),
            np.tile(np.asarray(labels, dtype=int), T))
