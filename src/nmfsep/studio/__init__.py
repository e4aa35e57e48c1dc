"""nmfsep studio: a local web page to hear, see and move components, and take the stems home.

``nmfsep studio song.wav`` (or ``python -m nmfsep.studio song.wav``) starts a
server on 127.0.0.1, prints ``http://127.0.0.1:PORT/?token=TOKEN`` and opens
it.  The page shows the mixture's spectrogram and every component (its
spectrum, its activation, its features in words) inside the source it belongs
to; components move by drag and drop or by keyboard (focus one, press 1-9),
the sources follow without a new factorization, and the stems download as a
zip that adds up to the mixture.

Layout: :mod:`~nmfsep.studio.engine` is the only module that calls the
separation library; :mod:`~nmfsep.studio.session` holds the state and the
worker thread; :mod:`~nmfsep.studio.app` the routes;
:mod:`~nmfsep.studio.security` the token, Host and size rules;
:mod:`~nmfsep.studio.server` runs uvicorn; :mod:`~nmfsep.studio.command` is
the subcommand.  The page is ``static/`` (HTML, JavaScript, CSS; no build
step, nothing from the network).

Needs the ``web`` extra (``pip install 'nmfsep[web]'``: starlette, uvicorn,
python-multipart); ``import nmfsep`` never imports this package.
"""

from __future__ import annotations

__all__ = ["serve", "create_app"]


def serve(*args, **kwargs):
    """Run the studio until Ctrl-C (:func:`nmfsep.studio.server.serve`)."""
    from .server import serve as run

    return run(*args, **kwargs)


def create_app(*args, **kwargs):
    """The studio as an ASGI application (:func:`nmfsep.studio.app.create_app`)."""
    from .app import create_app as make

    return make(*args, **kwargs)
