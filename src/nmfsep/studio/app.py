"""The studio's web application: the page, its data, its audio and its commands.

Reading is ``GET``; every change is ``POST`` (JSON, or the multipart upload).
Heavy work goes to the session's worker or to a thread, never onto the event
loop.  Errors come back as ``{"error": message}`` with 400 (bad input), 409
(busy), 413 (too large) or 500 (a bug; the traceback goes to the terminal
only).
"""

from __future__ import annotations

import contextlib
import json
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..errors import NmfsepError, ParameterError
from . import engine
from .assignment import command_line, saved_text
from .describe import describe_all
from .export import folder_name, stem_name, wav_bytes, write_stems_zip
from .figures import LOWEST_HZ, activation_curves, spectrogram_png, spectrum_curves
from .security import Guard
from .session import Busy, Session
from .uploads import receive_upload

__all__ = ["create_app", "DEFAULT_MAX_UPLOAD", "DEFAULT_MAX_SECONDS", "STATIC_FILES"]

#: Largest upload accepted by default, in bytes.
DEFAULT_MAX_UPLOAD = 500 * 2**20
#: Longest recording accepted by default, in seconds (its decoded duration).
DEFAULT_MAX_SECONDS = 20 * 60.0
#: The page's files (in ``nmfsep/studio/static``) and their types.
STATIC_FILES = {"index.html": "text/html; charset=utf-8",
                "studio.js": "text/javascript; charset=utf-8",
                "studio.css": "text/css; charset=utf-8"}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: blob:; "
                                "media-src 'self' blob:; frame-ancestors 'none'; "
                                "form-action 'self'; base-uri 'none'"),
}


def _static(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


def _json(payload, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers=_HEADERS)


def _session(request: Request) -> Session:
    return request.app.state.session


async def _body(request: Request) -> dict:
    try:
        payload = json.loads(await request.body() or b"{}")
    except ValueError:
        raise ParameterError("send the command as JSON") from None
    if not isinstance(payload, dict):
        raise ParameterError("send the command as a JSON object")
    return payload


def _integer(payload: dict, key: str, *, required: bool = True) -> int | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"{key} must be a whole number, got {value!r}")
    return value


def _model_id(request: Request) -> int:
    try:
        return int(request.query_params.get("model", ""))
    except ValueError:
        raise ParameterError("say which factorization: ?model=N") from None


# ---------------------------------------------------------------- pages and data
async def page(request: Request) -> Response:
    return Response(_static("index.html"), media_type=STATIC_FILES["index.html"],
                    headers=_HEADERS)


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC_FILES:
        return _json({"error": f"no such file: {name}"}, 404)
    return Response(_static(name), media_type=STATIC_FILES[name], headers=_HEADERS)


def _state(request: Request, status: int = 200) -> JSONResponse:
    """The session's state with what only the application knows (limits, the command)."""
    payload = _session(request).state()
    payload["max_upload"] = request.app.state.max_upload
    payload["max_upload_text"] = engine.format_size(request.app.state.max_upload)
    recording, assignment = _session(request).recording, _session(request).assignment
    if recording is not None and assignment is not None and payload["saved"]:
        payload["folder"] = folder_name(recording)
        payload["command"] = command_line(recording.name, folder_name(recording), assignment)
    return _json(payload, status)


async def state(request: Request) -> Response:
    return _state(request)


def _components(model: engine.Model) -> dict:
    features = model.features()
    spectra = spectrum_curves(model.W, model.sr).round(3)
    activations = activation_curves(model.H).round(3)
    words = describe_all(features)
    return {"lowest_hz": LOWEST_HZ, "highest_hz": model.sr / 2, "components": [
        {"index": k, "spectrum": spectra[k].tolist(), "activation": activations[k].tolist(),
         "words": words[k],
         "features": {name: round(float(values[k]), 4) for name, values in features.items()}}
        for k in range(model.n_components)]}


async def components(request: Request) -> Response:
    model_id = _model_id(request)
    payload = await run_in_threadpool(_session(request).cached, "components", model_id,
                                      _components)
    return _json({"model": model_id, **payload})


async def spectrogram(request: Request) -> Response:
    png = await run_in_threadpool(_session(request).cached, "spectrogram", _model_id(request),
                                  lambda model: spectrogram_png(model.magnitude(), model.sr))
    return Response(png, media_type="image/png", headers=_HEADERS)


def _wav(data: bytes, **headers: str) -> Response:
    return Response(data, media_type="audio/wav", headers={**_HEADERS, **headers})


async def mixture_audio(request: Request) -> Response:
    recording = _session(request).recording
    if recording is None:
        raise ParameterError("open a recording first")
    return _wav(await run_in_threadpool(wav_bytes, recording.y, recording.sr))


async def component_audio(request: Request) -> Response:
    k = request.path_params["k"]
    session = _session(request)
    model_id = _model_id(request)

    def render() -> bytes:
        model = session.model_of(model_id)
        if not 0 <= k < model.n_components:
            raise ParameterError(f"component {k} does not exist")
        return wav_bytes(model.component(k), model.sr)

    return _wav(await run_in_threadpool(render))


async def source_audio(request: Request) -> Response:
    s = request.path_params["s"]
    model, rendered = await run_in_threadpool(_session(request).current)
    if not 0 <= s < rendered.assignment.n_sources:
        raise ParameterError(f"source {s} does not exist")
    data = await run_in_threadpool(wav_bytes, rendered.sources[s], model.sr)
    return _wav(data, **{"X-Version": str(rendered.version)})


async def assignment_text(request: Request) -> Response:
    model, rendered = await run_in_threadpool(_session(request).current)
    name = f"{stem_name(model.recording)}_assignment.txt"
    return Response(saved_text(rendered.assignment), media_type="text/plain; charset=utf-8",
                    headers={**_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})


async def stems(request: Request) -> Response:
    session = _session(request)
    model, rendered = await run_in_threadpool(session.current)
    fresh = session.upload_target()  # each request its own file: two at once do not collide
    target = fresh.with_name(f"export-{rendered.version}-{fresh.name}.zip")
    await run_in_threadpool(write_stems_zip, target, model, rendered)
    name = f"{stem_name(model.recording)}_stems.zip"
    return FileResponse(target, media_type="application/zip", filename=name, headers=_HEADERS,
                        background=BackgroundTask(target.unlink, missing_ok=True))


# ---------------------------------------------------------------- commands (POST)
async def upload(request: Request) -> Response:
    session = _session(request)
    session.check_idle()
    path, name = await receive_upload(request, session.upload_target())
    try:
        await run_in_threadpool(session.open, path, name)  # decoded: the samples are in memory
    finally:
        path.unlink(missing_ok=True)
    return _state(request, 202)


async def factorize(request: Request) -> Response:
    payload = await _body(request)
    session = _session(request)
    session.factorize(_integer(payload, "n_sources", required=False),
                      _integer(payload, "n_components", required=False))
    return _state(request, 202)


async def regroup(request: Request) -> Response:
    payload = await _body(request)
    session = _session(request)
    session.regroup(_integer(payload, "n_sources"))
    return _state(request, 202)


async def assign(request: Request) -> Response:
    payload = await _body(request)
    names, labels = payload.get("names"), payload.get("labels")
    if not isinstance(names, list) or not isinstance(labels, list):
        raise ParameterError("send names (a list) and labels (a list)")
    session = _session(request)
    session.assign(names, labels, _integer(payload, "model"))
    return _state(request, 202)


async def load_assignment(request: Request) -> Response:
    payload = await _body(request)
    text = payload.get("text")
    if not isinstance(text, str):
        raise ParameterError('send the assignment as text: --groups "0,3,5;1,2,4"')
    session = _session(request)
    session.load(text, _integer(payload, "model"))
    return _state(request, 202)


# ---------------------------------------------------------------- errors
async def _nmfsep_error(request: Request, exc: Exception) -> Response:
    return _json({"error": str(exc)}, 409 if isinstance(exc, Busy) else 400)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # The server logs the traceback on stderr; the page gets a sentence.
    return _json({"error": f"unexpected error ({type(exc).__name__}); the details are in the "
                           "terminal that runs the studio"}, 500)


def create_app(token: str, *, folder: Path, allowed_hosts: tuple[str, ...] = (),
               max_upload: int = DEFAULT_MAX_UPLOAD,
               max_seconds: float = DEFAULT_MAX_SECONDS, n_sources: int | None = None,
               n_components: int | None = None) -> Starlette:
    """The studio as an ASGI application, with its :class:`~nmfsep.studio.session.Session`.

    Parameters
    ----------
    token : str
        The secret every request must carry (:mod:`nmfsep.studio.security`).
    folder : Path
        A private folder (mode 0700) for uploads and exports; removed at shutdown.
    allowed_hosts : tuple of str
        Host names accepted besides localhost, 127.0.0.1 and ::1.
    max_upload : int
        Largest upload in bytes.
    max_seconds : float
        Longest recording in seconds.
    n_sources, n_components : int, optional
        The first factorization's.

    Returns
    -------
    starlette.applications.Starlette
        ``app.state.session`` is the session; it is closed at shutdown.
    """
    session = Session(folder, max_seconds=max_seconds, n_sources=n_sources,
                      n_components=n_components)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        try:
            yield
        finally:
            session.close()

    routes = [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/api/state", state),
        Route("/api/components", components),
        Route("/api/spectrogram.png", spectrogram),
        Route("/api/audio/mixture.wav", mixture_audio),
        Route("/api/audio/component/{k:int}.wav", component_audio),
        Route("/api/audio/source/{s:int}.wav", source_audio),
        Route("/api/assignment.txt", assignment_text),
        Route("/api/export/stems.zip", stems),
        Route("/api/upload", upload, methods=["POST"]),
        Route("/api/factorize", factorize, methods=["POST"]),
        Route("/api/regroup", regroup, methods=["POST"]),
        Route("/api/assign", assign, methods=["POST"]),
        Route("/api/load", load_assignment, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes, lifespan=lifespan,
        middleware=[Middleware(Guard, token=token, allowed_hosts=allowed_hosts,
                               max_upload=max_upload,
                               max_upload_text=engine.format_size(max_upload))],
        exception_handlers={NmfsepError: _nmfsep_error, Exception: _unexpected},
    )
    app.state.session = session
    app.state.max_upload = max_upload
    return app
