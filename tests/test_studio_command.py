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
    import soundfile as sf

    from nmfsep import synth

    example = synth.drums_and_guitar(duration=10.0, sr=22050, seed=3)
    clip = tmp_path / "long.wav"
    sf.write(clip, example.mixture.T, example.sr, subtype="FLOAT")
    studio = StudioProcess([str(clip), "-k", "40"], tmp_path / "tmp")
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
