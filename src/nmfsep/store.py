"""Saving a factorization and restoring it, so sources can be regrouped later.

``nmfsep components`` saves the factorization a person listens to;
``nmfsep separate --from`` restores it and rebuilds the sources from exactly
those components, without factorizing again.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .audio import atomic_path, validate_signal
from .errors import ParameterError
from .separate import Separation, rebuild_sources
from .spectral import STFTConfig, mixture_spectrogram, stft

__all__ = ["save_factorization", "load_factorization", "restore"]

FORMAT_VERSION = 1


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
            spectrogram_power=separation.parameters.get("spectrogram_power", 1.0),
        )
    return path


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
    """Rebuild a :class:`Separation` of ``y`` from a saved factorization of the same recording.

    Raises
    ------
    ParameterError
        If ``y`` is not the recording that was factorized (sample rate, length).
    """
    y = validate_signal(y, sr)
    where = saved.get("path", "the saved factorization")
    if int(saved["sr"]) != sr:
        raise ParameterError(f"{where}: made at {int(saved['sr'])} Hz, the input is {sr} Hz")
    if "n_samples" in saved and int(saved["n_samples"]) != y.shape[1]:
        raise ParameterError(f"{where}: made from {int(saved['n_samples'])} samples, the input "
                             f"has {y.shape[1]}; is it the same recording?")
    config = STFTConfig(int(saved["n_fft"]), int(saved["hop"]), str(saved["window"]))
    X = stft(y, config)
    W, H = saved["W"], saved["H"]
    if H.shape[1] != X.shape[-1] or W.shape[0] != X.shape[-2]:
        raise ParameterError(f"{where}: its factors do not fit this recording's spectrogram")
    labels = np.asarray(saved["labels"], dtype=int)
    mask_power = float(saved.get("mask_power", 1.0))
    n_sources = int(labels.max()) + 1
    power = float(saved.get("spectrogram_power", 1.0))
    V = mixture_spectrogram(X, power)
    scale = float(V.mean(dtype=np.float64))
    return Separation(
        sources=rebuild_sources(X, W, H, labels, n_sources, mask_power, config, y.shape[1]),
        W=W, H=H, labels=labels, sr=sr, stft=config, beta=float(saved.get("beta", 1.0)),
        mask_power=mask_power, parameters={"n_sources": n_sources, "spectrogram_power": power},
        spectrogram=V / scale if scale > 0 else V, mixture_stft=X,
    )
