"""Events API throughput: pages mirrored through the background sender to a local server.

Each event is a full request's worth of work: a ``PageEvents`` with an identify (unique email and
external id, so every value is hashed, no cache hits) and an AddToCart track, mirrored with the
request's context, batched, JSON-encoded and POSTed over keep-alive HTTP to a stand-in for the
Events API on 127.0.0.1 that counts the events it receives. The whole process, stand-in included,
is pinned to one CPU where the OS allows it.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tiktok_pixel import PageEvents, PixelConfig
from tiktok_pixel.events_api import (
    BackgroundSender,
    EventsApiConfig,
    EventsApiMirror,
    Outcome,
    RequestInfo,
    SendResult,
)
from tiktok_pixel.events_api.payload import events_from_calls

from .common import Result

CODE = "C3MV4QR3G487IS97GFI0"
TARGET = 20_000.0
_OK = b'{"code":0,"message":"OK","request_id":"bench","data":{}}'


class _Counter:
    def __init__(self) -> None:
        self.events = 0
        self.requests = 0
        self.lock = threading.Lock()


def _handler(counter: _Counter) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One write per response and no Nagle: otherwise a delayed ACK stalls each request
        # ~40 ms, and the figure would measure this stand-in's TCP, not the sender.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with counter.lock:
                counter.events += body.count(b'"event_id"')
                counter.requests += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(_OK)))
            self.end_headers()
            self.wfile.write(_OK)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def _server() -> Iterator[tuple[str, _Counter]]:
    counter = _Counter()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(counter))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/open_api/v1.3/event/track/", counter
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@contextmanager
def _one_cpu() -> Iterator[bool]:
    getter = getattr(os, "sched_getaffinity", None)
    setter = getattr(os, "sched_setaffinity", None)
    if getter is None or setter is None:
        yield False
        return
    before = getter(0)
    try:
        setter(0, {min(before)})
    except OSError:
        yield False
        return
    try:
        yield True
    finally:
        setter(0, before)


def _run_once(n: int) -> tuple[float, float, list[float], int]:
    pixel = PixelConfig(pixel_codes=CODE, default_currency="EUR")
    request = RequestInfo(
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) bench",
        url="https://shop.example/cart",
        ttp="01HZ-ttp-cookie",
    )
    with _server() as (url, counter):
        config = EventsApiConfig(
            access_token="bench-token", endpoint=url, queue_size=n, flush_interval=0.05
        )
        mirror = EventsApiMirror(pixel, config)
        latencies = []
        cpu = time.process_time()
        start = time.perf_counter()
        for i in range(n):
            page = PageEvents(pixel)
            page.identify(email=f"shopper{i}@example.com", external_id=f"customer-{i}")
            page.track("AddToCart", value=19.99, content_ids=[f"sku-{i % 500}"])
            t0 = time.perf_counter()
            mirror.mirror(page, request)
            latencies.append(time.perf_counter() - t0)
        mirror.flush(timeout=120)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        stats = mirror.stats()
        mirror.close(timeout=5)
        if stats.sent != n or counter.events != n:
            raise RuntimeError(
                f"benchmark lost events: {n} made, {stats.sent} sent, {counter.events} received"
            )
        return n / elapsed, n / cpu, latencies, counter.requests


class _HeldTransport:
    """Holds the sender's first request until released, so everything else stays queued."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def send(self, pixel_code: str, events: object) -> SendResult:
        self.release.wait(60)
        return SendResult(Outcome.ACCEPTED, len(events))  # type: ignore[arg-type]

    def close(self) -> None:
        self.release.set()


def memory_per_queued_event(n: int) -> float:
    """Bytes a queued event holds (tracemalloc): a full AddToCart page's server event.

    Identify (email, external_id, phone: hashed), a product with contents, value, currency and
    the request's IP, user agent, URL, referrer, _ttp and ttclid.
    """
    pixel = PixelConfig(pixel_codes=CODE, default_currency="EUR")
    request = RequestInfo(
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Safari/537.36",
        url="https://shop.example/products/blue-mug?utm_source=tiktok",
        referrer="https://shop.example/collections/mugs",
        ttp="01HZ8F3P2V9W-ttp-cookie-value",
        ttclid="E.C.P.ttclid-value-0123456789",
    )
    transport = _HeldTransport()
    sender = BackgroundSender(transport, queue_size=n + 1, batch_size=1, flush_interval=60.0)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            page = PageEvents(pixel)
            page.identify(
                email=f"shopper{i}@example.com", external_id=f"c-{i}", phone_number="+4915112345678"
            )
            page.track(
                "AddToCart",
                value=19.99,
                content_type="product",
                contents=[{"content_id": f"sku-{i}", "price": 19.99, "quantity": 1}],
            )
            for _, event in events_from_calls(page.calls, request=request):
                sender.enqueue(CODE, event)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        transport.release.set()
        sender.close(timeout=5)
    return held / n


def run(quick: bool) -> list[Result]:
    n = 5_000 if quick else 50_000
    with _one_cpu() as pinned:
        wall_rate, cpu_rate, latencies, requests = _run_once(n)
    latencies.sort()
    where = "pinned to one CPU" if pinned else "not pinned"
    queued = 2_000 if quick else 10_000
    per_event = memory_per_queued_event(queued)
    return [
        Result(
            "events API: memory per queued event",
            per_event,
            "bytes",
            note=(
                f"tracemalloc over {queued:,} queued AddToCart events (hashed identify, contents, "
                f"full request context); a full default queue (10,000) is "
                f"{per_event * 10_000 / 1e6:.1f} MB"
            ),
        ),
        Result(
            "events API: events per CPU-second",
            cpu_rate,
            "events/s",
            target=f">= {TARGET:,.0f}",
            ok=cpu_rate >= TARGET,
            note=(
                f"{n} AddToCart pages, unique email + external_id hashed, mirrored, batched "
                f"({requests} requests), POSTed and counted by a local server; process CPU time "
                f"of all threads, stand-in server included; {where}"
            ),
        ),
        Result(
            "events API: events/s, wall clock",
            wall_rate,
            "events/s",
            note="same run by the clock: lower than the CPU figure when the machine is busy",
        ),
        Result(
            "events API: mirror() per page, median",
            statistics.median(latencies) * 1e6,
            "us",
            note="request-thread cost: build the server event and queue it",
        ),
        Result(
            "events API: mirror() per page, p99",
            latencies[int(len(latencies) * 0.99)] * 1e6,
            "us",
        ),
    ]
