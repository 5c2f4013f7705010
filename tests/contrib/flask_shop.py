"""A small Flask shop for the Flask integration tests (and ``flask --app`` in the CLI test)."""

from __future__ import annotations

import time
from typing import Any

from flask import (
    Flask,
    Response,
    jsonify,
    redirect,
    render_template,
    request,
    stream_template,
    url_for,
)
from jinja2 import DictLoader

from tests.conftest import CODE
from tiktok_pixel.contrib.flask import TikTokPixel, pixel

TEMPLATES = {
    "base.html": (
        "<!doctype html><html><head><meta charset=utf-8><title>shop</title>"
        "{% block pixel %}{% tiktok_pixel %}{% endblock %}</head>"
        "<body>{% block body %}{% endblock %}</body></html>"
    ),
    "page.html": "{% extends 'base.html' %}{% block body %}{{ text }}{% endblock %}",
    "global.html": ("{% extends 'base.html' %}{% block pixel %}{{ tiktok_pixel() }}{% endblock %}"),
    "explicit_nonce.html": (
        "{% extends 'base.html' %}{% block pixel %}{% tiktok_pixel nonce='explicitN0nce' %}"
        "{% endblock %}"
    ),
    "twice.html": (
        "{% extends 'base.html' %}{% block body %}{{ track_more() }}{% tiktok_pixel %}"
        "{% endblock %}"
    ),
    "untagged.html": "<!doctype html><html><head><title>plain</title></head><body>hi</body></html>",
}

UNTAGGED = TEMPLATES["untagged.html"]


def create_app(**config: Any) -> Flask:
    """The shop, with ``config`` over a working default (enabled, one pixel, a secret key)."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-secret", TIKTOK_PIXEL_CODE=CODE, TIKTOK_PIXEL_ENABLED=True)
    app.config.update(config)
    TikTokPixel(app)
    app.jinja_env.loader = DictLoader(TEMPLATES)

    @app.get("/product/<sku>")
    def product(sku: str) -> str:
        email = request.args.get("email")
        if email:
            pixel.identify(email=email)
        pixel.track(
            "ViewContent",
            contents=[{"content_id": sku, "price": 12.5, "quantity": 1}],
            value=12.5,
            currency="EUR",
            event_id=f"view-{sku}",
        )
        return render_template(request.args.get("template", "page.html"), text=sku)

    @app.get("/")
    def home() -> str:
        return render_template("page.html", text="home")

    @app.post("/cart")
    def add_to_cart() -> Response:
        pixel.track("AddToCart", value=25, currency="EUR", event_id=request.form["event_id"])
        return redirect(url_for("cart"))

    @app.get("/cart")
    def cart() -> str:
        return render_template("page.html", text="cart")

    @app.post("/login")
    def login() -> Response:
        pixel.identify(email=request.form["email"], external_id=request.form["user"])
        return redirect(url_for("home"))

    @app.post("/checkout")
    def checkout() -> Response:
        pixel.track("PlaceAnOrder", value=40, currency="EUR", event_id="order-1")
        return redirect(url_for("hop"))

    @app.get("/hop")
    def hop() -> Response:
        pixel.track("CompletePayment", value=40, currency="EUR", event_id="paid-1")
        return redirect(url_for("thanks"), code=303)

    @app.get("/thanks")
    def thanks() -> str:
        return render_template("page.html", text="thanks")

    @app.get("/twice")
    def twice() -> str:
        pixel.track("ViewContent", event_id="first")

        def track_more() -> str:
            pixel.track("Search", query="mugs", event_id="second")
            return ""

        return render_template("twice.html", track_more=track_more)

    @app.get("/untagged")
    def untagged() -> str:
        pixel.track("ViewContent", event_id="untagged-1")
        return UNTAGGED

    @app.get("/no-head")
    def no_head() -> str:
        return "<p>fragment</p>"

    @app.get("/api")
    def api() -> Response:
        pixel.track("Search", query="api", event_id="api-1")
        return jsonify(ok=True)

    @app.get("/stream")
    def stream() -> Response:
        def body() -> Any:
            yield "<html><head></head>"
            yield "<body>streamed</body></html>"

        return Response(body(), mimetype="text/html")

    @app.get("/streamed-page")
    def streamed_page() -> Response:
        pixel.track("ViewContent", event_id="streamed-1")
        return Response(stream_template("page.html", text="streamed"), mimetype="text/html")

    @app.get("/user")
    def user() -> str:
        # a concurrency probe: identify, yield the thread, then render
        pixel.identify(email=request.args["email"], external_id=request.args["user"])
        time.sleep(0.002)
        pixel.track("ViewContent", event_id="user-" + request.args["user"])
        return render_template("page.html", text=request.args["user"])

    return app
