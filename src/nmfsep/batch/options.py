"""The parameters of a batch's separations: one picklable value, and its fingerprint.

The value travels to every worker with each task, and its hash goes into the
manifest: a track is redone when the hash of the parameters it was made with
differs from the current one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..config import SeparationConfig
from ..errors import ParameterError

__all__ = ["TrackOptions", "options_hash", "options_dict"]


@dataclass(frozen=True)
class TrackOptions:
    """What ``nmfsep separate`` is asked to do with every file of a batch.

    Only what changes the outputs belongs here (not ``--force`` nor the number
    of workers), since it makes the fingerprint of :func:`options_hash`.

    Attributes
    ----------
    config : SeparationConfig
    names : tuple of str
        The sources' file names, without the suffix.
    format : {"wav", "flac"}
    stream : bool
        Separate with the config's dictionaries as a live stream.
    """

    config: SeparationConfig = field(default_factory=SeparationConfig)
    names: tuple[str, ...] = ("source1", "source2")
    format: str = "wav"
    stream: bool = False

    def __post_init__(self) -> None:
        if "separation" in self.names:
            raise ParameterError("--names: 'separation' is taken by the record "
                                 "(separation.json)")

    def describe(self) -> dict[str, Any]:
        """Everything that makes the outputs, as plain data."""
        return {"config": self.config.describe(streamed=self.stream),
                "policy": dataclasses.asdict(self.config.policy),
                "names": list(self.names), "format": self.format, "stream": self.stream}


def options_dict(options: Any) -> dict:
    """The options as a JSON-ready dict (:class:`TrackOptions`, another dataclass or a mapping)."""
    if isinstance(options, TrackOptions):
        data = options.describe()
    elif dataclasses.is_dataclass(options) and not isinstance(options, type):
        data = dataclasses.asdict(options)
    else:
        data = dict(options)
    return json.loads(json.dumps(data, default=str))


def options_hash(options: Any) -> str:
    """SHA-256 of the options' canonical JSON (sorted keys): equal options, equal hash."""
    text = json.dumps(options_dict(options), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
