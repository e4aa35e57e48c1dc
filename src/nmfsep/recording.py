"""The recording a separation reads: samples by ranges, and its STFT frames.

The pipeline never holds more of a recording than it asks for.  A
:class:`Recording` gives samples ``start:stop`` of every channel, from an array
in memory (:class:`ArrayRecording`) or from a file read where it is needed
(:class:`FileRecording`).  :class:`Frames` gives the STFT frames ``first:last``
of a recording at one STFT: computed from those samples when asked, or held
whole once the memory allows it (:meth:`Frames.hold`).  Either way the frames
are the same numbers (:func:`nmfsep.spectral.stft_frames`), so a separation
read block by block equals the one held in memory.

>>> import numpy as np
>>> from nmfsep.recording import ArrayRecording, Frames
>>> from nmfsep.spectral import STFTConfig
>>> frames = Frames(ArrayRecording(np.ones((1, 8000), np.float32), 8000), STFTConfig(512, 128))
>>> frames.get(0, 4).shape
(1, 257, 4)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from .audio import CLIPPED_WARNING, audio_info, validate_signal
from .errors import AudioError, AudioWarning
from .spectral import (
    BLOCK_FRAMES,
    STFTConfig,
    frame_blocks,
    mixture_spectrogram,
    stft,
    stft_frames,
)

__all__ = ["Recording", "ArrayRecording", "FileRecording", "Frames", "stereo_channels",
           "unit_spectrogram"]


class Recording:
    """Samples of a recording, read by ranges.

    Attributes
    ----------
    sr : int
    channels : int
    n_samples : int
    name : str
        What error messages call it (the file's path, or "signal").
    """

    sr: int
    channels: int
    n_samples: int
    name: str

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop``, shape=(channels, stop - start), float32."""
        raise NotImplementedError

    def samples(self) -> np.ndarray:
        """The whole recording, shape=(channels, n_samples), float32."""
        return self.read(0, self.n_samples)

    def warn_if_clipped(self) -> None:
        """Warn (:class:`~nmfsep.errors.AudioWarning`) if much of what was read is clipped.

        Called once the recording has been read through; a recording in
        memory was the caller's to check.
        """

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return self.n_samples / self.sr


class ArrayRecording(Recording):
    """A recording held in memory.

    Parameters
    ----------
    y : np.ndarray, shape=(samples,) or (channels, samples)
        Validated (:func:`nmfsep.audio.validate_signal`): finite, real, not empty.
    sr : int
    name : str
    """

    def __init__(self, y: np.ndarray, sr: int, name: str = "signal") -> None:
        self.y = validate_signal(y, sr, name=name)
        self.sr = int(sr)
        self.channels, self.n_samples = self.y.shape
        self.name = name

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.y[:, start:stop]

    def samples(self) -> np.ndarray:
        return self.y


class FileRecording(Recording):
    """A recording read from its file where it is needed (any length, bounded memory).

    Use it as a context manager, which keeps the file open between reads.

    Parameters
    ----------
    path : str or PathLike
        Any format libsndfile reads and can seek in (WAV, FLAC, OGG, …).

    Raises
    ------
    AudioError
        Naming the file and the problem, if it cannot be opened, has no
        samples, or a read finds missing or non-finite samples.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.sr, self.channels, self.n_samples = audio_info(self.path)
        if self.n_samples <= 0:
            raise AudioError(f"{self.path}: the audio has no samples")
        self._handle = None
        self._read_until = 0  # the samples counted for clipping: those before this one
        self._clipped = 0

    def __enter__(self) -> FileRecording:
        self._handle = sf.SoundFile(str(self.path))
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def read(self, start: int, stop: int) -> np.ndarray:
        if self._handle is None:
            with self:
                return self.read(start, stop)
        try:
            self._handle.seek(start)
            data = self._handle.read(stop - start, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioError(f"{self.path}: corrupt or truncated audio data ({exc})") from None
        if data.shape[0] != stop - start:
            raise AudioError(f"{self.path}: corrupt or truncated audio data (samples "
                             f"{start}:{stop} cannot be read)")
        samples = validate_signal(data.T, self.sr, name=self.name)
        if stop > self._read_until:
            fresh = samples[:, max(0, self._read_until - start):]
            self._clipped += int(np.count_nonzero(np.abs(fresh) >= 0.999))
            self._read_until = stop
        return samples

    def warn_if_clipped(self) -> None:
        fraction = self._clipped / (self.channels * max(self._read_until, 1))
        if fraction > CLIPPED_WARNING:
            warnings.warn(f"{self.path}: {100 * fraction:.2g} % of the samples are clipped (at "
                          "full scale); the distortion will be spread over every source",
                          AudioWarning, stacklevel=2)


class Frames:
    """The STFT frames of a recording at one STFT.

    Parameters
    ----------
    recording : Recording
    config : STFTConfig
    hold : bool
        Compute the whole STFT at once and keep it (:meth:`hold`); a recording
        shorter than one frame is always held (its STFT is padded).

    Attributes
    ----------
    X : np.ndarray or None, shape=(channels, bins, n_frames), complex64
        The whole STFT, when held.
    """

    def __init__(self, recording: Recording, config: STFTConfig, *, hold: bool = False) -> None:
        self.recording = recording
        self.config = config
        self.n_frames = config.n_frames(recording.n_samples)
        self.X: np.ndarray | None = None
        if hold or recording.n_samples < config.n_fft:
            self.hold()

    @property
    def n_samples(self) -> int:
        """Length of the recording in samples."""
        return self.recording.n_samples

    def hold(self) -> np.ndarray:
        """The whole STFT, computed once and kept."""
        if self.X is None:
            self.X = stft(self.recording.samples(), self.config)
        return self.X

    def get(self, first: int, last: int) -> np.ndarray:
        """Frames ``first:last``, shape=(channels, bins, last - first), complex64."""
        if self.X is not None:
            return self.X[..., first:last]
        return stft_frames(self.recording.read, self.n_samples, self.config, first, last)

    def spectrogram(self, power: float = 1.0, block: int = BLOCK_FRAMES) -> np.ndarray:
        """The channel-summed spectrogram (:func:`nmfsep.spectral.mixture_spectrogram`).

        Returns
        -------
        np.ndarray, shape=(bins, n_frames), float32
        """
        if self.X is not None:
            return mixture_spectrogram(self.X, power)
        V = np.empty((self.config.n_bins, self.n_frames), dtype=np.float32)
        for first, last in frame_blocks(self.n_frames, block):
            V[:, first:last] = mixture_spectrogram(self.get(first, last), power)
        return V


def stereo_channels(frames: Frames) -> Callable[[int, int], np.ndarray] | None:
    """What the components' pans read of a two-channel recording: its frames
    ``first:last`` (:meth:`Frames.get`: held, or computed again block by block);
    None for a recording of one channel or more than two
    (:attr:`nmfsep.grouping.GroupingContext.channels`)."""
    return frames.get if frames.recording.channels == 2 else None


def unit_spectrogram(frames: Frames, power: float = 1.0,
                     block: int = BLOCK_FRAMES) -> tuple[np.ndarray, float]:
    """The spectrogram scaled to a mean of 1, and that scale (1 for silence).

    The penalties of :func:`nmfsep.nmf.factorize` weigh against the divergence
    at this scale, so they mean the same for loud and quiet recordings.  Frames
    not held are taken ``block`` at a time.

    Returns
    -------
    V : np.ndarray, shape=(bins, frames), float32
    scale : float
    """
    V = frames.spectrogram(power, block)
    scale = float(V.mean(dtype=np.float64))
    if scale <= 0:
        return V, 1.0
    np.divide(V, np.float32(scale), out=V)
    return V, scale
