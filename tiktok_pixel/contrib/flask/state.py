"""``PixelState``: the Flask extension's validated settings, kept on ``app.extensions``.

Built once by ``init_app`` from ``app.config``'s ``TIKTOK_PIXEL_*`` keys by the builder shared
with Django and Starlette (:mod:`tiktok_pixel.contrib.options`), so configuration mistakes fail
at start-up with a ``ValueError`` naming the Flask key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...lifecycle import Site
from ..options import FLASK, build_options
from .static_script import script_path

__all__ = ["PREFIX", "PixelState", "build_state"]

#: Prefix of every Flask config key the extension owns.
PREFIX = FLASK.key_prefix


@dataclass(frozen=True, eq=False)
class PixelState(Site):
    """What ``TikTokPixel.init_app`` validated; ``app.extensions["tiktok_pixel"]``.

    The lifecycle's :class:`~tiktok_pixel.lifecycle.Site` (``config``, ``enabled``,
    ``auto_inject``, ``nonce``, ``mirror``, ``consent_granted``, ``script_url``) plus
    ``events_api``, ``TIKTOK_PIXEL_EVENTS_API`` exactly as given (never in the repr: it may hold
    the access token).
    """

    events_api: Any = field(default=None, repr=False)

    def script_url_for(self, script_root: str) -> str | None:
        """Where pages of an app mounted at ``script_root`` load the no-inline script."""
        if self.script_url is None or not script_root:
            return self.script_url
        return script_root + self.script_url


def build_state(config: Mapping[str, Any], *, testing: bool) -> PixelState:
    """Validate a Flask app's ``TIKTOK_PIXEL_*`` keys into a :class:`PixelState`.

    ``TIKTOK_PIXEL_ENABLED`` defaults to True, under ``TESTING`` too (the test client runs no
    JavaScript, and the testing helpers read the rendered pixel). The Events API mirror is built
    only when ``TIKTOK_PIXEL_EVENTS_API`` is set and, under ``TESTING``, only when
    ``TIKTOK_PIXEL_ENABLED`` is set to True explicitly: a test suite never sends to TikTok by
    accident. Raises ``ValueError`` naming the key, for every problem at once.
    """
    given = {k: v for k, v in config.items() if isinstance(k, str) and k.startswith(PREFIX)}
    options = build_options(given, FLASK, runtime_url=script_path(), testing=testing)
    return options.site(
        PixelState,
        mirror=options.mirror(),
        script_url=None if options.config.inline else options.config.runtime_url,
        events_api=options.events_api,
    )
