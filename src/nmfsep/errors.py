"""The exception tree every layer of nmfsep raises.

The command line turns each of these into a one-line message and an exit code;
anything else is a bug and is reported with a traceback.
"""

from __future__ import annotations

__all__ = ["NmfsepError", "AudioError", "ParameterError", "OutputError", "ResourceError",
           "AudioWarning", "MemoryWarning"]


class NmfsepError(Exception):
    """Base class of every error nmfsep raises on purpose."""

    exit_code = 1


class ParameterError(NmfsepError, ValueError):
    """A parameter is outside its valid range or inconsistent with another."""

    exit_code = 2


class AudioError(NmfsepError):
    """An input file or signal cannot be used: missing, unreadable, corrupt, empty, non-finite."""

    exit_code = 3


class OutputError(NmfsepError):
    """An output cannot be written: exists already, folder not writable, disk full."""

    exit_code = 4


class ResourceError(NmfsepError):
    """The requested work would not fit in the memory of this machine."""

    exit_code = 5


class AudioWarning(UserWarning):
    """The audio can be used, but something about it deserves a look (truncated, clipped)."""


class MemoryWarning(UserWarning):
    """The separation goes on, but needs more memory than it was allowed (``max_memory``)."""
