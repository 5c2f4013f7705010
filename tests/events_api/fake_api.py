"""A local stand-in for TikTok's Events API (pytest-httpserver on 127.0.0.1), for tests only.

It records every request and answers from a script: each scripted reply is used once, in order,
then it answers ``{"code": 0}``. A reply can also hang (bounded) to play a TikTok that is down.
"""

from __future__ import annotations

import collections
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PATH = "/open_api/v1.3/event/track/"
TOKEN = "test-access-token-0123456789"
OK = {"code": 0, "message": "OK", "request_id": "req-ok", "data": {}}


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: dict(OK))
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to hang before answering (released early by ``FakeEventsApi.release``).
    hang: float = 0.0


@dataclass
class Received:
    headers: dict[str, str]
    body: Any
    raw: bytes
    #: The client's TCP port: two requests on one connection share it.
    port: int = 0
    accepted: bool = False


class FakeEventsApi:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.script: collections.deque[Reply] = collections.deque()
        #: Answer used once the script is exhausted.
        self.default = Reply()
        self.received: list[Received] = []
        self.release = threading.Event()
        #: Optional ``rule(body) -> Reply | None`` consulted before the script (content-aware).
        self.rule: Any = None
        self._lock = threading.Lock()
        server.expect_request(PATH, method="POST").respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return self.server.url_for(PATH)

    def reply(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def _handle(self, request: Request) -> Response:
        raw = request.get_data()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        port = int(request.environ.get("REMOTE_PORT") or 0)
        with self._lock:
            reply = self.rule(body) if self.rule is not None else None
            if reply is None:
                reply = self.script.popleft() if self.script else self.default
            accepted = reply.status == 200 and isinstance(reply.body, dict)
            accepted = accepted and reply.body.get("code") == 0
            self.received.append(Received(dict(request.headers), body, raw, port, accepted))
        if reply.hang:
            self.release.wait(reply.hang)
        text = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        return Response(
            text, status=reply.status, headers=reply.headers, content_type="application/json"
        )

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [item for r in self.received if r.body for item in r.body["data"]]

    def event_ids(self) -> list[str]:
        return [item["event_id"] for item in self.events()]

    def accepted_ids(self) -> list[str]:
        """event_ids of the requests answered ``code == 0``."""
        with self._lock:
            return [
                item["event_id"]
                for r in self.received
                if r.accepted and r.body
                for item in r.body["data"]
            ]


@contextmanager
def api_server() -> Iterator[HTTPServer]:
    """A threaded pytest-httpserver on 127.0.0.1 (stopping one takes ~0.5 s: share it)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@contextmanager
def fake_events_api(server: HTTPServer) -> Iterator[FakeEventsApi]:
    """A fresh stand-in on ``server``; hanging replies are released when it ends."""
    server.clear()
    api = FakeEventsApi(server)
    try:
        yield api
    finally:
        api.release.set()
        server.clear()
