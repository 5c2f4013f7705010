"""Celery on a real Redis broker: web processes publish events, worker processes POST them.

Everything runs on 127.0.0.1: Debian's ``redis-server`` on a free port (no persistence unless
asked), a stand-in for TikTok's Events API in this process that counts every ``event_id`` it
receives, ``web`` processes that mirror AddToCart pages through ``backend="celery"`` and
``celery worker`` processes configured by :mod:`benchmarks.celery_app`. Used by
``benchmarks/bench_celery.py`` and ``tests/contrib/test_celery_redis.py``.

Run one web process by hand: ``python -m benchmarks.celery_scale web BROKER_URL COUNT OFFSET``.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CODE = "C3MV4QR3G487IS97GFI0"
WORKER_TOKEN = "worker-own-token-0123456789"
_OK = b'{"code":0,"message":"OK","request_id":"scale","data":{}}'


#: The EventSink of the :func:`run_scale` under way (for a ``during`` callback to slow it down).
CURRENT_SINK: EventSink | None = None


def redis_server_path() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds passed (bounded, no fixed sleep)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(step)
    return check()


class RedisServer:
    """``redis-server`` on 127.0.0.1:``port`` in ``directory``; restartable on the same port.

    ``durable=True`` turns the append-only file on with an fsync per write, so whatever the
    broker acknowledged survives a ``SIGKILL``; otherwise nothing is written to disk.
    """

    def __init__(self, directory: Path, *, durable: bool = False) -> None:
        binary = redis_server_path()
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        self.binary = binary
        self.directory = directory
        self.durable = durable
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def results_url(self) -> str:
        """The same server's database 1, as a Celery result backend."""
        return f"redis://127.0.0.1:{self.port}/1"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--dir", str(self.directory), "--daemonize", "no", "--loglevel", "warning"]
        if self.durable:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if not wait_until(self.ping, 30):
            self.stop()
            raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: the broker dies without a chance to save anything."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(30)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None


@contextmanager
def redis_server(*, durable: bool = False) -> Iterator[RedisServer]:
    with tempfile.TemporaryDirectory(prefix="tp-redis-") as tmp:
        server = RedisServer(Path(tmp), durable=durable)
        server.start()
        try:
            yield server
        finally:
            server.stop()


class EventSink:
    """A stand-in for the Events API on 127.0.0.1 that counts every event_id it receives."""

    def __init__(self) -> None:
        self.ids: collections.Counter[str] = collections.Counter()
        self.tokens: set[str] = set()
        self.requests = 0
        #: ``(client port, event_ids)`` of every request: one port per TCP connection.
        self.log: list[tuple[int, list[str]]] = []
        #: Seconds to hold each answer after counting its events (a slow TikTok).
        self.delay = 0.0
        self.in_flight = 0
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ids = [item.get("event_id") for item in json.loads(body).get("data", [])]
                with sink.lock:
                    sink.ids.update(i for i in ids if isinstance(i, str))
                    sink.tokens.add(self.headers.get("Access-Token", ""))
                    sink.requests += 1
                    sink.log.append((self.client_address[1], [str(i) for i in ids]))
                    sink.in_flight += 1
                if sink.delay:
                    time.sleep(sink.delay)
                with sink.lock:
                    sink.in_flight -= 1
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(_OK)))
                    self.end_headers()
                    self.wfile.write(_OK)
                except OSError:  # the client was killed while we held its answer
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/open_api/v1.3/event/track/"

    def unique(self) -> int:
        with self.lock:
            return len(self.ids)

    def __enter__(self) -> EventSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its children that were waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    name: str
    log: Path
    ready_file: Path

    def ready(self) -> bool:
        return self.ready_file.exists()

    def cpu_seconds(self) -> float:
        total = _cpu_seconds(self.process.pid)
        for child in pool_children(self.process.pid):
            total += _cpu_seconds(child)
        return total


def pool_children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def start_worker(
    broker: str, endpoint: str, name: str, directory: Path, *, pool: str = "solo", **env: str
) -> Worker:
    log = directory / f"{name}.log"
    environ = {
        **os.environ,
        "TP_BROKER_URL": broker,
        "TP_ENDPOINT": endpoint,
        "TP_WORKER_TOKEN": WORKER_TOKEN,
        "TP_READY_FILE": str(directory / f"{name}.ready"),
        "PYTHONPATH": str(ROOT),
        **env,
    }
    args = [sys.executable, "-m", "celery", "-A", "benchmarks.celery_app", "worker"]
    args += ["-P", pool, "-c", "1", "-n", f"{name}@127.0.0.1", "-l", "warning"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log, "ab") as out:
        process = subprocess.Popen(args, cwd=ROOT, env=environ, stdout=out, stderr=out)
    return Worker(process, name, log, directory / f"{name}.ready")


def start_web(
    broker: str,
    count: int,
    offset: int,
    directory: Path,
    *,
    seconds: float = 0.0,
    results: str | None = None,
    confirm: float | None = None,
) -> subprocess.Popen[bytes]:
    """A web process that mirrors ``count`` pages (event ids ``e<offset + i>``).

    ``confirm`` turns on confirmations (``celery_confirm_timeout``) against ``results``.
    """
    out = open(directory / f"web-{offset}.json", "wb")  # noqa: SIM115 - closed below
    args = [sys.executable, "-m", "benchmarks.celery_scale", "web", broker, str(count)]
    args += [str(offset), str(seconds)]
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "TIKTOK_ACCESS_TOKEN": "web-unused"}
    if results and confirm is not None:
        environ.update(TP_RESULT_BACKEND=results, TP_CONFIRM=str(confirm))
    process = subprocess.Popen(args, cwd=ROOT, env=environ, stdout=out)
    out.close()
    return process


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@dataclass
class ScaleReport:
    events: int
    received: int
    unique: int
    lost: int
    duplicated: int
    worker_cpu: float
    seconds: float
    requests: int = 0
    web_stats: list[dict[str, Any]] = field(default_factory=list)
    #: Up to 20 event ids that never arrived (to look for them in logs).
    missing: list[str] = field(default_factory=list)

    @property
    def per_worker_cpu_second(self) -> float:
        return self.unique / self.worker_cpu if self.worker_cpu else 0.0


def run_scale(
    events: int,
    *,
    webs: int = 4,
    workers: int = 2,
    during: Callable[[RedisServer, list[Worker]], None] | None = None,
    durable: bool = False,
    web_seconds: float = 0.0,
    pool: str = "solo",
    deadline: float | None = None,
    worker_env: dict[str, str] | None = None,
    confirm: float | None = None,
) -> ScaleReport:
    """``webs`` processes publish ``events`` in all; ``workers`` POST them to an :class:`EventSink`.

    ``during(redis, workers)`` runs while events flow (to kill things). Returns the counts
    at the sink once every event arrived or ``deadline`` seconds passed. ``confirm``: the web
    processes' ``celery_confirm_timeout`` (the workers then record task states in database 1).
    """
    global CURRENT_SINK
    deadline = deadline if deadline is not None else 120.0 + events / 250
    with tempfile.TemporaryDirectory(prefix="tp-scale-") as tmp, EventSink() as sink:
        CURRENT_SINK = sink
        directory = Path(tmp)
        broker = RedisServer(directory, durable=durable)
        broker.start()
        running: list[Worker] = []
        try:
            for i in range(workers):
                running.append(
                    start_worker(
                        broker.url,
                        sink.url,
                        f"w{i}",
                        directory,
                        pool=pool,
                        **(worker_env or {}),
                        **({"TP_RESULT_BACKEND": broker.results_url} if confirm else {}),
                    )
                )
            if not wait_until(lambda: all(w.ready() for w in running), 120, step=0.1):
                raise RuntimeError("the Celery workers did not start: see their logs")
            baseline = sum(w.cpu_seconds() for w in running)  # start-up CPU left out
            start = time.monotonic()
            share = [events // webs + (1 if i < events % webs else 0) for i in range(webs)]
            offsets = [sum(share[:i]) for i in range(webs)]
            web = [
                start_web(
                    broker.url,
                    n,
                    off,
                    directory,
                    seconds=web_seconds,
                    results=broker.results_url,
                    confirm=confirm,
                )
                for n, off in zip(share, offsets, strict=True)
            ]
            if during is not None:
                during(broker, running)
            for process in web:
                process.wait(deadline)
            wait_until(lambda: sink.unique() >= events, deadline, step=0.1)
            # Let any late duplicate arrive before counting.
            wait_until(lambda: False, 1.0, step=0.1)
            seconds = time.monotonic() - start
            cpu = sum(w.cpu_seconds() for w in running) - baseline
            stats = []
            for off in offsets:
                text = (directory / f"web-{off}.json").read_text().strip()
                stats.append(json.loads(text) if text else {})
        finally:
            for worker in running:
                stop(worker.process)
            broker.stop()
        with sink.lock:
            ids = sink.ids
            expected = {f"e{i}" for i in range(events)}
            unique = len(expected & set(ids))
            missing = sorted(expected - set(ids), key=lambda i: int(i[1:]))[:20]
            received = sum(ids.values())
            duplicated = sum(n - 1 for n in ids.values() if n > 1)
            tokens = set(sink.tokens)
            requests = sink.requests
        if tokens - {WORKER_TOKEN}:
            raise RuntimeError("the stand-in received a token other than the worker's own")
        return ScaleReport(
            events=events,
            received=received,
            unique=unique,
            lost=events - unique,
            duplicated=duplicated,
            worker_cpu=cpu,
            seconds=seconds,
            requests=requests,
            web_stats=stats,
            missing=missing,
        )


def web_main(broker: str, count: int, offset: int, seconds: float) -> int:
    """A web process: mirror ``count`` AddToCart pages through Celery, print the sender's stats."""
    from celery import Celery

    from tiktok_pixel import PageEvents, PixelConfig
    from tiktok_pixel.contrib.celery import celery_sender
    from tiktok_pixel.events_api import EventsApiConfig, EventsApiMirror, RequestInfo

    confirm = os.environ.get("TP_CONFIRM")
    app = Celery("tiktok-pixel-web", broker=broker, backend=os.environ.get("TP_RESULT_BACKEND"))
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"max_retries": 0},
        redis_socket_connect_timeout=2,
        redis_socket_timeout=5,
        # Celery's Redis result backend subscribes to each task's result while publishing it,
        # retrying a lost connection for ~20 s by default: fail at once instead, so the sender
        # retries the hand-over with its own backoff (and counts it).
        result_backend_transport_options={"retry_policy": {"max_retries": 0}},
    )
    pixel = PixelConfig(pixel_codes=CODE, default_currency="EUR")
    config = EventsApiConfig(
        backend="celery",
        batch_size=200,
        queue_size=max(1, count),
        flush_interval=0.05,
        max_retries=20,
        backoff_base=0.2,
        backoff_max=2.0,
        shutdown_timeout=120.0,
        celery_confirm_timeout=float(confirm) if confirm else None,
    )
    mirror = EventsApiMirror(pixel, config, sender=celery_sender(config, app=app))
    request = RequestInfo(
        ip="203.0.113.7", user_agent="Mozilla/5.0 scale", url="https://shop.example/cart"
    )
    pause = seconds / count if count and seconds else 0.0
    for i in range(count):
        page = PageEvents(pixel)
        page.identify(email=f"shopper{offset + i}@example.com")
        page.track("AddToCart", value=19.99, content_ids=["sku-1"], event_id=f"e{offset + i}")
        mirror.mirror(page, request)
        if pause:
            time.sleep(pause)
    mirror.close(timeout=120.0)
    s = mirror.stats()
    out: dict[str, Any] = {
        "sent": s.sent,
        "failed": s.failed,
        "dropped": s.dropped,
        "retried": s.retried,
    }
    confirmed = getattr(mirror.sender.transport, "confirm_stats", lambda: None)()
    if confirmed is not None:
        out.update(
            confirmed=confirmed.confirmed,
            handed_again=confirmed.handed_again,
            unconfirmed=confirmed.unconfirmed,
        )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "web":
        sys.exit(web_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
