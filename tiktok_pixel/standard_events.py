"""TikTok's event names, as data: current standard events, the 2025 renames and legacy names.

Names are case-sensitive. Sources: TikTok help "About supported standard events" (Sept 2025) and
"How to adopt TikTok's updated standard events" (May 2025).
"""

from __future__ import annotations

import difflib
import functools

#: The standard web events TikTok documents today.
STANDARD_EVENTS: frozenset[str] = frozenset(
    {
        "AddPaymentInfo",
        "AddToCart",
        "AddToWishlist",
        "ApplicationApproval",
        "CompleteRegistration",
        "Contact",
        "CustomizeProduct",
        "Download",
        "FindLocation",
        "InitiateCheckout",
        "Lead",
        "Purchase",
        "Schedule",
        "Search",
        "StartTrial",
        "SubmitApplication",
        "Subscribe",
        "ViewContent",
    }
)

#: Renamed on 1 May 2025; the old names still work and TikTok converts them on its backend.
RENAMED_EVENTS: dict[str, str] = {"CompletePayment": "Purchase", "SubmitForm": "Lead"}

#: Soft-deprecated in 2025, fully supported until their sunset in 2027.
SUNSET_EVENTS: frozenset[str] = frozenset({"ClickButton", "PlaceAnOrder"})

#: Every name TikTok treats as a standard event today, legacy names included.
KNOWN_EVENTS: frozenset[str] = STANDARD_EVENTS | RENAMED_EVENTS.keys() | SUNSET_EVENTS


def _squash(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


_BY_SQUASHED = {_squash(name): name for name in KNOWN_EVENTS}


@functools.lru_cache(maxsize=1024)
def similar_standard_event(name: str) -> str | None:
    """The known event ``name`` was probably meant to be, or ``None`` if it is known or far off.

    ``addtocart``, ``Add To Cart`` and ``AddToCard`` all point at ``AddToCart``.
    """
    if name in KNOWN_EVENTS:
        return None
    squashed = _squash(name)
    if squashed in _BY_SQUASHED:
        return _BY_SQUASHED[squashed]
    close = difflib.get_close_matches(squashed, _BY_SQUASHED, n=1, cutoff=0.85)
    return _BY_SQUASHED[close[0]] if close else None
