"""libnmfd's NMFD drum recipe, run on the same audio as nmfsep (the anchor of the drum benchmark).

The recipe of libnmfd's demo ``demo_drum_sound_separation_nmf.ipynb``: STFT
2048/512 at 44.1 kHz (libnmfd's ``forward_stft``), templates learned from
one-shot folders by ``init_templates(strategy="drums")`` (a one-component NMFD
of each folder's samples joined end to end), uniform activations, 30 NMFD
iterations with T = 8, α-Wiener filtering with α = 1 and the mixture's phase.
libnmfd works at 44.1 kHz only, so the mixture is resampled to 44.1 kHz and the
stems back.

Its one-shot folders hold the same samples nmfsep's shipped templates are made
of (scripts/make_drum_templates.py), written as 44.1 kHz WAV files with sorted
names, so that both start from the same kits: ``kick/``, ``snare/``, ``hihat/``,
``toms/`` and ``cymbals/`` (crash and ride).  For the band categories the
recipe gets one more component, started from libnmfd's random template
(``init_templates(strategy="random")``), for ``rest``.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

RECIPE = dict(sr=44100, n_fft=2048, hop=512, template_frames=8, n_iter=30, alpha=1.0)
ONE_SHOTS = Path(__file__).resolve().parent.parent / "quality" / "results" / "cache" \
    / "libnmfd-one-shots"
FOLDER_OF = {"kick": ("kick",), "snare": ("snare",), "hihat": ("hihat",), "toms": ("toms",),
             "cymbals": ("crash", "ride")}


def one_shot_folders(root: Path = ONE_SHOTS) -> Path:
    """Write the template kits' one-shots into ``root/<piece>/`` (once) and return ``root``."""
    done = root / "done"
    if done.exists():
        return root
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "scripts"))
    from make_drum_templates import samples

    for index, sample in enumerate(samples()):
        piece = next(p for p, members in FOLDER_OF.items() if sample["piece"] in members)
        audio, rate = sf.read(sample["path"], dtype="float64", always_2d=True)
        mono = audio.mean(axis=1)
        if rate != RECIPE["sr"]:
            g = np.gcd(int(rate), RECIPE["sr"])
            mono = resample_poly(mono, RECIPE["sr"] // g, int(rate) // g)
        folder = root / piece
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{index:03d}_{sample['kit']}_{Path(sample['file']).stem}.wav"
        sf.write(folder / name, mono, RECIPE["sr"], subtype="FLOAT")
    done.write_text("ok\n")
    return root


class _SortedListdir:
    """libnmfd joins a folder's files in ``os.listdir`` order: make it sorted."""

    def __enter__(self):
        import libnmfd.core.nmfconv as nmfconv

        self.module = nmfconv.os
        self.original = self.module.listdir
        self.module.listdir = lambda path: sorted(self.original(path))
        return self

    def __exit__(self, *exc):
        self.module.listdir = self.original


_TEMPLATES: dict[tuple[str, ...], list[np.ndarray]] = {}


def templates(pieces: tuple[str, ...]) -> list[np.ndarray]:
    """libnmfd's drum templates for ``pieces`` (learned once per set of pieces)."""
    if pieces not in _TEMPLATES:
        from libnmfd.core.nmfconv import init_templates

        root = one_shot_folders()
        with _SortedListdir(), _quiet():
            _TEMPLATES[pieces] = init_templates(
                num_comp=len(pieces), num_bins=RECIPE["n_fft"] // 2 + 1,
                num_template_frames=RECIPE["template_frames"], strategy="drums",
                desired_drum_classes=list(pieces), num_iter=RECIPE["n_iter"],
                block_size=RECIPE["n_fft"], hop_size=RECIPE["hop"], fs=RECIPE["sr"],
                input_dir=str(root) + "/")
    return [w.copy() for w in _TEMPLATES[pieces]]


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()), \
            contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def separate(mixture: np.ndarray, sr: int, pieces: tuple[str, ...], *,
             rest: bool = False) -> np.ndarray:
    """The recipe's stems, shape=(len(pieces) + rest, samples), at ``sr``.

    Parameters
    ----------
    mixture : np.ndarray, shape=(samples,)
    sr : int
    pieces : tuple of str
    rest : bool
        Add a component from a random template for what the pieces do not explain.
    """
    from libnmfd.core.nmfconv import init_activations, init_templates, nmfd
    from libnmfd.dsp.filters import alpha_wiener_filter
    from libnmfd.dsp.transforms import forward_stft, inverse_stft

    fs = RECIPE["sr"]
    g = np.gcd(int(sr), fs)
    x = resample_poly(np.asarray(mixture, dtype=np.float64), fs // g, int(sr) // g)
    init_W = templates(tuple(pieces))
    with _quiet():
        if rest:
            init_W += init_templates(num_comp=1, num_bins=RECIPE["n_fft"] // 2 + 1,
                                     num_template_frames=RECIPE["template_frames"],
                                     strategy="random")
        _, A, P = forward_stft(x, block_size=RECIPE["n_fft"], hop_size=RECIPE["hop"],
                               reconst_mirror=True, append_frames=True)
        n_comp = len(init_W)
        init_H = init_activations(num_comp=n_comp, num_frames=A.shape[1], strategy="uniform")
        _, _, parts, _, _ = nmfd(V=A, num_comp=n_comp, num_frames=A.shape[1],
                                 num_iter=RECIPE["n_iter"],
                                 num_template_frames=RECIPE["template_frames"],
                                 init_W=init_W, init_H=init_H)
        stems_A, _ = alpha_wiener_filter(A, parts, RECIPE["alpha"])
        out = []
        for magnitude in stems_A:
            audio, _ = inverse_stft(X=magnitude * np.exp(1j * P), block_size=RECIPE["n_fft"],
                                    hop_size=RECIPE["hop"], reconst_mirror=True,
                                    append_frames=True, num_samp=len(x))
            back = resample_poly(np.asarray(audio, dtype=np.float64).ravel(), int(sr) // g,
                                 fs // g)
            stem = np.zeros(mixture.shape[-1])
            stem[: min(stem.size, back.size)] = back[: stem.size]
            out.append(stem)
    return np.stack(out)
