"""The htmx shop (:mod:`tests.contrib.htmx_shop`) in Flask, under a strict nonce CSP."""

from __future__ import annotations

from flask import Flask, Response, g, render_template_string, request

from tests.conftest import CODE
from tests.contrib import htmx_shop
from tiktok_pixel.contrib.flask import TikTokPixel, pixel


def create_htmx_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="test-secret",
        TIKTOK_PIXEL_CODE=CODE,
        TIKTOK_PIXEL_ENABLED=True,
        TIKTOK_PIXEL_NONCE=lambda _request: g.csp_nonce,
    )
    TikTokPixel(app)

    @app.before_request
    def nonce() -> None:
        g.csp_nonce = htmx_shop.new_nonce()

    @app.after_request
    def strict_csp(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = htmx_shop.csp(g.csp_nonce)
        return response

    def page(title: str, body: str) -> str:
        return render_template_string(
            htmx_shop.JINJA_PAGE, title=title, body=body, csp_nonce=g.csp_nonce
        )

    @app.get("/")
    def listing() -> str:
        return page("Listing", htmx_shop.LISTING_BODY)

    @app.get("/product/sku-1")
    def product() -> str:
        pixel.track("ViewContent", content_ids="sku-1", value=12.5, currency="EUR")
        return page("Sneaker", htmx_shop.PRODUCT_BODY)

    @app.post("/cart")
    def cart() -> str:
        pixel.track("AddToCart", content_ids="sku-1", value=12.5, currency="EUR")
        return htmx_shop.CART_FRAGMENT

    @app.get("/search")
    def search() -> str:
        pixel.track("Search", query=request.args.get("q", ""))
        return htmx_shop.SEARCH_FRAGMENT

    return app
