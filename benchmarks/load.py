"""A bounded load run against the demo shop under waitress, checking every response for PII.

``run_load(requests, clients)`` serves the demo (``demo_site.create_app``) with waitress on
127.0.0.1 (a free port) in a thread, and starts ``clients`` threads. Each client is its own user:
its own cookies, keep-alive connection, email and phone. It walks the shop's funnel (home, search,
product, cart, checkout with its contact details, payment, order, sign-in, sign-out) until the
shared budget of ``requests`` is spent or the deadline passes, then everything stops.

Every response is checked: the expected status (and redirect target), the pixel present on every
HTML page, the user's own hashes where the page must identify them (order: email + phone;
account: email + customer id), no raw email or phone of anyone in a body or the session, and no
identity hash of another client (another's email, phone or customer id hash; and, counted after
the run, any hash seen by two clients, which also covers the anonymous ids).

Inside the server, a per-request timer adds up the pixel's work (``PageEvents`` construction,
``track``/``identify``/``segment``, the tag's rendering, the after-request hook that carries calls
across redirects) and the whole WSGI call, so the pixel's share of request time is measured where
it is spent. Clients and server share one process (and its GIL): the latency and throughput
figures are those of this set-up, not of a tuned deployment.
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import json
import logging
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask
from waitress.server import create_server

from tiktok_pixel import PageEvents
from tiktok_pixel.contrib.flask import extension

HOST = "127.0.0.1"
PIXEL_MARK = b'"pixels":["CDEM0SH0P0PIXEL00000"]'
HEX64 = re.compile(rb"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
#: Any client's email or phone, in any spelling the shop could echo (raw PII in a response). The
#: phone must stand alone (not inside a hash or an id made of hex digits). Clients' phones are
#: 07700 900500-900999 (Ofcom's drama range); the checkout form's hint shows 07700 900123.
RAW_PII = re.compile(
    rb"(?i)loaduser\d+@|(?<![0-9a-z])(?:\+?44\W?|0)?7700\W?900[5-9]\d\d(?![0-9a-z])"
)
MAX_CLIENTS = 500
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/30", "cvc": "123"}
PRODUCTS = (
    ("mug", "mug-enamel-blue"),
    ("lamp", "lamp-desk-brass"),
    ("oak", "board-oak"),
    ("notebook", "notebook-dot-a5"),
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    """One client's identity: typed in mixed case and spaced, hashed by the shop normalised."""

    index: int

    @property
    def email(self) -> str:
        return f"LoadUser{self.index:03d}@Example.test"

    @property
    def phone_digits(self) -> str:
        return f"7700900{500 + self.index:03d}"

    @property
    def phone(self) -> str:
        return f"+44 {self.phone_digits[:4]} {self.phone_digits[4:]}"

    @property
    def email_hash(self) -> str:
        return sha(self.email.lower())

    @property
    def phone_hash(self) -> str:
        return sha("+44" + self.phone_digits)

    @property
    def customer_hash(self) -> str:
        # the demo's user id: "cust_" + the first 12 hex digits of the normalised email's hash
        return sha("cust_" + sha(self.email.lower())[:12])

    def hashes(self) -> frozenset[str]:
        return frozenset({self.email_hash, self.phone_hash, self.customer_hash})


# -- the pixel's time, measured inside the server -----------------------------------------------


class _Clock(threading.local):
    def __init__(self) -> None:
        self.depth = 0
        self.pixel_wall = 0.0
        self.pixel_cpu = 0.0


@dataclass(frozen=True)
class Timing:
    """One request as the server's worker thread ran it: wall-clock and the thread's CPU time,
    for the whole WSGI call and for the pixel's part of it (seconds)."""

    wall: float
    cpu: float
    pixel_wall: float
    pixel_cpu: float


@dataclass
class ServerTimes:
    """The :class:`Timing` of every request the app handled.

    CPU time (``time.thread_time``) is the fair measure of the pixel's cost here: the clients
    share the process, so wall-clock time inside the server also counts waits for the GIL.
    """

    requests: list[Timing] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    clock: _Clock = field(default_factory=_Clock)

    def timed(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` with its time added to the current request's pixel time (outermost only:
        ``segment`` calls ``track`` and ``identify``, which must not count twice)."""
        clock = self.clock

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if clock.depth:
                return func(*args, **kwargs)
            clock.depth += 1
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return func(*args, **kwargs)
            finally:
                clock.pixel_cpu += time.thread_time() - cpu
                clock.pixel_wall += time.perf_counter() - wall
                clock.depth -= 1

        return wrapper

    def middleware(self, wsgi_app: Callable[..., Any]) -> Callable[..., Any]:
        """The whole request: the WSGI call and its body, as the server's worker runs it."""
        clock = self.clock

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            clock.pixel_wall = clock.pixel_cpu = 0.0
            wall, cpu = time.perf_counter(), time.thread_time()
            iterable = wsgi_app(environ, start_response)
            try:
                body = list(iterable)
            finally:
                close = getattr(iterable, "close", None)
                if close:
                    close()
            timing = Timing(
                wall=time.perf_counter() - wall,
                cpu=time.thread_time() - cpu,
                pixel_wall=clock.pixel_wall,
                pixel_cpu=clock.pixel_cpu,
            )
            with self.lock:
                self.requests.append(timing)
            return body

        return app


@contextmanager
def instrumented(app: Flask, times: ServerTimes) -> Iterator[None]:
    """Time the pixel's work in ``app`` (restores the patched ``PageEvents`` methods after)."""
    names = ("__init__", "track", "identify", "segment")
    originals = {name: getattr(PageEvents, name) for name in names}
    renderer = app.jinja_env.tiktok_pixel_renderer  # type: ignore[attr-defined]
    hooks = app.after_request_funcs.setdefault(None, [])
    try:
        for name, func in originals.items():
            setattr(PageEvents, name, times.timed(func))
        app.jinja_env.tiktok_pixel_renderer = times.timed(renderer)  # type: ignore[attr-defined]
        ours = extension.__name__  # the extension's after_request hook is made per app
        hooks[:] = [times.timed(h) if h.__module__ == ours else h for h in hooks]
        app.wsgi_app = times.middleware(app.wsgi_app)  # type: ignore[method-assign]
        yield
    finally:
        for name, func in originals.items():
            setattr(PageEvents, name, func)


@contextmanager
def waitress_server(app: Any, *, threads: int) -> Iterator[int]:
    """Serve ``app`` with waitress on 127.0.0.1 (a free port) in a thread; yield the port."""
    from waitress import wasyncore

    server = create_server(app, host=HOST, port=0, threads=threads, ident="load")
    stopping = threading.Event()

    def serve() -> None:
        try:
            server.run()
        except (OSError, ValueError):
            # closing the sockets races the loop's last poll ("Bad file descriptor"): expected
            # once we are stopping, a real error before that
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=serve, name="waitress", daemon=True)
    queue_log = logging.getLogger("waitress.queue")  # "Task queue depth is N": expected here
    level = queue_log.level
    queue_log.setLevel(logging.ERROR)
    thread.start()
    try:
        yield int(server.effective_port)  # type: ignore[union-attr]
    finally:
        queue_log.setLevel(level)
        stopping.set()
        # closing runs in the server's own loop thread (waitress's trigger), then the workers go
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))  # type: ignore[union-attr]
        except OSError:
            # the loop already ended and closed its trigger (EBADF): close what is left from here
            wasyncore.close_all(server._map, ignore_all=True)  # type: ignore[union-attr]
        server.task_dispatcher.shutdown(timeout=10)  # type: ignore[union-attr]
        thread.join(timeout=10)


# -- the clients --------------------------------------------------------------------------------


class _Stop(Exception):
    """The budget is spent or the deadline passed."""


class _Failed(Exception):
    """This journey cannot go on (the failure is already counted)."""


@dataclass
class Findings:
    """What one client saw (merged into the report after the run)."""

    requests: int = 0
    pages: int = 0
    identity_pages: int = 0
    errors: int = 0
    cross_user: int = 0
    raw_pii: int = 0
    missing_own: int = 0
    samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    hashes: set[str] = field(default_factory=set)

    def problem(self, kind: str, text: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.samples) < 5:
            self.samples.append(f"{kind}: {text}")


class Budget:
    """The shared request budget and deadline: a ticket per request, none after either ends."""

    def __init__(self, requests: int, deadline: float) -> None:
        self.left, self.deadline = requests, deadline
        self.lock = threading.Lock()
        self.expired = False

    def take(self) -> None:
        with self.lock:
            if time.monotonic() > self.deadline:
                self.expired = True
            if self.left <= 0 or self.expired:
                raise _Stop
            self.left -= 1


class Client:
    """One user on one keep-alive connection with its own cookie jar."""

    def __init__(
        self,
        user: User,
        port: int,
        budget: Budget,
        others: frozenset[str],
        read_session: Callable[[str], Any],
    ) -> None:
        self.user, self.budget, self.others = user, budget, others
        self.read_session = read_session
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=15)
        self.cookies: dict[str, str] = {}
        self.found = Findings()

    def run(self) -> None:
        try:
            journey = 0
            while True:
                try:
                    self.journey(journey)
                except _Failed:
                    self.conn.close()
                journey += 1
        except _Stop:
            pass
        finally:
            self.conn.close()

    # one request, checked

    def request(self, method: str, path: str, form: Mapping[str, str] | None = None) -> Any:
        self.budget.take()
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body, headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.found.requests += 1
            self.found.problem("errors", f"{method} {path}: {type(exc).__name__}")
            raise _Failed from exc
        self.found.latencies.append(time.perf_counter() - start)
        self.found.requests += 1
        for header in response.headers.get_all("Set-Cookie") or []:
            self.store_cookie(header)
        self.check_pii(path, data)
        if "session" in self.cookies:
            self.check_pii(path + " (session)", self.session_text().encode())
        return response, data

    def store_cookie(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            gone = morsel["max-age"] == "0" or "1970" in morsel["expires"] or not morsel.value
            if gone:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def session_text(self) -> str:
        """The session cookie's content (signed, not encrypted: anyone can read it)."""
        try:
            return json.dumps(self.read_session(self.cookies["session"]))
        except Exception as exc:
            self.found.problem("errors", f"unreadable session cookie: {type(exc).__name__}")
            return ""

    def check_pii(self, path: str, data: bytes) -> None:
        hashes = {h.decode() for h in HEX64.findall(data)}
        self.found.hashes |= hashes
        if hashes & self.others:
            self.found.problem("cross_user", f"{path}: another client's identity hash")
        raw = RAW_PII.findall(data)
        if raw:
            own = re.compile(
                rf"(?i)loaduser{self.user.index:03d}@|900{500 + self.user.index:03d}".encode()
            )
            if any(not own.search(r) for r in raw):
                self.found.problem("cross_user", f"{path}: another client's raw email or phone")
            self.found.problem("raw_pii", f"{path}: a raw email or phone number")

    def page(self, path: str, *, own: frozenset[str] = frozenset()) -> None:
        """GET an HTML page: 200, the pixel on it, and ``own`` hashes all present."""
        response, data = self.request("GET", path)
        if response.status != 200:
            self.found.problem("errors", f"GET {path}: status {response.status}")
            raise _Failed
        self.found.pages += 1
        if PIXEL_MARK not in data:
            self.found.problem("errors", f"GET {path}: no pixel on the page")
        if own:
            self.found.identity_pages += 1
            missing = own - {h.decode() for h in HEX64.findall(data)}
            if missing:
                self.found.problem("missing_own", f"GET {path}: {len(missing)} own hash(es)")

    def post(self, path: str, form: Mapping[str, str] | None, to: str) -> str:
        """POST a form; it must answer 303 to a path starting with ``to``; returns that path."""
        response, _ = self.request("POST", path, form if form is not None else {})
        location = urlsplit(response.headers.get("Location", "")).path
        if response.status != 303 or not location.startswith(to):
            self.found.problem("errors", f"POST {path}: {response.status} to {location!r}")
            raise _Failed
        return location

    # the funnel

    def journey(self, number: int) -> None:
        user = self.user
        word, product = PRODUCTS[(user.index + number) % len(PRODUCTS)]
        self.page("/")
        self.page(f"/search?q={word}")
        self.page(f"/p/{product}")
        self.page(self.post("/cart", {"product_id": product, "quantity": "2"}, "/cart"))
        self.page("/checkout")
        contact = {"email": user.email, "phone": user.phone, "name": f"Load User {user.index}"}
        self.page(self.post("/checkout", contact, "/checkout/payment"))
        self.page(self.post("/checkout/payment", CARD, "/checkout/review"))
        order = self.post("/checkout/place", None, "/order/DEMO-")
        self.page(order, own=frozenset({user.email_hash, user.phone_hash}))
        account = self.post("/signin", {"email": user.email}, "/account")
        self.page(account, own=frozenset({user.email_hash, user.customer_hash}))
        self.page(self.post("/signout", None, "/"))


# -- the run ------------------------------------------------------------------------------------


@dataclass
class LoadReport:
    planned: int
    clients: int
    requests: int
    seconds: float
    pages: int
    identity_pages: int
    errors: int
    cross_user: int
    raw_pii: int
    missing_own: int
    shared_hashes: int
    deadline_hit: bool
    samples: list[str]
    latencies: list[float]
    server: list[Timing]

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def latency_ms(self, percentile: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100)[percentile - 1] * 1000

    @property
    def pixel_share(self) -> float:
        """The pixel's share of the CPU time the server spent in the app, in percent."""
        total = sum(t.cpu for t in self.server)
        return sum(t.pixel_cpu for t in self.server) / total * 100 if total else 0.0

    @property
    def pixel_wall_share(self) -> float:
        """The same in wall-clock time (inflated by GIL waits in both parts)."""
        total = sum(t.wall for t in self.server)
        return sum(t.pixel_wall for t in self.server) / total * 100 if total else 0.0

    def mean_us(self, attribute: str) -> float:
        """Mean of one :class:`Timing` field over the requests, in microseconds."""
        values = [getattr(t, attribute) for t in self.server]
        return sum(values) / len(values) * 1e6 if values else 0.0


def run_load(
    requests: int,
    clients: int,
    *,
    deadline_s: float = 600.0,
    server_threads: int = 8,
    app: Flask | None = None,
) -> LoadReport:
    """Send ``requests`` requests from ``clients`` concurrent users to the demo under waitress.

    Bounded twice: the request budget, and ``deadline_s`` seconds after which clients stop
    (``deadline_hit`` tells). ``app`` defaults to a fresh demo shop configured as in production:
    debug mode (the validator on every render, for the inspector) off.
    """
    if not 1 <= clients <= MAX_CLIENTS:
        raise ValueError(f"clients must be between 1 and {MAX_CLIENTS}, not {clients}")
    if app is None:
        from demo_site import create_app

        app = create_app({"TIKTOK_PIXEL_DEBUG": False})
    times = ServerTimes()
    users = [User(i) for i in range(clients)]
    everyone = frozenset().union(*(u.hashes() for u in users))
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    with instrumented(app, times), waitress_server(app, threads=server_threads) as port:
        budget = Budget(requests, time.monotonic() + deadline_s)
        workers = [Client(u, port, budget, everyone - u.hashes(), serializer.loads) for u in users]
        client_threads = [
            threading.Thread(target=w.run, name=f"load-client-{w.user.index}") for w in workers
        ]
        start = time.perf_counter()
        for thread in client_threads:
            thread.start()
        for thread in client_threads:
            thread.join(timeout=deadline_s + 30)
        seconds = time.perf_counter() - start
    found = [w.found for w in workers]
    seen_by: dict[str, int] = {}
    for f in found:
        for h in f.hashes:
            seen_by[h] = seen_by.get(h, 0) + 1
    shared = sum(1 for count in seen_by.values() if count > 1)
    return LoadReport(
        planned=requests,
        clients=clients,
        requests=sum(f.requests for f in found),
        seconds=seconds,
        pages=sum(f.pages for f in found),
        identity_pages=sum(f.identity_pages for f in found),
        errors=sum(f.errors for f in found) + sum(t.is_alive() for t in client_threads),
        cross_user=sum(f.cross_user for f in found) + shared,
        raw_pii=sum(f.raw_pii for f in found),
        missing_own=sum(f.missing_own for f in found),
        shared_hashes=shared,
        deadline_hit=budget.expired,
        samples=[s for f in found for s in f.samples][:10],
        latencies=[x for f in found for x in f.latencies],
        server=list(times.requests),
    )
