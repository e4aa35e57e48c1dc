"""``python -m nmfsep.studio`` from outside: one printed line, loopback, clean stops, errors."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from studio_server import StudioProcess, listening_addresses

from nmfsep.studio.command import add_parser, run
from nmfsep.studio.server import is_loopback, url_host

URL = re.compile(r"^http://127\.0\.0\.1:(\d+)/\?token=[A-Za-z0-9_-]{40,}$")


def _studio_on_a_clip(tmp_path, *, seconds: float, sr: int, k: int) -> StudioProcess:
    """The studio opened on the built-in example (``seconds`` at ``sr``), ``k`` components."""
    import soundfile as sf

    from nmfsep import synth

    example = synth.drums_and_guitar(duration=seconds, sr=sr, seed=3)
    clip = tmp_path / "clip.wav"
    sf.write(clip, example.mixture.T, example.sr, subtype="FLOAT")
    return StudioProcess([str(clip), "-k", str(k)], tmp_path / "tmp")


def _start_an_upload(studio: StudioProcess, *, sent: int):
    """An upload that announces a megabyte and sends ``sent`` bytes of it; the open connection."""
    import http.client

    boundary = "nmfsepboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"song.wav\"\r\nContent-Type: audio/wav\r\n\r\n").encode()
    connection = http.client.HTTPConnection("127.0.0.1", studio.port, timeout=10)
    connection.putrequest("POST", "/api/upload")
    connection.putheader("Authorization", f"token {studio.token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + 10**6))
    connection.endheaders()
    connection.send(head + b"\0" * sent)
    return connection


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_studio_prints_one_address_listens_on_loopback_and_stops_cleanly(tmp_path, sig):
    studio = StudioProcess([], tmp_path)
    try:
        assert URL.match(studio.url), studio.url
        assert listening_addresses(studio.port) == ["127.0.0.1"]
        assert len(studio.private_folders()) == 1
    finally:
        code = studio.stop(sig)
    assert code == 0
    assert studio.next_line(5) == ""  # nothing else on stdout
    assert studio.private_folders() == []
    assert "Traceback" not in studio.stderr()
    assert "stopped" in studio.stderr()


def test_a_file_that_is_not_audio_stops_the_studio_with_a_message(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    env_tmp = tmp_path / "tmp"
    env_tmp.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "nmfsep", "studio", str(bad), "--no-browser"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "TMPDIR": str(env_tmp)})
    assert result.returncode == 3
    assert result.stdout == ""
    assert f"{bad}: not a readable audio file" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(env_tmp.iterdir()) == []


@pytest.mark.parametrize("option, message", [
    (["--max-upload", "lots"], "--max-upload 'lots' is not a positive size"),
    (["--max-duration", "0"], "--max-duration '0' is not a positive duration"),
    (["--port", "70000"], "--port must be in 0..65535"),
    (["--host", "300.1.2.3"], "--host 300.1.2.3: not an address to listen on"),
])
def test_bad_options_give_exit_code_2_and_say_why(option, message, capsys):
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["studio", *option, "--no-browser"])
    assert args.run(args) == 2
    assert message in capsys.readouterr().err


def test_the_subcommand_parses_the_issue_options():
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["studio", "song.wav", "--port", "8765", "--host", "localhost",
                              "--no-browser", "--max-upload", "1M", "-n", "3", "-k", "30"])
    assert (args.file, args.port, args.host, args.no_browser, args.max_upload, args.n_sources,
            args.n_components) == ("song.wav", 8765, "localhost", True, "1M", 3, 30)
    assert args.run is run
    defaults = parser.parse_args(["studio"])
    assert (defaults.file, defaults.port, defaults.host, defaults.no_browser,
            defaults.max_upload) == (None, 0, "127.0.0.1", False, "500M")


def test_loopback_hosts_and_the_printed_address():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    assert url_host("127.0.0.1") == url_host("0.0.0.0") == url_host("localhost") == "127.0.0.1"
    assert url_host("::1") == "[::1]" and url_host("192.168.1.2") == "192.168.1.2"


def test_the_core_and_the_subcommand_parser_do_not_import_the_web_extra():
    code = ("import sys, argparse, nmfsep, nmfsep.cli, nmfsep.studio.command as c; "
            "c.add_parser(argparse.ArgumentParser().add_subparsers()); "
            "print(sorted({m.split('.')[0] for m in sys.modules} "
            "& {'starlette', 'uvicorn', 'python_multipart', 'multipart'}), "
            "'nmfsep.studio.app' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "[] False"


def test_sigterm_during_a_factorization_stops_it_and_removes_the_private_folder(tmp_path):
    import httpx

    studio = _studio_on_a_clip(tmp_path, seconds=10.0, sr=22050, k=40)
    try:
        headers = {"Authorization": f"token {studio.token}"}
        for _ in range(1200):
            job = httpx.get(f"{studio.base}/api/state", headers=headers).json()["job"]
            if job is not None and job["done"] > 0:
                break
            time.sleep(0.05)
        assert job is not None and job["kind"] == "factorizing"  # stopped in the middle
    finally:
        code = studio.stop(signal.SIGTERM)
    assert code == 0
    assert studio.private_folders() == []
    assert "Traceback" not in studio.stderr()


def test_the_browser_gets_the_address_and_its_output_stays_off_stdout(tmp_path):
    studio = StudioProcess([], tmp_path, browser="echo opened %s")
    try:
        assert URL.match(studio.url), studio.url
        for _ in range(200):
            if f"opened {studio.url}" in studio.stderr():
                break
            time.sleep(0.05)
        assert f"opened {studio.url}" in studio.stderr()
    finally:
        assert studio.stop() == 0
    assert studio.next_line(5) == ""  # the launcher's echo went to stderr


def test_stems_downloaded_several_times_at_once_are_each_a_whole_zip(tmp_path):
    import io
    import zipfile
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    studio = _studio_on_a_clip(tmp_path, seconds=2.0, sr=16000, k=6)
    try:
        headers = {"Authorization": f"token {studio.token}"}
        for _ in range(1200):
            if httpx.get(f"{studio.base}/api/state", headers=headers).json()["status"] == "ready":
                break
            time.sleep(0.05)

        def download(_):
            return httpx.get(f"{studio.base}/api/export/stems.zip", headers=headers,
                             timeout=60)

        with ThreadPoolExecutor(4) as pool:
            responses = list(pool.map(download, range(4)))
        for response in responses:  # the export file once had one name for every request
            assert response.status_code == 200, response.text
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                assert archive.testzip() is None
                assert "factorization.npz" in archive.namelist()
    finally:
        assert studio.stop(signal.SIGTERM) == 0
    assert studio.private_folders() == []


def test_a_browser_that_goes_away_mid_upload_leaves_no_traceback_and_no_file(tmp_path):
    studio = StudioProcess([], tmp_path / "tmp")
    try:
        connection = _start_an_upload(studio, sent=20000)  # of the megabyte it announced
        time.sleep(0.5)
        connection.sock.close()
        time.sleep(1.0)
        folders = studio.private_folders()
        assert folders and not [p for f in folders for p in f.iterdir()]  # no partial upload
    finally:
        assert studio.stop(signal.SIGTERM) == 0
    err = studio.stderr()
    assert "Traceback" not in err and "Exception in ASGI application" not in err, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopping_the_studio_during_an_upload_is_clean(tmp_path, sig):
    studio = StudioProcess([], tmp_path / "tmp")
    connection = _start_an_upload(studio, sent=60000)  # still coming when the studio stops
    try:
        time.sleep(0.5)
        code = studio.stop(sig)
    finally:
        connection.close()
    assert code == 0
    assert studio.private_folders() == []
    err = studio.stderr()
    assert "Traceback" not in err and "CancelledError" not in err, err
