"""Flask and plain Jinja integrations, as a site wires them up."""

from __future__ import annotations

from flask import Flask, redirect
from jinja2 import Environment
from werkzeug.wrappers import Response

from tiktok_pixel import PageEvents, PixelConfig
from tiktok_pixel.contrib.flask import TikTokPixel, pixel
from tiktok_pixel.contrib.jinja import TikTokPixelExtension

app = Flask(__name__)
app.config["TIKTOK_PIXEL_CODE"] = "C3MV4QR3G487IS97GFI0"
extension = TikTokPixel(app)
deferred = TikTokPixel()
deferred.init_app(app)


@app.post("/cart")
def add_to_cart() -> Response:
    pixel.identify(email="ann@example.com")
    event_id: str = pixel.track("AddToCart", value=19.99, currency="EUR")
    assert event_id
    return redirect("/cart")


env = Environment(extensions=[TikTokPixelExtension], autoescape=True)
page = PageEvents(PixelConfig(pixel_codes="C3MV4QR3G487IS97GFI0"))
html: str = env.from_string("<head>{% tiktok_pixel %}</head>").render(tiktok_pixel_events=page)

# Misuses that must stay errors.
TikTokPixel(app, "C3MV4QR3G487IS97GFI0")  # type: ignore[call-arg]
pixel.track(value=19.99)  # type: ignore[call-arg]
