"""``python -m tiktok_pixel render``: print the ``<head>`` fragment for a configuration."""

from __future__ import annotations

import argparse

from ..collector import PageEvents
from ..config import PixelConfig
from . import CommandError


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
    parser.set_defaults(handler=run)


def config_from_args(args: argparse.Namespace) -> PixelConfig:
    """The :class:`PixelConfig` the options describe; :class:`CommandError` if invalid."""
    settings: dict[str, object] = {
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
    try:
        return PixelConfig(**settings)  # type: ignore[arg-type]
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    page = PageEvents(config)
    try:
        html = page.render(nonce=args.nonce)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(html)
    return 0
