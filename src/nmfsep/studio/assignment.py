"""Which component belongs to which source, in the words of the command line.

An assignment is one source index per component and one name per source.  It
is saved and loaded as the options of ``nmfsep separate``
(``--groups "0-2,5;3,4" --names "drums,guitar"``: ``;`` between sources,
``,`` within, ``a-b`` ranges), so what a user settles on in the studio can be
replayed with ``nmfsep separate FILE --from DIR --groups ...``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from . import engine

__all__ = ["Assignment", "check_names", "groups_text", "saved_text", "parse_saved",
           "command_line", "fresh_name", "MAX_SOURCES", "MAX_NAME"]

#: Most sources in one assignment.
MAX_SOURCES = 16
#: Longest source name, in characters.
MAX_NAME = 40


@dataclass(frozen=True)
class Assignment:
    """Source names and the source index of each component.

    Attributes
    ----------
    names : tuple of str, one per source (a source may have no component)
    labels : tuple of int, one per component, each in ``0 .. len(names) - 1``
    """

    names: tuple[str, ...]
    labels: tuple[int, ...]

    @classmethod
    def checked(cls, names: Sequence[str], labels: Sequence[int],
                n_components: int) -> Assignment:
        """An assignment after checking it fits ``n_components`` components.

        Raises
        ------
        ParameterError
            Naming the bad name, the missing component or the out-of-range source.
        """
        names = check_names(names)
        try:
            values = [int(label) for label in labels]
        except (TypeError, ValueError):
            raise ParameterError("labels must be source numbers") from None
        if len(values) != n_components:
            raise ParameterError(f"give a source for each of the {n_components} components, "
                                 f"not {len(values)}")
        for k, label in enumerate(values):
            if not 0 <= label < len(names):
                raise ParameterError(f"component {k}: source {label} does not exist")
        return cls(tuple(names), tuple(values))

    @property
    def n_sources(self) -> int:
        """Number of sources, counting those without components."""
        return len(self.names)

    def members(self, source: int) -> list[int]:
        """The components of ``source``, in order."""
        return [k for k, label in enumerate(self.labels) if label == source]


def check_names(names: Sequence[str]) -> list[str]:
    """Source names that are usable as file names and as ``--names``.

    Raises
    ------
    ParameterError
        If a name is empty, too long, holds ``/``, ``\\``, ``,`` or control
        characters, starts with ``.``, or is used twice; or if there are no
        sources or more than :data:`MAX_SOURCES`.
    """
    if isinstance(names, str) or not 1 <= len(names) <= MAX_SOURCES:
        raise ParameterError(f"give 1 to {MAX_SOURCES} source names")
    cleaned = []
    for name in names:
        name = str(name).strip()
        if not name or len(name) > MAX_NAME:
            raise ParameterError(f"a source name needs 1 to {MAX_NAME} characters, got {name!r}")
        if (name.startswith(".") or any(c in name for c in "/\\,")
                or any(ord(c) < 32 or ord(c) == 127 for c in name)):
            raise ParameterError(f"{name!r} cannot name a source: no '/', '\\', ',' or "
                                 "control characters, and no leading '.'")
        cleaned.append(name)
    if len(set(cleaned)) != len(cleaned):
        raise ParameterError("every source needs its own name")
    return cleaned


def _ranges(members: list[int]) -> str:
    """``[0, 1, 2, 5]`` → ``"0-2,5"`` (runs of three or more as ranges)."""
    parts, start = [], 0
    while start < len(members):
        end = start
        while end + 1 < len(members) and members[end + 1] == members[end] + 1:
            end += 1
        if end - start >= 2:
            parts.append(f"{members[start]}-{members[end]}")
        else:
            parts.extend(str(m) for m in members[start:end + 1])
        start = end + 1
    return ",".join(parts)


def groups_text(assignment: Assignment) -> str:
    """The ``--groups`` text of the sources that have components."""
    groups = [assignment.members(s) for s in range(assignment.n_sources)]
    return ";".join(_ranges(members) for members in groups if members)


def _named(assignment: Assignment) -> list[str]:
    return [name for s, name in enumerate(assignment.names) if assignment.members(s)]


def saved_text(assignment: Assignment) -> str:
    """The assignment as ``nmfsep separate`` options, one line."""
    names = ",".join(_named(assignment))
    return f'--groups "{groups_text(assignment)}" --names {shlex.quote(names)}\n'


def parse_saved(text: str, n_components: int,
                names: Sequence[str] | None = None) -> Assignment:
    """Read an assignment saved by :func:`saved_text`, or bare ``--groups`` text.

    Parameters
    ----------
    text : str
        ``--groups "0,3;1,2" [--names "a,b"]`` or just ``0,3;1,2``.
    n_components : int
    names : sequence of str, optional
        Names to keep when the text gives none (as many as needed; the others
        are ``source1``, ``source2``...).

    Raises
    ------
    ParameterError
        If the text is not an assignment of exactly these components.
    """
    text = text.strip()
    groups, given = text, None
    if text.startswith("-"):
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise ParameterError(f"cannot read the assignment: {exc}") from None
        options = dict(zip(words[::2], words[1::2], strict=False))
        unknown = sorted(set(words[::2]) - {"--groups", "--names"})
        if unknown or "--groups" not in options or len(words) % 2:
            raise ParameterError('write the assignment as --groups "0,3,5;1,2,4" '
                                 '[--names "drums,guitar"]')
        groups, given = options["--groups"], options.get("--names")
    if not groups:
        raise ParameterError('the assignment is empty; write e.g. "0,3,5;1,2,4"')
    labels = engine.parse_groups(groups, n_components)
    count = int(np.max(labels)) + 1
    if given is not None:
        chosen = [name.strip() for name in given.split(",")]
        if len(chosen) != count:
            raise ParameterError(f"--names gives {len(chosen)} names for {count} sources")
    else:
        kept = list(names or [])[:count]
        chosen = kept + [fresh_name(kept, s) for s in range(len(kept), count)]
    return Assignment.checked(chosen, labels.tolist(), n_components)


def fresh_name(taken: Sequence[str], index: int) -> str:
    """``source<index + 1>``, made unique among ``taken``."""
    name = f"source{index + 1}"
    while name in taken:
        name += "+"
    return name


def command_line(file_name: str, folder: str, assignment: Assignment) -> str:
    """``nmfsep separate FILE --from DIR --groups ... --names ...`` for this assignment."""
    return (f"nmfsep separate {shlex.quote(file_name)} --from {shlex.quote(folder)} "
            + saved_text(assignment).strip())
