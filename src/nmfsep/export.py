"""Separations written to folders: a track's sources and record, every component to listen to.

>>> from nmfsep.export import separate_track
>>> record = separate_track("song.wav", "out/song", names=["drums", "guitar"])  # doctest: +SKIP
>>> record["sources"][0]["file"]                                               # doctest: +SKIP
'drums.wav'
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from string import Template
from typing import Any

from .audio import atomic_path, check_outputs, load, save
from .config import SeparationConfig, make_config
from .errors import NmfsepError, ParameterError
from .grouping import example_groups
from .nmf import ProgressCallback
from .pipeline import Log, Separation
from .plot import plot_component, plot_overview, require_matplotlib
from .record import separation_record, stream_record, write_record
from .recording import FileRecording
from .separate import separate_file
from .store import load_factorization, restore, save_factorization
from .stream import stream_file
from .tracks import recorded_files, remove_stale, whole_or_absent

__all__ = ["track_files", "check_names", "write_extras", "separate_track",
           "export_components", "components_page", "remove_other_components"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def track_files(track: str | os.PathLike, names: Sequence[str], fmt: str = "wav") -> list[Path]:
    """The files of a separated track: one per source, then ``separation.json``."""
    track = Path(track)
    return [track / f"{name}.{fmt}" for name in names] + [track / "separation.json"]


def write_extras(separation: Separation, track: str | os.PathLike, *, names: Sequence[str],
                 fmt: str = "wav", components_audio: bool = False, plot: bool = False,
                 force: bool = False) -> None:
    """Every component's audio (``components/component_NN``) and a figure, when asked."""
    track = Path(track)
    if components_audio:
        written = [track / "components" / f"component_{k:02d}.{fmt}"
                   for k in range(separation.n_components)]
        for k, target in enumerate(written):
            save(target, separation.component(k), separation.sr, force=force)
        if force:
            remove_other_components(track / "components", written)
    if plot:
        plot_overview(separation, track / "separation.png", names=list(names), force=force)


def check_names(names: Sequence[str], n_sources: int) -> list[str]:
    """``names`` if they can name ``n_sources`` sources' files; else ParameterError."""
    names = [str(name).strip() for name in names]
    if len(names) != n_sources:
        raise ParameterError(f"--names gives {len(names)} names for {n_sources} sources")
    for name in names:
        if (not name or name in {".", ".."} or "/" in name or "\\" in name
                or name.startswith(".") or "\x00" in name):
            raise ParameterError(f"--names: {name!r} is not a valid file name")
    if len(set(names)) != len(names):
        raise ParameterError("--names: every source needs its own name")
    return names


def separate_track(path: str | os.PathLike, track: str | os.PathLike, *,
                   config: SeparationConfig | None = None, names: Sequence[str] | None = None,
                   fmt: str = "wav", force: bool = False, components_audio: bool = False,
                   plot: bool = False, from_dir: str | os.PathLike | None = None,
                   groups: Sequence[Sequence[int]] | None = None, stream: bool = False,
                   callback: ProgressCallback | None = None, log: Log | None = None,
                   record_extra: dict[str, Any] | None = None,
                   **options: Any) -> dict[str, Any]:
    """Separate one file into the folder ``track``: its sources, ``separation.json``, extras.

    The sources are written atomically; the record goes last, so a track whose
    ``separation.json`` exists is complete.  On any failure, an interruption
    included, what this call wrote under ``track`` is removed again
    (:func:`nmfsep.tracks.whole_or_absent`: files that were there before and were
    not rewritten are left; an earlier run's files it rewrote go, with that run's
    record), so that no incomplete track remains and the same command can simply
    be run again.  With ``force``, the source files an
    earlier ``separation.json`` of the track lists and this separation does not
    write are removed once it is complete (fewer sources than before).

    Parameters
    ----------
    path : path
        The recording.
    track : path
        The folder of its outputs.
    config : SeparationConfig, optional
        With ``options`` replacing some of its fields.
    names : sequence of str, optional
        The sources' names (their files' stems); ``source1``, … by default,
        or the dictionaries'.
    fmt : {"wav", "flac"}
    force : bool
        Overwrite existing outputs.
    components_audio, plot : bool
        Also write every component's audio, and a figure (``nmfsep[plot]``).
    from_dir : path, optional
        Regroup the factorization ``nmfsep components`` saved there
        (:func:`nmfsep.store.restore`) instead of factorizing: by ``groups``
        when given, else by ``config.grouping``.
    groups : sequence of sequences of int, optional
        With ``from_dir``: the component indices of each source.
    stream : bool
        Separate with the dictionaries of ``config`` as a live stream
        (:func:`nmfsep.stream.stream_file`).
    callback : callable(iteration, loss), optional
        Progress of the factorization.
    log : callable(message), optional
        What the separation decides on the way (memory, ...).
    record_extra : dict, optional
        More entries for the record (the dictionaries' files, ...).
    **options
        Fields of :class:`~nmfsep.config.SeparationConfig`, replacing ``config``'s.

    Returns
    -------
    dict
        The record (:mod:`nmfsep.record`), as written to ``separation.json``.

    Raises
    ------
    ParameterError
        For names that are not file names or not each their own, or ``groups``
        without ``from_dir``; and as :func:`nmfsep.separate.separate_file`.
    """
    config = make_config(config, **options)
    path, track = Path(path), Path(track)
    if groups is not None and from_dir is None:
        raise ParameterError("groups regroup a saved factorization (from_dir); to group by "
                             "hand in one go, give the config's groups")
    if names is None:
        names = _default_names(path, config)
    names = check_names(list(names), len(names))  # file names, each its own
    files = track_files(track, names, fmt)
    check_outputs(files, [path], force)
    started = time.perf_counter()
    earlier = recorded_files(files[-1]) if force else set()
    with whole_or_absent(track, records=[files[-1]]):
        if stream:
            record = _stream_track(path, files, config, names, force, callback)
        else:
            if from_dir is not None:
                separation = _regrouped(path, from_dir, groups, config, len(names))
                for target, source in zip(files[:-1], separation.sources, strict=True):
                    save(target, source, separation.sr, force=force)
            else:
                separation = separate_file(path, files[:-1], config=config, force=force,
                                           callback=callback, log=log)
            write_extras(separation, track, names=names, fmt=fmt,
                         components_audio=components_audio, plot=plot, force=force)
            record = separation_record(
                separation, names=names, files=files[:-1], input=path,
                seconds=time.perf_counter() - started,
                dictionaries=None if not config.supervised else
                [item.name for item in config.dictionaries],
                **{"from": None if from_dir is None else str(from_dir)})
        record.update(record_extra or {})
        write_record(files[-1], record, force=force)
    remove_stale(earlier, files, keep=[path])  # an earlier record's sources not written now
    return record


_COMPONENT_FILE = re.compile(r"component_\d{2,}\.[A-Za-z0-9]+")


def remove_other_components(folder: Path, kept: Sequence[Path]) -> list[Path]:
    """Remove the ``component_NN.*`` files of ``folder`` that are not in ``kept``.

    An earlier run with more components, or with figures where this one has none,
    left them; beside this run's files they would be taken for its own.  Only
    files named as nmfsep names components are touched.

    Returns
    -------
    list of Path
        The files removed.
    """
    kept_set = {Path(path) for path in kept}
    removed = []
    for path in sorted(folder.glob("component_*")) if folder.is_dir() else []:
        if (path not in kept_set and path.is_file() and not path.is_symlink()
                and _COMPONENT_FILE.fullmatch(path.name)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _regrouped(path: Path, from_dir: str | os.PathLike, groups: Sequence[Sequence[int]] | None,
               config: SeparationConfig, n_sources: int) -> Separation:
    """The saved factorization of ``path``, regrouped by ``groups`` or, into ``n_sources``
    sources, by ``config.grouping``."""
    y, sr = load(path)
    saved = restore(y, sr, load_factorization(from_dir))
    if groups is not None:
        return saved.regroup(groups=groups)
    return saved.regroup(grouping=config.grouping, n_sources=n_sources,
                         percussive_prior=config.percussive_prior)


def _stream_track(path: Path, files: list[Path], config: SeparationConfig,
                  names: Sequence[str], force: bool,
                  progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    """``separate_track`` as a live stream: block by block from the file to the outputs."""
    started = time.perf_counter()
    info = stream_file(path, files[:-1], config=config, force=force, callback=progress)
    stft = info["stft"]
    parameters = dict(beta=config.divergence(streamed=True),
                      max_iter=config.iterations(streamed=True),
                      mask_power=config.mask_power, n_fft=stft.n_fft, hop=stft.hop,
                      window=stft.window, tol=info["tol"],
                      relaxation=info["relaxation"], percussive_prior=info["percussive_prior"])
    return stream_record(input=path, sr=info["sr"], channels=info["channels"],
                         n_samples=info["n_samples"], seconds=time.perf_counter() - started,
                         names=names, files=files[:-1], parameters=parameters,
                         dictionaries=[item.name for item in config.dictionaries],
                         mask_experts=info["mask_experts"],
                         activations=_activations_summary(info["activations"]))


def _activations_summary(counts: dict[str, int]) -> dict[str, float]:
    """The stream's batches and the mean iterations of a frame, for its record."""
    frames = counts["frames"]
    return {"batches": counts["batches"],
            "mean_iterations": round(counts["frame_iterations"] / frames, 1) if frames else 0.0}


def _default_names(path: Path, config: SeparationConfig) -> list[str]:
    """The dictionaries' names, else ``source1``, ``source2``, …"""
    recording = FileRecording(path)
    plan = config.resolve(sr=recording.sr, n_samples=recording.n_samples)
    return plan.names or [f"source{i + 1}" for i in range(plan.n_sources)]


def components_page(separation: Separation, source: str | os.PathLike, folder_name: str,
                    features: dict, plots: bool) -> str:
    """The ``index.html`` that shows and plays every component (``templates/components.html``)."""
    sections = []
    for k in range(separation.n_components):
        facts = ", ".join(f"{name} {float(values[k]):.3g}" for name, values in features.items())
        figure = (f'<img src="component_{k:02d}.png" alt="component {k}" loading="lazy">'
                  if plots else "")
        sections.append(
            f'<section id="c{k}"><h2>component {k}</h2>{figure}'
            f'<audio controls preload="none" src="component_{k:02d}.wav"></audio>'
            f"<p>{html.escape(facts)}</p></section>")
    template = Template((_TEMPLATES / "components.html").read_text())
    return template.substitute(
        title=html.escape(f"Components of {Path(source).name}"),
        usage=html.escape(f'nmfsep separate {source} --from {folder_name} --groups "'
                          + (example_groups(separation.n_components)
                             if separation.n_components >= 2 else "0;1") + '"'),
        sections="\n".join(sections))


def export_components(separation: Separation, folder: str | os.PathLike, *,
                      source: str | os.PathLike, plots: bool = True, force: bool = False,
                      progress: Any = None) -> Path:
    """Every component's audio and figure, the factorization and an ``index.html``.

    Parameters
    ----------
    separation : Separation
        Of one source (every component its own), as ``nmfsep components`` makes it.
    folder : path
    source : path
        The recording, for the page's title and the command it suggests.
    plots : bool
        Draw a figure per component (``nmfsep[plot]``); skipped with a message
        on the page's absence of figures if matplotlib is missing.
    force : bool
    progress : callable(done, total), optional

    Returns
    -------
    Path
        The ``index.html``.
    """
    folder = Path(folder)
    if plots:
        try:
            require_matplotlib()
        except NmfsepError:
            plots = False
    features = separation.features()
    written: list[Path] = []
    with whole_or_absent(folder, records=[folder / "index.html",
                                          folder / "factorization.npz"]):
        for k in range(separation.n_components):
            written.append(folder / f"component_{k:02d}.wav")
            save(written[-1], separation.component(k), separation.sr, force=force)
            if plots:
                written.append(folder / f"component_{k:02d}.png")
                plot_component(separation, k, written[-1], force=force)
            if progress is not None:
                progress(k + 1, separation.n_components)
        save_factorization(separation, folder / "factorization.npz", force=force)
        page = components_page(separation, source, folder.name, features, plots)
        with atomic_path(folder / "index.html", force=force) as tmp:
            tmp.write_text(page)
    if force:
        remove_other_components(folder, written)
    return folder / "index.html"
