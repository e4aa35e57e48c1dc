"""Benchmark items built from real recordings with their true stems (``../shared/real-tuning``).

The folder (its ``README.md`` says what the recordings are and under which licences) stays
outside the repository: items are built from it at run time and nothing of it is copied.
It holds one sub-folder per recording with one mono FLAC per stem and a ``manifest.json``
listing the recordings (``id``, ``stems``).  Its location is, in order: the ``folder``
argument (the benchmark's ``--real-dir``), the environment variable
:data:`ENV_VAR`, then ``<repository root>/../shared/real-tuning``.

Each category makes one mixture per recording from some of its stems (:data:`CATEGORIES`).
The mixture is the float32 sum of the item's sources, re-summed from the stems (not the
folder's ``mix.flac``), so the sources add up to it exactly.  A stem that is silent in the
excerpt (its energy more than :data:`SILENCE_DB` below the sum of the recording's stems)
is left out of the item, and the item records it in ``info["left_out"]``; an item left with
fewer than two sources is not built.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .generate import Item
from .halves import select

ENV_VAR = "NMFSEP_REAL_TUNING"
ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_NAME = "../shared/real-tuning"
DEFAULT_FOLDER = ROOT / DEFAULT_NAME
#: A stem whose energy is this far below the sum of all the recording's stems is silent.
SILENCE_DB = -60.0
PREFIX = "real:"


@dataclass(frozen=True)
class RealCategory:
    """Which recordings make the category's items and how their stems become its sources.

    ``sources`` maps each source name to the stems summed into it; ``"*"`` stands for every
    stem of the recording not named by another source.  ``recordings`` is the prefix of the
    recordings' ids and ``requires`` the stems a recording must have to be used.
    """

    name: str
    recordings: str
    sources: tuple[tuple[str, tuple[str, ...]], ...]
    requires: tuple[str, ...]
    description: str


CATEGORIES: dict[str, RealCategory] = {c.name: c for c in (
    RealCategory(f"{PREFIX}drums+rest", "md_",
                 (("drums", ("drums",)), ("rest", ("*",))), ("drums",),
                 "a band (MedleyDB): the drums vs everything else"),
    RealCategory(f"{PREFIX}drums+bass+other+vocals", "md_",
                 (("drums", ("drums",)), ("bass", ("bass",)), ("other", ("other",)),
                  ("vocals", ("vocals",))), ("drums", "bass", "other", "vocals"),
                 "a band with a singer (MedleyDB): four stems"),
    RealCategory(f"{PREFIX}vocals+accompaniment", "md_",
                 (("vocals", ("vocals",)), ("accompaniment", ("*",))), ("vocals",),
                 "a band with a singer (MedleyDB): the voice vs the accompaniment"),
    RealCategory(f"{PREFIX}kick+snare+hihat", "gmd",
                 (("kick", ("kick",)), ("snare", ("snare",)), ("hihat", ("hihat",))),
                 ("kick", "snare", "hihat"),
                 "a drummer's performance (StemGMD, sampled acoustic kits): its pieces"),
)}


class RealFolderMissing(FileNotFoundError):
    """The folder of real recordings is not there; ``str()`` is the one-line message."""


def locate(folder: str | os.PathLike | None = None) -> Path:
    """The folder of real recordings: ``folder``, else ``$NMFSEP_REAL_TUNING``, else the default.

    Raises
    ------
    RealFolderMissing
        When the folder or its ``manifest.json`` does not exist.
    """
    if folder is not None:
        path, how = Path(folder), "--real-dir"
    elif os.environ.get(ENV_VAR):
        path, how = Path(os.environ[ENV_VAR]), f"${ENV_VAR}"
    else:
        path, how = DEFAULT_FOLDER, "the default location"
    if not (path / "manifest.json").is_file():
        raise RealFolderMissing(
            f"real recordings not found: no {path}/manifest.json ({how}; set ${ENV_VAR} "
            "to their folder); the real categories are skipped")
    return path


def recordings(folder: Path) -> list[dict]:
    """The manifest's recordings (``id``, ``stems``, ...), in its order."""
    return json.loads((folder / "manifest.json").read_text())["recordings"]


def _read(path: Path, frames: int) -> tuple[np.ndarray, int]:
    audio, sr = sf.read(str(path), frames=frames, dtype="float32", always_2d=True)
    return audio.T, sr  # (channels, samples)


def _energy_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(x.astype(np.float64) ** 2) + 1e-30))


def build(category: str, recording: dict, folder: Path,
          seconds: float | None = None) -> Item | None:
    """The item of ``category`` made from one recording's stems.

    Parameters
    ----------
    category : str
        A key of :data:`CATEGORIES`.
    recording : dict
        An entry of the manifest (``id``, ``stems``).
    folder : Path
        The folder of real recordings.
    seconds : float, optional
        Only the first ``seconds`` of the excerpt; all of it by default.

    Returns
    -------
    Item or None
        ``mixture`` of shape (channels, samples), ``sources`` of shape
        (n_sources, channels, samples) summing to it exactly; None when fewer than two
        sources are left once the silent stems are left out.
    """
    spec = CATEGORIES[category]
    paths = {stem: folder / recording["id"] / f"{stem}.flac" for stem in recording["stems"]}
    sr = sf.info(str(next(iter(paths.values())))).samplerate
    frames = -1 if seconds is None else int(round(seconds * sr))
    stems: dict[str, np.ndarray] = {}
    for stem, path in paths.items():
        stems[stem], stem_sr = _read(path, frames)
        if stem_sr != sr or stems[stem].shape != next(iter(stems.values())).shape:
            raise ValueError(f"{path}: {stem_sr} Hz, {stems[stem].shape[-1]} samples; the "
                             "recording's stems differ in rate or length")
    total_db = _energy_db(sum(stems.values()))
    levels = {stem: round(_energy_db(x) - total_db, 1) for stem, x in stems.items()}
    silent = [stem for stem, level in levels.items() if level < SILENCE_DB]
    named = {stem for _, chosen in spec.sources for stem in chosen if stem != "*"}
    names, sources, used = [], [], {}
    for name, chosen in spec.sources:
        members = [s for s in recording["stems"] if s not in named] if chosen == ("*",) else \
            [s for s in chosen if s in stems]
        members = [s for s in members if s not in silent]
        if not members:
            continue
        names.append(name)
        sources.append(np.sum([stems[s] for s in members], axis=0, dtype=np.float32))
        used[name] = members
    if len(sources) < 2:
        return None
    sources_array = np.stack(sources).astype(np.float32)
    info = dict(recording=recording["id"], stems=used, levels_db=levels,
                left_out={s: levels[s] for s in silent}, silence_db=SILENCE_DB,
                seconds=round(sources_array.shape[-1] / sr, 2))
    return Item(name=f"{category}-{recording['id']}", category=category, sr=int(sr),
                mixture=sources_array.sum(axis=0), sources=sources_array, names=names,
                info=info)


def build_category(category: str, folder: Path, n_items: int | None = None,
                   seconds: float | None = None) -> list[Item]:
    """Every item of ``category`` (the first ``n_items`` recordings that qualify)."""
    spec = CATEGORIES[category]
    items = []
    for recording in recordings(folder):
        if not recording["id"].startswith(spec.recordings):
            continue
        if not set(spec.requires) <= set(recording["stems"]):
            continue
        item = build(category, recording, folder, seconds)
        if item is not None:
            items.append(item)
        if n_items is not None and len(items) == n_items:
            break
    return items


def build_all(folder: Path, categories: list[str] | None = None, n_items: int | None = None,
              seconds: float | None = None) -> list[Item]:
    """The items of ``categories`` (every real category by default), category by category."""
    return [item for c in (categories or list(CATEGORIES))
            for item in build_category(c, folder, n_items, seconds)]


def items_or_say(categories: list[str], folder: str | os.PathLike | None = None) -> list[Item]:
    """The items of ``categories``, or none and one line on stderr when the folder is missing.

    For the studies beside the benchmark: the real recordings reject, and a machine
    without them runs the rest.
    """
    try:
        return build_all(locate(folder), categories)
    except RealFolderMissing as exc:
        print(exc, file=sys.stderr)
        return []


def sorted_items(category: str) -> list[Item]:
    """The items of a real category from the located folder, sorted by name (their
    positions make the halves, :func:`benchmarks.quality.halves.real_halves`)."""
    return sorted(build_category(category, locate()), key=lambda item: item.name)


def jobs(categories: list[str], half: str) -> list[tuple[str, int]]:
    """``(category, position)`` of the real items of ``half`` (tuning, reporting or all);
    none, said in one line on stderr, without the folder."""
    try:
        locate()
    except RealFolderMissing as exc:
        print(exc, file=sys.stderr)
        return []
    return [(c, i) for c in categories for i in select(range(len(sorted_items(c))), half)]
