"""The studio's door: who may talk to it, from where, and how much they may send.

A local web server is reachable by every page the user's browser opens, so the
studio follows Jupyter server's rules (token, Host allow-list against DNS
rebinding, loopback by default):

* the ``Host`` header must name an allowed host (``localhost``, ``127.0.0.1``,
  ``[::1]`` and the host the server was bound to), else 403;
* every request carries the random token: in the query (``?token=``) the first
  time, which sets an HttpOnly, SameSite=Strict cookie, then the cookie (or an
  ``Authorization: token ...`` header); none is 401, a wrong one 403;
* a request that changes something (any method but GET and HEAD) from a page of
  another origin is refused (403), even with the cookie;
* an upload larger than the limit is refused with 413 from its
  ``Content-Length`` before a byte is read, and by counting the bytes as they
  arrive when the length is missing or false.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Guard", "UploadTooLarge", "LOOPBACK_HOSTS", "cookie_name", "host_name",
           "too_large_message"]

#: Host names every studio accepts.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_SAFE_METHODS = frozenset({"GET", "HEAD"})


class UploadTooLarge(Exception):
    """The request body went past the upload limit while it was being read."""


def cookie_name(token: str) -> str:
    """The cookie of one server (cookies ignore ports, so two studios must not share one)."""
    return "nmfsep_studio_" + hashlib.sha256(token.encode()).hexdigest()[:12]


def host_name(value: str | None) -> str | None:
    """The host of a ``Host`` header or an origin's netloc, lower case, without port or brackets.

    >>> host_name("[::1]:8000"), host_name("LocalHost:80"), host_name("example.com")
    ('::1', 'localhost', 'example.com')
    """
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else None
    if value.count(":") > 1:  # a bare IPv6 address is not a valid Host header
        return None
    return value.split(":", 1)[0] or None


def too_large_message(limit_text: str) -> str:
    """What a user reads when an upload is over the limit."""
    return (f"the file is larger than the studio accepts ({limit_text}); start the studio "
            "with a larger --max-upload, or open a shorter file")


class Guard:
    """ASGI middleware enforcing the rules of this module's docstring.

    Parameters
    ----------
    app : ASGI application
    token : str
        The secret every request must carry.
    allowed_hosts : iterable of str
        Host names accepted in ``Host`` (and in ``Origin`` of changing requests),
        besides :data:`LOOPBACK_HOSTS`.
    max_upload : int
        Most bytes in the body of a request to one of ``upload_paths``.
    max_upload_text : str
        The limit in words, for the 413 message.
    upload_paths : iterable of str
        Paths that take uploads; every other path takes at most
        ``max_body`` bytes.
    max_body : int
        Most bytes in the body of any other request (JSON commands).
    """

    def __init__(self, app: ASGIApp, *, token: str, allowed_hosts: Iterable[str] = (),
                 max_upload: int, max_upload_text: str = "",
                 upload_paths: Iterable[str] = ("/api/upload",),
                 max_body: int = 1 << 20) -> None:
        if len(token) < 16:
            raise ValueError("the token must have at least 16 characters")
        self.app = app
        self.token = token
        self.cookie = cookie_name(token)
        self.allowed_hosts = LOOPBACK_HOSTS | {h.lower().strip("[]") for h in allowed_hosts}
        self.max_upload = int(max_upload)
        self.max_upload_text = max_upload_text or f"{self.max_upload} bytes"
        self.upload_paths = frozenset(upload_paths)
        self.max_body = int(max_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets here
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = Headers(scope=scope)
        path = scope.get("path", "")
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _respond(send, path, *refusal)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        from_query = self._matches(query.get("token"))
        if from_query and scope["method"] == "GET" and not path.startswith("/api/"):
            # A page opened with ?token=: set the cookie and drop the token from the address.
            rest = urlencode({k: v for k, v in query.items() if k != "token"})
            await _respond(send, path, 303, "", [(b"location", (path + (
                "?" + rest if rest else "")).encode("latin-1")), self._set_cookie()])
            return
        limit = self.max_upload if path in self.upload_paths else self.max_body
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            status = 413 if length.isdigit() else 400
            await _respond(send, path, status, self._too_large(path) if status == 413 else
                           "the Content-Length header is not a number")
            return
        started = False
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise UploadTooLarge(self._too_large(path))
            return message

        async def marked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if from_query:
                    message = {**message, "headers": [*message.get("headers", []),
                                                      self._set_cookie()]}
            await send(message)

        try:
            await self.app(scope, counted_receive, marked_send)
        except UploadTooLarge as exc:
            if started:
                raise
            await _respond(send, path, 413, str(exc))
        except asyncio.CancelledError:
            # The server stopping (Ctrl-C, SIGTERM) cancels a request still in flight, an
            # upload that has not ended: nobody waits for its answer; no traceback.
            return

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[int, str] | None:
        """(status, message) when the request must go no further, else None."""
        if host_name(headers.get("host")) not in self.allowed_hosts:
            return 403, ("this server answers only to localhost, 127.0.0.1 and [::1] (the Host "
                         "header names another host)")
        if scope["method"] not in _SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and (origin == "null" or host_name(
                    urlsplit(origin).netloc) not in self.allowed_hosts):
                return 403, "changes are accepted from the studio's own page only"
            if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
                return 403, "changes are accepted from the studio's own page only"
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        given = [query.get("token"), _cookie(headers, self.cookie), _header_token(headers)]
        if not any(given):
            return 401, ("this page needs the token printed by 'nmfsep studio': open the "
                         "address it printed (http://127.0.0.1:PORT/?token=...)")
        if not any(self._matches(value) for value in given):
            return 403, "wrong token: open the address 'nmfsep studio' printed"
        return None

    def _matches(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(value.encode(), self.token.encode())

    def _set_cookie(self) -> tuple[bytes, bytes]:
        return (b"set-cookie",
                f"{self.cookie}={self.token}; HttpOnly; SameSite=Strict; Path=/".encode())

    def _too_large(self, path: str) -> str:
        if path in self.upload_paths:
            return too_large_message(self.max_upload_text)
        return f"the request is larger than {self.max_body} bytes"


def _cookie(headers: Headers, name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _header_token(headers: Headers) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "token" else None


async def _respond(send: Send, path: str, status: int, message: str,
                   extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """A short response: JSON ``{"error": message}`` under ``/api/``, else plain text."""
    if path.startswith("/api/"):
        body, kind = json.dumps({"error": message}).encode(), b"application/json"
    else:
        body, kind = (message + "\n").encode() if message else b"", b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store")]
    if status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status,
                "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})
