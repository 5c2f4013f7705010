"""The CSP nonce of a request: django-csp's ``request.csp_nonce``, else the ``NONCE`` callable."""

from __future__ import annotations

from typing import Any

from .conf import PixelSettings


def request_nonce(request: Any, settings: PixelSettings) -> str | None:
    """The nonce every script tag of this response must carry, or ``None``.

    django-csp (4.x) puts a lazy ``csp_nonce`` on the request; reading it with ``str()`` is what
    makes its middleware add the nonce to the header, so it is read here, during the response.
    Read after django-csp has written the header it raises (``CSPNonceError``); the caller
    treats that as a render failure rather than emit a script the browser would block.
    """
    if request is None:
        return None
    lazy = getattr(request, "csp_nonce", None)
    if lazy is not None:
        return str(lazy) or None
    if settings.nonce is not None:
        value = settings.nonce(request)
        return None if value is None or value == "" else str(value)
    return None
