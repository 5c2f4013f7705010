"""``python -m tiktok_pixel render``: print the ``<head>`` fragment for a configuration."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..collector import PageEvents
from ..config import PixelConfig, SettingError
from . import CommandError, warn

#: ``PixelConfig`` field -> the option that sets it, for messages in the user's words.
FLAGS: dict[str, str] = {
    "pixel_codes": "--pixel-code",
    "use_existing_pixel": "--use-existing-pixel",
    "auto_page_view": "--no-auto-page-view",
    "limited_data_use": "--limited-data-use",
    "consent": "--consent",
    "default_phone_region": "--default-phone-region",
    "default_currency": "--default-currency",
    "sdk_url": "--sdk-url",
    "runtime_url": "--runtime-url",
    "inline": "--runtime-url",
    "mappings": "--mappings",
}


def flag_name(setting: str) -> str:
    """The command-line option for a ``PixelConfig`` field (the field itself if it has none)."""
    return FLAGS.get(setting, setting)


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "render",
        help="print the HTML fragment for <head>",
        description="Print the TikTok Pixel fragment for <head> on stdout.",
    )
    parser.add_argument(
        "--pixel-code",
        dest="pixel_codes",
        action="append",
        default=[],
        metavar="CODE",
        help="a pixel code from TikTok Events Manager; repeat for several pixels",
    )
    parser.add_argument(
        "--use-existing-pixel",
        action="store_true",
        help="render no loader; hand the calls to the window.ttq the page already has",
    )
    parser.add_argument(
        "--no-auto-page-view", action="store_true", help="do not call ttq.page() after loading"
    )
    parser.add_argument(
        "--limited-data-use", action="store_true", help="load with limited_data_use: true"
    )
    parser.add_argument(
        "--consent", choices=["hold"], help="'hold': nothing is sent until ttq.grantConsent()"
    )
    parser.add_argument("--nonce", metavar="VALUE", help="CSP nonce for the script tags")
    parser.add_argument(
        "--default-phone-region",
        metavar="CC",
        help="region for phone numbers written without +country code, e.g. GB",
    )
    parser.add_argument(
        "--default-currency", metavar="CODE", help="currency for values without one"
    )
    parser.add_argument(
        "--sdk-url", metavar="URL", help="events.js URL (first-party proxy, stand-in)"
    )
    parser.add_argument(
        "--runtime-url",
        metavar="URL",
        help="no-inline mode: URL of static/tiktok_pixel.js; the calls go in a JSON data block",
    )
    parser.add_argument(
        "--events",
        metavar="FILE",
        help="a JSON array of Segment-spec events to map to TikTok calls ('-' reads stdin)",
    )
    parser.add_argument(
        "--mappings",
        metavar="FILE",
        help="JSON mapping configuration (set, presets, disable, mappings, currency, ...)",
    )
    parser.set_defaults(handler=run)


def read_json(name: str, what: str) -> Any:
    """The JSON in file ``name`` (``-``: stdin); :class:`CommandError` if unreadable or invalid."""
    try:
        if name == "-":
            text = sys.stdin.read()
        else:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise CommandError(f"cannot read {what} file {name!r}: {reason}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{what} file {name!r} is not valid JSON: {exc.msg} (line {exc.lineno}, "
            f"column {exc.colno})"
        ) from None


def config_from_args(args: argparse.Namespace) -> PixelConfig:
    """The :class:`PixelConfig` the options describe; :class:`CommandError` if invalid."""
    settings: dict[str, Any] = {
        "pixel_codes": tuple(args.pixel_codes),
        "use_existing_pixel": args.use_existing_pixel,
        "auto_page_view": not args.no_auto_page_view,
        "limited_data_use": args.limited_data_use,
        "consent": args.consent,
        "default_phone_region": args.default_phone_region,
        "default_currency": args.default_currency,
    }
    if args.sdk_url:
        settings["sdk_url"] = args.sdk_url
    if args.runtime_url:
        settings["inline"] = False
        settings["runtime_url"] = args.runtime_url
    if getattr(args, "mappings", None):
        settings["mappings"] = read_json(args.mappings, "--mappings")
    try:
        return PixelConfig(**settings)
    except SettingError as exc:
        raise CommandError(exc.spelled(flag_name)) from None


def queue_events(page: PageEvents, name: str) -> None:
    """Map each Segment event of the JSON array in ``name`` onto ``page``.

    A malformed event is skipped with one warning line on stderr; the others still render.
    """
    events = read_json(name, "--events")
    if not isinstance(events, list):
        raise CommandError(
            f"--events file {name!r} must hold a JSON array of events, not {type(events).__name__}"
        )
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            warn("render", f"event #{index} is not an object; skipped")
            continue
        page.segment(event)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    page = PageEvents(config)
    if args.events:
        queue_events(page, args.events)
    try:
        html = page.render(nonce=args.nonce)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(html)
    return 0
