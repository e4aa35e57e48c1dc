"""Receive an uploaded file into the studio's private folder, as it streams in.

The multipart body of ``POST /api/upload`` is parsed chunk by chunk
(python-multipart's push parser): the part named ``file`` is written straight
to a path the server chose, whatever the client called it, and nothing is
kept in memory or in the system's temporary folder.  The client's file name
is kept only to name the recording on the page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from ..errors import AudioError

__all__ = ["receive_upload", "display_name", "safe_suffix", "FIELD"]

#: The multipart field that holds the file.
FIELD = "file"
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")


def display_name(filename: str | None) -> str:
    """A client's file name reduced to something safe to show: no folders, no control characters.

    >>> display_name("C:\\\\music\\\\song.wav"), display_name("../../etc/passwd"), display_name("")
    ('song.wav', 'passwd', 'upload')
    """
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(c for c in name if c.isprintable()).strip()[:120]
    return name if name.strip(".") else "upload"


def safe_suffix(filename: str) -> str:
    """The file's extension when it is short and plain (libsndfile may need it), else ``""``."""
    suffix = Path(filename).suffix.lower()
    return suffix if _SUFFIX.match(suffix) else ""


class _Part:
    """What the parser has seen of the current part."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.field = b""
        self.value = b""


async def receive_upload(request: Request, target: Path) -> tuple[Path, str]:
    """Write the ``file`` part of a multipart request next to ``target``.

    Returns
    -------
    path : Path
        Where the file is: ``target`` with the client's file extension (see
        :func:`safe_suffix`), so that the decoder can use it.
    name : str
        The client's file name, for the page (:func:`display_name`).

    Raises
    ------
    AudioError
        If the request is not multipart, has no ``file`` part, or the file is empty.
        Nothing is left at the target then.
    """
    kind, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise AudioError("send the file as multipart/form-data in the field 'file'")
    part = _Part()
    state: dict = {"handle": None, "name": None, "written": 0}

    def on_part_begin() -> None:
        part.__init__()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part.field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part.value += data[start:end]

    def on_header_end() -> None:
        part.headers[part.field.decode("latin-1").lower()] = part.value.decode("utf-8", "replace")
        part.field, part.value = b"", b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(part.headers.get("content-disposition", ""))
        if disposition.get(b"name") == FIELD.encode() and state["handle"] is None:
            filename = disposition.get(b"filename", b"").decode("utf-8", "replace")
            state["name"] = display_name(filename)
            state["path"] = target.with_suffix(safe_suffix(filename))
            state["handle"] = open(state["path"], "xb")  # noqa: SIM115 - closed below

    def on_part_data(data: bytes, start: int, end: int) -> None:
        handle = state["handle"]
        if handle is not None and not handle.closed:
            handle.write(data[start:end])
            state["written"] += end - start

    def on_part_end() -> None:
        handle = state["handle"]
        if handle is not None and not handle.closed:
            handle.close()

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    })
    try:
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        _discard(state)
        raise AudioError(f"the upload is not a well-formed multipart body ({exc})") from None
    except ClientDisconnect:  # the browser went away: an expected fault, no traceback
        _discard(state)
        raise AudioError("the upload was cut off: the browser disconnected") from None
    except BaseException:
        _discard(state)
        raise
    if state["handle"] is None:
        raise AudioError(f"the upload has no '{FIELD}' field")
    if not state["handle"].closed:
        _discard(state)
        raise AudioError(f"{state['name']}: the upload ended before the end of the file")
    if state["written"] == 0:
        _discard(state)
        raise AudioError(f"{state['name']}: the file is empty")
    return state["path"], state["name"]


def _discard(state: dict) -> None:
    handle = state.get("handle")
    if handle is not None:
        handle.close()
        try:
            os.remove(state["path"])
        except OSError:
            pass
