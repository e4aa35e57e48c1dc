"""Start ``nmfsep studio`` as a real process, read its address, stop it."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit


class StudioProcess:
    """``python -m nmfsep studio ARGS [--no-browser]`` with its own temporary folder.

    Parameters
    ----------
    args : list of str
    tmp : Path
        Becomes the process's TMPDIR, so that its private folder can be checked.
    cwd : Path, optional
        The process's working folder.
    browser : str, optional
        A command for Python's ``webbrowser`` (``$BROWSER``): the studio opens
        its address with it; without it, ``--no-browser``.
    """

    def __init__(self, args: list[str], tmp: Path, *, timeout: float = 120.0,
                 cwd: Path | None = None, browser: str | None = None) -> None:
        self.tmp = Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.stderr_path = self.tmp / "studio.stderr"
        env = {**os.environ, "TMPDIR": str(self.tmp), "PYTHONUNBUFFERED": "1"}
        if browser is not None:
            env["BROWSER"] = browser
        source = Path(__file__).resolve().parents[1] / "src"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source),
                                                          env.get("PYTHONPATH")]))
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nmfsep", "studio", *args,
             *([] if browser is not None else ["--no-browser"])],
            stdout=subprocess.PIPE, stderr=self._stderr, env=env, cwd=cwd)
        self._lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.next_line(timeout)
        self.returncode: int | None = None

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(b"")

    def next_line(self, timeout: float) -> str:
        """The next line on stdout ('' when the process ended)."""
        try:
            return self._lines.get(timeout=timeout).decode().strip()
        except queue.Empty:
            raise AssertionError(f"no line on stdout after {timeout} s; stderr:\n"
                                 f"{self.stderr()}") from None

    def stderr(self) -> str:
        """What the process wrote on stderr so far."""
        return self.stderr_path.read_text(errors="replace")

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def port(self) -> int:
        """The port the studio listens on."""
        return int(urlsplit(self.url).port)

    @property
    def token(self) -> str:
        """The token in the printed address."""
        return urlsplit(self.url).query.removeprefix("token=")

    def private_folders(self) -> list[Path]:
        """The studio's private temporary folders that exist now."""
        return sorted(self.tmp.glob("nmfsep-studio-*"))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig``, wait for the exit, return the exit code (kills after ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"the studio did not stop within {timeout} s") from None
        self._stderr.close()
        self.returncode = self.process.returncode
        return self.returncode


def listening_addresses(port: int) -> list[str]:
    """Local addresses of the sockets listening on ``port`` (Linux, from /proc/net)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(_address(address, width))
    return found


def _address(hex_address: str, width: int) -> str:
    import ipaddress

    raw = bytes.fromhex(hex_address)
    if width == 8:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))
