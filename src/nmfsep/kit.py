"""``auto`` on drums alone: the kit's pieces by NMFD from the drum templates, as a model.

When the policy hears drums alone and three or four sources are asked for
(:attr:`nmfsep.policy.Decision.kit`), the pipeline does not group the
components of an NMF: it factorizes the recording as ``nmfsep drums`` does
(:func:`nmfsep.drumfit.fit_pieces`: NMFD started from nmfsep's drum templates,
at the drum STFT, with its settings), and where the policy leaves the pieces
open (a fourth piece: toms or cymbals) it keeps the set whose factorization
explains the recording better: the lower divergence of its final model.  The
convolutive model, written as one product (:func:`nmfsep.drumfit.flatten`), is
a :class:`~nmfsep.model.Model` like any other: its masks, rebuild and record
are the pipeline's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .drumfit import SETTINGS, DrumSettings, PieceFit, fit_pieces, flatten
from .drumtemplates import DrumTemplates, load_drum_templates
from .model import Model
from .nmf import ProgressCallback, beta_divergence
from .recording import Frames, Recording, unit_spectrogram

__all__ = ["KitFit", "fit_kit", "kit_iterations"]


@dataclass
class KitFit:
    """The pieces' factorization of a recording, ready for the pipeline.

    Attributes
    ----------
    model : Model
        Flattened NMFD factors (a column per template frame), labelled by
        piece, the drum STFT, the drum settings' mask power.
    frames : Frames
        The recording's frames at the drum STFT.
    V : np.ndarray, shape=(bins, frames)
        The factorized spectrogram, scaled to a mean of 1.
    fit : PieceFit
        The chosen set of pieces' NMFD.
    losses : dict of tuple of str to float
        The divergence each candidate set of pieces reached.
    """

    model: Model
    frames: Frames
    V: np.ndarray
    fit: PieceFit
    losses: dict[tuple[str, ...], float]

    @property
    def pieces(self) -> tuple[str, ...]:
        """The pieces, in the order of the sources."""
        return self.fit.pieces

    def reason(self) -> str:
        """The choice among the candidate sets of pieces, in words."""
        names = ", ".join(self.pieces)
        if len(self.losses) == 1:
            return f"the sources are, in order: {names}"
        others = "; ".join(f"{', '.join(p)}: {loss:.4g}" for p, loss in self.losses.items()
                           if p != self.pieces)
        return (f"the sources are, in order: {names}, the set of pieces whose factorization "
                f"explains the recording best (divergence {self.losses[self.pieces]:.4g}; "
                f"{others})")


def kit_iterations(candidates: tuple[tuple[str, ...], ...],
                   settings: DrumSettings = SETTINGS) -> int:
    """The iterations :func:`fit_kit` reports in all, over every candidate set of pieces."""
    return settings.max_iter * len(candidates)


def fit_kit(recording: Recording, candidates: tuple[tuple[str, ...], ...], *, hold: bool,
            block: int, settings: DrumSettings = SETTINGS,
            templates: DrumTemplates | None = None,
            callback: ProgressCallback | None = None) -> KitFit:
    """NMFD of ``recording`` into each candidate set of pieces; the best as a model.

    Parameters
    ----------
    recording : Recording
    candidates : tuple of tuple of str
        Sets of pieces with the same number of pieces (one set: no choice).
    hold : bool
        Hold the recording's frames in memory.
    block : int
        Frames per block when they are not held.
    settings : DrumSettings
    templates : DrumTemplates, optional
        nmfsep's own by default.
    callback : callable(iteration, loss), optional
        Candidate ``c`` reports its iterations plus ``c * settings.max_iter``.

    Returns
    -------
    KitFit
    """
    if not candidates or len({len(pieces) for pieces in candidates}) != 1:
        raise ValueError(f"give sets of pieces of one size, not {candidates!r}")
    templates = templates or load_drum_templates()
    config = settings.stft_config(recording.sr)
    frames = Frames(recording, config, hold=hold)
    V, scale = unit_spectrogram(frames, settings.spectrogram_power, block)
    fits: list[PieceFit] = []
    for index, pieces in enumerate(candidates):
        offset = index * settings.max_iter
        fits.append(fit_pieces(V, recording.sr, config, tuple(pieces), templates, settings,
                               None if callback is None else
                               lambda i, loss, offset=offset: callback(offset + i, loss)))
    flat = [flatten(fit.result.W, fit.result.H, fit.labels) for fit in fits]
    losses = {fit.pieces: beta_divergence(V, W, H, settings.beta)
              for fit, (W, H, _) in zip(fits, flat, strict=True)}
    index = min(range(len(fits)), key=lambda i: losses[fits[i].pieces])
    best, (W, H, labels) = fits[index], flat[index]
    model = Model(W * np.float32(scale), H, labels, config, settings.mask_power)
    return KitFit(model=model, frames=frames, V=V, fit=best, losses=losses)
