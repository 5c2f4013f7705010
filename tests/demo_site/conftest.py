"""Fixtures for the demo shop's tests: the app on a real threaded server on 127.0.0.1, every
response body it sends recorded, and browser tabs whose only reachable host is that server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from demo_site import create_app
from tests.browser import SDK_STANDIN, TIKTOK_HOSTS


@dataclass
class Recorded:
    """What the server sent: (path, status, headers, body) for every response."""

    responses: list[tuple[str, int, list[tuple[str, str]], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [body for *_, body in self.responses]

    def html(self, path_prefix: str = "") -> list[tuple[str, str]]:
        """(path, text) of every HTML response, in order."""
        with self.lock:
            return [
                (path, body.decode())
                for path, _, headers, body in self.responses
                if path.startswith(path_prefix)
                and any(k == "Content-Type" and v.startswith("text/html") for k, v in headers)
            ]


class _Recorder:
    """WSGI middleware that keeps a copy of every response the app sends (status, headers, body)."""

    def __init__(self, app: Any, recorded: Recorded) -> None:
        self.app, self.recorded = app, recorded

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        seen: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = int(status.split()[0]), list(headers)
            return start_response(status, headers, exc_info)

        iterable = self.app(environ, start)
        try:
            body = b"".join(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close:
                close()
        path = environ.get("PATH_INFO", "") + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""
        )
        with self.recorded.lock:
            self.recorded.responses.append((path, seen["status"], seen["headers"], body))
        return [body]


@dataclass
class Shop:
    app: Flask
    url: str
    recorded: Recorded


def serve(app: Flask) -> Iterator[Shop]:
    """Run ``app`` on a threaded werkzeug server on 127.0.0.1 (a free port) in a thread."""
    recorded = Recorded()
    server = make_server("127.0.0.1", 0, _Recorder(app.wsgi_app, recorded), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Shop(app, f"http://127.0.0.1:{server.server_port}", recorded)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def shop() -> Iterator[Shop]:
    yield from serve(create_app())


def open_shop(browser: Any, shop: Shop, *, real_standin: bool = True) -> Any:
    """A tab where only the shop is reachable; TikTok's hosts get the recording stub.

    ``real_standin=False`` also answers the shop's own SDK stand-in URL with the recording stub
    (which leaves the queues alone), so a test reads exactly what each page queued.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sdk_requests: list[str] = []
    page.sdk_requests = sdk_requests  # type: ignore[attr-defined]

    def handle(route: Any) -> None:
        url = route.request.url
        host = url.split("/")[2]
        if host in TIKTOK_HOSTS or (not real_standin and "/_sdk/events.js" in url):
            sdk_requests.append(url)
            route.fulfill(status=200, content_type="text/javascript", body=SDK_STANDIN)
        elif url.startswith(shop.url + "/"):
            if "/_sdk/events.js" in url:
                sdk_requests.append(url)
            route.continue_()
        else:
            route.abort()

    context.route("**/*", handle)
    return page


def buy(page: Any, shop: Shop, product: str, *, email: str, phone: str) -> None:
    """Accept consent, then buy ``product`` through the whole funnel up to the order page."""
    page.goto(shop.url + "/p/" + product)
    page.get_by_role("button", name="Accept").click()
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart")
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Phone").fill(phone)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiry (MM/YY)").fill("01/31")
    page.get_by_label("Security code").fill("321")
    page.get_by_role("button", name="Continue to review").click()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/order/*")
