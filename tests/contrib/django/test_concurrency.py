"""200 visits from 20 threads against a threaded WSGI server: no page shows another user's PII."""

from __future__ import annotations

import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from tests.payload import payloads
from tiktok_pixel import hash_field

THREADS = 20
VISITS = 10  # per thread: 200 in all, half of them post/redirect/get
HASH = re.compile(r"\b[0-9a-f]{64}\b")


class Server(ThreadedWSGIServer):
    request_queue_size = 64  # 20 clients at once must not overflow the listen backlog


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = Server(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    httpd.set_app(WSGIHandler())
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def own_hashes(email: str, user: str) -> set[str]:
    return {hash_field("email", email), hash_field("external_id", user)}


def visit(base: str, thread: int, barrier: threading.Barrier) -> list[tuple[set[str], set[str]]]:
    """One user's session: pages seen (hashes on the page, hashes that should be there)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    barrier.wait(timeout=30)
    seen = []
    for i in range(VISITS):
        user, email = f"user-{thread}-{i}", f"User.{thread}.{i}@Example.com"
        if i % 2:
            data = urllib.parse.urlencode({"email": email, "user": user, "sku": "S"}).encode()
            response = opener.open(f"{base}/cart/add/", data=data, timeout=30)  # 302 -> /thanks/
            assert response.url == f"{base}/thanks/"
        else:
            query = urllib.parse.urlencode({"email": email, "user": user})
            response = opener.open(f"{base}/account/?{query}", timeout=30)
        html = response.read().decode()
        [payload] = payloads(html)
        [identify] = [c for c in payload["calls"] if c[0] == "identify"]
        assert identify[1] == {
            "email": hash_field("email", email),
            "external_id": hash_field("external_id", user),
        }
        seen.append((set(HASH.findall(html)), own_hashes(email, user)))
    return seen


def test_no_page_holds_another_users_hashed_email(server: str) -> None:
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(visit, server, t, barrier) for t in range(THREADS)]
        pages = [page for future in futures for page in future.result(timeout=120)]
    assert len(pages) == THREADS * VISITS
    everyone = set().union(*(own for _, own in pages))
    assert len(everyone) == 2 * THREADS * VISITS
    for on_page, own in pages:
        assert on_page == own
        assert not (on_page & (everyone - own))
