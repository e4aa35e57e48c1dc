"""Drums into their pieces: kick, snare, hi-hat, toms and cymbals, by name.

NMFD (:mod:`nmfsep.nmfd`) with one component (or a few) per piece, started
from drum templates (:mod:`nmfsep.drumtemplates`) so that each component is
known to be the kick, the snare … before the factorization starts, and the
convolutive activations keep each hit's decay with its attack.  Soft masks
from each piece's model split the mixture's STFT, channel by channel (stereo
kept, masks from the channel-summed spectrogram), and the stems add up to the
input exactly: the last one is what the others leave.

What else plays goes to ``rest``.  ``rest="auto"`` keeps it only when the
recording holds pitched sound (:func:`band_evidence`: frames whose sustained
spectrum holds a harmonic series); then, as for a full song
(:func:`separate_song`), the drum part is first taken out by nmfsep's
percussive separation, the pieces share it and its pitched part is ``rest``.

The factorization and its settings (frame, template length, iterations,
masks …, one frozen :class:`DrumSettings` chosen on the tuning half of the drum
benchmark: ``python -m benchmarks.drums``, docs/drums.md) are
:mod:`nmfsep.drumfit`'s, shared with ``auto`` on drums alone.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from . import nmfd
from ._version import __version__
from .audio import check_outputs, check_write_format, load, save, validate_signal
from .drumfit import SETTINGS, DrumSettings, factorize_drums, fit_pieces
from .drumtemplates import PIECES, DrumTemplates, load_drum_templates, templates_name
from .errors import ParameterError
from .pitched import pitched_fraction
from .record import write_record
from .separate import separate
from .spectral import STFTConfig, default_n_fft, istft, mixture_spectrogram, stft
from .tracks import recorded_files, remove_stale, track_clashes, whole_or_absent

__all__ = [
    "DrumSettings",
    "DrumSeparation",
    "DRUM_PIECES",
    "DEFAULT_PIECES",
    "separate_drums",
    "separate_song",
    "drums_file",
    "drum_files",
    "parse_pieces",
    "templates_for",
    "band_evidence",
    "factorize_drums",
]

DRUM_PIECES = tuple(PIECES)
DEFAULT_PIECES = ("kick", "snare", "hihat")


@dataclass
class DrumSeparation:
    """The outcome of :func:`separate_drums`.

    Attributes
    ----------
    sources : np.ndarray, shape=(n_sources, channels, samples)
        One stem per name, adding up to the input.
    names : list of str
        The pieces asked for, then ``rest`` if it was kept.
    sr : int
    W : np.ndarray, shape=(n_bins, T, n_components)
        The templates after the factorization.
    H : np.ndarray, shape=(n_components, n_frames)
    labels : np.ndarray, shape=(n_components,)
        The piece (index into ``names``) of each component.
    rest_included : bool
    rest_reason : str
        Why ``rest`` was kept or left out, in words.
    parameters : dict
    loss_history : list of (iteration, loss)
    """

    sources: np.ndarray
    names: list[str]
    sr: int
    W: np.ndarray
    H: np.ndarray
    labels: np.ndarray
    rest_included: bool
    rest_reason: str
    parameters: dict = field(default_factory=dict)
    loss_history: list = field(default_factory=list)

    def source(self, name: str) -> np.ndarray:
        """One stem by name, shape=(channels, samples)."""
        if name not in self.names:
            raise ParameterError(f"no stem {name!r}; the stems are {', '.join(self.names)}")
        return self.sources[self.names.index(name)]


def parse_pieces(pieces: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Pieces from a tuple or a comma-separated string, checked.

    Raises
    ------
    ParameterError
        If a piece is unknown or repeated, or none is given.
    """
    if not isinstance(pieces, (str, tuple, list)):
        raise ParameterError(f"pieces must be a comma-separated string or a tuple of names of "
                             f"{', '.join(DRUM_PIECES)}, got {pieces!r}")
    if isinstance(pieces, str):
        pieces = tuple(p.strip() for p in pieces.split(",") if p.strip())
    pieces = tuple(pieces)
    if not pieces:
        raise ParameterError(f"give at least one drum piece of {', '.join(DRUM_PIECES)}")
    for piece in pieces:
        if piece not in DRUM_PIECES:
            raise ParameterError(f"unknown drum piece {piece!r}; use {', '.join(DRUM_PIECES)}")
    if len(set(pieces)) != len(pieces):
        raise ParameterError(f"a drum piece is named twice in {','.join(pieces)}")
    return pieces


def _masks(models: np.ndarray, power: float) -> np.ndarray:
    """Soft masks summing to one over sources (equal shares where every model is silent)."""
    weighted = models.astype(np.float64) ** power
    total = weighted.sum(axis=0)
    silent = total <= 1e-30
    masks = weighted / np.where(silent, 1.0, total)
    masks[:, silent] = 1.0 / models.shape[0]
    return masks


def _rebuild(y: np.ndarray, X: np.ndarray, masks: np.ndarray, config: STFTConfig) -> np.ndarray:
    """Masked stems, the last one what the others leave of ``y`` (exact sum)."""
    n_samples = y.shape[-1]
    sources = np.empty((masks.shape[0], *y.shape), dtype=np.float64)
    for s in range(masks.shape[0] - 1):
        sources[s] = istft(X * masks[s].astype(np.float32), config, n_samples)
    sources[-1] = y.astype(np.float64) - sources[:-1].sum(axis=0)
    return sources.astype(np.float32)


# --------------------------------------------------------------------------- rest or not

def band_evidence(y: np.ndarray, sr: int) -> float:
    """The fraction of frames in which a pitched instrument sounds.

    :func:`nmfsep.pitched.pitched_fraction` of the recording's channel-summed
    magnitude spectrogram at nmfsep's default STFT for ``sr``.

    Parameters
    ----------
    y : np.ndarray, shape=(channels, samples)
    sr : int

    Returns
    -------
    float in [0, 1]
    """
    n_fft = default_n_fft(sr)
    config = STFTConfig(n_fft=n_fft, hop=n_fft // 4)
    V = mixture_spectrogram(stft(np.asarray(y, dtype=np.float32), config))
    return pitched_fraction(V, sr, config.hop)


# --------------------------------------------------------------------------- public functions


def templates_for(pieces: tuple[str, ...] | str,
                  templates: DrumTemplates | str | os.PathLike | None = None) -> DrumTemplates:
    """The drum templates (loaded if a file or None), checked to cover every piece.

    Parameters
    ----------
    pieces : tuple of str or comma-separated str
    templates : DrumTemplates, path or None
        nmfsep's own templates for None.

    Returns
    -------
    DrumTemplates

    Raises
    ------
    ParameterError
        If the templates cannot be read or have nothing for a piece (naming
        their file).
    """
    pieces = parse_pieces(pieces)
    if isinstance(templates, DrumTemplates):
        name = "the drum templates"
    elif templates is None or isinstance(templates, (str, os.PathLike)):
        name = templates_name(templates)
        templates = load_drum_templates(templates)
    else:
        raise ParameterError(f"templates must be a DrumTemplates, a file or None, got "
                             f"{templates!r}")
    for piece in pieces:
        if not templates.covers(piece):
            where = "" if name == "the drum templates" else f"{name}: "
            raise ParameterError(f"{where}the drum templates have nothing for {piece!r} "
                                 f"(they cover {', '.join(templates.pieces)})")
    return templates


def _check_arguments(settings, callback) -> DrumSettings:
    """``settings`` (:data:`SETTINGS` for None) once ``settings`` and ``callback`` are checked."""
    if settings is not None and not isinstance(settings, DrumSettings):
        raise ParameterError(f"settings must be a DrumSettings or None, got {settings!r}")
    if callback is not None and not callable(callback):
        raise ParameterError(f"callback must be callable(iteration, loss) or None, got "
                             f"{callback!r}")
    return settings or SETTINGS


def _split_pieces(y, sr, pieces, templates, settings, callback):
    """NMFD of ``y`` into ``pieces`` only: (sources, result, labels, parameters)."""
    config = settings.stft_config(sr)
    X = stft(y, config)
    V = mixture_spectrogram(X, settings.spectrogram_power).astype(np.float32)
    fit = fit_pieces(V, sr, config, pieces, templates, settings, callback)
    result, labels = fit.result, fit.labels
    groups = [list(np.flatnonzero(labels == s)) for s in range(len(pieces))]
    models = nmfd.component_spectrograms(result.W, result.H, groups)
    sources = _rebuild(y, X, _masks(models, settings.mask_power), config)
    parameters = dict(n_fft=config.n_fft, hop=config.hop,
                      template_frames=settings.template_frames(sr, config.hop),
                      templates=fit.template_labels, template_pieces=fit.piece_of)
    return sources, result, labels, parameters


def separate_drums(
    y: np.ndarray,
    sr: int,
    *,
    pieces: tuple[str, ...] | str = DEFAULT_PIECES,
    templates: DrumTemplates | str | os.PathLike | None = None,
    rest: bool | str = "auto",
    settings: DrumSettings | None = None,
    random_state: int | None = 0,
    callback=None,
) -> DrumSeparation:
    """Split a drum recording (or the drums of a song) into its pieces by name.

    Parameters
    ----------
    y : np.ndarray, shape=(samples,) or (channels, samples)
    sr : int
    pieces : tuple of str or comma-separated str
        Of "kick", "snare", "hihat", "toms", "cymbals" (crash and ride).
    templates : DrumTemplates, path or None
        nmfsep's own templates by default; a set from
        :func:`nmfsep.drumtemplates.learn_drum_templates` or its file.
    rest : bool or "auto"
        False: the pieces share the whole recording.  True: a ``rest`` stem
        for what else plays (:func:`separate_song`).  "auto" (default): True
        when more than ``settings.band_frames`` of the frames sound pitched
        (:func:`band_evidence`).
    settings : DrumSettings, optional
        :data:`SETTINGS` by default.
    random_state : int or None
        Seeds the percussive separation of a song.
    callback : callable(iteration, loss), optional

    Returns
    -------
    DrumSeparation
        ``sources`` (n_sources, channels, samples) adding up to ``y``.
    """
    started = time.perf_counter()
    pieces = parse_pieces(pieces)
    if rest not in (True, False, "auto"):
        raise ParameterError(f"rest must be True, False or 'auto', got {rest!r}")
    settings = _check_arguments(settings, callback)
    templates = templates_for(pieces, templates)
    y = validate_signal(y, sr)
    evidence = None
    if rest == "auto":
        evidence = band_evidence(y, sr)
        if evidence > settings.band_frames:
            song = separate_song(y, sr, pieces=pieces, templates=templates, settings=settings,
                                 random_state=random_state, callback=callback)
            song.rest_reason = (f"kept: {evidence:.0%} of the frames sound pitched (more than "
                                f"{settings.band_frames:.0%}), so something other than drums "
                                f"plays; it is in rest")
            song.parameters.update(rest="auto", band_evidence=round(evidence, 4))
            return song
        reason = (f"left out: only {evidence:.0%} of the frames sound pitched (at most "
                  f"{settings.band_frames:.0%}), so the drum pieces share the recording")
    elif rest:
        return separate_song(y, sr, pieces=pieces, templates=templates, settings=settings,
                             random_state=random_state, callback=callback)
    else:
        reason = "left out on request"
    sources, result, labels, parameters = _split_pieces(y, sr, pieces, templates, settings,
                                                        callback)
    parameters.update(settings=asdict(settings), pieces=list(pieces), rest=rest, song=False,
                      band_evidence=None if evidence is None else round(evidence, 4),
                      seconds=round(time.perf_counter() - started, 3))
    return DrumSeparation(sources=sources, names=list(pieces), sr=int(sr), W=result.W,
                          H=result.H, labels=labels, rest_included=False, rest_reason=reason,
                          parameters=parameters, loss_history=result.loss_history)


def separate_song(
    y: np.ndarray,
    sr: int,
    *,
    pieces: tuple[str, ...] | str = DEFAULT_PIECES,
    templates: DrumTemplates | str | os.PathLike | None = None,
    settings: DrumSettings | None = None,
    random_state: int | None = 0,
    callback=None,
) -> DrumSeparation:
    """Split the drums of a full song into their pieces; everything else is ``rest``.

    The drum part is first taken out with nmfsep's percussive separation
    (``nmfsep.separate(y, sr, n_sources=2, grouping="percussive")``, source
    0); the pieces share it (as :func:`separate_drums` with ``rest=False``),
    and the pitched part is ``rest``.

    Returns
    -------
    DrumSeparation
        The pieces, then ``rest``; adding up to ``y``.
    """
    started = time.perf_counter()
    pieces = parse_pieces(pieces)
    settings = _check_arguments(settings, callback)
    templates = templates_for(pieces, templates)
    y = validate_signal(y, sr)
    drums = separate(y, sr, n_sources=2, grouping="percussive",
                     random_state=random_state).sources[0]
    stems, result, labels, parameters = _split_pieces(drums, sr, pieces, templates, settings,
                                                      callback)
    rest_stem = y.astype(np.float64) - stems.astype(np.float64).sum(axis=0)
    sources = np.concatenate([stems, rest_stem[None].astype(np.float32)])
    parameters.update(settings=asdict(settings), pieces=list(pieces), rest=True, song=True,
                      seconds=round(time.perf_counter() - started, 3))
    return DrumSeparation(
        sources=sources, names=[*pieces, "rest"], sr=int(sr), W=result.W, H=result.H,
        labels=labels, rest_included=True,
        rest_reason="kept: the drum part was taken out by the percussive separation; its "
                    "pitched part is rest",
        parameters=parameters, loss_history=result.loss_history)


def drums_file(
    path_in: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    pieces: tuple[str, ...] | str = DEFAULT_PIECES,
    templates: DrumTemplates | str | os.PathLike | None = None,
    rest: bool | str = "auto",
    song: bool = False,
    force: bool = False,
    fmt: str = "wav",
    settings: DrumSettings | None = None,
    random_state: int | None = 0,
) -> dict:
    """Split an audio file's drums into ``out_dir/<track>/<piece>.<fmt>`` and a record.

    Every stem and ``out_dir/<track>/drums.json`` (what was done: the pieces,
    whether ``rest`` was kept and why, the settings, the templates used, the
    time taken) are written atomically, the record last; nothing is
    overwritten without ``force``, and the outputs, the templates and the
    arguments are checked before the audio is read.  A track is whole or
    absent: on any failure, an interruption included, what this call wrote
    under the track's folder is removed again (:func:`nmfsep.tracks.whole_or_absent`:
    files that were there before and were not rewritten are left).  With
    ``force``, the stems an earlier ``drums.json`` of the
    track lists and this call does not write (fewer pieces, no ``rest``,
    another format) are removed once it is complete, so that the folder's
    stems add up to the input.

    Parameters
    ----------
    path_in : str or PathLike
    out_dir : str or PathLike
    pieces, templates, rest, settings, random_state
        As :func:`separate_drums`.
    song : bool
        A full song: :func:`separate_song` (``rest`` always kept).
    force : bool
        Overwrite existing outputs.
    fmt : {"wav", "flac"}

    Returns
    -------
    dict
        The record written to ``drums.json``.

    Raises
    ------
    AudioError, ParameterError, OutputError
    """
    path_in = Path(path_in)
    pieces = parse_pieces(pieces)
    if fmt not in ("wav", "flac"):
        raise ParameterError(f"unknown output format {fmt!r}; use 'wav' or 'flac'")
    settings = _check_arguments(settings, None)
    templates = templates_for(pieces, templates)
    track = Path(out_dir) / path_in.stem
    candidates = [track / f"{name}.{fmt}" for name in (*pieces, "rest")] + [track / "drums.json"]
    check_outputs(candidates, [path_in], force)  # never the input, even with force
    y, sr = load(path_in)
    y = validate_signal(y, sr, name=str(path_in))
    check_write_format(candidates[0], y.shape[0], sr)
    earlier = recorded_files(track / "drums.json", "stems") if force else set()
    started = time.perf_counter()
    with whole_or_absent(track, records=[track / "drums.json"]):
        if song:
            result = separate_song(y, sr, pieces=pieces, templates=templates, settings=settings,
                                   random_state=random_state)
        else:
            result = separate_drums(y, sr, pieces=pieces, templates=templates, rest=rest,
                                    settings=settings, random_state=random_state)
        elapsed = time.perf_counter() - started
        files = []
        for name, stem in zip(result.names, result.sources, strict=True):
            files.append(save(track / f"{name}.{fmt}", stem, sr, force=force))
        record = {
            "input": str(path_in),
            "sample_rate": int(sr),
            "channels": int(y.shape[0]),
            "duration_s": y.shape[1] / sr,
            "seconds": round(elapsed, 3),
            "stems": [{"name": n, "file": f.name}
                      for n, f in zip(result.names, files, strict=True)],
            "rest": {"included": result.rest_included, "reason": result.rest_reason},
            "song": bool(song),
            "parameters": result.parameters,
            "loss_history": [{"iteration": int(i), "loss": float(v)}
                             for i, v in result.loss_history],
            "nmfsep_version": __version__,
        }
        write_record(track / "drums.json", record, force=force)
    remove_stale(earlier, files, keep=[path_in])  # an earlier record's stems not written now
    return record


def drum_files(inputs: list[str | os.PathLike]) -> list[Path]:
    """The inputs as paths, refused if two would write to the same track folder.

    Raises
    ------
    ParameterError
        Naming both files (``a/loop.wav`` and ``b/loop.wav`` both go to ``loop/``).
    """
    paths = [Path(item) for item in inputs]
    clashes = track_clashes((path.stem, path) for path in paths)
    if clashes:
        raise ParameterError(f"{clashes}; rename them, or split them into different output "
                             "folders")
    return paths


def with_settings(**changes) -> DrumSettings:
    """:data:`SETTINGS` with some fields changed (for experiments)."""
    return replace(SETTINGS, **changes)
