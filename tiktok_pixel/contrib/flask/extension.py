"""``TikTokPixel``: the Flask extension, and ``pixel``, the current request's collector.

One :class:`~tiktok_pixel.PageEvents` per request lives on ``flask.g`` (context-local, so
isolated per request, thread and greenlet). Templates render it with ``{% tiktok_pixel %}`` or
``{{ tiktok_pixel() }}``; calls made in a request that ends in a redirect wait in the session
for the next rendered page; ``TIKTOK_PIXEL_AUTO_INJECT`` puts the fragment into HTML responses
that lack it. Nothing here fails a request: a request-time failure logs one warning and the
page is served without the pixel.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, request
from flask import session as flask_session
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.local import LocalProxy

from ...collector import PageEvents
from ...fragment import render_calls, render_findings
from ...handoff import mirror_request
from ..jinja import TikTokPixelExtension, log_render_failure
from .carryover import MAX_CARRIED, SESSION_KEY, decode_calls, encode_calls
from .inject import has_pixel, insert_before_head_end
from .state import RUNTIME_PREFIX, PixelState, build_state

logger = logging.getLogger("tiktok_pixel")

#: ``app.extensions`` key holding the :class:`PixelState`.
EXTENSION_NAME = "tiktok_pixel"

_G_NAME = "_tiktok_pixel"
#: Set on ``g`` once the response was finalised (its session saved): a template streamed after
#: that must not take carried calls out of a session that will never be saved again.
_G_RESPONDED = "_tiktok_pixel_responded"
#: The response status, recorded for the Events API mirroring at the end of the request.
_G_STATUS = "_tiktok_pixel_status"

#: Cache lifetime of the unversioned runtime URL; the versioned one is immutable.
RUNTIME_MAX_AGE = 3600
VERSIONED_MAX_AGE = 365 * 24 * 3600

#: Statuses whose body is never touched.
_NO_BODY = frozenset({204, 304})


class _RequestPixel:
    """The request's collector, how many of its calls were rendered, whether a tag ran."""

    __slots__ = ("events", "rendered", "tagged")

    def __init__(self, events: PageEvents) -> None:
        self.events = events
        self.rendered = 0
        self.tagged = False

    def unrendered(self) -> list[Any]:
        return list(self.events.calls[self.rendered :])


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


def _request_pixel() -> _RequestPixel:
    if not has_request_context():
        raise RuntimeError(
            "tiktok_pixel.contrib.flask.pixel is the collector of the request being handled and "
            "is only available during a request; outside one, build a tiktok_pixel.PageEvents "
            "yourself"
        )
    data: _RequestPixel | None = g.get(_G_NAME)
    if data is None:
        data = _RequestPixel(PageEvents(get_state().config))
        setattr(g, _G_NAME, data)
    return data


def current_events() -> PageEvents:
    """The current request's ``PageEvents`` (created on first use); RuntimeError outside one."""
    return _request_pixel().events


#: The current request's ``PageEvents``: ``pixel.track(...)``, ``pixel.identify(...)``.
pixel: PageEvents = cast(PageEvents, LocalProxy(current_events))


def _request_nonce(state: PixelState) -> Any:
    """``TIKTOK_PIXEL_NONCE(request)`` when configured, else flask-talisman's nonce."""
    if state.nonce is not None:
        return state.nonce(request) or None
    return getattr(request, "csp_nonce", None) or None


def _session_may_carry() -> bool:
    """Whether the session can hold carried calls: only if the browser sent a session cookie.

    Without one we leave the session untouched, so a page that tracks nothing across redirects
    does not get ``Vary: Cookie`` (which would keep shared caches from storing it).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.session_interface.get_cookie_name(app) in request.cookies


def _carried() -> list[Any]:
    """Calls waiting in the session from a redirected request (a bad value: warn, ignore)."""
    if not _session_may_carry() or SESSION_KEY not in flask_session:
        return []
    calls, bad = decode_calls(flask_session.get(SESSION_KEY))
    if bad:
        logger.warning(
            "TikTok pixel: %d unreadable call(s) carried in the session were ignored", bad
        )
    return calls


def _render(nonce: str | None) -> Markup:
    """The fragment for the current request; raises (callers contain it)."""
    if not has_request_context():
        return Markup("")  # e.g. an e-mail rendered in a CLI command
    state = get_state()
    data = _request_pixel()
    data.tagged = True
    if not state.enabled:
        return Markup("")
    if nonce is None:
        nonce = _request_nonce(state)
    streaming = g.get(_G_RESPONDED, False)
    carried = [] if streaming else _carried()
    new = data.unrendered()
    config = state.config_for(request.script_root)
    calls = [*carried, *new]
    html = render_calls(config, calls, nonce=nonce)
    if config.debug and html:
        # the calls this fragment renders, carried ones included (not ``pixel.calls``)
        html += render_findings(config, calls, nonce=nonce)
    if carried or (not streaming and _session_may_carry() and SESSION_KEY in flask_session):
        flask_session.pop(SESSION_KEY, None)
    data.rendered += len(new)
    return html


def render_pixel(nonce: str | None = None) -> Markup:
    """The current request's pixel fragment for ``<head>``; never raises.

    Includes calls carried from a redirected request (once). Calls already rendered by an
    earlier tag on the same page are not repeated. ``nonce`` overrides the request's nonce.
    """
    try:
        return _render(nonce)
    except Exception as exc:  # request-time: never fail the page
        log_render_failure(exc)
        return Markup("")


def _jinja_renderer(context: Context, nonce: str | None) -> Markup:
    return render_pixel(nonce)


def _carry_over(data: _RequestPixel) -> None:
    """Keep the calls of a redirected request in the session for the next page."""
    new = data.unrendered()
    if not new:
        return
    stored = flask_session.get(SESSION_KEY)
    waiting = stored if isinstance(stored, list) else []
    merged = [*waiting, *encode_calls(new)]
    if len(merged) > MAX_CARRIED:
        logger.warning(
            "TikTok pixel: more than %d calls across redirects; the oldest %d were dropped",
            MAX_CARRIED,
            len(merged) - MAX_CARRIED,
        )
        merged = merged[-MAX_CARRIED:]
    try:
        flask_session[SESSION_KEY] = merged
    except RuntimeError:  # a NullSession: no SECRET_KEY
        logger.warning(
            "TikTok pixel: %d call(s) of a redirected request were dropped: the session is "
            "unavailable (set SECRET_KEY to carry them to the next page)",
            len(new),
        )
        return
    data.rendered += len(new)


def _auto_inject(state: PixelState, response: Response) -> None:
    if (
        response.mimetype != "text/html"
        or response.status_code in _NO_BODY
        or response.status_code < 200
        or response.is_streamed
        or response.direct_passthrough
        or "Content-Encoding" in response.headers
    ):
        return
    data: _RequestPixel | None = g.get(_G_NAME)
    if data is not None and data.tagged:
        return
    body = response.get_data()
    if has_pixel(body, state.config):
        return
    charset = response.mimetype_params.get("charset", "utf-8")
    fragment = str(_render(None)).encode(charset)
    if not fragment:
        return
    injected = insert_before_head_end(body, fragment)
    if injected is None:
        return
    response.set_data(injected)
    # the body now differs per request: a validator computed for the old body is wrong
    response.headers.pop("ETag", None)


def _after_request(response: Response) -> Response:
    setattr(g, _G_STATUS, response.status_code)
    try:
        state = get_state()
        if not state.enabled:
            return response
        if 300 <= response.status_code < 400 and "Location" in response.headers:
            data: _RequestPixel | None = g.get(_G_NAME)
            if data is not None:
                _carry_over(data)
        elif state.auto_inject:
            _auto_inject(state, response)
    except Exception as exc:  # request-time: never fail the response
        log_render_failure(exc)
    finally:
        setattr(g, _G_RESPONDED, True)
    return response


def _mirror_at_teardown(exc: BaseException | None) -> None:
    """Send the request's track calls to the Events API too, when it is configured.

    Runs when the request context ends, so calls a streamed template made are included; a
    request that raised (no status recorded) or answered 5xx mirrors nothing. Never raises.
    """
    try:
        state = get_state()
        mirror = state.mirror
        if mirror is None or not state.enabled:
            return
        data: _RequestPixel | None = g.get(_G_NAME)
        if data is None or exc is not None:
            return
        mirror_request(
            mirror,
            data.events.calls,
            request.environ,
            request=request,
            consent=state.consent_granted,
            status=g.get(_G_STATUS),
        )
    except Exception as error:  # request-time: never fail the response
        logger.warning(
            "TikTok Events API: the request's events were not mirrored (%s)",
            type(error).__name__,
        )


blueprint = Blueprint("tiktok_pixel", __name__, url_prefix=RUNTIME_PREFIX)


def _runtime_response(max_age: int, immutable: bool) -> Response:
    state = get_state()
    response = Response(state.runtime_js, mimetype="text/javascript")
    response.set_etag(state.runtime_version)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    if immutable:
        response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return cast(Response, response.make_conditional(request))


@blueprint.route("/tiktok_pixel.js")
def runtime_script() -> Response:
    """``static/tiktok_pixel.js``, cached for an hour and revalidated by ETag."""
    return _runtime_response(RUNTIME_MAX_AGE, immutable=False)


@blueprint.route("/tiktok_pixel.<version>.js")
def versioned_runtime_script(version: str) -> Response:
    """The same script under its content digest: cacheable for a year; other digests 404."""
    if version != get_state().runtime_version:
        abort(404)
    return _runtime_response(VERSIONED_MAX_AGE, immutable=True)


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
        ``TIKTOK_PIXEL_EVENTS_API`` set (and the pixel enabled), builds the one
        ``EventsApiMirror`` of the app (``state.mirror``); each request's track calls are
        mirrored when the request ends.
        """
        if EXTENSION_NAME in app.extensions:
            raise RuntimeError("TikTokPixel is already set up on this app")
        state = build_state(app.config, testing=app.testing)
        app.extensions[EXTENSION_NAME] = state
        app.jinja_env.add_extension(TikTokPixelExtension)
        app.jinja_env.tiktok_pixel_renderer = _jinja_renderer  # type: ignore[attr-defined]
        app.after_request(_after_request)
        if state.mirror is not None:
            app.teardown_request(_mirror_at_teardown)
        if not state.config.inline:
            app.register_blueprint(blueprint)

    @staticmethod
    def state(app: Flask | None = None) -> PixelState:
        """The :class:`PixelState` of ``app`` (default: the current app)."""
        return get_state(app)
