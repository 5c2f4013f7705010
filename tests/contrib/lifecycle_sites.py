"""The same small shop on every framework, for the lifecycle suite (``test_lifecycle.py``).

Each framework serves the same paths with the same behaviour:

- ``GET /page[?track=Event&id=ID]``: a page whose template renders the tag (tracks if asked);
- ``GET /double``: tracks ``ViewContent`` (id ``v-1``), and its template renders the tag twice;
- ``POST /post?ids=a,b``: tracks ``AddToCart`` once per id, then redirects (303) to ``/page``;
- ``GET /json``: a JSON response; ``GET /not-modified``: a 304;
- ``GET /stream``: tracks ``Search`` (id ``s-1``) and streams a page that renders the tag late;
- ``GET /raise``: tracks ``Purchase`` (id ``boom-1``), then raises; the site's error page
  renders the tag;
- ``GET /untagged``: a page without the tag whose own script and a comment hold ``</head>``.

An adapter for a new framework adds one ``make_*`` function and one entry in :data:`FACTORIES`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tests.conftest import CODE

#: The page without the tag: a site script and a comment both hold "</head>" before the real one.
UNTAGGED = (
    "<!doctype html><html><head><title>untagged</title>"
    '<script>window.siteRan = "</head>".length;</script>'
    "<!-- the template ends </head> below -->"
    "</head><body><p>untagged</p></body></html>"
)


def page_html(tag: str, title: str = "page") -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title>{tag}</head>"
        f"<body><p>{title}</p></body></html>"
    )


def nonce_from_header(request: Any) -> str | None:
    """The ``NONCE`` setting of these sites: the nonce a front proxy put in a header."""
    return request.headers.get("X-Nonce")


@dataclass
class Reply:
    """A response, the same for every framework's test client."""

    status: int
    text: str
    headers: Mapping[str, str]
    #: The ``Set-Cookie`` header values, in order.
    cookies: list[str]


class Adapter:
    """One framework's shop: ``get``/``post``/``head`` with cookies kept, and its mirror."""

    name: str
    #: The secret the site signs the carry cookie with.
    secret = "lifecycle-tests"

    def set_cookie(self, name: str, value: str) -> None:
        """Have the client send cookie ``name`` from now on."""
        raise NotImplementedError

    def get(self, path: str, **headers: str) -> Reply:
        raise NotImplementedError

    def post(self, path: str) -> Reply:
        raise NotImplementedError

    def head(self, path: str) -> Reply:
        raise NotImplementedError

    def mirror(self) -> Any:
        raise NotImplementedError


# --- Flask --------------------------------------------------------------------------------


def _flask_site(options: Mapping[str, Any], testing: bool) -> Any:
    from flask import (
        Flask,
        Response,
        jsonify,
        redirect,
        render_template_string,
        request,
        stream_with_context,
    )

    from tiktok_pixel.contrib.flask import TikTokPixel, pixel, render_pixel
    from tiktok_pixel.contrib.options import flask_key

    app = Flask(__name__)
    app.config.update(SECRET_KEY=Adapter.secret, TESTING=testing)
    app.config.update({flask_key(name): value for name, value in options.items()})
    TikTokPixel(app)
    tagged = page_html("{% tiktok_pixel %}")

    @app.get("/page")
    def page() -> str:
        if "track" in request.args:
            pixel.track(request.args["track"], event_id=request.args.get("id"))
        return render_template_string(tagged)

    @app.get("/double")
    def double() -> str:
        pixel.track("ViewContent", event_id="v-1")
        return render_template_string(page_html("{% tiktok_pixel %}{{ tiktok_pixel() }}"))

    @app.post("/post")
    def post() -> Any:
        for event_id in request.args["ids"].split(","):
            pixel.track("AddToCart", value=5, currency="EUR", event_id=event_id)
        return redirect("/page", 303)

    @app.get("/json")
    def json() -> Any:
        return jsonify(ok=True)

    @app.get("/not-modified")
    def not_modified() -> Any:
        return Response(status=304)

    @app.get("/stream")
    def stream() -> Any:
        pixel.track("Search", query="mugs", event_id="s-1")

        def body() -> Iterator[str]:
            yield "<!doctype html><html><head><title>stream</title>"
            yield str(render_pixel())  # a streamed template renders the tag late
            yield "</head><body>streamed</body></html>"

        return Response(stream_with_context(body()), mimetype="text/html")

    @app.get("/raise")
    def fail() -> Any:
        pixel.track("Purchase", value=9, currency="EUR", event_id="boom-1")
        raise RuntimeError("the order failed")

    @app.errorhandler(500)
    def error_page(error: Any) -> Any:
        return render_template_string(page_html("{% tiktok_pixel %}", "error")), 500

    @app.get("/untagged")
    def untagged() -> str:
        return UNTAGGED

    return app


class FlaskAdapter(Adapter):
    name = "flask"

    def __init__(self, options: Mapping[str, Any], testing: bool = False) -> None:
        self.app = _flask_site(options, testing)
        self.client = self.app.test_client()

    def _reply(self, response: Any) -> Reply:
        return Reply(
            response.status_code,
            response.get_data(as_text=True),
            response.headers,
            response.headers.getlist("Set-Cookie"),
        )

    def set_cookie(self, name: str, value: str) -> None:
        self.client.set_cookie(name, value)

    def get(self, path: str, **headers: str) -> Reply:
        return self._reply(self.client.get(path, headers=_header_names(headers)))

    def post(self, path: str) -> Reply:
        return self._reply(self.client.post(path))

    def head(self, path: str) -> Reply:
        return self._reply(self.client.head(path))

    def mirror(self) -> Any:
        from tiktok_pixel.contrib.flask import get_state

        return get_state(self.app).mirror

    def close(self) -> None:
        mirror = self.mirror()
        if mirror is not None:
            assert mirror.close(timeout=5)


def _header_names(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.replace("_", "-"): value for name, value in headers.items()}


# --- Django -------------------------------------------------------------------------------


class DjangoAdapter(Adapter):
    name = "django"

    def __init__(self, options: Mapping[str, Any], testing: bool = False) -> None:
        from django.test import Client, override_settings

        self.override = override_settings(
            TIKTOK_PIXEL=dict(options),
            ROOT_URLCONF="tests.contrib.lifecycle_django",
            SECRET_KEY=self.secret,
        )
        self.override.enable()
        self.client = Client(raise_request_exception=False)

    def _reply(self, response: Any) -> Reply:
        text = b"".join(response.streaming_content) if response.streaming else response.content
        cookies = [morsel.output(header="").strip() for morsel in response.cookies.values()]
        return Reply(response.status_code, text.decode(), response.headers, cookies)

    def set_cookie(self, name: str, value: str) -> None:
        self.client.cookies[name] = value

    def get(self, path: str, **headers: str) -> Reply:
        return self._reply(self.client.get(path, headers=_header_names(headers)))

    def post(self, path: str) -> Reply:
        return self._reply(self.client.post(path))

    def head(self, path: str) -> Reply:
        return self._reply(self.client.head(path))

    def mirror(self) -> Any:
        from tiktok_pixel.contrib.django.site import get_mirror

        return get_mirror()

    def close(self) -> None:
        from tiktok_pixel.contrib.django.site import close_mirror

        assert close_mirror(timeout=5)
        self.override.disable()


# --- Starlette ----------------------------------------------------------------------------


def starlette_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The Django option names as ``TikTokPixelMiddleware`` keyword arguments."""
    from tiktok_pixel.contrib.options import starlette_key

    return {starlette_key(key): value for key, value in options.items()}


def _starlette_site(options: Mapping[str, Any]) -> Any:
    from collections.abc import AsyncIterator

    from jinja2 import DictLoader, Environment
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import (
        HTMLResponse,
        JSONResponse,
        RedirectResponse,
        Response,
        StreamingResponse,
    )
    from starlette.routing import Route
    from starlette.templating import Jinja2Templates

    from tiktok_pixel.contrib.starlette import (
        TikTokPixelMiddleware,
        get_pixel,
        install,
        render_pixel,
    )

    pages = {
        "page.html": page_html("{% tiktok_pixel %}"),
        "double.html": page_html("{% tiktok_pixel %}{{ tiktok_pixel() }}"),
        "error.html": page_html("{% tiktok_pixel %}", "error"),
    }
    templates = Jinja2Templates(env=Environment(loader=DictLoader(pages), autoescape=True))
    install(templates)

    async def page(request: Request) -> Response:
        if "track" in request.query_params:
            get_pixel(request).track(
                request.query_params["track"], event_id=request.query_params.get("id")
            )
        return templates.TemplateResponse(request, "page.html")

    async def double(request: Request) -> Response:
        get_pixel(request).track("ViewContent", event_id="v-1")
        return templates.TemplateResponse(request, "double.html")

    async def post(request: Request) -> Response:
        for event_id in request.query_params["ids"].split(","):
            get_pixel(request).track("AddToCart", value=5, currency="EUR", event_id=event_id)
        return RedirectResponse("/page", status_code=303)

    async def json(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def not_modified(request: Request) -> Response:
        return Response(status_code=304)

    async def stream(request: Request) -> Response:
        get_pixel(request).track("Search", query="mugs", event_id="s-1")

        async def body() -> AsyncIterator[str]:
            yield "<!doctype html><html><head><title>stream</title>"
            yield str(render_pixel(request))  # a streamed page renders the tag late
            yield "</head><body>streamed</body></html>"

        return StreamingResponse(body(), media_type="text/html")

    async def fail(request: Request) -> Response:
        get_pixel(request).track("Purchase", value=9, currency="EUR", event_id="boom-1")
        raise RuntimeError("the order failed")

    async def error_page(request: Request, exc: Exception) -> Response:
        return templates.TemplateResponse(request, "error.html", status_code=500)

    async def untagged(request: Request) -> Response:
        return HTMLResponse(UNTAGGED)

    return Starlette(
        routes=[
            Route("/page", page),
            Route("/double", double),
            Route("/post", post, methods=["POST"]),
            Route("/json", json),
            Route("/not-modified", not_modified),
            Route("/stream", stream),
            Route("/raise", fail),
            Route("/untagged", untagged),
        ],
        middleware=[
            Middleware(
                TikTokPixelMiddleware, secret_key=Adapter.secret, **starlette_options(options)
            ),
        ],
        exception_handlers={500: error_page},
    )


class StarletteAdapter(Adapter):
    name = "starlette"

    def __init__(self, options: Mapping[str, Any], testing: bool = False) -> None:
        from starlette.testclient import TestClient

        self.app = _starlette_site(options)
        self.app.middleware_stack = self.app.build_middleware_stack()
        self.client = TestClient(self.app, raise_server_exceptions=False)

    def _reply(self, response: Any) -> Reply:
        return Reply(
            response.status_code,
            response.text,
            response.headers,
            response.headers.get_list("set-cookie"),
        )

    def set_cookie(self, name: str, value: str) -> None:
        self.client.cookies.set(name, value)

    def get(self, path: str, **headers: str) -> Reply:
        return self._reply(self.client.get(path, headers=_header_names(headers)))

    def post(self, path: str) -> Reply:
        return self._reply(self.client.post(path, follow_redirects=False))

    def head(self, path: str) -> Reply:
        return self._reply(self.client.head(path))

    def mirror(self) -> Any:
        from tiktok_pixel.contrib.starlette import TikTokPixelMiddleware

        app = self.app.middleware_stack
        while not isinstance(app, TikTokPixelMiddleware):
            app = app.app
        return app.site.mirror

    def close(self) -> None:
        mirror = self.mirror()
        if mirror is not None:
            assert mirror.close(timeout=5)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_settings")
    import django

    django.setup()


#: Framework name -> ``factory(options, testing) -> Adapter``; options use the Django names.
FACTORIES: dict[str, Callable[..., Adapter]] = {
    "flask": FlaskAdapter,
    "django": DjangoAdapter,
    "starlette": StarletteAdapter,
}

__all__ = ["CODE", "FACTORIES", "UNTAGGED", "Adapter", "Reply", "nonce_from_header", "page_html"]
