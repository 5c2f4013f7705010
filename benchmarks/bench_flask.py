"""Flask request time with the pixel against the same page without it.

The page is a realistic product page (a few KB of template with a loop, compiled once as in
any app) rendered through the test client; "with" adds the extension, 1 identify + 3 tracks in
the view and the tag.
"""

from __future__ import annotations

import statistics

from flask import Flask, render_template
from jinja2 import DictLoader

from tiktok_pixel.contrib.flask import TikTokPixel, pixel

from .common import Result, median_us
from .fixtures import CODE

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


def run(quick: bool) -> list[Result]:
    rounds, number = (5, 40) if quick else (30, 300)
    clients = {with_pixel: make_app(with_pixel).test_client() for with_pixel in (False, True)}
    samples: dict[bool, list[float]] = {False: [], True: []}
    for client in clients.values():  # warm both up before measuring either
        for _ in range(number):
            assert client.get("/p/sku-1").status_code == 200
    for _ in range(rounds):  # alternate, so drift and noise hit both sides alike
        for with_pixel, client in clients.items():
            samples[with_pixel].append(
                median_us(lambda client=client: client.get("/p/sku-1"), repeat=1, number=number)
            )
    without, with_ = statistics.median(samples[False]), statistics.median(samples[True])
    overhead = (with_ - without) / without * 100
    return [
        Result("flask request without pixel", without, "us"),
        Result("flask request with pixel (1 identify + 3 tracks)", with_, "us"),
        Result("flask pixel overhead", overhead, "%", "<= 10", overhead <= 10),
    ]
