"""Run the studio: a uvicorn server on loopback, one printed address, a clean stop.

:func:`serve` binds the socket itself (so that port 0 gives a free port it can
print), prints exactly one line on stdout, ``http://127.0.0.1:PORT/?token=TOKEN``,
when the server accepts connections, opens the browser unless told not to, and
returns after Ctrl-C or SIGTERM once the private temporary folder is removed.
Everything else it says goes to stderr.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import uvicorn

from ..errors import ParameterError
from .app import DEFAULT_MAX_SECONDS, DEFAULT_MAX_UPLOAD, create_app

__all__ = ["serve", "DEFAULT_HOST", "url_host", "is_loopback"]

#: The address the studio listens on unless told otherwise.
DEFAULT_HOST = "127.0.0.1"
_WILDCARDS = {"0.0.0.0", "::", ""}
_LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "nmfsep studio: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "stream": "ext://sys.stderr"}},
    "loggers": {name: {"handlers": ["stderr"], "level": "WARNING", "propagate": False}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address (``localhost``, ``127.x``, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """The host to print in the address for a server bound to ``host``."""
    host = host.strip("[]")
    if host in _WILDCARDS or host.lower() == "localhost" or host.startswith("127."):
        return "127.0.0.1" if host != "::" else "[::1]"
    return f"[{host}]" if ":" in host else host


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``localhost`` means 127.0.0.1)."""
    address = "127.0.0.1" if host.lower() == "localhost" else host.strip("[]")
    try:
        family, kind, proto, _, where = socket.getaddrinfo(
            address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:
        raise ParameterError(f"--host {host}: not an address to listen on ({exc})") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(where)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ParameterError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


def _allowed_hosts(host: str) -> tuple[str, ...]:
    """Host names the server answers to besides the loopback ones: the one it was bound to."""
    if is_loopback(host):
        return ()
    if host.strip("[]") in _WILDCARDS:
        name = socket.gethostname()
        return tuple({name, socket.getfqdn(name)})
    return (host.strip("[]"),)


class _Server(uvicorn.Server):
    """uvicorn's server, calling back once it accepts connections."""

    def __init__(self, config: uvicorn.Config, started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = started

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self._on_started()


def _open_browser(url: str) -> None:
    """Open ``url``; whatever the browser's launcher prints goes to stderr, not stdout.

    The launched process inherits file descriptor 1 as stderr, so that stdout
    carries the one line with the address and nothing else.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        webbrowser.open(url)
    except Exception as exc:  # noqa: BLE001 - no browser is no reason to stop
        print(f"nmfsep studio: could not open a browser ({exc}); open the address above",
              file=sys.stderr, flush=True)
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@contextlib.contextmanager
def _stop_quietly():
    """Make SIGINT and SIGTERM stop the server and return normally.

    uvicorn takes both signals while it runs and, once it has shut down, raises
    the one it got again with the handler that was there before it: these
    handlers only take note, so :func:`serve` returns after its cleanup.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = {sig: signal.signal(sig, lambda number, frame: received.append(number))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(file: str | Path | None = None, *, host: str = DEFAULT_HOST, port: int = 0,
          open_browser: bool = True, max_upload: int = DEFAULT_MAX_UPLOAD,
          max_seconds: float = DEFAULT_MAX_SECONDS, n_sources: int | None = None,
          n_components: int | None = None, stdout: TextIO | None = None,
          stderr: TextIO | None = None,
          on_started: Callable[[str], None] | None = None) -> None:
    """Run the studio until Ctrl-C or SIGTERM.

    Parameters
    ----------
    file : path-like, optional
        A recording to open at once; else the page asks for one.
    host : str
        Address to listen on; anything but loopback is announced with a warning.
    port : int
        0 chooses a free port.
    open_browser : bool
        Open the address in the default browser.
    max_upload : int
        Largest upload, bytes.
    max_seconds : float
        Longest recording, seconds.
    n_sources, n_components : int, optional
        The first factorization's; None takes the library's defaults.
    stdout, stderr : file, optional
        Where the address and the messages go (``sys.stdout``, ``sys.stderr``).
    on_started : callable(url), optional
        Called once the server accepts connections.

    Raises
    ------
    AudioError
        If ``file`` cannot be opened (before the server starts).
    ParameterError
        If the address cannot be listened on.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    folder = Path(tempfile.mkdtemp(prefix="nmfsep-studio-"))
    app = None
    try:
        sock = _listen(host, port)
        if not is_loopback(host):
            print(f"nmfsep studio: warning: listening on {host}, not only on this computer: "
                  "anyone who can reach it and has the address with its token can use the "
                  "studio and read what it holds", file=stderr, flush=True)
        token = secrets.token_urlsafe(32)
        app = create_app(token, folder=folder, allowed_hosts=_allowed_hosts(host),
                         max_upload=max_upload, max_seconds=max_seconds, n_sources=n_sources,
                         n_components=n_components)
        if file is not None:
            path = Path(file)
            app.state.session.open(path, str(path))
        url = f"http://{url_host(host)}:{sock.getsockname()[1]}/?token={token}"

        def started() -> None:
            print(url, file=stdout, flush=True)
            print("nmfsep studio: running; press Ctrl-C to stop", file=stderr, flush=True)
            if open_browser:
                threading.Thread(target=_open_browser, args=(url,), daemon=True).start()
            if on_started is not None:
                on_started(url)

        config = uvicorn.Config(app, log_config=_LOG_CONFIG, access_log=False, lifespan="on",
                                proxy_headers=False, server_header=False, ws="none",
                                timeout_graceful_shutdown=3)
        server = _Server(config, started)
        with _stop_quietly():
            server.run(sockets=[sock])
        print("nmfsep studio: stopped", file=stderr, flush=True)
    finally:
        if app is not None:
            app.state.session.close()
        shutil.rmtree(folder, ignore_errors=True)
