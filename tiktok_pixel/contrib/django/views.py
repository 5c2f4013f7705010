"""A view serving the no-inline runtime, for sites that do not use the staticfiles finder.

The URL carries a digest of the script, so the response may be cached for a year: a new
release changes the URL. A request with an old digest (a page cached across a deploy) still
gets the current script, cached briefly.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import etag, require_safe

from ...runtime import served_static_script


def script_digest() -> str:
    """The digest in the script's URL: the first 16 hex digits of its SHA-256."""
    return served_static_script()[1]


@require_safe
@etag(lambda request, digest: script_digest())
def runtime_script(request: HttpRequest, digest: str) -> HttpResponse:
    """``static/tiktok_pixel.js`` with long-lived caching when the digest is current."""
    body, current = served_static_script()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    fresh = digest == current
    response["Cache-Control"] = (
        "public, max-age=31536000, immutable" if fresh else "public, max-age=300"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
