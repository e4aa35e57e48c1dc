"""Drum templates: the time-frequency shape of kick, snare, hi-hat, toms, crash and ride hits.

A template set holds, for each *entry* (a piece, a sound of it and the kit it
came from), the mean power spectrogram of its one-shot samples at a
**reference resolution**: 44.1 kHz, 2048-sample Hann frames every 256 samples
(5.8 ms), from four frames before the onset to 0.75 s after it, with the bins
above 1 kHz pooled into 1/24-octave bands.  :meth:`DrumTemplates.patches` maps
them to any sample rate and STFT: the frequency axis by averaging the
(interpolated) power density over each target bin, the time axis by
resampling at the target frames' centres with the extra smoothing of a longer
target window.  So the templates are *stored at a reference resolution and
mapped*, not rebuilt from audio.

nmfsep ships a set made from four of Debian's hydrogen drum kits by
``scripts/make_drum_templates.py`` (``nmfsep/data/drum_templates.npz``; every
sample's kit, file, author and licence is recorded in it);
:func:`learn_drum_templates` makes one from a user's own one-shots.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .audio import atomic_path, load
from .errors import AudioError, ParameterError

__all__ = [
    "DrumTemplates",
    "TEMPLATE_PIECES",
    "PIECES",
    "load_drum_templates",
    "learn_drum_templates",
    "one_shot_spectrogram",
    "templates_from_samples",
    "find_one_shots",
    "OneShots",
    "read_hydrogen_kit",
    "HydrogenKit",
    "KitInstrument",
    "KitLayer",
    "templates_name",
    "DEFAULT_TEMPLATES",
]

REFERENCE_SR = 44100
REFERENCE_N_FFT = 2048
REFERENCE_HOP = 256
#: Frames kept before the onset (the first one's window just reaches it).
PRE_FRAMES = REFERENCE_N_FFT // (2 * REFERENCE_HOP)
SECONDS_AFTER = 0.75
#: Reference bins kept one by one up to here; above, 1/24-octave bands.
LINEAR_UP_TO_HZ = 1000.0
BANDS_PER_OCTAVE = 24
#: A sample's onset: its first sample within this many dB of its peak.
ONSET_DB = -30.0
FORMAT_VERSION = 1

#: Pieces a template can stand for.
TEMPLATE_PIECES = ("kick", "snare", "hihat", "toms", "crash", "ride")
#: Pieces a separation can ask for, and the template pieces each is made of.
PIECES = {"kick": ("kick",), "snare": ("snare",), "hihat": ("hihat",), "toms": ("toms",),
          "cymbals": ("crash", "ride")}
#: Names of one-shot files and folders for :func:`learn_drum_templates`.
ALIASES = {
    "kick": ("kick", "bassdrum", "bass-drum", "bass_drum", "bass drum", "bd"),
    "snare": ("snare", "sd", "clap", "rim"),
    "hihat": ("hihat", "hi-hat", "hi_hat", "hh", "hat", "chh", "ohh"),
    "toms": ("toms", "tom"),
    "crash": ("crash", "cymbals", "cymbal", "splash", "china"),
    "ride": ("ride",),
}
AUDIO_SUFFIXES = (".wav", ".flac", ".aif", ".aiff", ".ogg", ".mp3")

DEFAULT_TEMPLATES = "drum_templates.npz"


# --------------------------------------------------------------------------- analysis


def _band_edges() -> tuple[np.ndarray, np.ndarray]:
    """Reference bins → bands: ``(band_of_bin, band_hz)``."""
    bins_hz = np.arange(REFERENCE_N_FFT // 2 + 1) * REFERENCE_SR / REFERENCE_N_FFT
    linear = bins_hz <= LINEAR_UP_TO_HZ
    n_linear = int(linear.sum())
    octaves = np.log2(np.maximum(bins_hz, 1.0) / bins_hz[n_linear - 1])
    band = np.where(linear, np.arange(bins_hz.size),
                    n_linear - 1 + np.ceil(octaves * BANDS_PER_OCTAVE - 1e-9).astype(int))
    _, band = np.unique(band, return_inverse=True)  # number the non-empty bands 0, 1, …
    counts = np.bincount(band)
    band_hz = np.bincount(band, weights=bins_hz) / counts
    return band, band_hz


_BAND_OF_BIN, BAND_HZ = _band_edges()
FRAME_S = (np.arange(PRE_FRAMES + int(round(SECONDS_AFTER * REFERENCE_SR / REFERENCE_HOP)) + 1)
           - PRE_FRAMES) * REFERENCE_HOP / REFERENCE_SR


def _resample(y: np.ndarray, sr: int, target: int) -> np.ndarray:
    if sr == target:
        return y
    g = int(np.gcd(int(sr), int(target)))
    from scipy.signal import resample_poly  # imported here: scipy.signal is slow to import

    return resample_poly(y, target // g, int(sr) // g)


def one_shot_spectrogram(y: np.ndarray, sr: int) -> np.ndarray:
    """The reference power spectrogram of one drum hit, scaled to unit energy.

    Parameters
    ----------
    y : np.ndarray, shape=(samples,) or (channels, samples)
        One hit; channels are averaged.
    sr : int

    Returns
    -------
    np.ndarray, shape=(n_bands, n_frames), float64
        Power per band (mean over its reference bins) at the frames
        :data:`FRAME_S` around the onset.

    Raises
    ------
    ParameterError
        If the sample is silent.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:
        y = y.mean(axis=0)
    y = _resample(y, int(sr), REFERENCE_SR)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if not peak > 0:
        raise ParameterError("the one-shot sample is silent")
    onset = int(np.argmax(np.abs(y) >= peak * 10 ** (ONSET_DB / 20)))
    half = REFERENCE_N_FFT // 2
    n_frames = FRAME_S.size
    length = half + PRE_FRAMES * REFERENCE_HOP + n_frames * REFERENCE_HOP + half
    padded = np.zeros(length)
    start = half + PRE_FRAMES * REFERENCE_HOP - onset  # onset at frame PRE_FRAMES's centre
    piece = y[max(0, -start): max(0, -start) + length - max(0, start)]
    padded[max(0, start): max(0, start) + piece.size] = piece
    frames = sliding_window_view(padded, REFERENCE_N_FFT)[::REFERENCE_HOP][:n_frames]
    window = np.hanning(REFERENCE_N_FFT + 1)[:-1]
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2  # (frames, bins)
    bands = np.zeros((BAND_HZ.size, n_frames))
    np.add.at(bands, _BAND_OF_BIN, power.T)
    bands /= np.bincount(_BAND_OF_BIN)[:, None]
    total = bands.sum()
    return bands / total if total > 0 else bands


# --------------------------------------------------------------------------- the set


@dataclass
class DrumTemplates:
    """Reference spectrograms of drum sounds, and where they came from.

    Attributes
    ----------
    power : np.ndarray, shape=(n_entries, n_bands, n_frames)
        Each entry's mean unit-energy power spectrogram at the reference resolution.
    entries : list of dict
        ``piece`` (one of :data:`TEMPLATE_PIECES`), ``sound`` and ``kit`` of each entry
        and how many samples it averages (``n_samples``).
    samples : list of dict
        Every sample used: ``piece``, ``sound``, ``kit``, ``file`` and its licence and
        authors where known.
    """

    power: np.ndarray
    entries: list[dict]
    samples: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.power.ndim != 3 or self.power.shape[1:] != (BAND_HZ.size, FRAME_S.size):
            raise ParameterError(f"drum templates of shape {self.power.shape} do not have the "
                                 f"reference resolution ({BAND_HZ.size} bands, "
                                 f"{FRAME_S.size} frames)")
        if len(self.entries) != self.power.shape[0]:
            raise ParameterError("drum templates: one entry description per template needed")

    @property
    def pieces(self) -> tuple[str, ...]:
        """The template pieces present, in :data:`TEMPLATE_PIECES` order."""
        present = {e["piece"] for e in self.entries}
        return tuple(p for p in TEMPLATE_PIECES if p in present)

    def covers(self, piece: str) -> bool:
        """Whether a separation piece (:data:`PIECES`) has at least one template."""
        return any(p in self.pieces for p in PIECES[piece])

    def select(self, piece: str, *, split: str = "piece") -> list[tuple[str, np.ndarray]]:
        """The reference spectrograms standing for a separation piece.

        Parameters
        ----------
        piece : str
            A key of :data:`PIECES` ("cymbals" takes crash and ride).
        split : {"piece", "sound", "kit", "entry"}
            One mean over every entry of the piece, one per sound, one per kit,
            or every entry; the means weigh entries equally.

        Returns
        -------
        list of (label, np.ndarray of shape (n_bands, n_frames))
        """
        if piece not in PIECES:
            raise ParameterError(f"unknown drum piece {piece!r}; use one of "
                                 f"{', '.join(PIECES)}")
        if split not in ("piece", "sound", "kit", "entry"):
            raise ParameterError(f"unknown template split {split!r}; use 'piece', 'sound', "
                                 f"'kit' or 'entry'")
        chosen = [i for i, e in enumerate(self.entries) if e["piece"] in PIECES[piece]]
        if not chosen:
            raise ParameterError(f"these drum templates have none for {piece!r} (they cover "
                                 f"{', '.join(self.pieces)})")
        if split == "entry":
            keys = [f"{self.entries[i]['sound']}/{self.entries[i]['kit']}" for i in chosen]
        elif split == "piece":
            keys = [piece] * len(chosen)
        else:
            keys = [self.entries[i][split] for i in chosen]
        out = []
        for key in dict.fromkeys(keys):
            members = [i for i, k in zip(chosen, keys, strict=True) if k == key]
            out.append((key, self.power[members].mean(axis=0)))
        return out

    def patches(self, sr: int, n_fft: int, hop: int, template_frames: int, *,
                pieces: tuple[str, ...] = ("kick", "snare", "hihat"), split: str = "piece",
                exponent: float = 0.5, floor: float = 1e-3,
                onset_offset: float = 0.0) -> tuple[np.ndarray, list[str], list[str]]:
        """NMFD templates for an STFT, each scaled to unit sum.

        Parameters
        ----------
        sr, n_fft, hop : int
            The target STFT (any sample rate, frame and hop).
        template_frames : int
            T, the frames of each template.
        pieces : tuple of str
            Separation pieces (keys of :data:`PIECES`).
        split : str
            See :meth:`select`.
        exponent : float
            1/2 for templates of magnitude spectrograms, 1 for power spectrograms.
        floor : float
            Every value is at least ``floor`` times the template's largest, so that
            multiplicative updates can still move it.
        onset_offset : float
            Where the onset sits in the first template frame, in hops (0: at its centre).

        Returns
        -------
        W : np.ndarray, shape=(n_fft // 2 + 1, template_frames, n_templates), float32
        piece_of : list of str
            The piece each template stands for.
        labels : list of str
            Each template's label (piece, sound, kit or entry).
        """
        W, piece_of, labels = [], [], []
        frequency = _frequency_map(sr, n_fft)
        time = _time_map(sr, n_fft, hop, template_frames, onset_offset)
        for piece in pieces:
            for label, reference in self.select(piece, split=split):
                patch = frequency @ reference @ time.T  # (bins, T) power
                patch = np.maximum(patch, 0.0) ** exponent
                patch = np.maximum(patch, floor * patch.max())
                W.append(patch / patch.sum())
                piece_of.append(piece)
                labels.append(label)
        return np.stack(W, axis=2).astype(np.float32), piece_of, labels

    def save(self, path: str | os.PathLike, *, force: bool = False) -> Path:
        """Write the set as ``.npz``, atomically (a temporary file, then a rename)."""
        path = Path(path)
        if path.suffix != ".npz":
            raise ParameterError(f"{path}: drum templates are saved as .npz")
        meta = dict(format_version=FORMAT_VERSION, entries=self.entries, samples=self.samples,
                    reference=dict(sr=REFERENCE_SR, n_fft=REFERENCE_N_FFT, hop=REFERENCE_HOP,
                                   pre_frames=PRE_FRAMES, seconds_after=SECONDS_AFTER,
                                   linear_up_to_hz=LINEAR_UP_TO_HZ,
                                   bands_per_octave=BANDS_PER_OCTAVE))
        log_power = np.log10(np.maximum(self.power, 1e-30)).astype(np.float16)
        with atomic_path(path, force=force) as tmp, open(tmp, "wb") as handle:
            np.savez_compressed(handle, log10_power=log_power, band_hz=BAND_HZ.astype(np.float32),
                                frame_s=FRAME_S.astype(np.float32),
                                meta=np.array(json.dumps(meta)))
        return path


def load_drum_templates(path: str | os.PathLike | None = None) -> DrumTemplates:
    """Read a template set; nmfsep's own (``nmfsep/data/drum_templates.npz``) by default.

    Raises
    ------
    ParameterError
        If the file is missing, unreadable or not a drum template set (the
        message names the file).
    """
    if path is None:
        source = files("nmfsep") / "data" / DEFAULT_TEMPLATES
        with source.open("rb") as handle:
            return _read(handle, "nmfsep's drum templates")
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"drum templates must be a DrumTemplates, a file or None, got "
                             f"{path!r}")
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: no such drum template file")
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise ParameterError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with handle:
        return _read(handle, str(path))


def templates_name(path: str | os.PathLike | None) -> str:
    """How messages name the templates of ``path`` (nmfsep's own for None)."""
    return "nmfsep's drum templates" if path is None else str(path)


def _read(handle, name: str) -> DrumTemplates:
    try:
        with np.load(handle, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            log_power = data["log10_power"].astype(np.float64)
            band_hz, frame_s = data["band_hz"], data["frame_s"]
    except OSError as exc:
        raise ParameterError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    except (KeyError, json.JSONDecodeError) as exc:  # an archive, but not of templates
        raise ParameterError(f"{name}: not a drum template file ({exc})") from None
    except (ValueError, EOFError, zipfile.BadZipFile):
        raise ParameterError(f"{name}: not a drum template file (not a .npz file; make one "
                             "with 'nmfsep learn-drums')") from None
    if not isinstance(meta, dict):
        raise ParameterError(f"{name}: not a drum template file (its description is a "
                             f"{type(meta).__name__}, not a mapping)")
    if meta.get("format_version") != FORMAT_VERSION or band_hz.size != BAND_HZ.size \
            or frame_s.size != FRAME_S.size:
        raise ParameterError(f"{name}: drum templates of another format or resolution")
    entries, samples = meta.get("entries"), meta.get("samples", [])
    if not isinstance(entries, list):
        raise ParameterError(f"{name}: not a drum template file (no list of 'entries')")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ParameterError(f"{name}: drum template entry {index} is not a mapping")
        for key in ("piece", "sound", "kit"):
            if not isinstance(entry.get(key), str):
                raise ParameterError(f"{name}: drum template entry {index} has no {key!r}")
        if entry["piece"] not in TEMPLATE_PIECES:
            raise ParameterError(f"{name}: drum template entry {index} is of an unknown piece "
                                 f"{entry['piece']!r}")
    if not isinstance(samples, list):
        raise ParameterError(f"{name}: not a drum template file ('samples' is not a list)")
    power = 10.0**log_power
    power[log_power <= -29] = 0.0
    try:
        return DrumTemplates(power, entries, samples)
    except ParameterError as exc:
        raise ParameterError(f"{name}: {exc}") from None


# --------------------------------------------------------------------------- mapping


def _frequency_map(sr: int, n_fft: int) -> np.ndarray:
    """Matrix (n_bins, n_bands): each target bin's mean of the interpolated band density."""
    n_bins = n_fft // 2 + 1
    width = sr / n_fft
    step = min(5.0, width / 4)
    grid = np.arange(0.0, sr / 2 + width, step)
    # interpolation weights of the fine grid on the bands (piecewise linear, clamped)
    position = np.interp(grid, BAND_HZ, np.arange(BAND_HZ.size))
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, BAND_HZ.size - 1)
    frac = position - low
    fine = np.zeros((grid.size, BAND_HZ.size))
    fine[np.arange(grid.size), low] += 1 - frac
    fine[np.arange(grid.size), high] += frac
    centres = np.arange(n_bins) * width
    first = np.searchsorted(grid, centres - width / 2)
    last = np.maximum(np.searchsorted(grid, centres + width / 2), first + 1)
    cumulative = np.vstack([np.zeros(BAND_HZ.size), np.cumsum(fine, axis=0)])
    last = np.minimum(last, grid.size)
    first = np.minimum(first, last - 1)
    return (cumulative[last] - cumulative[first]) / (last - first)[:, None]


def _time_map(sr: int, n_fft: int, hop: int, template_frames: int,
              onset_offset: float) -> np.ndarray:
    """Matrix (T, n_ref_frames): each target frame as a weighting of the reference frames.

    A target frame is centred ``(t - onset_offset) * hop / sr`` after the onset.
    The reference frames already carry a 46 ms window; a longer target window
    adds the smoothing of a Hann² kernel whose width makes up the difference
    (widths add in quadrature); a shorter one interpolates.
    """
    centres = (np.arange(template_frames) - onset_offset) * hop / sr
    spacing = REFERENCE_HOP / REFERENCE_SR
    extra = np.sqrt(max((n_fft / sr) ** 2 - (REFERENCE_N_FFT / REFERENCE_SR) ** 2, 0.0))
    out = np.zeros((template_frames, FRAME_S.size))
    for t, centre in enumerate(centres):
        if extra > 2 * spacing:
            x = (FRAME_S - centre) / extra
            weights = np.where(np.abs(x) < 0.5, np.cos(np.pi * x) ** 4, 0.0)
            if weights.sum() > 0:
                out[t] = weights / weights.sum()
                continue
        position = np.clip((centre - FRAME_S[0]) / spacing, 0, FRAME_S.size - 1)
        low = int(np.floor(position))
        high = min(low + 1, FRAME_S.size - 1)
        out[t, low] += 1 - (position - low)
        out[t, high] += position - low
    return out


# --------------------------------------------------------------------------- building


def templates_from_samples(samples: list[dict]) -> DrumTemplates:
    """Average the one-shots of each (piece, sound, kit) into one entry.

    Parameters
    ----------
    samples : list of dict
        Each with ``piece`` (one of :data:`TEMPLATE_PIECES`), ``sound``, ``kit`` and
        ``path`` (an audio file), and any provenance to record (``licence`` …).

    Returns
    -------
    DrumTemplates
    """
    groups: dict[tuple[str, str, str], list[np.ndarray]] = {}
    records = []
    for sample in samples:
        if sample["piece"] not in TEMPLATE_PIECES:
            raise ParameterError(f"{sample['path']}: unknown drum piece {sample['piece']!r}")
        y, sr = load(sample["path"])
        try:
            spectrogram = one_shot_spectrogram(y, sr)
        except ParameterError:
            raise AudioError(f"{sample['path']}: the one-shot sample is silent") from None
        key = (sample["piece"], sample["sound"], sample["kit"])
        groups.setdefault(key, []).append(spectrogram)
        records.append({k: (str(v) if isinstance(v, Path) else v) for k, v in sample.items()
                        if k != "path"} | {"file": str(sample.get("file", sample["path"]))})
    if not groups:
        raise ParameterError("no one-shot samples to make drum templates from")
    order = sorted(groups, key=lambda k: (TEMPLATE_PIECES.index(k[0]), k[1], k[2]))
    power = np.stack([np.mean(groups[k], axis=0) for k in order])
    entries = [dict(piece=p, sound=s, kit=kit, n_samples=len(groups[(p, s, kit)]))
               for p, s, kit in order]
    return DrumTemplates(power, entries, records)


# --------------------------------------------------------------------------- hydrogen kits


@dataclass
class KitLayer:
    """One velocity layer of a hydrogen instrument: its file, velocity range (0-1) and gain."""

    path: Path
    low: float = 0.0
    high: float = 1.0
    gain: float = 1.0


@dataclass
class KitInstrument:
    """A hydrogen instrument: its name, volume and velocity layers."""

    name: str
    volume: float
    layers: list[KitLayer] = field(default_factory=list)


@dataclass
class HydrogenKit:
    """A hydrogen drum kit as its ``drumkit.xml`` describes it."""

    name: str
    folder: Path
    author: str
    licence: str
    instruments: dict[str, KitInstrument]


def _strip(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element, name: str):
    for child in element:
        if _strip(child.tag) == name:
            return child
    return None


def _text(element, name: str, default: str = "") -> str:
    child = _child(element, name)
    return child.text.strip() if child is not None and child.text else default


def _float(element, name: str, default: float) -> float:
    try:
        return float(_text(element, name, str(default)))
    except ValueError:
        return default


def read_hydrogen_kit(folder: str | os.PathLike) -> HydrogenKit:
    """Parse ``folder/drumkit.xml``, a hydrogen drum kit (old and namespaced formats).

    Layers are taken from every ``layer`` element below an instrument, or from
    its single ``filename``; layers whose file is missing (or hydrogen's
    ``emptySample.flac``) are left out, and so are instruments without a file.

    Parameters
    ----------
    folder : str or PathLike
        The kit's folder, holding ``drumkit.xml`` and the samples it names.

    Returns
    -------
    HydrogenKit
        Named after the folder; its instruments by name, layers by velocity.

    Raises
    ------
    ParameterError
        If ``drumkit.xml`` cannot be read or is not XML.
    """
    import xml.etree.ElementTree as ET  # imported here: only kits need it

    folder = Path(folder)
    try:
        tree = ET.parse(folder / "drumkit.xml").getroot()
    except OSError as exc:
        raise ParameterError(f"{folder / 'drumkit.xml'}: cannot be read "
                             f"({exc.strerror or exc})") from None
    except ET.ParseError as exc:
        raise ParameterError(f"{folder / 'drumkit.xml'}: not a hydrogen drum kit "
                             f"description ({exc})") from None
    licence = _text(tree, "license") or _text(tree, "licence")
    instruments = {}
    listing = _child(tree, "instrumentList")
    for element in (listing if listing is not None else []):
        if _strip(element.tag) != "instrument":
            continue
        gain = _float(element, "volume", 1.0) * _float(element, "gain", 1.0)
        layers = []
        for node in element.iter():
            if _strip(node.tag) == "layer" and _text(node, "filename"):
                layers.append(KitLayer(folder / _text(node, "filename"),
                                       _float(node, "min", 0.0), _float(node, "max", 1.0),
                                       _float(node, "gain", 1.0)))
        if not layers and _text(element, "filename"):
            layers.append(KitLayer(folder / _text(element, "filename")))
        layers = [layer for layer in layers if layer.path.is_file()
                  and layer.path.name != "emptySample.flac"]
        if layers:
            instrument = KitInstrument(_text(element, "name"), gain,
                                       sorted(layers, key=lambda x: x.low))
            instruments[instrument.name] = instrument
    return HydrogenKit(folder.name, folder, _text(tree, "author"), licence, instruments)


# --------------------------------------------------------------------------- user's one-shots


def _piece_of_name(name: str) -> str | None:
    """The piece a file, folder or instrument name stands for: its first word that names one."""
    words = re.split(r"[^a-z]+", name.lower().replace("hi-hat", "hihat").replace(
        "bass drum", "bassdrum").replace("bass-drum", "bassdrum").replace("bass_drum",
                                                                          "bassdrum"))
    for word in (w for w in words if w):
        for piece, aliases in ALIASES.items():
            if word in aliases or any(word.startswith(a) for a in aliases if len(a) > 3):
                return piece
    return None


@dataclass
class OneShots:
    """The samples of a one-shot folder, by piece, and those left out.

    Attributes
    ----------
    samples : list of dict
        For :func:`templates_from_samples`: ``piece``, ``sound``, ``kit``,
        ``path``, ``file`` (relative to the folder) and provenance.
    skipped : list of (str, str)
        Each audio file not used (relative to the folder) and why.
    kit_file : Path or None
        The ``drumkit.xml`` the pieces were taken from, if any.
    """

    samples: list[dict]
    skipped: list[tuple[str, str]]
    kit_file: Path | None = None

    def counts(self) -> dict[str, int]:
        """Samples used per piece, in :data:`TEMPLATE_PIECES` order."""
        pieces = [sample["piece"] for sample in self.samples]
        return {p: pieces.count(p) for p in TEMPLATE_PIECES if p in pieces}


def find_one_shots(one_shots_dir: str | os.PathLike, *, kit: str | None = None) -> OneShots:
    """The one-shot samples of a folder and the piece of each.

    A hydrogen kit (a folder with ``drumkit.xml``, :func:`read_hydrogen_kit`):
    every layer of each instrument whose name names a piece ("Kick", "Snare
    Rock", "Closed HH", "Pearl Tom Floor" …); the instrument's name is recorded.
    Any other folder: a subfolder per piece (``kick/``, ``snare/``, ``hihat/``,
    ``toms/``, ``crash/``, ``ride/``; ``cymbals/`` counts as crash), or files
    whose names name the piece (``kick_01.wav``, ``snare-rim.flac``, ``hh
    closed.wav`` …); common abbreviations (bd, sd, hh) are understood.

    Parameters
    ----------
    one_shots_dir : str or PathLike
    kit : str, optional
        The name recorded for the kit; the folder's name by default.

    Returns
    -------
    OneShots

    Raises
    ------
    ParameterError
        If the folder does not exist, is a file, or holds no sample of a piece.
    """
    folder = Path(one_shots_dir)
    if folder.is_file():
        raise ParameterError(f"{folder}: is a file, not a folder of one-shot samples (give "
                             "the kit's folder)")
    if not folder.is_dir():
        raise ParameterError(f"{folder}: no such folder of one-shot samples")
    kit = kit or folder.resolve().name
    audio = [path for path in sorted(folder.rglob("*"))
             if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES]
    if (folder / "drumkit.xml").is_file():
        found = _hydrogen_one_shots(folder, kit, audio)
    else:
        found = _named_one_shots(folder, kit, audio)
    if not found.samples:
        how = (f"no instrument of {found.kit_file} is named by a drum piece"
               if found.kit_file else "no one-shot samples named by a drum piece (make "
               f"subfolders {', '.join(p + '/' for p in TEMPLATE_PIECES)} or name the files so)")
        raise ParameterError(f"{folder}: {how}; {len(found.skipped)} audio file(s) skipped")
    return found


def _named_one_shots(folder: Path, kit: str, audio: list[Path]) -> OneShots:
    """Pieces from the names of the subfolders and files."""
    samples, skipped = [], []
    for path in audio:
        relative = path.relative_to(folder)
        piece = None
        for part in relative.parts:
            piece = _piece_of_name(Path(part).stem if part == relative.parts[-1] else part)
            if piece:
                break
        if piece is None:
            skipped.append((str(relative), "its name names no drum piece"))
            continue
        samples.append(dict(piece=piece, sound=piece, kit=kit, path=path,
                            file=str(relative), licence="the user's own"))
    return OneShots(samples, skipped)


def _hydrogen_one_shots(folder: Path, kit: str, audio: list[Path]) -> OneShots:
    """Pieces from the instrument names of the folder's ``drumkit.xml``."""
    described = read_hydrogen_kit(folder)
    root = folder.resolve()
    samples, reasons = [], {}
    for name, instrument in described.instruments.items():
        piece = _piece_of_name(name)
        for layer in instrument.layers:
            resolved = layer.path.resolve()
            if root not in resolved.parents:
                continue  # drumkit.xml names a file outside the kit: not read
            relative = str(resolved.relative_to(root))
            if piece is None:
                reasons.setdefault(relative, f"instrument {name!r} names no drum piece")
                continue
            samples.append(dict(piece=piece, sound=piece, kit=kit, path=layer.path,
                                file=relative, instrument=name, author=described.author,
                                licence=described.licence or "(none given in drumkit.xml)"))
    used = {sample["file"] for sample in samples}
    skipped = []
    for path in audio:
        relative = str(path.resolve().relative_to(root)) if root in path.resolve().parents \
            else str(path.relative_to(folder))
        if relative not in used:
            skipped.append((relative, reasons.get(relative, "no instrument of drumkit.xml "
                                                           "plays it")))
    return OneShots(samples, skipped, folder / "drumkit.xml")


def learn_drum_templates(one_shots_dir: str | os.PathLike, *,
                         kit: str | None = None) -> DrumTemplates:
    """Make a template set from a folder of one-shot samples (:func:`find_one_shots`).

    A hydrogen kit's folder (with ``drumkit.xml``) takes each sample's piece
    from its instrument's name; any other folder from the names of its
    subfolders and files.

    Parameters
    ----------
    one_shots_dir : str or PathLike
    kit : str, optional
        The name recorded for the kit; the folder's name by default.

    Returns
    -------
    DrumTemplates
        Save it with :meth:`DrumTemplates.save`.

    Raises
    ------
    ParameterError
        If the folder does not exist, is a file, or holds no sample of a piece.
    AudioError
        If a sample cannot be read or is silent.
    """
    return templates_from_samples(find_one_shots(one_shots_dir, kit=kit).samples)
