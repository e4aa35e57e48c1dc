"""The studio's door (nmfsep.studio.security) with Starlette's TestClient: token, Host, size."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from nmfsep.studio.app import create_app
from nmfsep.studio.security import Guard, cookie_name, host_name

TOKEN = "t" * 20 + "-secret"
LIMIT = 1000


async def _count(request: Request) -> JSONResponse:
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
    return JSONResponse({"received": total})


async def _hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


def _app(allowed_hosts=()) -> Starlette:
    return Starlette(
        routes=[Route("/", _hello), Route("/api/state", _hello),
                Route("/api/upload", _count, methods=["POST"]),
                Route("/api/assign", _count, methods=["POST"])],
        middleware=[Middleware(Guard, token=TOKEN, allowed_hosts=allowed_hosts,
                               max_upload=LIMIT, max_upload_text="1000 bytes", max_body=100)])


@pytest.fixture
def client() -> TestClient:
    return TestClient(_app(), base_url="http://127.0.0.1:8123", follow_redirects=False)


AUTH = {"Authorization": f"token {TOKEN}"}


def test_a_request_without_the_token_gets_401_with_what_to_do(client):
    response = client.get("/api/state")
    assert response.status_code == 401
    assert "token" in response.json()["error"]
    assert client.get("/").status_code == 401
    assert client.post("/api/assign", content=b"{}").status_code == 401


def test_a_wrong_token_gets_403_wherever_it_is_given(client):
    assert client.get("/api/state?token=nope").status_code == 403
    assert client.get("/api/state", headers={"Authorization": "token nope"}).status_code == 403
    client.cookies.set(cookie_name(TOKEN), "nope")
    assert client.get("/api/state").status_code == 403


def test_the_token_in_the_address_becomes_a_strict_httponly_cookie(client):
    response = client.get(f"/?token={TOKEN}")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{cookie_name(TOKEN)}={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # The cookie alone now opens every door.
    client.cookies.set(cookie_name(TOKEN), TOKEN)
    assert client.get("/").json() == {"hello": "world"}
    assert client.get("/api/state").status_code == 200


def test_the_authorization_header_works_and_two_servers_use_two_cookies(client):
    assert client.get("/api/state", headers=AUTH).status_code == 200
    assert cookie_name(TOKEN) != cookie_name(TOKEN + "x")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8123", "127.0.0.1.nip.io",
                                  "192.168.1.10:8123", "", "[::2]:8123"])
def test_a_foreign_host_header_is_refused_even_with_the_token(client, host):
    response = client.get("/api/state", headers={**AUTH, "Host": host})
    assert response.status_code == 403
    assert "localhost" in response.json()["error"]


@pytest.mark.parametrize("host", ["localhost:8123", "127.0.0.1:8123", "[::1]:8123", "LOCALHOST"])
def test_the_loopback_names_are_accepted(client, host):
    assert client.get("/api/state", headers={**AUTH, "Host": host}).status_code == 200


def test_the_bound_host_is_accepted_when_it_was_asked_for():
    client = TestClient(_app(allowed_hosts=("studio.lan",)), base_url="http://studio.lan:8123")
    assert client.get("/api/state", headers=AUTH).status_code == 200
    assert client.get("/api/state", headers={**AUTH, "Host": "other.lan"}).status_code == 403


def test_changes_from_another_origin_are_refused(client):
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        response = client.post("/api/assign", content=b"{}", headers={**AUTH, **headers})
        assert response.status_code == 403, headers
    same = client.post("/api/assign", content=b"{}",
                       headers={**AUTH, "Origin": "http://127.0.0.1:8123",
                                "Sec-Fetch-Site": "same-origin"})
    assert same.json() == {"received": 2}


def test_an_upload_over_the_limit_is_refused_from_its_content_length(client):
    response = client.post("/api/upload", content=b"x" * (LIMIT + 1), headers=AUTH)
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["error"]
    assert "--max-upload" in response.json()["error"]
    assert client.post("/api/upload", content=b"x" * LIMIT, headers=AUTH).json() == {
        "received": LIMIT}


def test_an_upload_without_content_length_is_counted_as_it_streams(client):
    def chunks(n):
        for _ in range(n):
            yield b"x" * 300

    response = client.post("/api/upload", content=chunks(4), headers=AUTH)  # 1200 bytes
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert "--max-upload" in response.json()["error"]
    assert client.post("/api/upload", content=chunks(3), headers=AUTH).json() == {
        "received": 900}


def test_a_false_content_length_does_not_get_more_through(client):
    response = client.post("/api/upload", content=b"x" * 2000,
                           headers={**AUTH, "Content-Length": "10"})
    assert response.status_code == 413
    assert client.post("/api/upload", content=b"1",
                       headers={**AUTH, "Content-Length": "x"}).status_code == 400


def test_commands_have_a_small_body_limit_of_their_own(client):
    assert client.post("/api/assign", content=b"x" * 101, headers=AUTH).status_code == 413
    assert client.post("/api/assign", content=b"x" * 100, headers=AUTH).status_code == 200


def test_host_names_are_read_without_port_or_brackets():
    assert host_name("[::1]:8000") == "::1"
    assert host_name("LocalHost:80") == "localhost"
    assert host_name("::1") is None
    assert host_name(None) is None


def test_the_studio_app_takes_changes_only_by_post(tmp_path):
    app = create_app(TOKEN, folder=tmp_path / "private")
    (tmp_path / "private").mkdir()
    with TestClient(app, base_url="http://127.0.0.1:8123") as client:
        for path in ("/api/upload", "/api/assign", "/api/factorize", "/api/regroup",
                     "/api/load"):
            assert client.get(path, headers=AUTH).status_code == 405, path
        page = client.get("/", headers=AUTH)
        assert page.status_code == 200
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert client.get("/static/app.py", headers=AUTH).status_code == 404
        state = client.get("/api/state", headers=AUTH).json()
        assert state["status"] == "empty" and state["max_upload"] == 500 * 2**20
    assert not (tmp_path / "private").exists()  # removed at shutdown
