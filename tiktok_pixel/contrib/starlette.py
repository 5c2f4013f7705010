"""Starlette and FastAPI: a pure ASGI middleware, the request's collector, and the template tag.

::

    app.add_middleware(
        TikTokPixelMiddleware,
        pixel_code="C4A1B2C3D4E5F6G7H8I9",
        secret_key=os.environ["SECRET_KEY"],  # signs calls carried across a redirect
        auto_inject=True,
    )
    install(templates)  # {% tiktok_pixel %} in Jinja2Templates

    @app.post("/cart")
    async def add(request: Request, pixel: PageEvents = Depends(get_pixel)): ...

A thin adapter over :mod:`tiktok_pixel.lifecycle`: the middleware wraps ``send`` to see the
response's start (status, headers) and, for auto-injection, its body; calls carried across a
redirect travel in a cookie of ours signed with a key derived from the ``secret_key`` option
(:mod:`tiktok_pixel.carry_cookie`; no session is needed); an htmx request gets its calls in
``HX-Trigger`` (:mod:`tiktok_pixel.htmx`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from starlette.datastructures import Headers, MutableHeaders, Secret
from starlette.requests import Request, cookie_parser

from .. import htmx
from ..carry_cookie import (
    COOKIE_NAME,
    CarryCookie,
    for_secret,
    private_cache_control,
    vary_cookie,
)
from ..collector import PageEvents
from ..lifecycle import RequestPixel, Site, is_page
from ..static_route import script_reply, versioned_name
from .options import Spelling, build_options, starlette_key

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context
    from starlette.templating import Jinja2Templates
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["TikTokPixelMiddleware", "get_pixel", "install", "render_pixel"]

#: Where the middleware serves ``static/tiktok_pixel.js`` when ``inline=False``.
RUNTIME_PREFIX = "/_tiktok_pixel/"

#: The scope key holding the request's :class:`~tiktok_pixel.lifecycle.RequestPixel`.
SCOPE_KEY = "tiktok_pixel"

#: The middleware's keyword arguments; messages about one start with the middleware's name.
STARLETTE = Spelling(
    "TikTokPixelMiddleware", starlette_key, message_prefix="TikTokPixelMiddleware: "
)


def build_site(pixel_code: str | Sequence[str] | None, **options: Any) -> Site:
    """The middleware's options validated into a :class:`~tiktok_pixel.lifecycle.Site`.

    ``ValueError`` naming the option for anything unknown or invalid (every problem at once).
    """
    runtime_url = RUNTIME_PREFIX + versioned_name()
    found = build_options({"pixel_code": pixel_code, **options}, STARLETTE, runtime_url=runtime_url)
    return found.site(mirror=found.mirror())


_SOURCE = "TikTokPixelMiddleware"


def _require_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{_SOURCE}: {name} must be True or False, not {type(value).__name__}")
    return value


def _secret(value: Any) -> str | bytes | None:
    """The ``secret_key`` option: a string, bytes or Starlette's ``Secret``; ``None``: unset."""
    if value is None:
        return None
    if isinstance(value, Secret):  # what starlette.config gives for a secret
        value = str(value)
    if not isinstance(value, str | bytes) or not value:
        raise ValueError(
            f"{_SOURCE}: secret_key must be a non-empty string (the site's secret, e.g. the one "
            f"given to SessionMiddleware), not {type(value).__name__}"
        )
    return value


class TikTokPixelMiddleware:
    """Pure ASGI middleware: each HTTP request gets its pixel; responses are settled on ``send``.

    ``TikTokPixelMiddleware(app, pixel_code="…", **options)``: ``options`` are the
    ``PixelConfig`` settings by their Python names (``use_existing_pixel``, ``consent``,
    ``default_phone_region``, ``inline``, …) plus ``enabled``, ``auto_inject``, ``nonce``
    (``callable(request) -> str | None``), ``events_api`` (the Events API option dict) and
    ``consent_granted`` (``callable(request) -> bool``), and ``secret_key`` (the site's secret:
    calls made before a redirect are carried in a cookie signed with a key derived from it;
    without it they are dropped with a warning) and ``https_only`` (``True``: that cookie is
    ``Secure``; as ``SessionMiddleware``'s option). Bad options raise ``ValueError`` here, naming
    the option.
    """

    def __init__(
        self,
        app: ASGIApp,
        pixel_code: str | Sequence[str] | None = None,
        *,
        secret_key: Any = None,
        https_only: bool = False,
        **options: Any,
    ) -> None:
        self.app = app
        self.site = build_site(pixel_code, **options)
        self._secret = _secret(secret_key)
        self._https_only = _require_bool("https_only", https_only)
        self._script_prefix = None if self.site.config.inline else RUNTIME_PREFIX

    def __repr__(self) -> str:
        return f"<TikTokPixelMiddleware {self.site.config.pixel_codes!r}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        prefix = self._script_prefix
        root = scope.get("root_path") or ""
        if prefix is not None:
            # the path includes root_path (ASGI); routes are matched without it
            path = scope["path"]
            path = path[len(root) :] if root and path.startswith(root) else path
            if path.startswith(prefix) and await _send_script(scope, send, path):
                return
        request = Request(scope, receive)
        pixel = self.site.begin(
            request,
            carrier=lambda: self._carry_cookie(root),
            carried=_carried(scope["headers"]),
            script_url=f"{root}{self.site.config.runtime_url}" if root and prefix else None,
        )
        pixel.htmx = htmx.exchange(_pick(scope["headers"], _REQUEST_HEADERS).get)
        scope.setdefault("state", {})["tiktok_pixel"] = pixel.events
        scope[SCOPE_KEY] = pixel
        exchange = _Exchange(self.site, pixel, scope["method"], send)
        try:
            await self.app(scope, receive, exchange.send)
        except BaseException:
            pixel.fail()
            raise
        finally:
            await exchange.flush()
        if self.site.mirror is not None and pixel.events.calls:
            pixel.hand_off(wsgi_environ(scope), status=exchange.status)

    def _carry_cookie(self, root: str) -> CarryCookie | None:
        return for_secret(self._secret, secure=self._https_only, path=root or "/")


_COOKIE_MARK = COOKIE_NAME.encode("latin-1") + b"="


def _carried(raw: Any) -> str | None:
    """The carry cookie's value from raw ASGI request headers (``None``: not sent).

    Only a ``Cookie`` header that mentions it is parsed (HTTP/2 may split cookies over several).
    """
    for key, value in raw:
        if key == b"cookie" and _COOKIE_MARK in value:
            found = cookie_parser(value.decode("latin-1")).get(COOKIE_NAME)
            if found:
                return found
    return None


class _Exchange:
    """One response on its way out: settles the pixel at its start, injects into its body."""

    __slots__ = ("body", "held", "method", "pixel", "send_next", "site", "status")

    def __init__(self, site: Site, pixel: RequestPixel, method: str, send: Send) -> None:
        self.site = site
        self.pixel = pixel
        self.method = method
        self.send_next = send
        self.status: int | None = None
        self.held: Message | None = None  # the start, while we wait for the whole body
        self.body: list[bytes] = []

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = int(message["status"])
            if self.pixel.settles_nothing(self.status):  # most responses: nothing to do
                await self.send_next(message)
                return
            if (
                self.site.auto_inject
                and self.pixel.htmx is None
                and is_page(self.status, _header(message, b"content-type"), self.method)
                and _header(message, b"content-encoding") is None
            ):
                self.held = message  # it may gain the fragment: wait for the body
                return
            self._settle(message, body=None, streaming=False)
            await self.send_next(message)
        elif kind == "http.response.body" and self.held is not None:
            self.body.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._release(complete=True)
            elif len(self.body) == 1:  # streamed: no injection
                await self._release(complete=False)
        else:
            await self.send_next(message)

    def _settle(self, start: Message, body: bytes | None, streaming: bool) -> bytes | None:
        pixel = self.pixel
        headers = _pick(start.get("headers", ()), _RESPONSE_HEADERS)
        content_type = headers.get("content-type")
        new_body = pixel.respond(
            status=self.status or 0,
            content_type=content_type,
            has_location="location" in headers,
            method=self.method,
            streaming=streaming,
            body=None if body is None else (lambda: body),
            charset="utf-8" if body is None else _charset(content_type),  # for injection only
            response_headers=headers.get,
        )
        if pixel.htmx is not None and pixel.htmx.header is not None:
            MutableHeaders(scope=start)["HX-Trigger"] = pixel.htmx.header
        if pixel.cookie is not None:
            _send_cookie(MutableHeaders(scope=start), pixel.cookie)
        return new_body

    async def _release(self, *, complete: bool) -> None:
        start, self.held = self.held, None
        assert start is not None
        body = b"".join(self.body)
        self.body = []
        new_body = self._settle(start, body if complete else None, streaming=not complete)
        if new_body is not None:
            body = new_body
            headers = MutableHeaders(scope=start)
            headers["content-length"] = str(len(body))
            if "etag" in headers:
                del headers["etag"]
        await self.send_next(start)
        await self.send_next(
            {"type": "http.response.body", "body": body, "more_body": not complete}
        )

    async def flush(self) -> None:
        """The app ended while we held its start (it sent no last body): send what we have."""
        if self.held is not None:
            await self._release(complete=False)
            await self.send_next({"type": "http.response.body", "body": b"", "more_body": False})


def _send_cookie(headers: MutableHeaders, value: str) -> None:
    """Set or delete the carry cookie; the response now depends on the visitor's cookies."""
    headers.append("set-cookie", value)
    headers["vary"] = vary_cookie(headers.get("vary"))
    headers["cache-control"] = private_cache_control(headers.get("cache-control"))


#: The request headers and response headers the middleware reads (ASGI names are lower case).
_REQUEST_HEADERS = frozenset({b"hx-request", b"hx-boosted"})
_RESPONSE_HEADERS = frozenset(
    {
        b"content-type",
        b"location",
        b"hx-trigger",
        b"hx-redirect",
        b"hx-location",
        b"hx-refresh",
    }
)


class _Picked(dict[str, str]):
    """A few headers by lower-case name; ``get`` takes any case (htmx names them ``HX-…``)."""

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


def _pick(raw: Any, names: frozenset[bytes]) -> _Picked:
    """The headers named in ``names`` from raw ASGI ``(name, value)`` pairs, in one pass."""
    picked = _Picked()
    for key, value in raw:
        if key in names:
            picked[key.decode("latin-1")] = value.decode("latin-1")
    return picked


def _header(message: Message, name: bytes) -> str | None:
    for key, value in message.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _charset(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


async def _send_script(scope: Scope, send: Send, name: str) -> bool:
    """Answer a request of the runtime script under ``RUNTIME_PREFIX``; ``False``: not ours."""
    name = name[len(RUNTIME_PREFIX) :]
    if name == "tiktok_pixel.js":
        version = None
    elif name.startswith("tiktok_pixel.") and name.endswith(".js"):
        version = name[len("tiktok_pixel.") : -len(".js")]
    else:
        return False
    reply = script_reply(version, if_none_match=Headers(scope=scope).get("if-none-match"))
    headers = [
        (key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in reply.headers
    ]
    body = b"" if scope["method"] == "HEAD" else reply.body
    if reply.status == 200:
        headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return True


def wsgi_environ(scope: Scope) -> dict[str, Any]:
    """The WSGI-environ keys the Events API reads (client address, URL, headers) from a scope."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.get("method", "GET"),
        "SCRIPT_NAME": scope.get("root_path", ""),
        "PATH_INFO": scope.get("path", ""),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "wsgi.url_scheme": scope.get("scheme", "http"),
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = client[0]
    server = scope.get("server")
    if server:
        environ["SERVER_NAME"] = server[0]
        environ["SERVER_PORT"] = str(server[1] or "")
    for raw_key, raw_value in scope.get("headers", ()):
        key = "HTTP_" + raw_key.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def get_pixel(request: Request) -> PageEvents:
    """The request's collector (``request.state.tiktok_pixel``); a FastAPI dependency too.

    ``RuntimeError`` when ``TikTokPixelMiddleware`` is not installed on the app.
    """
    pixel = request.scope.get(SCOPE_KEY)
    if not isinstance(pixel, RequestPixel):
        raise RuntimeError("TikTokPixelMiddleware is not installed on this app")
    return pixel.events


def render_pixel(request: Any, nonce: str | None = None) -> Markup:
    """The request's fragment for ``<head>`` (what the tag prints); never raises.

    For a page built without ``Jinja2Templates`` (a streamed page, another template engine).
    Nothing without a request or without the middleware.
    """
    scope = getattr(request, "scope", None)
    pixel = scope.get(SCOPE_KEY) if isinstance(scope, dict) else None
    if not isinstance(pixel, RequestPixel):
        return Markup("")
    return pixel.render(nonce)


def _render(context: Context, nonce: str | None) -> Markup:
    return render_pixel(context.get("request"), nonce)


def install(templates: Jinja2Templates | Environment) -> None:
    """Add ``{% tiktok_pixel %}`` to ``Jinja2Templates`` (or its ``.env``).

    The tag renders the fragment of the ``request`` in the template context (what
    ``templates.TemplateResponse(request, name, context)`` puts there), with its nonce.
    """
    from ..contrib.jinja import TikTokPixelExtension

    env: Any = getattr(templates, "env", templates)
    env.add_extension(TikTokPixelExtension)
    env.tiktok_pixel_renderer = _render
