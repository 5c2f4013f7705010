"""tiktok_pixel.page_fetch: --timeout bounds the whole fetch; redirects only to http(s)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tiktok_pixel.page_fetch import FetchError, fetch


def serve(handler: object) -> Iterator[str]:
    """A raw one-connection-at-a-time server running ``handler(conn)`` for each request."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stop = threading.Event()

    def loop() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            threading.Thread(target=handler, args=(conn,), daemon=True).start()  # type: ignore[arg-type]

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()


def trickle(conn: socket.socket) -> None:
    """Answers at once, then sends one byte every 0.1 s for a minute."""
    try:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 600\r\n\r\n")
        for _ in range(600):
            conn.sendall(b"x")
            time.sleep(0.1)
    except OSError:
        pass
    finally:
        conn.close()


def redirect_to(location: str) -> object:
    def handler(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 302 Found\r\nLocation: "
                + location.encode()
                + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        finally:
            conn.close()

    return handler


@pytest.fixture
def trickling() -> Iterator[str]:
    yield from serve(trickle)


def test_timeout_bounds_the_whole_fetch_not_each_read(trickling: str) -> None:
    start = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(trickling + "/", 1.0)
    elapsed = time.monotonic() - start
    assert str(caught.value) == f"{trickling}/: no answer within 1 s"
    assert elapsed < 3.0  # before: 60 s (each byte arrived well within the timeout)


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/page.html", "file:///etc/passwd"])
def test_a_redirect_to_another_scheme_is_refused(target: str) -> None:
    scheme = target.split(":")[0]
    for url in serve(redirect_to(target)):
        with pytest.raises(FetchError) as caught:
            fetch(url + "/", 5.0)
        assert str(caught.value) == f"{url}/: refusing to follow a redirect to a {scheme}: URL"


def test_redirects_within_http_are_followed() -> None:
    def final(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            body = b"<p>caf\xc3\xa9</p>"
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Content-Security-Policy: script-src 'self'\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
        finally:
            conn.close()

    for target in serve(final):
        for url in serve(redirect_to(target + "/end")):
            page = fetch(url + "/start", 5.0)
            assert page.url == target + "/end"
            assert page.text == "<p>café</p>"
            assert page.policies == ("script-src 'self'",)


def test_a_redirect_loop_ends() -> None:
    holder: list[str] = []

    def loop(conn: socket.socket) -> None:
        redirect_to(holder[0] + "/again")(conn)  # type: ignore[operator]

    for url in serve(loop):
        holder.append(url)
        with pytest.raises(FetchError, match="more than 10 redirects"):
            fetch(url + "/", 10.0)
