"""The studio in a real browser: Debian's chromium driven by Playwright, the server a real process.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``; another path in
``NMFSEP_CHROMIUM``) and the ``playwright`` package; never ``playwright
install``.  ``NMFSEP_UPDATE_SCREENSHOTS=1`` writes the screenshots of
``docs/studio.md`` to ``docs/figures/studio_*.png`` (else to a temporary folder).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import sync_playwright
from studio_server import StudioProcess

from nmfsep import synth

CHROMIUM = os.environ.get("NMFSEP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
K = 8
#: The one console error a refused upload causes: the browser logs the 4xx response.
REFUSED_UPLOAD = "the server responded with a status of 400"


def _write_clip(path: Path, duration: float, seed: int) -> Path:
    example = synth.drums_and_guitar(duration=duration, sr=22050, seed=seed)
    sf.write(path, example.mixture.T, example.sr, subtype="FLOAT")
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return _write_clip(tmp_path_factory.mktemp("clip") / "clip.wav", 3.0, 0)


@pytest.fixture(scope="module")
def studio(tmp_path_factory, clip):
    process = StudioProcess([clip.name, "-n", "2", "-k", str(K), "--max-upload", "1M"],
                            tmp_path_factory.mktemp("studio"), cwd=clip.parent)
    yield process
    assert process.stop() == 0
    assert process.private_folders() == []
    assert "Traceback" not in process.stderr()


@pytest.fixture(scope="module")
def api(studio):
    with httpx.Client(base_url=studio.base, timeout=60,
                      headers={"Authorization": f"token {studio.token}"}) as client:
        yield client


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: apt-get install chromium (or set "
                    "NMFSEP_CHROMIUM); the studio's browser tests must run")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> Path:
    if os.environ.get("NMFSEP_UPDATE_SCREENSHOTS"):
        return Path(__file__).resolve().parents[1] / "docs" / "figures"
    return tmp_path_factory.mktemp("figures")


class Page:
    """A fresh browser context on the studio, with every console error it logs."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1200, "height": 900},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console",
                     lambda message: message.type == "error" and self.problems.append(
                         message.text))
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.goto(url)
        self.settled()

    def settled(self, timeout: float = 60_000) -> None:
        """Wait until the studio is ready and the sources follow the newest assignment."""
        self.page.wait_for_function(
            "() => document.body.dataset.status === 'ready' && "
            "document.body.dataset.rendered === document.body.dataset.version",
            timeout=timeout)


@pytest.fixture
def studio_page(browser, studio):
    page = Page(browser, studio.url)
    yield page
    page.context.close()


def _source_of(page, k: int) -> int:
    return int(page.locator(f'[data-component="{k}"]').evaluate(
        "element => element.closest('[data-source]').dataset.source"))


def _wav(response: httpx.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    data, _ = sf.read(io.BytesIO(response.content), dtype="float32", always_2d=True)
    return data.T


def test_the_page_shows_every_component_inside_its_source(studio_page, api, figures):
    page = studio_page.page
    state = api.get("/api/state").json()
    assert state["n_components"] == K
    assert page.locator("[data-source]").count() == len(state["sources"]) == 2
    assert page.locator("[data-source] [data-component]").count() == K
    for k in range(K):
        assert _source_of(page, k) == state["labels"][k]
    assert page.locator("#spectrogram").evaluate("img => img.complete && img.naturalWidth") > 0
    drawn = page.locator('[data-component="0"] canvas.spectrum').evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
        ".filter((v, i) => i % 4 === 3 && v > 0).length")
    assert drawn > 100  # the spectrum is drawn, not blank
    assert "% of the energy" in page.locator('[data-component="0"] .words').inner_text()
    assert page.locator("#command").inner_text() == state["command"]
    page.screenshot(path=figures / "studio_page.png", full_page=True)
    assert studio_page.problems == []


def test_a_component_plays_for_exactly_the_servers_duration(studio_page, api):
    page = studio_page.page
    state = api.get("/api/state").json()
    k = 3
    page.click(f'[data-component="{k}"] [data-action="play-component"]')
    page.wait_for_function("() => window.nmfsepStudio.lastPlayed !== null")
    played = page.evaluate("() => window.nmfsepStudio.lastPlayed")
    served = _wav(api.get(f"/api/audio/component/{k}.wav?model={state['model']}"))
    assert (played["kind"], played["index"]) == ("component", k)
    assert played["length"] == served.shape[1] == state["recording"]["samples"]
    assert played["sampleRate"] == state["recording"]["sr"]
    assert played["duration"] == pytest.approx(served.shape[1] / state["recording"]["sr"],
                                               abs=1e-9)
    page.wait_for_function("() => Number(document.body.dataset.position) > 0.1")
    assert page.locator(f'[data-component="{k}"][data-playing="true"]').count() == 1
    page.click("#stop")
    assert page.locator("[data-playing]").count() == 0
    assert studio_page.problems == []


def test_a_keyboard_move_and_a_drag_change_the_source(studio_page, api, figures):
    page = studio_page.page
    state = api.get("/api/state").json()
    k = state["sources"][0]["components"][0]
    page.focus(f'[data-component="{k}"]')
    page.keyboard.press("2")
    page.wait_for_selector(f'[data-source="1"] [data-component="{k}"]')
    studio_page.settled()
    assert api.get("/api/state").json()["labels"][k] == 1
    assert page.evaluate("() => document.activeElement.dataset.component") == str(k)
    page.screenshot(path=figures / "studio_keyboard.png", full_page=True)

    j = api.get("/api/state").json()["sources"][1]["components"][-1]
    page.drag_and_drop(f'[data-component="{j}"]', '[data-source="0"] header')
    page.wait_for_selector(f'[data-source="0"] [data-component="{j}"]')
    studio_page.settled()
    after = api.get("/api/state").json()
    assert after["labels"][j] == 0 and after["labels"][k] == 1
    assert after["version"] == state["version"] + 2
    assert page.locator("#groups-text").input_value() == after["groups"] != state["groups"]
    assert page.locator("#command").inner_text() == after["command"]
    assert studio_page.problems == []


def test_the_downloaded_stems_add_up_to_the_mixture(studio_page, api):
    page = studio_page.page
    with page.expect_download() as download:
        page.click('[data-download="stems"]')
    state = api.get("/api/state").json()
    mixture = _wav(api.get("/api/audio/mixture.wav"))
    with zipfile.ZipFile(download.value.path()) as archive:
        record = json.loads(archive.read("separation.json"))
        stems = [_wav(httpx.Response(200, content=archive.read(f"{source['name']}.wav")))
                 for source in state["sources"]]
        assert "factorization.npz" in archive.namelist()
    assert download.value.suggested_filename == "clip_stems.zip"
    assert [s["components"] for s in record["sources"]] == [
        s["components"] for s in state["sources"]]
    assert record["groups"] == state["groups"]
    np.testing.assert_allclose(np.sum(stems, axis=0), mixture, atol=1e-5)
    assert studio_page.problems == []


def test_sources_are_added_renamed_removed_regrouped_and_refactorized(studio_page, api):
    page = studio_page.page
    model = api.get("/api/state").json()["model"]
    page.click("#add-source")
    page.wait_for_selector('[data-source="2"]')
    studio_page.settled()
    page.fill('[data-source="2"] .name', "bass")
    page.press('[data-source="2"] .name', "Enter")
    page.wait_for_function("() => window.nmfsepStudio.state.sources[2].name === 'bass'")
    k = api.get("/api/state").json()["sources"][0]["components"][0]
    page.focus(f'[data-component="{k}"]')
    page.keyboard.press("3")
    page.wait_for_selector(f'[data-source="2"] [data-component="{k}"]')
    studio_page.settled()
    state = api.get("/api/state").json()
    assert [s["name"] for s in state["sources"]][2] == "bass" and state["labels"][k] == 2

    page.click('[data-source="2"] [data-action="remove-source"]')
    page.wait_for_function("() => window.nmfsepStudio.state.sources.length === 2")
    studio_page.settled()
    assert api.get("/api/state").json()["labels"][k] == 0  # back to the first source

    page.fill("#n-sources", "3")
    page.click("#regroup-form button")
    page.wait_for_selector('[data-source="2"]')
    studio_page.settled()
    state = api.get("/api/state").json()
    assert len(state["sources"]) == 3 and state["model"] == model  # no new factorization
    assert page.locator("[data-source] [data-component]").count() == K

    page.fill("#n-sources", "2")
    page.fill("#n-components", "6")
    page.click("#factorize-form button")
    page.wait_for_function("() => window.nmfsepStudio.state.n_components === 6")
    studio_page.settled()
    assert page.locator("[data-source] [data-component]").count() == 6
    page.fill("#n-components", str(K))
    page.click("#factorize-form button")
    page.wait_for_function(f"() => window.nmfsepStudio.state.n_components === {K}")
    studio_page.settled()
    assert studio_page.problems == []


def test_without_the_token_the_studio_answers_401_or_403(studio):
    assert httpx.get(f"{studio.base}/").status_code == 401
    assert httpx.get(f"{studio.base}/api/state").status_code == 401
    assert httpx.post(f"{studio.base}/api/assign", json={}).status_code == 401
    assert httpx.get(f"{studio.base}/?token=wrong").status_code == 403
    assert httpx.get(f"{studio.base}/api/export/stems.zip",
                     headers={"Authorization": "token wrong"}).status_code == 403


def test_a_foreign_host_is_refused(studio, api):
    for host in ("evil.example", f"evil.example:{studio.port}", f"192.0.2.1:{studio.port}"):
        response = api.get("/api/state", headers={"Host": host})
        assert response.status_code == 403, host


def test_an_upload_over_max_upload_gets_413_and_the_studio_goes_on(studio, api):
    before = api.get("/api/state").json()
    big = b"\0" * (1024 * 1024 + 1)
    response = api.post("/api/upload", files={"file": ("big.wav", big, "audio/wav")})
    assert response.status_code == 413
    assert "1 MB" in response.json()["error"] and "--max-upload" in response.json()["error"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n\r\n'
        for _ in range(20):
            yield b"\0" * 65536

    response = api.post("/api/upload", content=chunks(),
                        headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413
    after = api.get("/api/state").json()
    assert after["recording"] == before["recording"] and after["status"] == "ready"
    assert [p.name for p in studio.private_folders()[0].iterdir()] == []  # nothing half-kept


def test_bad_audio_shows_a_message_on_the_page(studio_page, figures):
    page = studio_page.page
    page.set_input_files("#file-input", files=[{
        "name": "broken.wav", "mimeType": "audio/wav",
        "buffer": b"RIFF\x24\x00\x00\x00WAVEfmt this is not audio at all"}])
    message = page.locator("#message")
    message.wait_for(state="visible")
    text = message.inner_text()
    assert text.startswith("broken.wav: ") and "not a readable audio file" in text
    assert "Traceback" not in text and "nmfsep-studio-" not in text
    assert page.locator("[data-source] [data-component]").count() == K  # the old one stays
    page.screenshot(path=figures / "studio_error.png")
    assert [p for p in studio_page.problems if REFUSED_UPLOAD not in p] == []


def test_a_file_uploaded_on_the_page_replaces_the_recording(studio_page, studio, api, tmp_path):
    page = studio_page.page
    other = _write_clip(tmp_path / "second take.wav", 2.0, 5)
    with page.expect_file_chooser() as chooser:
        page.click("#open-file")
    chooser.value.set_files(str(other))
    page.wait_for_function(
        "() => (window.nmfsepStudio.state.recording || {}).name === 'second take.wav'")
    studio_page.settled()
    state = api.get("/api/state").json()
    assert state["recording"]["samples"] == sf.info(other).frames
    assert page.locator("[data-source] [data-component]").count() == K
    assert "second take.wav" in page.locator("#recording-name").inner_text()
    assert [p.name for p in studio.private_folders()[0].iterdir()] == []  # decoded, removed
    assert studio_page.problems == []
