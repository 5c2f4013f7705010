"""The Django shop of the lifecycle suite: URLconf and views (see ``lifecycle_sites.py``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template import engines
from django.urls import include, path

from tests.contrib.lifecycle_sites import UNTAGGED, page_html
from tiktok_pixel.contrib.django.page import render_for

TAG = "{% load tiktok_pixel %}"


def _render(
    request: HttpRequest, tags: str, title: str = "page", status: int = 200
) -> HttpResponse:
    template = engines["django"].from_string(TAG + page_html(tags, title))
    return HttpResponse(template.render(request=request), status=status)


def page(request: HttpRequest) -> HttpResponse:
    if "track" in request.GET:
        request.tiktok_pixel.track(request.GET["track"], event_id=request.GET.get("id"))  # type: ignore[attr-defined]
    return _render(request, "{% tiktok_pixel %}")


def double(request: HttpRequest) -> HttpResponse:
    request.tiktok_pixel.track("ViewContent", event_id="v-1")  # type: ignore[attr-defined]
    # the tag, and the context processor's value that Django templates call
    return _render(request, "{% tiktok_pixel %}{{ tiktok_pixel }}")


def post(request: HttpRequest) -> HttpResponse:
    for event_id in request.GET["ids"].split(","):
        request.tiktok_pixel.track("AddToCart", value=5, currency="EUR", event_id=event_id)  # type: ignore[attr-defined]
    response = HttpResponse(status=303)
    response["Location"] = "/page"
    return response


def json(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


def not_modified(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotModified()


def stream(request: HttpRequest) -> StreamingHttpResponse:
    request.tiktok_pixel.track("Search", query="mugs", event_id="s-1")  # type: ignore[attr-defined]

    def body() -> Iterator[str]:
        yield "<!doctype html><html><head><title>stream</title>"
        yield str(render_for(request))  # a streamed template renders the tag late
        yield "</head><body>streamed</body></html>"

    return StreamingHttpResponse(body(), content_type="text/html")


def fail(request: HttpRequest) -> HttpResponse:
    request.tiktok_pixel.track("Purchase", value=9, currency="EUR", event_id="boom-1")  # type: ignore[attr-defined]
    raise RuntimeError("the order failed")


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the site's own error page, rendered with the request."""
    return _render(request, "{% tiktok_pixel %}", "error", status=500)


def untagged(request: HttpRequest) -> HttpResponse:
    return HttpResponse(UNTAGGED)


handler500 = server_error

urlpatterns = [
    path("page", page),
    path("double", double),
    path("post", post),
    path("json", json),
    path("not-modified", not_modified),
    path("stream", stream),
    path("raise", fail),
    path("untagged", untagged),
    path("tiktok-pixel/", include("tiktok_pixel.contrib.django.urls")),
]
