"""``create_app``: the demo shop's Flask application factory.

By default the shop runs fully offline: a demo pixel code, and ``TIKTOK_PIXEL_SDK_URL`` pointing at
the SDK stand-in (``static/tiktok_sdk_standin.js``), which plays the part of TikTok's events.js and
shows what it would send. ``DEMO_REAL_SDK`` switches to TikTok's real events.js with a real pixel
code; ``DEMO_EXISTING_PIXEL`` renders the site's own base code and lets our calls join it.
``DEMO_CATALOGUE`` serves another catalogue (a JSON file path or a mapping shaped like
``catalogue.json``) instead of the bundled one.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response, g, send_file
from markupsafe import Markup

from tiktok_pixel import DEFAULT_SDK_URL, PixelConfig, render_calls
from tiktok_pixel.config import normalise_pixel_code
from tiktok_pixel.contrib.flask import TikTokPixel
from tiktok_pixel.resources import static_path

from .catalogue import catalogue_from_setting
from .store import ContactBook
from .views import shop

#: A made-up pixel code: with the stand-in nothing leaves the machine, so it never reaches TikTok.
DEMO_PIXEL_CODE = "CDEM0SH0P0PIXEL00000"
#: Where the shop serves the SDK stand-in; ``load()`` appends ``?sdkid=CODE&lib=ttq``.
STANDIN_URL = "/_sdk/events.js"
STANDIN_SCRIPT = "tiktok_sdk_standin.js"

#: Environment variables the demo reads (``python -m tiktok_pixel demo`` sets them from its flags).
ENV_SETTINGS = {
    "TIKTOK_PIXEL_DEMO_REAL": "DEMO_REAL_SDK",
    "TIKTOK_PIXEL_DEMO_EXISTING": "DEMO_EXISTING_PIXEL",
    "TIKTOK_PIXEL_DEMO_INSPECTOR": "DEMO_INSPECTOR",
    "TIKTOK_PIXEL_DEBUG": "TIKTOK_PIXEL_DEBUG",  # 0: no validator findings in the inspector
}
#: An endpoint URL (``--events-api-endpoint``) turns on Events API mirroring (``DEMO_EVENTS_API``).
EVENTS_API_ENV = "TIKTOK_PIXEL_DEMO_EVENTS_API"
#: The demo's stand-in Events API token: only ever sent to the endpoint the demo is given.
DEMO_EVENTS_API_TOKEN = "demo-token-not-a-tiktok-token"
#: Set by ``static/consent.js`` with the visitor's choice; the server mirrors only if "granted".
CONSENT_COOKIE = "demo_tiktok_consent"


def csp_nonce() -> str:
    """This request's CSP nonce (base64url, 128 bits), made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def content_security_policy(nonce: str) -> str:
    """A strict CSP: scripts only with this request's nonce (and what they load), no inline CSS.

    ``'strict-dynamic'`` lets the nonce-bearing loader insert events.js; the TikTok hosts are
    there for the real-SDK mode (facts sheet §7).
    """
    tiktok = "https://analytics.tiktok.com https://analytics-ipv6.tiktokw.us"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'nonce-{nonce}' 'strict-dynamic'",
            "style-src 'self'",
            f"img-src 'self' {tiktok}",
            f"connect-src 'self' {tiktok}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def settings_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Demo settings from environment variables (``TIKTOK_PIXEL_DEMO_REAL=1`` and so on)."""
    settings: dict[str, Any] = {
        key: _flag(environ[name]) for name, key in ENV_SETTINGS.items() if name in environ
    }
    if environ.get("TIKTOK_PIXEL_CODE"):
        settings["TIKTOK_PIXEL_CODE"] = environ["TIKTOK_PIXEL_CODE"]
    if environ.get(EVENTS_API_ENV):
        settings["DEMO_EVENTS_API"] = environ[EVENTS_API_ENV]
    return settings


def consent_granted(request: Request) -> bool:
    """``TIKTOK_PIXEL_CONSENT_GRANTED``: the banner's choice, from the cookie consent.js sets."""
    return request.cookies.get(CONSENT_COOKIE) == "granted"


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """The demo shop. ``settings`` override the defaults (Flask config keys)."""
    app = Flask(__name__, static_url_path="/assets")
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        TIKTOK_PIXEL_CODE=DEMO_PIXEL_CODE,
        TIKTOK_PIXEL_CONSENT="hold",
        TIKTOK_PIXEL_DEFAULT_PHONE_REGION="GB",
        TIKTOK_PIXEL_ENABLED=True,
        TIKTOK_PIXEL_NONCE=lambda _request: csp_nonce(),
        # Debug mode: each page also carries the validator's findings for its calls, which the
        # inspector lists as "Pixel Helper warnings" (and the server logs). Off for production.
        TIKTOK_PIXEL_DEBUG=True,
        DEMO_REAL_SDK=False,
        DEMO_EXISTING_PIXEL=False,
        DEMO_INSPECTOR=True,
        DEMO_EVENTS_API=None,
        DEMO_CATALOGUE=None,
    )
    app.config.update(settings or {})
    products = catalogue_from_setting(app.config["DEMO_CATALOGUE"])
    # Segment's destination falls back to USD for events without a currency; the shop's is EUR.
    app.config.setdefault("TIKTOK_PIXEL_MAPPINGS", {"currency": products.currency})
    if app.config["DEMO_EVENTS_API"]:
        # Mirror every track to the Events API at this URL (a stand-in), deduplicated by event_id.
        app.config.setdefault(
            "TIKTOK_PIXEL_EVENTS_API",
            {"ENDPOINT": app.config["DEMO_EVENTS_API"], "ACCESS_TOKEN": DEMO_EVENTS_API_TOKEN},
        )
        app.config.setdefault("TIKTOK_PIXEL_CONSENT_GRANTED", consent_granted)
    real = bool(app.config["DEMO_REAL_SDK"])
    if real:
        if normalise_pixel_code(app.config["TIKTOK_PIXEL_CODE"]) == DEMO_PIXEL_CODE:
            raise ValueError(
                "DEMO_REAL_SDK needs your own pixel code (TIKTOK_PIXEL_CODE / --pixel-code): the "
                "demo code is made up and TikTok would reject it"
            )
        app.config.setdefault("TIKTOK_PIXEL_SDK_URL", DEFAULT_SDK_URL)
    else:
        app.config.setdefault("TIKTOK_PIXEL_SDK_URL", STANDIN_URL)
    existing = bool(app.config["DEMO_EXISTING_PIXEL"])
    if existing:
        app.config["TIKTOK_PIXEL_USE_EXISTING"] = True

    # The site's own base code, as pasted from TikTok Events Manager, for the existing-pixel mode:
    # nothing of ours renders a loader then, our calls join this one.
    site_base_code = PixelConfig(
        pixel_codes=app.config["TIKTOK_PIXEL_CODE"],
        sdk_url=app.config["TIKTOK_PIXEL_SDK_URL"],
        consent="hold",
    )

    TikTokPixel(app)
    app.extensions["demo_shop"] = {
        "catalogue": products,
        "contacts": ContactBook(),
    }
    app.register_blueprint(shop)

    @app.context_processor
    def demo_context() -> dict[str, Any]:
        def site_pixel() -> Markup:
            if not existing:
                return Markup("")
            return render_calls(site_base_code, [], nonce=csp_nonce())

        return {
            "csp_nonce": csp_nonce,
            "site_pixel": site_pixel,
            "demo_mode": {
                "real": real,
                "existing": existing,
                "inspector": bool(app.config["DEMO_INSPECTOR"]),
                "pixel_code": site_base_code.pixel_codes[0],
            },
        }

    @app.get(STANDIN_URL)
    def sdk_standin() -> Response:
        response = send_file(static_path(STANDIN_SCRIPT), mimetype="text/javascript")
        response.cache_control.no_cache = True
        return response

    @app.after_request
    def security_headers(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
            response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    return app
