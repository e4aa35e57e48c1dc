"""Figures of a separation (optional extra ``plot``: matplotlib).

Imported only when a figure is asked for, so ``import nmfsep`` stays light.
Every figure uses a log-frequency axis and a dB colour scale, and is written
atomically as PNG.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .audio import atomic_path, check_sample_rate
from .errors import ParameterError
from .features import bin_frequencies
from .model import check_component

__all__ = ["plot_overview", "plot_component", "plot_spectrogram", "require_matplotlib"]

SOURCE_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                  "#e377c2", "#17becf"]


def require_matplotlib():
    """Import matplotlib with a non-interactive backend, or explain how to get it."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ParameterError(
            "figures need matplotlib: pip install 'nmfsep[plot]'"
        ) from None
    return plt


def _db(values: np.ndarray, floor_db: float = 80.0) -> np.ndarray:
    power = np.asarray(values, dtype=np.float64) ** 2
    ref = max(float(power.max()), 1e-30)
    return np.maximum(10 * np.log10(np.maximum(power, 1e-30) / ref), -floor_db)


def _spectrogram_axes(ax, magnitude, sr, hop, title, plt):
    freqs = bin_frequencies(magnitude.shape[0], sr)
    times = np.arange(magnitude.shape[1]) * hop / sr
    keep = freqs >= 20.0
    mesh = ax.pcolormesh(times, freqs[keep], _db(magnitude)[keep], shading="auto",
                         cmap="magma", vmin=-80, vmax=0, rasterized=True)
    ax.set_yscale("log")
    ax.set_ylim(20, sr / 2)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title(title)
    return mesh


def _check_separation(separation: Any) -> None:
    if not all(hasattr(separation, name) for name in ("W", "H", "labels", "n_sources", "stft")):
        raise ParameterError(f"expected a Separation (from nmfsep.separate), got "
                             f"{type(separation).__name__}")


def _save(fig, path: str | os.PathLike, plt, force: bool) -> Path:
    path = Path(path)
    with atomic_path(path, force=force) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_spectrogram(magnitude: np.ndarray, sr: int, hop: int, path: str | os.PathLike, *,
                     title: str = "spectrogram", force: bool = False) -> Path:
    """Write one magnitude spectrogram, shape=(bins, frames), as a PNG.

    Raises
    ------
    ParameterError
        For a spectrogram that is not 2-D or a sample rate or hop that is not a
        positive integer.
    """
    magnitude = np.asarray(magnitude)
    if magnitude.ndim != 2:
        raise ParameterError(f"the spectrogram must be (bins, frames), got shape "
                             f"{magnitude.shape}")
    check_sample_rate(sr, "plot_spectrogram")
    if isinstance(hop, bool) or not isinstance(hop, (int, np.integer)) or hop < 1:
        raise ParameterError(f"hop must be a positive integer, got {hop!r}")
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    mesh = _spectrogram_axes(ax, magnitude, sr, hop, title, plt)
    fig.colorbar(mesh, ax=ax, label="dB")
    return _save(fig, path, plt, force)


def plot_overview(separation, path: str | os.PathLike, *, names: list[str] | None = None,
                  force: bool = False) -> Path:
    """The whole story in one figure.

    The mixture spectrogram; the K basis spectra (W) and activations (H) side
    by side, coloured by the source each component went to; and each source's
    spectrogram.

    Raises
    ------
    ParameterError
        If ``separation`` is not a :class:`~nmfsep.pipeline.Separation` or
        ``names`` do not name each of its sources.
    """
    _check_separation(separation)
    if names is not None and len(names) != separation.n_sources:
        raise ParameterError(f"names: {len(names)} names for {separation.n_sources} sources")
    plt = require_matplotlib()
    sep = separation
    names = names or [f"source{i + 1}" for i in range(sep.n_sources)]
    sr, hop = sep.sr, sep.stft.hop
    X = sep.mixture_stft
    mixture = np.sqrt((np.abs(X) ** 2).sum(axis=0)) if X is not None else sep.W @ sep.H
    n_rows = 2 + sep.n_sources
    fig = plt.figure(figsize=(12, 2.6 * n_rows))
    grid = fig.add_gridspec(n_rows, 4, width_ratios=[1, 3, 0.05, 0.05], hspace=0.55)
    _spectrogram_axes(fig.add_subplot(grid[0, :2]), mixture, sr, hop, "mixture", plt)

    freqs = bin_frequencies(sep.W.shape[0], sr)
    keep = freqs >= 20.0
    ax_w = fig.add_subplot(grid[1, 0])
    ax_h = fig.add_subplot(grid[1, 1])
    times = np.arange(sep.H.shape[1]) * hop / sr
    order = np.argsort(sep.labels, kind="stable")
    for row, k in enumerate(order):
        colour = SOURCE_COLOURS[int(sep.labels[k]) % len(SOURCE_COLOURS)]
        w = sep.W[keep, k] / max(float(sep.W[:, k].max()), 1e-30)
        h = sep.H[k] / max(float(sep.H[k].max()), 1e-30)
        ax_w.plot(row + 0.9 * w, freqs[keep], color=colour, lw=0.8)
        ax_h.plot(times, row + 0.9 * h, color=colour, lw=0.6)
    ax_w.set_yscale("log")
    ax_w.set_ylim(20, sr / 2)
    ax_w.set_xticks(range(len(order)))
    ax_w.set_xticklabels([str(k) for k in order], fontsize=6)
    ax_w.set_xlabel("component (basis spectra, W)")
    ax_w.set_ylabel("frequency (Hz)")
    ax_h.set_yticks(range(len(order)))
    ax_h.set_yticklabels([str(k) for k in order], fontsize=6)
    ax_h.set_xlabel("time (s)")
    ax_h.set_title("activations (H), coloured by source")
    handles = [plt.Line2D([], [], color=SOURCE_COLOURS[i % len(SOURCE_COLOURS)], label=name)
               for i, name in enumerate(names)]
    ax_h.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.8)

    masks = sep.masks()
    for s in range(sep.n_sources):
        ax = fig.add_subplot(grid[2 + s, :2])
        _spectrogram_axes(ax, masks[s] * mixture, sr, hop, names[s], plt)
    return _save(fig, path, plt, force)


def plot_component(separation, k: int, path: str | os.PathLike, *,
                   force: bool = False) -> Path:
    """One component: its basis spectrum (W column) and its activation (H row).

    Raises
    ------
    ParameterError
        If ``separation`` is not a :class:`~nmfsep.pipeline.Separation` or
        component ``k`` does not exist.
    """
    _check_separation(separation)
    check_component(k, separation.n_components)
    plt = require_matplotlib()
    sep = separation
    sr, hop = sep.sr, sep.stft.hop
    freqs = bin_frequencies(sep.W.shape[0], sr)
    keep = freqs >= 20.0
    fig, (ax_w, ax_h) = plt.subplots(1, 2, figsize=(9, 2.6),
                                     gridspec_kw={"width_ratios": [1, 2.4]})
    ax_w.semilogx(freqs[keep], _db(sep.W[keep, k], 60), color="#1f77b4", lw=0.9)
    ax_w.set_xlabel("frequency (Hz)")
    ax_w.set_ylabel("dB")
    ax_w.set_title(f"component {k}: basis spectrum")
    times = np.arange(sep.H.shape[1]) * hop / sr
    ax_h.plot(times, sep.H[k], color="#d62728", lw=0.7)
    ax_h.set_xlabel("time (s)")
    ax_h.set_title("activation")
    return _save(fig, path, plt, force)
