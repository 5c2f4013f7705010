"""Flask request time with the pixel against the same page without it, and against a floor.

The page is a small product page (a few KB of template with a loop, compiled once as in any
app); "with" adds the extension, 1 identify + 3 tracks in the view and the tag. Measured twice:
as a client sees it over keep-alive HTTP to waitress on 127.0.0.1 (what a visitor waits for),
and through Flask's test client (the app's own work alone, no server or socket).

The lifecycle's cost (:func:`lifecycle_results`) is measured against a hand-written floor: one
track + the tag against a pre-built loader string, ``uuid4``, ``json.dumps`` and a template
variable; the same lifecycle work called from the view without the extension (``core``) tells
the adapter's share. The GET that renders a call carried over a redirect is measured against the
same GET without one, and against a carry written by hand with Flask's own signing library
(itsdangerous): read and verify the cookie, render its call, delete it, ``Vary: Cookie``.
CPU time (``thread_time``), paired and interleaved in one process, min and median per round.
"""

from __future__ import annotations

import http.client
import json
import statistics
import uuid

from flask import Flask, Response, make_response, render_template, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import DictLoader
from markupsafe import Markup

from tiktok_pixel import Call
from tiktok_pixel.carry_cookie import COOKIE_NAME, for_secret
from tiktok_pixel.contrib.flask import TikTokPixel, pixel
from tiktok_pixel.fragment import heads
from tiktok_pixel.lifecycle import Site

from .common import Result, lifecycle_figures, median_us, paired_us
from .fixtures import CODE, CONFIG
from .load import HOST, waitress_server

PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8><title>{{ product.name }}</title>
<link rel=stylesheet href=/static/shop.css>{{ pixel_tag }}</head>
<body><header><nav>{% for link in links %}<a href="{{ link }}">{{ link|title }}</a>{% endfor %}
</nav></header><main><h1>{{ product.name }}</h1><p>{{ product.description }}</p>
<ul>{% for item in related %}<li><a href="/p/{{ item.sku }}">{{ item.name }}</a>
<span>{{ "%.2f"|format(item.price) }} EUR</span></li>{% endfor %}</ul>
<form method=post action=/cart><input type=hidden name=sku value="{{ product.sku }}">
<button>Add to cart</button></form></main><footer>&copy; shop</footer></body></html>"""

PAGE_WITH = PAGE.replace("{{ pixel_tag }}", "{% tiktok_pixel %}")
PAGE = PAGE.replace("{{ pixel_tag }}", "")
RELATED = [{"sku": f"sku-{i}", "name": f"Product {i}", "price": 10 + i} for i in range(24)]
PRODUCT = {"sku": "sku-1", "name": "Enamel mug", "description": "A mug. " * 40}
LINKS = ["home", "search", "cart", "wishlist", "account", "help"]


def make_app(with_pixel: bool) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="bench", TIKTOK_PIXEL_CODE=CODE, TIKTOK_PIXEL_ENABLED=True)
    app.jinja_env.loader = DictLoader({"with.html": PAGE_WITH, "without.html": PAGE})
    if with_pixel:
        TikTokPixel(app)

    @app.get("/p/<sku>")
    def product(sku: str) -> str:
        if with_pixel:
            pixel.identify(email="ann@example.com", external_id="u-1")
            item = {"content_id": sku, "price": 12.5, "quantity": 1}
            pixel.track("ViewContent", contents=[item], value=12.5, currency="EUR")
            pixel.track("AddToWishlist", contents=[item], value=12.5, currency="EUR")
            pixel.track("Search", query="mug")
        return render_template(
            "with.html" if with_pixel else "without.html",
            product=PRODUCT,
            related=RELATED,
            links=LINKS,
        )

    return app


def _over_http(apps: dict[bool, Flask], rounds: int, number: int) -> dict[bool, float]:
    """Median request time as a client sees it over keep-alive HTTP to waitress on 127.0.0.1."""
    samples: dict[bool, list[float]] = {False: [], True: []}
    with (
        waitress_server(apps[False], threads=1) as plain,
        waitress_server(apps[True], threads=1) as tagged,
    ):
        connections = {
            False: http.client.HTTPConnection(HOST, plain, timeout=10),
            True: http.client.HTTPConnection(HOST, tagged, timeout=10),
        }

        def get(connection: http.client.HTTPConnection) -> None:
            connection.request("GET", "/p/sku-1")
            response = connection.getresponse()
            response.read()
            assert response.status == 200

        for connection in connections.values():
            for _ in range(number):
                get(connection)
        for _ in range(rounds):
            for with_pixel, connection in connections.items():
                samples[with_pixel].append(
                    median_us(lambda c=connection: get(c), repeat=1, number=number)
                )
        for connection in connections.values():
            connection.close()
    return {key: statistics.median(values) for key, values in samples.items()}


def _in_process(apps: dict[bool, Flask], rounds: int, number: int) -> dict[bool, float]:
    """Median request time through Flask's test client: the app's own work, no I/O."""
    clients = {with_pixel: app.test_client() for with_pixel, app in apps.items()}
    samples: dict[bool, list[float]] = {False: [], True: []}
    for client in clients.values():  # warm both up before measuring either
        for _ in range(number):
            assert client.get("/p/sku-1").status_code == 200
    for _ in range(rounds):  # alternate, so drift and noise hit both sides alike
        for with_pixel, client in clients.items():
            samples[with_pixel].append(
                median_us(lambda client=client: client.get("/p/sku-1"), repeat=1, number=number)
            )
    return {key: statistics.median(values) for key, values in samples.items()}


# --- the lifecycle against the hand-written floor ------------------------------------------

FLOOR_EVENT = {"value": 12.5, "currency": "EUR"}


def _floor_snippet() -> Markup:
    """What a site would write by hand: the loader pre-built once, uuid4, json.dumps."""
    event_id = str(uuid.uuid4())
    calls = json.dumps([["track", "ViewContent", FLOOR_EVENT, {"event_id": event_id}]])
    return Markup(FLOOR_LOADER + calls + "});</script>")


FLOOR_LOADER = "<script>" + heads(CONFIG).inline


#: The lifecycle of the ``core`` variant: what the extension builds, without the extension.
CORE_SITE = Site(CONFIG)


def make_cost_app(variant: str) -> Flask:
    """``plain`` (no pixel), ``floor`` (by hand), ``ours`` (the extension, one track + tag) or
    ``core`` (the same lifecycle calls made from the view, the result in a template variable)."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="bench", TIKTOK_PIXEL_CODE=CODE)
    tag = {"plain": "", "ours": "{% tiktok_pixel %}"}.get(variant, "{{ snippet }}")
    app.jinja_env.loader = DictLoader({"page.html": PAGE.replace("</head>", tag + "</head>")})
    if variant == "ours":
        TikTokPixel(app)

    @app.get("/p")
    def product() -> str:
        snippet: str = ""
        if variant == "ours":
            pixel.track("ViewContent", **FLOOR_EVENT)
        elif variant == "floor":
            snippet = _floor_snippet()
        elif variant == "core":
            own = CORE_SITE.begin(request._get_current_object())  # type: ignore[attr-defined]
            own.events.track("ViewContent", **FLOOR_EVENT)
            snippet = own.render()
            own.settles_nothing(200)
        return render_template(
            "page.html", product=PRODUCT, related=RELATED, links=LINKS, snippet=snippet
        )

    @app.get("/cart")
    def cart() -> str:  # the page after a post/redirect: the tag, no track of its own
        return render_template("page.html", product=PRODUCT, related=RELATED, links=LINKS)

    return app


#: What a shop's session holds.
SESSION = {"user_id": 42, "cart": [{"sku": "sku-1", "quantity": 1}]}

#: The hand-written carry's cookie and its signer (itsdangerous, as Flask signs its session).
HAND_COOKIE = "carried"
HAND_SIGNER = URLSafeTimedSerializer("bench", salt="carried-calls")


def make_hand_carry_app() -> Flask:
    """The page after a post/redirect with the carry written by hand: a signed cookie holding
    the calls, read and verified, rendered, then deleted (``Vary: Cookie``, private)."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="bench")
    app.jinja_env.loader = DictLoader(
        {"page.html": PAGE.replace("</head>", "{{ snippet }}</head>")}
    )

    @app.get("/cart")
    def cart() -> Response:
        value = request.cookies.get(HAND_COOKIE)
        carried = []
        if value:
            try:
                carried = HAND_SIGNER.loads(value, max_age=300)
            except BadSignature:
                carried = []
        snippet = Markup(FLOOR_LOADER + json.dumps(carried) + "});</script>")
        page = render_template(
            "page.html", product=PRODUCT, related=RELATED, links=LINKS, snippet=snippet
        )
        response = make_response(page)
        if value:
            response.delete_cookie(HAND_COOKIE, httponly=True, samesite="Lax")
            response.vary.add("Cookie")
            response.cache_control.private = True
        return response

    return app


def _cookie_headers(app: Flask) -> tuple[str, str]:
    """``Cookie`` headers after a post/redirect: the shop's signed session alone, and the same
    plus the carry cookie holding one AddToCart call (as the redirect set it)."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    session = f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(SESSION)}"
    jar = for_secret(app.secret_key)
    assert jar is not None
    call = Call("track", "AddToCart", {"value": 19.99, "currency": "EUR"}, str(uuid.uuid4()))
    return session, f"{session}; {COOKIE_NAME}={jar.dumps([call])}"


def lifecycle_results(quick: bool) -> list[Result]:
    rounds, number = (5, 30) if quick else (40, 300)
    variants = ("plain", "floor", "ours", "core")
    clients = {name: make_cost_app(name).test_client() for name in variants}
    ours = clients["ours"].get("/p")
    assert b"ViewContent" in ours.data
    quiet = "Set-Cookie" not in ours.headers and "Cookie" not in ours.headers.get("Vary", "")
    times = paired_us(
        {name: (lambda c=client: c.get("/p")) for name, client in clients.items()},
        rounds=rounds,
        number=number,
    )
    app = make_cost_app("ours")
    # No cookie jar: both GETs send their Cookie header as given, and the jar's parsing of the
    # Set-Cookie that deletes the carry cookie (client work, not the app's) is not counted.
    client = app.test_client(use_cookies=False)
    without, with_carried = _cookie_headers(app)

    def get_cart(cookie: str) -> None:
        client.get("/cart", headers={"Cookie": cookie})

    shown = client.get("/cart", headers={"Cookie": with_carried})
    assert b"AddToCart" in shown.data and COOKIE_NAME in shown.headers["Set-Cookie"]
    assert b"AddToCart" not in client.get("/cart", headers={"Cookie": without}).data
    by_hand = make_hand_carry_app().test_client(use_cookies=False)
    hand_carried = HAND_SIGNER.dumps(
        [["track", "AddToCart", {"value": 19.99, "currency": "EUR"}, {"event_id": "e-1"}]]
    )
    hand_with = f"{without}; {HAND_COOKIE}={hand_carried}"

    def get_hand_cart(cookie: str) -> None:
        by_hand.get("/cart", headers={"Cookie": cookie})

    shown = by_hand.get("/cart", headers={"Cookie": hand_with})
    assert b"AddToCart" in shown.data and HAND_COOKIE in shown.headers["Set-Cookie"]
    carried_times = paired_us(
        {
            "without": lambda: get_cart(without),
            "with": lambda: get_cart(with_carried),
            "floor without": lambda: get_hand_cart(without),
            "floor with": lambda: get_hand_cart(hand_with),
        },
        rounds=rounds,
        number=number,
    )
    return lifecycle_figures("flask", times, carried_times, quiet=quiet)


def run(quick: bool) -> list[Result]:
    results = lifecycle_results(quick)
    rounds, number = (5, 40) if quick else (30, 300)
    apps = {with_pixel: make_app(with_pixel) for with_pixel in (False, True)}
    for label, timings in (
        ("over HTTP (waitress)", _over_http(apps, rounds, number)),
        ("in-process (test client)", _in_process(apps, rounds, number)),
    ):
        without, with_ = timings[False], timings[True]
        overhead = (with_ - without) / without * 100
        results += [
            Result(f"flask {label}: without pixel", without, "us"),
            Result(
                f"flask {label}: with pixel",
                with_,
                "us",
                note="1 identify + 3 tracks in the view, the tag in the template",
            ),
            Result(
                f"flask {label}: pixel overhead",
                overhead,
                "%",
                "<= 10",
                overhead <= 10,
                note=f"{with_ - without:.0f} us per request",
            ),
        ]
    return results
