"""The blueprint serving ``static/tiktok_pixel.js`` in no-inline mode (``TIKTOK_PIXEL_INLINE``).

Registered by ``init_app`` under :data:`URL_PREFIX`; answers as :mod:`tiktok_pixel.static_route`
says (a year's caching under the digest, 404 for any other digest).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from ...static_route import script_reply, versioned_name

#: Where the script is served, under the application root.
URL_PREFIX = "/_tiktok_pixel"

blueprint = Blueprint("tiktok_pixel", __name__, url_prefix=URL_PREFIX)


def script_path() -> str:
    """The versioned path of the script under the application root."""
    return f"{URL_PREFIX}/{versioned_name()}"


def _reply(version: str | None) -> Response:
    reply = script_reply(version, if_none_match=request.headers.get("If-None-Match"))
    if reply.status == 404:
        abort(404)
    return Response(reply.body, status=reply.status, headers=list(reply.headers))


@blueprint.route("/tiktok_pixel.js")
def static_script() -> Response:
    """``static/tiktok_pixel.js``, cached for an hour and revalidated by ETag."""
    return _reply(None)


@blueprint.route("/tiktok_pixel.<version>.js")
def versioned_static_script(version: str) -> Response:
    """The same script under its digest: cached for a year; any other digest is a 404."""
    return _reply(version)
