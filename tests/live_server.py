"""Real servers on 127.0.0.1 for tests: an ASGI app under uvicorn, a WSGI app under wsgiref.

Each runs in a thread on a socket bound to a free port before the server starts (no port race),
is polled until it answers, and is always stopped when the ``with`` block ends.
"""

from __future__ import annotations

import asyncio
import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx

T = TypeVar("T")

#: Generous: the machine running the suite may be busy.
START_TIMEOUT = 30.0


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _wait_until(ready: Any, what: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if not thread.is_alive():
            raise RuntimeError(f"{what} stopped before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {START_TIMEOUT:.0f} s")
        time.sleep(0.02)


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1; yields its base URL (``http://127.0.0.1:PORT``)."""
    import uvicorn

    sock = _bound_socket()
    # keep-alive well past any pause a loaded machine makes between a redirect and its follow-up
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=60
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until(lambda: server.started, "uvicorn", thread)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """Serve a WSGI ``app`` with the standard library on 127.0.0.1 (a thread per request)."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        port = server.server_address[1]
        _wait_until(lambda: _answers(port), "wsgiref server", thread)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=START_TIMEOUT)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def in_fresh_thread(func: Callable[[], T]) -> T:
    """``func()`` in a new thread, its result or exception brought back.

    For asyncio (``asyncio.run``) and Django's ``async_to_sync`` in tests: once Playwright's sync
    API has started (the session's browser), the main thread counts as running an event loop.
    """
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append((True, func()))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return cast(T, value)


#: How many distinct visitors the concurrency checks send at once.
VISITORS = 200
_HASH = re.compile(r"\b[0-9a-f]{64}\b")


async def _visit(
    base: str, n: int, start: asyncio.Event, signin: str, account: str
) -> tuple[set[str], set[str]]:
    """One visitor (own cookie jar): sign in (post/redirect/get) or open the account page; the
    64-hex hashes on the page it ends on, and the two its own email and user id hash to."""
    from tiktok_pixel import hash_field

    email, user = f"Visitor.{n}@Example.com", f"visitor-{n}"
    params = {"email": email, "user": user}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await start.wait()
        if n % 2:
            response = await client.post(signin, params=params, follow_redirects=True)
        else:
            response = await client.get(account, params=params)
    assert response.status_code == 200
    expected = {hash_field("email", email), hash_field("external_id", user)}
    return set(_HASH.findall(response.text)), expected


def concurrent_visitors(
    base: str, *, signin: str, account: str, visitors: int = VISITORS
) -> list[tuple[set[str], set[str]]]:
    """``visitors`` clients released at once against ``base`` (asyncio, in a fresh thread):
    per visitor, the hashes its page held and the ones it should hold."""

    async def visit_all() -> list[tuple[set[str], set[str]]]:
        start = asyncio.Event()
        tasks = [
            asyncio.create_task(_visit(base, n, start, signin, account)) for n in range(visitors)
        ]
        await asyncio.sleep(0.1)
        start.set()
        return await asyncio.gather(*tasks)

    return in_fresh_thread(lambda: asyncio.run(visit_all()))
