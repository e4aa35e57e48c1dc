"""Saving a factorization and restoring it, so sources can be regrouped later.

``nmfsep components`` saves the factorization a person listens to;
``nmfsep separate --from`` restores it and rebuilds the sources from exactly
those components, without factorizing again.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .audio import atomic_path
from .config import SeparationConfig
from .errors import ParameterError
from .grouping import GroupingContext
from .model import Model
from .pipeline import Separation
from .recording import ArrayRecording, Frames, stereo_channels, unit_spectrogram
from .spectral import STFTConfig

__all__ = ["save_factorization", "load_factorization", "restore"]

FORMAT_VERSION = 1
#: How far the loudness over time of the recording given to :func:`restore` may stray from
#: the factorized one's (RMS of the difference of the two frame-energy envelopes, each
#: divided by its mean): the same file gives 0, a lossy copy of it a few hundredths,
#: another recording of the same length of the order of 1.
ENVELOPE_TOLERANCE = 0.1


def save_factorization(separation: Separation, path: str | os.PathLike, *,
                       force: bool = False) -> Path:
    """Write ``W``, ``H``, labels and the STFT parameters to one ``.npz`` file (atomically)."""
    path = Path(path)
    with atomic_path(path, force=force) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(
            handle, format_version=FORMAT_VERSION, W=separation.W, H=separation.H,
            labels=separation.labels, sr=separation.sr, n_fft=separation.stft.n_fft,
            hop=separation.stft.hop, window=separation.stft.window, beta=separation.beta,
            mask_power=separation.mask_power, n_samples=separation.n_samples,
            spectrogram_power=separation.config.spectrogram_power,
            **({} if separation.context is None or separation.context.V is None else
               {"envelope": frame_envelope(separation.context.V)}),
        )
    return path


def frame_envelope(V: np.ndarray) -> np.ndarray:
    """The spectrogram's energy per frame divided by its mean: the recording's loudness over time.

    Parameters
    ----------
    V : np.ndarray, shape=(bins, frames)

    Returns
    -------
    np.ndarray, shape=(frames,), float32
    """
    energy = np.asarray(V, dtype=np.float64).sum(axis=0)
    return (energy / max(float(energy.mean()), 1e-30)).astype(np.float32)


def load_factorization(path: str | os.PathLike) -> dict:
    """Read a file written by :func:`save_factorization`.

    Raises
    ------
    ParameterError
        If the file is missing or is not a saved factorization.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "factorization.npz"
    if not path.is_file():
        raise ParameterError(f"{path}: no saved factorization (run 'nmfsep components' first)")
    try:
        with np.load(path, allow_pickle=False) as data:
            saved = {key: data[key] for key in data.files}
    except (OSError, ValueError) as exc:
        raise ParameterError(f"{path}: not a saved factorization ({exc})") from None
    required = {"W", "H", "labels", "sr", "n_fft", "hop", "window"}
    if not required <= saved.keys():
        raise ParameterError(f"{path}: not a saved factorization (missing "
                             f"{', '.join(sorted(required - saved.keys()))})")
    saved["path"] = path
    return saved


def restore(y: np.ndarray, sr: int, saved: dict) -> Separation:
    """Rebuild a :class:`~nmfsep.pipeline.Separation` of ``y`` from its saved factorization.

    Raises
    ------
    ParameterError
        If ``y`` is not the recording that was factorized (sample rate, length, or
        loudness over time: :data:`ENVELOPE_TOLERANCE`).
    """
    recording = ArrayRecording(y, sr)
    where = saved.get("path", "the saved factorization")
    if int(saved["sr"]) != sr:
        raise ParameterError(f"{where}: made at {int(saved['sr'])} Hz, the input is {sr} Hz")
    if "n_samples" in saved and int(saved["n_samples"]) != recording.n_samples:
        raise ParameterError(f"{where}: made from {int(saved['n_samples'])} samples, the input "
                             f"has {recording.n_samples}; is it the same recording?")
    stft = STFTConfig(int(saved["n_fft"]), int(saved["hop"]), str(saved["window"]))
    frames = Frames(recording, stft, hold=True)
    W, H = saved["W"], saved["H"]
    if H.shape[1] != frames.n_frames or W.shape[0] != stft.n_bins:
        raise ParameterError(f"{where}: its factors do not fit this recording's spectrogram")
    labels = np.asarray(saved["labels"], dtype=int)
    power = float(saved.get("spectrogram_power", 1.0))
    config = SeparationConfig(n_sources=int(labels.max()) + 1, n_components=W.shape[1],
                              beta=float(saved.get("beta", 1.0)), n_fft=stft.n_fft,
                              hop=stft.hop, window=stft.window, spectrogram_power=power,
                              mask_power=float(saved.get("mask_power", 1.0)), n_runs=1)
    plan = config.resolve(sr=sr, n_samples=recording.n_samples)
    V, _ = unit_spectrogram(frames, power)
    if "envelope" in saved:
        saved_envelope = np.asarray(saved["envelope"], dtype=np.float64)
        stray = float(np.sqrt(np.mean((frame_envelope(V) - saved_envelope) ** 2)))
        if stray > ENVELOPE_TOLERANCE:
            raise ParameterError(f"{where}: made from another recording of the same length "
                                 f"(their loudness over time differs); factorize this one "
                                 f"with 'nmfsep components'")
    model = Model(W, H, labels, stft, config.mask_power)
    context = GroupingContext(sr=sr, V=V, random_state=config.random_state, hop=stft.hop,
                               power=power, channels=stereo_channels(frames))
    return Separation(model=model, frames=frames, config=config, plan=plan,
                      sources=model.sources(frames), context=context)
