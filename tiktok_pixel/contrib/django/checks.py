"""System checks: ``manage.py check`` reports a broken ``TIKTOK_PIXEL`` setting or setup.

Errors (``tiktok_pixel.E0xx``) stop ``runserver`` and ``migrate``; warnings (``W0xx``) point
at setups where part of the integration silently does nothing.

======  =============================================================================
E001    an invalid pixel code
E002    an unknown option (a typo)
E003    an option of the wrong type or with an invalid value
E004    ``TIKTOK_PIXEL`` is not a dict
E005    no pixel code (and no ``USE_EXISTING``)
E006    ``AUTO_INJECT`` without the middleware
E007    ``INLINE: False`` but nothing serves ``static/tiktok_pixel.js``
E008    (from the staticfiles finder) ``static/tiktok_pixel.js`` missing from the install
E009    ``EVENTS_API`` is invalid: not a dict, an unknown option, a bad value, no access token
E010    ``CONSENT_GRANTED`` is not a callable (or a dotted path to one)
W001    the middleware is missing: no ``request.tiktok_pixel``, nothing carried over redirects
W002    (retired: calls carried over a redirect no longer need a session)
W003    the middleware runs outside django-csp's: its nonce cannot reach the CSP header
W004    a Jinja2 backend without ``tiktok_pixel()``
W005    ``EVENTS_API`` with ``CONSENT: "hold"`` but no ``CONSENT_GRANTED``: nothing is mirrored
======  =============================================================================
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from ...handoff import consent_hold_unanswered
from .conf import SETTING, read_settings
from .static_script import FINDER, MISSING_SCRIPT_HINT, finder_installed, view_url

MIDDLEWARE = "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware"
CONTEXT_PROCESSOR = "tiktok_pixel.contrib.django.context_processors.tiktok_pixel"
JINJA2_ENVIRONMENT = "tiktok_pixel.contrib.django.jinja2.environment"
CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"


def check_setting(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The ``TIKTOK_PIXEL`` dict itself: codes, option names, types and values."""
    found, problems = read_settings(getattr(settings, SETTING, None))
    messages: list[CheckMessage] = [
        Error(problem.msg, hint=problem.hint, obj=SETTING, id=f"tiktok_pixel.{problem.id}")
        for problem in problems
    ]
    if found is None or not found.enabled:
        return messages
    middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
    if MIDDLEWARE not in middleware:
        if found.auto_inject:
            messages.append(
                Error(
                    f"{SETTING}['AUTO_INJECT'] is True but {MIDDLEWARE} is not in MIDDLEWARE.",
                    hint=f"Add {MIDDLEWARE!r} to MIDDLEWARE; it is what injects the tag.",
                    obj=SETTING,
                    id="tiktok_pixel.E006",
                )
            )
        else:
            messages.append(
                Warning(
                    f"{MIDDLEWARE} is not in MIDDLEWARE: views have no request.tiktok_pixel and "
                    "calls made before a redirect are lost.",
                    hint=f"Add {MIDDLEWARE!r} to MIDDLEWARE, after SessionMiddleware.",
                    obj=SETTING,
                    id="tiktok_pixel.W001",
                )
            )
    else:
        messages.extend(_middleware_order(middleware))
    if not found.config.inline and not finder_installed() and view_url() is None:
        messages.append(
            Error(
                MISSING_SCRIPT_HINT,
                hint=f"Add {FINDER!r} to STATICFILES_FINDERS, or include "
                "'tiktok_pixel.contrib.django.urls' in your URLconf.",
                obj=SETTING,
                id="tiktok_pixel.E007",
            )
        )
    messages.extend(_jinja2_backends())
    if found.events_api_config is not None and consent_hold_unanswered(
        found.config, found.consent_granted
    ):
        messages.append(
            Warning(
                f"{SETTING}['EVENTS_API'] is set and {SETTING}['CONSENT'] is 'hold', but "
                f"{SETTING}['CONSENT_GRANTED'] is not: the server cannot know when a visitor "
                "grants consent, so no event is sent to the Events API.",
                hint="Set 'CONSENT_GRANTED' to a callable (or its dotted path) taking the request "
                "and returning True when the visitor granted consent, e.g. from your consent "
                "cookie.",
                obj=SETTING,
                id="tiktok_pixel.W005",
            )
        )
    return messages


def _middleware_order(middleware: list[str]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    ours = middleware.index(MIDDLEWARE)
    if CSP_MIDDLEWARE in middleware[ours:]:
        messages.append(
            Warning(
                f"{CSP_MIDDLEWARE} comes after {MIDDLEWARE}: the CSP header is written before the "
                "pixel reads request.csp_nonce, so injected tags get no nonce and render nothing.",
                hint=f"Move {MIDDLEWARE!r} after {CSP_MIDDLEWARE!r} in MIDDLEWARE.",
                obj=SETTING,
                id="tiktok_pixel.W003",
            )
        )
    return messages


def _jinja2_backends() -> list[CheckMessage]:
    """A Jinja2 backend must offer ``tiktok_pixel`` as a global or from the context processor."""
    from django.template import engines
    from django.template.backends.jinja2 import Jinja2

    messages: list[CheckMessage] = []
    for backend in getattr(settings, "TEMPLATES", ()):
        if not backend.get("BACKEND", "").endswith("jinja2.Jinja2"):
            continue
        options = backend.get("OPTIONS", {})
        if CONTEXT_PROCESSOR in options.get("context_processors", ()):
            continue
        alias = backend.get("NAME") or backend["BACKEND"].rsplit(".", 2)[-2]
        try:
            engine = engines[alias]
        except Exception:  # a broken backend is reported by Django's own checks
            continue
        if isinstance(engine, Jinja2) and "tiktok_pixel" in engine.env.globals:
            continue
        messages.append(
            Warning(
                f"The Jinja2 template backend {alias!r} cannot render the TikTok pixel: it has "
                "no tiktok_pixel() global.",
                hint=f"Set OPTIONS['environment'] to {JINJA2_ENVIRONMENT!r} (or call "
                "tiktok_pixel.contrib.django.jinja2.install(env) in your own), or add "
                f"{CONTEXT_PROCESSOR!r} to its OPTIONS['context_processors'].",
                obj=SETTING,
                id="tiktok_pixel.W004",
            )
        )
    return messages


def register_checks() -> None:
    register(check_setting, Tags.templates, "tiktok_pixel")
