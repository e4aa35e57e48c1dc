"""libnmfd's NMFD recipe for drum kits (Dittmar & Müller 2016), as its drum demo runs it.

One T-frame template per drum piece, learned by libnmfd
(``initialize_drum_specific_nmfd_templates``) from one-shots of one Hydrogen kit
(:data:`KIT`, Debian's hydrogen-drumkits); then NMFD of the mixture's magnitude
spectrogram from those templates and uniform activations, α-Wiener filtering (α = 1)
and libnmfd's inverse STFT.  The recipe's parameters are libnmfd's: T = 8 frames,
30 iterations, STFT of 2048 / 512 samples at 44.1 kHz (:data:`RECIPE`).

libnmfd works only at 44.1 kHz, so an item at another rate is resampled up for it and
its outputs back down.  libnmfd joins a class folder's files in ``os.listdir`` order,
which differs between file systems; to make the templates reproducible each class
folder holds one file: the kit's one-shots in sorted order, each scaled as libnmfd
scales a file (mono, peak 0.99), so libnmfd's own scaling leaves them as they are.

Each output belongs to the piece of its template, so the benchmark scores it by name.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import tempfile
import warnings
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf

KIT = Path("/usr/share/hydrogen/data/drumkits/The Black Pearl 1.0")
#: The kit's one-shots of each piece: file-name prefixes (every velocity layer of each).
ONE_SHOTS: dict[str, tuple[str, ...]] = {
    "kick": ("PearlKick-",),
    "snare": ("PearlSnare-",),
    "hihat": ("SabianHatClosed-", "SabianHatOpen-"),
    "toms": ("PearlTom1-", "PearlTom2-", "PearlTomFloor-"),
    "cymbals": ("SabianCrash-", "PaisteRide-"),
}
RECIPE = dict(sr=44100, block_size=2048, hop_size=512, num_template_frames=8, num_iter=30,
              alpha=1.0)
#: Source names (lower case, letters only) that name a drum piece.
ALIASES = {
    "kick": "kick", "bassdrum": "kick", "bd": "kick", "kickdrum": "kick",
    "snare": "snare", "snaredrum": "snare", "sd": "snare",
    "hihat": "hihat", "hihats": "hihat", "hat": "hihat", "hats": "hihat", "hh": "hihat",
    "tom": "toms", "toms": "toms",
    "cymbal": "cymbals", "cymbals": "cymbals", "crash": "cymbals", "ride": "cymbals",
}


def drum_piece(name: str) -> str | None:
    """The drum piece a source name stands for (``"Hi-Hat"`` → ``"hihat"``), or None."""
    return ALIASES.get(re.sub(r"[^a-z]", "", name.lower()))


def applies(names: list[str]) -> bool:
    """Whether every source is a different drum piece the kit has one-shots of."""
    pieces = [drum_piece(n) for n in names]
    return (len(pieces) >= 2 and None not in pieces and len(set(pieces)) == len(pieces))


def one_shot_files(piece: str, kit: Path = KIT) -> list[Path]:
    """The kit's one-shots of ``piece``, sorted by name."""
    files = sorted(p for p in kit.iterdir()
                   if p.suffix.lower() in (".wav", ".flac")
                   and p.name.startswith(ONE_SHOTS[piece]))
    if not files:
        raise FileNotFoundError(f"no one-shots for {piece} in {kit} (hydrogen-drumkits)")
    return files


def _write_class_folder(piece: str, folder: Path, kit: Path) -> None:
    from libnmfd.utils import make_monaural

    parts = []
    for path in one_shot_files(piece, kit):
        audio, sr = sf.read(str(path), dtype="float32")
        if sr != RECIPE["sr"]:
            raise ValueError(f"{path}: {sr} Hz; libnmfd's template builder needs "
                             f"{RECIPE['sr']} Hz")
        audio = make_monaural(audio)
        parts.append(0.99 * audio / np.max(np.abs(audio)))
    (folder / piece).mkdir(parents=True)
    sf.write(str(folder / piece / "one-shots.wav"), np.concatenate(parts), RECIPE["sr"],
             subtype="FLOAT")


#: libnmfd's modules that loop over ``tqdm.tnrange``, a notebook widget that needs
#: ipywidgets (not installed with ``--no-deps``) and fails outside Jupyter without it.
_PROGRESS_MODULES = ("libnmfd.core.nmf", "libnmfd.core.nmfconv", "libnmfd.core.nmfdiag",
                     "libnmfd.dsp.algorithms")


def _plain_range(n: int, *args, **kwargs) -> range:
    return range(n)


@contextlib.contextmanager
def quiet():
    """Run libnmfd without its notebook progress bars, warnings or prints.

    Its loops' ``tnrange`` is replaced by a plain ``range`` for the duration, so libnmfd
    runs without Jupyter's widgets; whatever it prints is kept off the log.
    """
    import importlib

    modules = [importlib.import_module(name) for name in _PROGRESS_MODULES]
    saved = [module.tnrange for module in modules]
    with (warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()),
          contextlib.redirect_stdout(io.StringIO())):
        warnings.simplefilter("ignore")
        try:
            for module in modules:
                module.tnrange = _plain_range
            yield
        finally:
            for module, original in zip(modules, saved, strict=True):
                module.tnrange = original


@functools.cache
def templates(pieces: tuple[str, ...], kit: Path = KIT) -> tuple[np.ndarray, ...]:
    """libnmfd's NMFD templates of ``pieces``, each of shape (1025, T), summing to 1."""
    from libnmfd.core.nmfconv import initialize_drum_specific_nmfd_templates
    from libnmfd.utils import EPS

    with tempfile.TemporaryDirectory(prefix="nmfd-one-shots-") as tmp:
        for piece in pieces:
            _write_class_folder(piece, Path(tmp), kit)
        with quiet():
            learned = initialize_drum_specific_nmfd_templates(
                desired_drum_classes=list(pieces), num_iter=RECIPE["num_iter"],
                num_template_frames=RECIPE["num_template_frames"],
                block_size=RECIPE["block_size"], hop_size=RECIPE["hop_size"],
                fs=RECIPE["sr"], input_dir=tmp)
    return tuple(w / (EPS + w.sum()) for w in learned)  # as libnmfd's init_templates


def _resample(x: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    from scipy.signal import resample_poly

    if sr_from == sr_to:
        return np.asarray(x, dtype=np.float64)
    g = gcd(sr_from, sr_to)
    return resample_poly(np.asarray(x, dtype=np.float64), sr_to // g, sr_from // g)


def separate(mixture: np.ndarray, sr: int, names: list[str], kit: Path = KIT) -> np.ndarray:
    """libnmfd's NMFD recipe on each channel, one output per named drum piece.

    Parameters
    ----------
    mixture : np.ndarray, shape=(channels, samples)
    sr : int
    names : list of str
        The sources, each a drum piece (:func:`drum_piece`).

    Returns
    -------
    np.ndarray, shape=(len(names), channels, samples), float32
        In the order of ``names``.
    """
    from libnmfd.core.nmfconv import init_activations, nmfd
    from libnmfd.dsp.filters import alpha_wiener_filter
    from libnmfd.dsp.transforms import forward_stft, inverse_stft

    pieces = tuple(drum_piece(n) for n in names)
    if not applies(list(names)):
        raise ValueError(f"NMFD needs distinct drum pieces, got {names}")
    initial = templates(pieces, kit)
    stft_args = dict(block_size=RECIPE["block_size"], hop_size=RECIPE["hop_size"],
                     reconst_mirror=True, append_frames=True)
    n_samples = mixture.shape[-1]
    out = np.zeros((len(names), *mixture.shape), dtype=np.float32)
    for c, channel in enumerate(mixture):
        x = _resample(channel, sr, RECIPE["sr"])
        _, A, P = forward_stft(x, **stft_args)
        with quiet():
            H0 = init_activations(num_comp=len(pieces), num_frames=A.shape[1],
                                  strategy="uniform")
            _, _, models, _, _ = nmfd(V=A, num_comp=len(pieces), num_frames=A.shape[1],
                                      num_iter=RECIPE["num_iter"],
                                      num_template_frames=RECIPE["num_template_frames"],
                                      init_W=[w.copy() for w in initial], init_H=H0)
        estimates, _ = alpha_wiener_filter(A, models, RECIPE["alpha"])
        for j, magnitude in enumerate(estimates):
            y, _ = inverse_stft(magnitude * np.exp(1j * P), num_samp=len(x), **stft_args)
            back = _resample(y[:, 0], RECIPE["sr"], sr)[:n_samples]
            out[j, c, :back.size] = back
    return out
