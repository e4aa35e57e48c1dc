"""The parameters of a batch's separations: one picklable value, and its fingerprint.

The value travels to every worker with each task, and its hash goes into the
manifest: a track is redone when the hash of the parameters it was made with
differs from the current one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..audio import WRITE_FORMATS
from ..errors import ParameterError

__all__ = ["SeparateOptions", "options_from_args", "options_hash", "options_dict"]


@dataclass(frozen=True)
class SeparateOptions:
    """What ``nmfsep separate`` is asked to do with every file of a batch.

    ``None`` leaves a parameter to the library's default.  Only parameters
    that change the outputs belong here (``--force`` or the number of
    workers do not), since they make the fingerprint of :func:`options_hash`.
    """

    n_sources: int = 2
    n_components: int | None = None
    grouping: str = "auto"
    groups: tuple[tuple[int, ...], ...] | None = None
    names: tuple[str, ...] | None = None
    format: str = "wav"
    beta: float = 1.0
    seed: int | None = 0
    n_fft: int | None = None
    hop: int | None = None
    max_iter: int = 200
    mask_power: float = 1.0
    percussive_prior: float | None = None
    runs: int | None = None

    def __post_init__(self) -> None:
        if self.n_sources < 1:
            raise ParameterError(f"-n must be at least 1 source, got {self.n_sources}")
        if self.groups is not None and len(self.groups) != self.n_sources:
            raise ParameterError(f"--groups gives {len(self.groups)} groups for "
                                 f"{self.n_sources} sources")
        if self.format not in WRITE_FORMATS:
            raise ParameterError(f"--format must be one of {', '.join(WRITE_FORMATS)}, "
                                 f"got {self.format!r}")
        if self.names is not None:
            _check_names(self.names, self.n_sources)

    def source_names(self) -> list[str]:
        """The file names of the sources, without the suffix."""
        if self.names is not None:
            return list(self.names)
        return [f"source{i + 1}" for i in range(self.n_sources)]


def _check_names(names: tuple[str, ...], n_sources: int) -> None:
    if len(names) != n_sources:
        raise ParameterError(f"--names gives {len(names)} names for {n_sources} sources")
    for name in names:
        if (not name or "/" in name or "\\" in name or name.startswith(".")
                or "\x00" in name or name == "separation"):
            raise ParameterError(f"--names: {name!r} is not a valid file name")
    if len(set(names)) != len(names):
        raise ParameterError("--names: every source needs its own name")


def options_from_args(args) -> SeparateOptions:
    """The options of a parsed ``separate`` command line (its argparse namespace)."""
    from ..grouping import parse_groups

    groups = parse_groups(args.groups) if getattr(args, "groups", None) else None
    sources = getattr(args, "sources", None)
    if sources is None:
        sources = len(groups) if groups else 2
    names = getattr(args, "names", None)
    return SeparateOptions(
        n_sources=sources,
        n_components=getattr(args, "n_components", None),
        grouping="manual" if groups else getattr(args, "grouping", "auto"),
        groups=tuple(tuple(int(k) for k in group) for group in groups) if groups else None,
        names=tuple(n.strip() for n in names.split(",")) if names else None,
        format=getattr(args, "format", "wav"),
        beta=getattr(args, "beta", 1.0),
        seed=getattr(args, "seed", 0),
        n_fft=getattr(args, "n_fft", None),
        hop=getattr(args, "hop", None),
        max_iter=getattr(args, "max_iter", 200),
        mask_power=getattr(args, "mask_power", 1.0),
        percussive_prior=getattr(args, "percussive_prior", None),
        runs=getattr(args, "runs", None),
    )


def options_dict(options: Any) -> dict:
    """The options as a JSON-ready dict (a dataclass or a mapping)."""
    if dataclasses.is_dataclass(options) and not isinstance(options, type):
        return json.loads(json.dumps(dataclasses.asdict(options), default=str))
    return json.loads(json.dumps(dict(options), default=str))


def options_hash(options: Any) -> str:
    """SHA-256 of the options' canonical JSON (sorted keys): equal options, equal hash."""
    text = json.dumps(options_dict(options), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
