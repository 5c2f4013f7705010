"""The Flask extension behind real servers on 127.0.0.1: threaded werkzeug and ``flask run``.

The concurrency test is the privacy guarantee: with 20 threads serving 200 requests, each page
holds its own user's hashed email and no one else's.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import CODE
from tests.contrib.flask_shop import create_app
from tests.payload import payloads

REQUESTS = 200
THREADS = 20
ROOT = Path(__file__).resolve().parents[2]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def server() -> Iterator[BaseWSGIServer]:
    app = create_app()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def test_200_requests_from_20_threads_each_see_only_their_own_user(
    server: BaseWSGIServer,
) -> None:
    emails = {user: f"User{user}@Example.com" for user in range(REQUESTS)}
    start = threading.Barrier(THREADS, timeout=10)
    threads_seen: set[int] = set()

    def visit(user: int) -> tuple[int, int, str]:
        if user < THREADS:
            start.wait()  # the first wave starts together
        threads_seen.add(threading.get_ident())
        query = urlencode({"user": str(user), "email": emails[user]})
        status, body = get(server.port, f"/user?{query}")
        return user, status, body

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(visit, range(REQUESTS)))

    assert len(results) == REQUESTS
    assert len(threads_seen) == THREADS
    for user, status, body in results:
        assert status == 200
        [payload] = payloads(body)
        own_email, own_id = sha(emails[user].lower()), sha(str(user))
        assert payload["calls"] == [
            ["identify", {"email": own_email, "external_id": own_id}],
            ["track", "ViewContent", {}, {"event_id": f"user-{user}"}],
        ]
        # no other user's hash anywhere on the page
        assert set(re.findall(r"[0-9a-f]{64}", body)) == {own_email, own_id}
        assert emails[user] not in body and emails[user].lower() not in body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_flask_run_serves_tracked_pages() -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "tests.contrib.flask_shop:create_app",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-reload",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get(port, "/product/sku-1?email=ann@example.com")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "flask run did not start: " + process.stderr.read().decode()  # type: ignore[union-attr]
                    ) from None
                time.sleep(0.1)
        assert status == 200
        [payload] = payloads(body)
        assert payload["pixels"] == [CODE]
        assert payload["calls"][0] == ["identify", {"email": sha("ann@example.com")}]
        assert payload["calls"][1][1] == "ViewContent"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()
