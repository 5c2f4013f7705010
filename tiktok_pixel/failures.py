"""Containing request-time failures: describe them for a log without leaking PII.

Tracking must never fail a page. Where tracking code meets an unexpected exception (a broken
mapping callable, a phone library error), it is caught, described by :func:`describe_failure`
and logged as one warning.
"""

from __future__ import annotations

import logging

from .fragment import InvalidNonce
from .hashing import InvalidIdentity

logger = logging.getLogger(__name__)

#: Our own exceptions: their messages are written to carry no PII, so they may be logged.
_SAFE_MESSAGES = (InvalidNonce, InvalidIdentity)


def describe_failure(exc: BaseException) -> str:
    """A log-safe description: our own messages in full, anything else by its type only
    (a foreign exception's message may quote the data that caused it)."""
    if isinstance(exc, _SAFE_MESSAGES):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


def log_render_failure(exc: BaseException) -> None:
    """The one warning for a pixel that could not be rendered (the page is served without it)."""
    logger.warning(
        "TikTok pixel not rendered (%s); the page is served without it", describe_failure(exc)
    )
