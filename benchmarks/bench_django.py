"""Django: the lifecycle's cost against a hand-written floor (see ``bench_flask``'s docstring).

The same product page as the Flask benchmark, rendered by the Django template engine. ``plain``
and ``floor`` run through a handler with ``SessionMiddleware`` only, ``ours`` through one that
adds ``TikTokPixelMiddleware``; ``core`` makes the same lifecycle calls from the view without
the middleware or the tag. The carried GET is also compared with a carry written by hand with
``django.core.signing``. All variants are interleaved request by request in one process.
Django is configured here (signed-cookie sessions, no database) when nothing configured it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings

from .common import Result, lifecycle_figures, paired_us
from .fixtures import CODE, CONFIG

SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
PIXEL = "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware"
EVENT = {"value": 12.5, "currency": "EUR"}
SESSION = {"user_id": 42, "cart": [{"sku": "sku-1", "quantity": 1}]}

PAGE = """{% load tiktok_pixel %}<!doctype html><html lang=en><head><meta charset=utf-8>
<title>{{ product.name }}</title><link rel=stylesheet href=/static/shop.css>TAG</head>
<body><header><nav>{% for link in links %}<a href="{{ link }}">{{ link|title }}</a>{% endfor %}
</nav></header><main><h1>{{ product.name }}</h1><p>{{ product.description }}</p>
<ul>{% for item in related %}<li><a href="/p/{{ item.sku }}">{{ item.name }}</a>
<span>{{ item.price|floatformat:2 }} EUR</span></li>{% endfor %}</ul>
<form method=post action=/cart><input type=hidden name=sku value="{{ product.sku }}">
<button>Add to cart</button></form></main><footer>&copy; shop</footer></body></html>"""
TAGS = {
    "plain": "",
    "floor": "{{ snippet }}",
    "ours": "{% tiktok_pixel %}",
    "core": "{{ snippet }}",
}
HAND_COOKIE = "carried"
HAND_SALT = "carried-calls"
RELATED = [{"sku": f"sku-{i}", "name": f"Product {i}", "price": 10 + i} for i in range(24)]
PRODUCT = {"sku": "sku-1", "name": "Enamel mug", "description": "A mug. " * 40}
LINKS = ["home", "search", "cart", "wishlist", "account", "help"]

_templates: dict[str, Any] = {}
_loader: dict[str, str] = {}
_core: dict[str, Any] = {}


def _configure() -> None:
    if not settings.configured:
        settings.configure(
            SECRET_KEY="bench",
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["testserver"],
            INSTALLED_APPS=["django.contrib.sessions", "tiktok_pixel.contrib.django"],
            MIDDLEWARE=[SESSIONS, PIXEL],
            SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
            TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
            TIKTOK_PIXEL={"PIXEL_CODE": CODE},
            USE_TZ=True,
        )
    import django

    django.setup()
    from django.template import engines

    for name, tag in TAGS.items():
        _templates[name] = engines["django"].from_string(PAGE.replace("TAG", tag))
    from tiktok_pixel.fragment import heads

    _loader["floor"] = "<script>" + heads(CONFIG).inline
    from tiktok_pixel.lifecycle import Site

    _core["site"] = Site(CONFIG)


def _page(request: Any, variant: str) -> Any:
    from django.http import HttpResponse
    from django.utils.safestring import mark_safe

    snippet = ""
    if variant == "ours":
        request.tiktok_pixel.track("ViewContent", **EVENT)
    elif variant == "floor":  # by hand: the loader pre-built once, uuid4, json.dumps
        calls = json.dumps([["track", "ViewContent", EVENT, {"event_id": str(uuid.uuid4())}]])
        snippet = mark_safe(_loader["floor"] + calls + "});</script>")
    elif variant == "core":  # the lifecycle's own calls, without the middleware or the tag
        own = _core["site"].begin(request)
        own.events.track("ViewContent", **EVENT)
        snippet = own.render()
        own.settles_nothing(200)
    context = {"product": PRODUCT, "related": RELATED, "links": LINKS, "snippet": snippet}
    return HttpResponse(_templates[variant].render(context, request))


def plain(request: Any) -> Any:
    return _page(request, "plain")


def floor(request: Any) -> Any:
    return _page(request, "floor")


def ours(request: Any) -> Any:
    return _page(request, "ours")


def core(request: Any) -> Any:
    return _page(request, "core")


def hand_cart(request: Any) -> Any:
    """The page after a post/redirect with the carry written by hand: a signed cookie holding
    the calls, read and verified, rendered, then deleted (``Vary: Cookie``, private)."""
    from django.core import signing
    from django.http import HttpResponse
    from django.utils.cache import patch_cache_control, patch_vary_headers
    from django.utils.safestring import mark_safe

    value = request.COOKIES.get(HAND_COOKIE)
    carried = []
    if value:
        try:
            carried = signing.loads(value, salt=HAND_SALT, max_age=300)
        except signing.BadSignature:
            carried = []
    snippet = mark_safe(_loader["floor"] + json.dumps(carried) + "});</script>")
    context = {"product": PRODUCT, "related": RELATED, "links": LINKS, "snippet": snippet}
    response = HttpResponse(_templates["floor"].render(context, request))
    if value:
        response.delete_cookie(HAND_COOKIE, samesite="Lax")
        patch_vary_headers(response, ["Cookie"])
        patch_cache_control(response, private=True)
    return response


def cart(request: Any) -> Any:
    """The page after a post/redirect: the tag, no track of its own."""
    from django.http import HttpResponse

    context = {"product": PRODUCT, "related": RELATED, "links": LINKS}
    return HttpResponse(_templates["ours"].render(context, request))


def _urls() -> list[Any]:
    from django.urls import path

    return [
        path("plain", plain),
        path("floor", floor),
        path("ours", ours),
        path("core", core),
        path("cart", cart),
        path("hand-cart", hand_cart),
    ]


def __getattr__(name: str) -> Any:  # the URLconf is built once Django is set up
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)


def _client(middleware: list[str]) -> Any:
    """A test client whose handler loaded ``middleware`` (it keeps it after this returns)."""
    from django.test import Client, override_settings

    client = Client()
    with override_settings(MIDDLEWARE=middleware):
        client.get("/plain")
    return client


def _cookie_headers() -> tuple[str, str]:
    """``Cookie`` headers after a post/redirect: the site's session alone, and the same plus the
    carry cookie holding one AddToCart call (as the redirect set it)."""
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    from tiktok_pixel import Call
    from tiktok_pixel.carry_cookie import COOKIE_NAME, for_secret

    store = SessionStore()
    store.update(SESSION)
    store.save()
    session = f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
    jar = for_secret(settings.SECRET_KEY)
    assert jar is not None
    call = Call("track", "AddToCart", {"value": 19.99, "currency": "EUR"}, str(uuid.uuid4()))
    return session, f"{session}; {COOKIE_NAME}={jar.dumps([call])}"


def run(quick: bool) -> list[Result]:
    _configure()
    rounds, number = (5, 20) if quick else (40, 200)
    bare, tagged = _client([SESSIONS]), _client([SESSIONS, PIXEL])
    response = tagged.get("/ours")
    assert b"ViewContent" in response.content
    quiet = not response.cookies and "Cookie" not in response.get("Vary", "")
    times = paired_us(
        {
            "plain": lambda: bare.get("/plain"),
            "floor": lambda: bare.get("/floor"),
            "ours": lambda: tagged.get("/ours"),
            "core": lambda: bare.get("/core"),
        },
        rounds=rounds,
        number=number,
    )
    without, with_carried = _cookie_headers()
    # Both GETs send their Cookie header as given (the client's cookie jar stays empty: the
    # deletion of the carry cookie is not stored), so only the app's work differs.
    tagged.cookies.clear()

    def get_cart(cookie: str) -> None:
        tagged.get("/cart", HTTP_COOKIE=cookie)
        tagged.cookies.clear()

    shown = tagged.get("/cart", HTTP_COOKIE=with_carried)
    assert b"AddToCart" in shown.content and shown.cookies
    tagged.cookies.clear()
    assert b"AddToCart" not in tagged.get("/cart", HTTP_COOKIE=without).content
    from django.core import signing

    hand_call = ["track", "AddToCart", {"value": 19.99, "currency": "EUR"}, {"event_id": "e-1"}]
    hand_with = f"{without}; {HAND_COOKIE}={signing.dumps([hand_call], salt=HAND_SALT)}"

    def get_hand_cart(cookie: str) -> None:
        bare.get("/hand-cart", HTTP_COOKIE=cookie)
        bare.cookies.clear()

    shown = bare.get("/hand-cart", HTTP_COOKIE=hand_with)
    assert b"AddToCart" in shown.content and HAND_COOKIE in shown.cookies
    bare.cookies.clear()
    carried = paired_us(
        {
            "without": lambda: get_cart(without),
            "with": lambda: get_cart(with_carried),
            "floor without": lambda: get_hand_cart(without),
            "floor with": lambda: get_hand_cart(hand_with),
        },
        rounds=rounds,
        number=number,
    )
    return lifecycle_figures("django", times, carried, quiet=quiet)
