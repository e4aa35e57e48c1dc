"""Regenerate the figures of docs/drums.md: the shipped drum templates and NMFD activations.

Run from the repository root (needs the ``plot`` extra, and Debian's
hydrogen-drumkits for the benchmark item of the activations figure)::

    PYTHONPATH=src:. python docs/make_drum_figures.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.quality.generate import build  # noqa: E402
from nmfsep.drums import SETTINGS, separate_drums  # noqa: E402
from nmfsep.drumtemplates import PIECES, load_drum_templates  # noqa: E402
from nmfsep.spectral import mixture_spectrogram, stft  # noqa: E402

FIGURES = ROOT / "docs" / "figures"
#: The groove of the activations figure (tuning half) and the seconds shown.
ITEM = ("drumkit-4", 0)
SECONDS = 6.0


def templates_figure(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sr = 44100
    config = SETTINGS.stft_config(sr)
    T = SETTINGS.template_frames(sr, config.hop)
    W, pieces, _ = load_drum_templates().patches(sr, config.n_fft, config.hop, T,
                                                 pieces=tuple(PIECES))
    fig, axes = plt.subplots(1, len(pieces), figsize=(12, 3.6), sharey=True)
    top = 16000
    n_bins = int(top / (sr / config.n_fft))
    for ax, k, piece in zip(axes, range(len(pieces)), pieces, strict=True):
        patch = 20 * np.log10(W[:n_bins, :, k] / W[:, :, k].max() + 1e-6)
        ax.imshow(patch, origin="lower", aspect="auto", vmin=-60, vmax=0, cmap="magma",
                  extent=(0, T * config.hop / sr * 1000, 0, top / 1000))
        ax.set_title(piece)
        ax.set_xlabel("ms after the onset")
    axes[0].set_ylabel("kHz")
    fig.suptitle(f"nmfsep's drum templates at {sr} Hz, {config.n_fft}/{config.hop}, T = {T} "
                 "(magnitude, dB below each template's peak)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def activations_figure(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    item = build(*ITEM)
    n = int(SECONDS * item.sr)
    mixture = item.mixture[:, :n]
    pieces = tuple(item.names)
    sep = separate_drums(mixture, item.sr, pieces=pieces, rest=False)
    config = SETTINGS.stft_config(item.sr)
    V = mixture_spectrogram(stft(mixture, config))
    frames = V.shape[1]
    times = np.arange(frames) * config.hop / item.sr
    fig, axes = plt.subplots(1 + len(pieces), 1, figsize=(11, 7), sharex=True,
                             gridspec_kw=dict(height_ratios=[3] + [1] * len(pieces)))
    top = 8000
    n_bins = int(top / (item.sr / config.n_fft))
    axes[0].imshow(20 * np.log10(V[:n_bins] / V.max() + 1e-6), origin="lower", aspect="auto",
                   vmin=-70, vmax=0, cmap="magma", extent=(0, times[-1], 0, top / 1000))
    axes[0].set_ylabel("kHz")
    axes[0].set_title(f"{item.name} ({item.info['kit']}, {item.info['style']}, "
                      f"{item.info['tempo']:.0f} bpm): mixture and NMFD activations")
    for ax, piece in zip(axes[1:], pieces, strict=True):
        rows = np.flatnonzero(sep.labels == pieces.index(piece))
        activation = sep.H[rows].sum(axis=0)
        ax.plot(times, activation / activation.max(), linewidth=0.8)
        ax.set_ylabel(piece, rotation=0, ha="right")
        ax.set_yticks([])
    axes[-1].set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    templates_figure(FIGURES / "drum_templates.png")
    activations_figure(FIGURES / "drum_activations.png")
    print(f"wrote {FIGURES / 'drum_templates.png'} and {FIGURES / 'drum_activations.png'}")


if __name__ == "__main__":
    main()
