"""Separate a recording into its sources: the library's entry points.

:func:`separate` takes a signal in memory, :func:`separate_file` a file of
any length and writes one file per source; both run the one pipeline
(:mod:`nmfsep.pipeline`) with one configuration (:class:`~nmfsep.config.SeparationConfig`),
given as keywords or as a value, and give the same sources for the same
parameters.  The memory decides whether the whole STFT is held or the
recording is read block by block (``max_memory`` forces the choice).

>>> import nmfsep
>>> example = nmfsep.synth.drums_and_guitar(duration=4.0)
>>> sep = nmfsep.separate(example.mixture, example.sr, n_sources=2)
>>> sep.sources.shape
(2, 1, 88200)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .audio import check_source_paths, check_write_format, open_outputs
from .config import SeparationConfig, make_config
from .errors import ParameterError
from .nmf import ProgressCallback
from .pipeline import Log, Separation, separate_recording
from .recording import ArrayRecording, FileRecording

__all__ = ["separate", "separate_file", "Separator", "Separation"]


def separate(y: np.ndarray, sr: int, *, config: SeparationConfig | None = None,
             callback: ProgressCallback | None = None, **options: Any) -> Separation:
    """Separate a recording into its sources by NMF.

    Parameters
    ----------
    y : np.ndarray, shape=(samples,) or (channels, samples)
    sr : int
    config : SeparationConfig, optional
        Every parameter at once; ``options`` replace some of them.
    callback : callable(iteration, loss), optional
        Progress of the factorization; with several runs, run ``r`` (from 0)
        reports its iterations plus ``r * max_iter``.
    **options
        The fields of :class:`~nmfsep.config.SeparationConfig`:
        ``n_sources`` (2), ``n_components``, ``beta``, ``grouping`` (``"auto"``),
        ``groups``, ``names`` (one per source: they set ``n_sources``, and ``auto``
        reads them, :mod:`nmfsep.policy`), ``dictionaries``, ``n_free_components``,
        ``n_fft``, ``hop``, ``window``, ``spectrogram_power``, ``mask_power``, ``percussive_prior``,
        ``n_runs``, ``init``, ``max_iter``, ``tol``, ``l1_H``, ``continuity``,
        ``random_state``, ``solver``, ``backend``, ``device``, ``max_memory``,
        ``block_frames``, ``policy``.  What ``auto`` decides from the
        recording is :mod:`nmfsep.policy`.

    Returns
    -------
    Separation
        ``sources`` has shape ``(n_sources, channels, samples)`` and adds up to ``y``.

    Raises
    ------
    ParameterError
        Naming the parameter and its value, before any work.
    AudioError
        If ``y`` is empty or not finite.
    ResourceError
        Before any work, if the separation would not fit in memory even
        block by block.
    """
    config = make_config(config, **options)
    return separate_recording(ArrayRecording(y, sr), config, callback=callback)


def separate_file(path: str | os.PathLike, out_paths: Sequence[str | os.PathLike], *,
                  config: SeparationConfig | None = None, force: bool = False,
                  subtype: str | None = None, callback: ProgressCallback | None = None,
                  log: Log | None = None, **options: Any) -> Separation:
    """Separate an audio file of any length into one file per source.

    The same pipeline and the same sources as :func:`separate` on the loaded
    file; when the whole STFT would not fit in memory (or in ``max_memory``),
    the file is read block by block, so that only the spectrogram is held
    whole.

    Parameters
    ----------
    path : path
        Any format libsndfile reads and can seek in (WAV, FLAC, OGG, ...).
    out_paths : sequence of paths
        One ``.wav`` or ``.flac`` per source, in source order; ``n_sources``
        defaults to their number.  Each is written block by block to a
        temporary file beside it and renamed into place at the end; on any
        error no partial output is left.
    config : SeparationConfig, optional
    force : bool
        Overwrite existing outputs.
    subtype : str, optional
        soundfile subtype; float WAV and 24-bit FLAC by default.
    callback : callable(iteration, loss), optional
    log : callable(message), optional
        Told when the file is read block by block, and why.
    **options
        Fields of :class:`~nmfsep.config.SeparationConfig`, as in :func:`separate`.

    Returns
    -------
    Separation
        Without ``sources`` in memory; ``paths`` are the written files.

    Raises
    ------
    AudioError
        If the input cannot be read.
    OutputError
        If an output exists (without ``force``), is the input (even with
        ``force``) or cannot be written.
    ParameterError
        If the outputs do not match the sources, or two of them are one file.
    ResourceError
        Before any work, if it would not fit in memory even block by block.
    """
    out_paths = check_source_paths(out_paths, path, force)  # never the input, even with force
    if config is None or config.n_sources is None:
        options.setdefault("n_sources", len(out_paths))
    config = make_config(config, **options)
    recording = FileRecording(path)
    plan = config.resolve(sr=recording.sr, n_samples=recording.n_samples)
    if plan.n_sources != len(out_paths):
        raise ParameterError(f"{len(out_paths)} output paths for {plan.n_sources} sources; "
                             "give one path per source")
    for out in out_paths:
        check_write_format(out, recording.channels, recording.sr)
    with contextlib.ExitStack() as stack:
        stack.enter_context(recording)
        sinks = open_outputs(stack, out_paths, recording.sr, recording.channels, force=force,
                             subtype=subtype)

        def write(source: int, start: int, samples: np.ndarray) -> None:
            sinks[source].write(samples)

        separation = separate_recording(recording, config, write=write, callback=callback,
                                        log=log)
        for sink in sinks:
            sink.close()
    separation.paths = out_paths
    return separation


class Separator:
    """A separation configuration to reuse across many recordings.

    Parameters
    ----------
    config : SeparationConfig, optional
    **options
        Fields of :class:`~nmfsep.config.SeparationConfig`, as in :func:`separate`.

    Examples
    --------
    >>> separator = Separator(n_sources=2, n_components=20)
    >>> sep = separator(y, sr)  # doctest: +SKIP
    """

    def __init__(self, config: SeparationConfig | None = None, **options: Any) -> None:
        self.config = make_config(config, **options)

    def __call__(self, y: np.ndarray, sr: int, *,
                 callback: ProgressCallback | None = None) -> Separation:
        """Separate ``y`` with this configuration."""
        return separate(y, sr, config=self.config, callback=callback)

    def __repr__(self) -> str:
        return f"Separator({self.config!r})"
