"""``python -m tiktok_pixel demo``: run the demo shop on 127.0.0.1 (``make demo``).

The shop lives in ``demo_site/`` in a source checkout and in ``tiktok_pixel._demo_site`` in a
wheel. By default it is fully offline (a demo pixel code and the SDK stand-in); ``--real`` uses
TikTok's events.js with your own pixel code.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import ipaddress
import os
import socket
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from ..config import normalise_pixel_code
from . import CommandError, warn

#: Where the demo package sits in a wheel, and in a source checkout (beside the package).
WHEEL_MODULE = "tiktok_pixel._demo_site"
CHECKOUT_DIR = Path(__file__).resolve().parents[2] / "demo_site"


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "demo",
        help="run the demo shop with a live pixel inspector",
        description=(
            "Run the demo shop: every page shows the TikTok calls it queued. Offline by default "
            "(a demo pixel code and a local stand-in for TikTok's events.js)."
        ),
    )
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; anything else exposes the demo)",
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="load TikTok's real events.js (needs --pixel-code or TIKTOK_PIXEL_CODE)",
    )
    parser.add_argument("--pixel-code", metavar="CODE", help="your pixel code, for --real")
    parser.add_argument(
        "--existing-pixel",
        action="store_true",
        help="pages carry the site's own base code; our calls join it without a second load",
    )
    parser.add_argument(
        "--no-inspector", action="store_true", help="start with the inspector panel hidden"
    )
    parser.add_argument(
        "--no-debug",
        action="store_true",
        help="switch debug mode off: no validator warnings in the inspector or the log",
    )
    parser.add_argument(
        "--events-api-endpoint",
        metavar="URL",
        help="also send every event to this Events API stand-in (a dummy token), like "
        "TIKTOK_PIXEL_EVENTS_API",
    )
    parser.set_defaults(handler=run)


def load_demo() -> ModuleType:
    """The demo package: ``tiktok_pixel._demo_site`` in a wheel, ``demo_site/`` in a checkout."""
    if importlib.util.find_spec(WHEEL_MODULE) is not None:
        return importlib.import_module(WHEEL_MODULE)
    if "demo_site" in sys.modules:
        return sys.modules["demo_site"]
    init = CHECKOUT_DIR / "__init__.py"
    if not init.is_file():
        raise CommandError("the demo shop is missing from this installation")
    spec = importlib.util.spec_from_file_location(
        "demo_site", init, submodule_search_locations=[str(CHECKOUT_DIR)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo_site"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["demo_site"]
        raise
    return module


def demo_settings(args: argparse.Namespace, environ: dict[str, str]) -> dict[str, Any]:
    """The demo's Flask settings: environment variables first, then the flags over them."""
    demo = load_demo()
    settings: dict[str, Any] = demo.settings_from_env(environ)
    if args.real:
        settings["DEMO_REAL_SDK"] = True
    if args.pixel_code:
        settings["TIKTOK_PIXEL_CODE"] = args.pixel_code
    if args.existing_pixel:
        settings["DEMO_EXISTING_PIXEL"] = True
    if args.no_inspector:
        settings["DEMO_INSPECTOR"] = False
    if args.no_debug:
        settings["TIKTOK_PIXEL_DEBUG"] = False
    if args.events_api_endpoint:
        settings["DEMO_EVENTS_API"] = args.events_api_endpoint
    return settings


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_free(host: str, port: int) -> None:
    """One clear line when the port is taken (werkzeug would print a paragraph and exit)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _check_real_code(code: object, demo_code: str, *, flag: bool) -> None:
    """``--real`` needs the user's own pixel code: say so in the words they used."""
    asked = "--real" if flag else "TIKTOK_PIXEL_DEMO_REAL=1"
    if code is None:
        raise CommandError(
            f"{asked} needs your own pixel code: add --pixel-code CODE (or set TIKTOK_PIXEL_CODE)"
        )
    try:
        own = normalise_pixel_code(code) != demo_code
    except ValueError as exc:
        raise CommandError(f"--pixel-code: {exc}") from None
    if not own:
        raise CommandError(
            f"{asked} needs your own pixel code (--pixel-code or TIKTOK_PIXEL_CODE): the demo's "
            "code is made up and TikTok would reject it"
        )


def run(args: argparse.Namespace) -> int:
    try:
        from werkzeug.serving import make_server
    except ImportError:
        raise CommandError("the demo needs Flask: pip install 'tiktok-pixel[demo]'") from None
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port must be 0-65535, not {args.port}")
    demo = load_demo()
    settings = demo_settings(args, dict(os.environ))
    if settings.get("DEMO_REAL_SDK"):
        _check_real_code(settings.get("TIKTOK_PIXEL_CODE"), demo.DEMO_PIXEL_CODE, flag=args.real)
    try:
        app = demo.create_app(settings)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    _check_free(args.host, args.port)
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except (OSError, SystemExit) as exc:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{server.server_port}/"
    if not _is_loopback(args.host):
        warn("demo", f"the demo listens on {args.host}, not only this machine")
    mode = "TikTok's real events.js" if app.config["DEMO_REAL_SDK"] else "offline SDK stand-in"
    print(f"Demo shop ({mode}): {url}  (Ctrl+C to stop)", flush=True)
    if app.config.get("DEMO_EVENTS_API"):
        print(f"Events API mirroring to {app.config['DEMO_EVENTS_API']}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
