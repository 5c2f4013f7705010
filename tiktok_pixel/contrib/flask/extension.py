"""``TikTokPixel``: the Flask adapter of :mod:`tiktok_pixel.lifecycle`, and ``pixel``.

Each request's :class:`~tiktok_pixel.lifecycle.RequestPixel` lives on ``flask.g``
(context-local: isolated per request, thread and greenlet), created on first use. This module
only wires Flask to the lifecycle: the carry cookie, the nonce, the hooks
(``after_request`` settles the response and sends the carry cookie, ``got_request_exception``
marks a failed request, ``teardown_request`` hands the calls to the Events API mirror). Calls
carried over a redirect travel in a cookie of ours signed with a key derived from ``SECRET_KEY``
(:mod:`tiktok_pixel.carry_cookie`): the session is never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from flask import Flask, Response, current_app, g, got_request_exception, has_request_context
from flask import request as flask_request
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.local import LocalProxy

from ... import htmx
from ...carry_cookie import (
    COOKIE_NAME,
    CarryCookie,
    for_secret,
    private_cache_control,
    vary_cookie,
)
from ...collector import PageEvents
from ...failures import log_render_failure
from ...lifecycle import RequestPixel
from ..jinja import TikTokPixelExtension
from .state import PixelState, build_state
from .static_script import blueprint

logger = logging.getLogger(__name__)

#: ``app.extensions`` key holding the :class:`PixelState`.
EXTENSION_NAME = "tiktok_pixel"

_G_NAME = "_tiktok_pixel"
#: The response status, recorded for the Events API hand-off at the end of the request.
_G_STATUS = "_tiktok_pixel_status"


def get_state(app: Flask | None = None) -> PixelState:
    """The :class:`PixelState` of ``app`` (default: the current app)."""
    app = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return cast(PixelState, app.extensions[EXTENSION_NAME])
    except KeyError:
        raise RuntimeError(
            "TikTokPixel is not set up on this Flask app: call TikTokPixel(app) or "
            "TikTokPixel().init_app(app) first"
        ) from None


def _carrier() -> CarryCookie | None:
    """The app's carry cookie: signed with ``SECRET_KEY`` (fallbacks accepted), ``Secure`` as
    ``SESSION_COOKIE_SECURE``, the path the app is mounted at; ``None`` without a secret."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    return for_secret(
        app.secret_key,
        fallbacks=config.get("SECRET_KEY_FALLBACKS"),
        secure=bool(config.get("SESSION_COOKIE_SECURE")),
        path=flask_request.script_root or "/",
    )


def request_pixel() -> RequestPixel:
    """The current request's :class:`~tiktok_pixel.lifecycle.RequestPixel` (made on first use)."""
    if not has_request_context():
        raise RuntimeError(
            "tiktok_pixel.contrib.flask.pixel is the collector of the request being handled and "
            "is only available during a request; outside one, build a tiktok_pixel.PageEvents "
            "yourself"
        )
    found: RequestPixel | None = g.get(_G_NAME)
    if found is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        state = get_state(app)
        request = flask_request._get_current_object()  # type: ignore[attr-defined]
        found = RequestPixel(
            state,
            request,
            carrier=_carrier,
            carried=request.cookies.get(COOKIE_NAME),
            script_url=state.script_url_for(request.script_root),
        )
        found.htmx = htmx.exchange(_environ_header(request.environ))
        setattr(g, _G_NAME, found)
    return found


def _environ_header(environ: Mapping[str, Any]) -> htmx.HeaderGetter:
    """A request header by name, read straight from the WSGI environ.

    Cheaper than ``request.headers.get`` (which scans every header case-insensitively): an
    ordinary request only asks whether ``HX-Request`` is there.
    """

    def header(name: str) -> str | None:
        value = environ.get("HTTP_" + name.upper().replace("-", "_"))
        return value if isinstance(value, str) else None

    return header


def current_events() -> PageEvents:
    """The current request's ``PageEvents`` (created on first use); RuntimeError outside one."""
    return request_pixel().events


#: The current request's ``PageEvents``: ``pixel.track(...)``, ``pixel.identify(...)``.
pixel: PageEvents = cast(PageEvents, LocalProxy(current_events))


def render_pixel(nonce: str | None = None) -> Markup:
    """The current request's pixel fragment for ``<head>``; never raises.

    Calls carried from a redirected request render once; calls already on the page are not
    repeated. ``nonce`` overrides the request's nonce (``TIKTOK_PIXEL_NONCE``, else
    flask-talisman's ``request.csp_nonce``). Outside a request (an e-mail rendered in a CLI
    command) there is nothing to render.
    """
    if not has_request_context():
        return Markup("")
    try:
        return request_pixel().render(nonce)
    except Exception as exc:  # request-time: never fail the page
        log_render_failure(exc)
        return Markup("")


def _jinja_renderer(context: Context, nonce: str | None) -> Markup:
    return render_pixel(nonce)


def _after_request(response: Response) -> Response:
    found: RequestPixel | None = g.get(_G_NAME)
    if found is None:
        state = get_state()
        if not (state.enabled and (state.auto_inject or _htmx_request())):
            return response  # no call was made and nothing may be injected or sent
        found = request_pixel()
    status = response.status_code
    if found.site.mirror is not None:
        setattr(g, _G_STATUS, status)
    inject = found.site.auto_inject  # only then is the body read
    new_body = found.respond(
        status=status,
        content_type=response.mimetype,
        has_location=300 <= status < 400 and "Location" in response.headers,
        method=found.request.method,
        streaming=response.is_streamed or response.direct_passthrough,
        encoded=inject and "Content-Encoding" in response.headers,
        body=response.get_data if inject else None,
        charset=response.mimetype_params.get("charset", "utf-8") if inject else "utf-8",
        response_headers=response.headers.get,
    )
    if new_body is not None:
        response.set_data(new_body)
        response.headers.pop("ETag", None)  # a validator of the old body is wrong now
    if found.htmx is not None and found.htmx.header is not None:
        response.headers["HX-Trigger"] = found.htmx.header
    if found.cookie is not None:
        _send_cookie(response, found.cookie)
    return response


def _send_cookie(response: Response, value: str) -> None:
    """Set or delete the carry cookie; the response now depends on the visitor's cookies."""
    headers = response.headers
    headers.add("Set-Cookie", value)
    vary = cache = None
    for name, found in headers.items():  # one pass: Headers.get scans, and raises when missing
        lower = name.lower()
        if lower == "vary":
            vary = found
        elif lower == "cache-control":
            cache = found
    if vary is None:
        headers.add("Vary", "Cookie")
    else:
        headers.set("Vary", vary_cookie(vary))
    if cache is None:
        headers.add("Cache-Control", "private")
    else:
        headers.set("Cache-Control", private_cache_control(cache))


def _htmx_request() -> bool:
    """An htmx request may have calls waiting from a redirect to send in its HX-Trigger."""
    return htmx.exchange(_environ_header(flask_request.environ)) is not None


def _request_failed(sender: Flask, exception: BaseException | None = None, **extra: Any) -> None:
    """``got_request_exception``: the view raised; Flask renders its error page next."""
    if EXTENSION_NAME in sender.extensions:
        request_pixel().fail()


def _hand_off(exc: BaseException | None) -> None:
    """Hand the request's track calls to the Events API mirror (a request that raised: none)."""
    found: RequestPixel | None = g.get(_G_NAME)
    if found is not None and exc is None:
        found.hand_off(flask_request.environ, status=g.get(_G_STATUS))


class TikTokPixel:
    """The Flask extension: ``TikTokPixel(app)`` or ``TikTokPixel().init_app(app)``.

    Keeps no app on itself; each app's validated settings are on
    ``app.extensions["tiktok_pixel"]`` (a :class:`PixelState`).
    """

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate ``app.config``'s ``TIKTOK_PIXEL_*`` keys and install the hooks.

        Raises ``ValueError`` naming the key for invalid configuration. With
        ``TIKTOK_PIXEL_EVENTS_API`` set, builds the one ``EventsApiMirror`` of the app
        (``state.mirror``; see :func:`~tiktok_pixel.contrib.flask.state.build_state` for when);
        each request's track calls are handed to it when the request ends.
        """
        if EXTENSION_NAME in app.extensions:
            raise RuntimeError("TikTokPixel is already set up on this app")
        state = build_state(app.config, testing=app.testing)
        app.extensions[EXTENSION_NAME] = state
        app.jinja_env.add_extension(TikTokPixelExtension)
        app.jinja_env.tiktok_pixel_renderer = _jinja_renderer  # type: ignore[attr-defined]
        app.after_request(_after_request)
        got_request_exception.connect(_request_failed, app)
        if state.mirror is not None:
            app.teardown_request(_hand_off)
        if not state.config.inline:
            app.register_blueprint(blueprint)

    @staticmethod
    def state(app: Flask | None = None) -> PixelState:
        """The :class:`PixelState` of ``app`` (default: the current app)."""
        return get_state(app)
