"""``TikTokPixel``: the Flask adapter of :mod:`tiktok_pixel.lifecycle`, and ``pixel``.

Each request's :class:`~tiktok_pixel.lifecycle.RequestPixel` lives on the request object
(isolated per request, thread and greenlet), created on first use. This module
only wires Flask to the lifecycle: the carry cookie, the nonce, the hooks (``after_request``
settles the response and sends the carry cookie, ``got_request_exception`` marks a failed
request, ``teardown_request`` hands the calls to the Events API mirror). Calls carried over a
redirect travel in a cookie of ours signed with a key derived from ``SECRET_KEY``
(:mod:`tiktok_pixel.carry_cookie`): the session is never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, cast

from flask import Flask, Request, Response, current_app, got_request_exception
from flask import request as flask_request
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.local import LocalProxy

from ... import htmx
from ...calls import Call
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

#: The request attribute holding its :class:`RequestPixel`. On the request object itself, not
#: on ``flask.g``: every ``g`` or ``request.x`` lookup goes through a context-local proxy, which
#: costs more than the rest of an untracked request's pixel work.
_ATTR = "_tiktok_pixel"


def get_state(app: Flask | None = None) -> PixelState:
    """The :class:`PixelState` of ``app`` (default: the current app)."""
    app = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        state: PixelState = app.extensions[EXTENSION_NAME]
    except KeyError:
        raise RuntimeError(
            "TikTokPixel is not set up on this Flask app: call TikTokPixel(app) or "
            "TikTokPixel().init_app(app) first"
        ) from None
    return state


def _carrier() -> CarryCookie | None:
    """The app's carry cookie: signed with ``SECRET_KEY`` (fallbacks accepted), ``Secure`` as
    ``SESSION_COOKIE_SECURE``, the path the app is mounted at; ``None`` without a secret."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    request: Request = flask_request._get_current_object()  # type: ignore[attr-defined]
    return for_secret(
        config.get("SECRET_KEY"),
        fallbacks=config.get("SECRET_KEY_FALLBACKS"),
        secure=bool(config.get("SESSION_COOKIE_SECURE")),
        path=request.script_root or "/",
    )


def request_pixel() -> RequestPixel:
    """The current request's :class:`~tiktok_pixel.lifecycle.RequestPixel` (made on first use)."""
    try:
        request: Request = flask_request._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        raise RuntimeError(
            "tiktok_pixel.contrib.flask.pixel is the collector of the request being handled and "
            "is only available during a request; outside one, build a tiktok_pixel.PageEvents "
            "yourself"
        ) from None
    found: RequestPixel | None = getattr(request, _ATTR, None)
    return found if found is not None else _begin(request)


def _begin(request: Request) -> RequestPixel:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state: PixelState | None = app.extensions.get(EXTENSION_NAME)
    if state is None:
        state = get_state(app)  # raises, saying how to set it up
    environ = request.environ
    carried = None
    if COOKIE_NAME in environ.get("HTTP_COOKIE", ""):  # most requests carry nothing
        cookies = request.cookies
        # not cookies.get(): werkzeug's MultiDict raises and catches an exception for a
        # missing key
        carried = cookies[COOKIE_NAME] if COOKIE_NAME in cookies else None  # noqa: SIM401
    found = RequestPixel(
        state,
        request,
        carrier=_carrier,
        carried=carried,
        script_url=state.script_url_for(request.script_root) if state.script_url else None,
    )
    if "HTTP_HX_REQUEST" in environ:  # only then can it be an htmx request
        found.htmx = htmx.exchange(_environ_header(environ))
    setattr(request, _ATTR, found)
    return found


def _environ_header(environ: Mapping[str, Any]) -> htmx.HeaderGetter:
    """A request header by name, read straight from the WSGI environ."""

    def header(name: str) -> str | None:
        value = environ.get("HTTP_" + name.upper().replace("-", "_"))
        return value if isinstance(value, str) else None

    return header


def current_events() -> PageEvents:
    """The current request's ``PageEvents`` (created on first use); RuntimeError outside one."""
    return request_pixel().events


class _CurrentEvents(LocalProxy):  # type: ignore[type-arg]
    """A proxy to the current request's ``PageEvents`` whose tracking methods are its own.

    Any attribute works as on ``LocalProxy``; ``track``/``identify``/``segment``, called on every
    tracked request, skip the proxy's generic attribute lookup.
    """

    __slots__ = ()

    def track(self, *args: Any, **kwargs: Any) -> str:
        return request_pixel().events.track(*args, **kwargs)

    def identify(self, **fields: Any) -> dict[str, str]:
        return request_pixel().events.identify(**fields)

    def segment(self, event: Mapping[str, Any]) -> list[Call]:
        return request_pixel().events.segment(event)


#: The current request's ``PageEvents``: ``pixel.track(...)``, ``pixel.identify(...)``.
pixel: PageEvents = cast(PageEvents, _CurrentEvents(current_events))


def render_pixel(nonce: str | None = None) -> Markup:
    """The current request's pixel fragment for ``<head>``; never raises.

    Calls carried from a redirected request render once; calls already on the page are not
    repeated. ``nonce`` overrides the request's nonce (``TIKTOK_PIXEL_NONCE``, else
    flask-talisman's ``request.csp_nonce``). Outside a request (an e-mail rendered in a CLI
    command) there is nothing to render.
    """
    return _jinja_renderer(None, nonce)


def _jinja_renderer(context: Context | None, nonce: str | None) -> Markup:
    """:func:`render_pixel` as the Jinja environment's ``tiktok_pixel_renderer``."""
    try:
        request: Request = flask_request._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:  # no request: nothing to render
        return Markup("")
    try:
        found: RequestPixel | None = getattr(request, _ATTR, None)
        return (found if found is not None else _begin(request)).render(nonce)
    except Exception as exc:  # request-time: never fail the page
        log_render_failure(exc)
        return Markup("")


def _after_request_hook(state: PixelState) -> Callable[[Response], Response]:
    """The app's ``after_request`` hook: settles the response and sends the carry cookie."""
    maybe_idle = not state.auto_inject  # then a request that made no call needs nothing

    def after_request(response: Response) -> Response:
        request: Request = flask_request._get_current_object()  # type: ignore[attr-defined]
        found: RequestPixel | None = getattr(request, _ATTR, None)
        if found is None:
            if maybe_idle and "HTTP_HX_REQUEST" not in request.environ:
                return response  # no call was made and nothing may be injected or sent
            found = _begin(request)
        status = response.status_code
        if found.settles_nothing(status):
            return response
        inject = state.auto_inject  # only then is the body read
        new_body = found.respond(
            status=status,
            content_type=response.mimetype,
            has_location=300 <= status < 400 and "Location" in response.headers,
            method=request.method,
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

    return after_request


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


def _request_failed(sender: Flask, exception: BaseException | None = None, **extra: Any) -> None:
    """``got_request_exception``: the view raised; Flask renders its error page next."""
    if EXTENSION_NAME in sender.extensions:
        request_pixel().fail()


def _hand_off(exc: BaseException | None) -> None:
    """Hand the request's track calls to the Events API mirror (a request that raised: none)."""
    request: Request = flask_request._get_current_object()  # type: ignore[attr-defined]
    found: RequestPixel | None = getattr(request, _ATTR, None)
    if found is not None and exc is None:
        found.hand_off(request.environ, status=found.status)


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
        if state.enabled:  # disabled: nothing renders, is carried or mirrored
            app.after_request(_after_request_hook(state))
            got_request_exception.connect(_request_failed, app)
            if state.mirror is not None:
                app.teardown_request(_hand_off)
        if not state.config.inline:
            app.register_blueprint(blueprint)

    @staticmethod
    def state(app: Flask | None = None) -> PixelState:
        """The :class:`PixelState` of ``app`` (default: the current app)."""
        return get_state(app)
