"""Views of the Django test site: they track like a shop would."""

from __future__ import annotations

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.template import engines


def product(request: HttpRequest, sku: str) -> HttpResponse:
    request.tiktok_pixel.track(  # type: ignore[attr-defined]
        "ViewContent", content_ids=sku, value=19.99, currency="EUR", content_type="product"
    )
    template = request.GET.get("template", "page.html")
    return render(request, template, {"title": sku, "nonce": request.GET.get("nonce")})


def add_to_cart(request: HttpRequest) -> HttpResponse:
    """Post/redirect/get: the tracked calls must survive the redirect."""
    pixel = request.tiktok_pixel  # type: ignore[attr-defined]
    pixel.identify(email=request.POST["email"], external_id=request.POST.get("user"))
    pixel.track("AddToCart", content_ids=request.POST["sku"], value=5, currency="USD")
    return HttpResponseRedirect("/thanks/")


def checkout(request: HttpRequest) -> HttpResponse:
    """A second redirect in a row: calls from both requests reach the next page."""
    request.tiktok_pixel.track("InitiateCheckout", value=5, currency="USD")  # type: ignore[attr-defined]
    return HttpResponseRedirect("/thanks/")


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "page.html", {"title": "thanks"})


def api_cart(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"items": 1})


def plain(request: HttpRequest) -> HttpResponse:
    """An HTML page whose template has no tag: auto-injection's case."""
    if request.GET.get("track"):
        request.tiktok_pixel.track("Search", query=request.GET["track"])  # type: ignore[attr-defined]
    return render(request, "plain.html", {"title": "plain"})


def tagged(request: HttpRequest) -> HttpResponse:
    """A page that already carries the fragment from outside the tag (e.g. a cached block)."""
    return HttpResponse(
        '<html><head><script type="application/json" data-tiktok-pixel>{"pixels":[],"calls":[]}'
        "</script></head><body></body></html>"
    )


def stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(
        iter(["<html><head><title>s</title>", "</head><body>streamed</body></html>"]),
        content_type="text/html",
    )


def stream_tagged(request: HttpRequest) -> StreamingHttpResponse:
    """A Jinja2 template streamed: the tag renders after the middleware has returned."""
    request.tiktok_pixel.track("ViewContent", content_ids="STREAM")  # type: ignore[attr-defined]
    template = engines["jinja2"].get_template("tag.html").template  # type: ignore[attr-defined]
    return StreamingHttpResponse(template.generate(request=request), content_type="text/html")


def account(request: HttpRequest) -> HttpResponse:
    """Identifies the visitor from the query: the concurrency test's page."""
    pixel = request.tiktok_pixel  # type: ignore[attr-defined]
    pixel.identify(email=request.GET["email"], external_id=request.GET["user"])
    pixel.track("ViewContent", content_ids=request.GET["user"])
    return render(request, "page.html", {"title": request.GET["user"]})


def jinja_page(request: HttpRequest) -> HttpResponse:
    request.tiktok_pixel.track("ViewContent", content_ids="J-1")  # type: ignore[attr-defined]
    template = request.GET.get("template", "page.html")
    return render(request, template, {"nonce": request.GET.get("nonce")}, using="jinja2")


def broken_view(request: HttpRequest) -> HttpResponse:
    """Tracks, then fails: the view's own error must propagate unchanged."""
    request.tiktok_pixel.track("ViewContent")  # type: ignore[attr-defined]
    raise RuntimeError("the view failed")
