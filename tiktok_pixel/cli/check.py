"""``python -m tiktok_pixel check FILE|URL…``: list each page's ``ttq`` calls and rule violations.

Meant for a site's CI after a static build, or against a running server. Without ``--browser``
pages are read statically (:func:`tiktok_pixel.page_report.check_static`); with it they run in
headless Chromium (:mod:`tiktok_pixel.browser_check`). ``--crawl N`` follows same-origin links
(:mod:`tiktok_pixel.crawl`); ``--format`` picks the output (:mod:`tiktok_pixel.report_formats`).

Exit codes: 0 when no error-level rule fires, 1 when one does, 2 when an input cannot be read or
the browser cannot start (one line on stderr; nothing is reported then).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack

from ..crawl import Progress, Robots, Visit, crawl
from ..page_fetch import FetchError, fetch, is_url, read_source
from ..page_report import PageReport, check_static
from ..report_formats import FORMATS, render
from . import CommandError

#: Kept for callers of the old module.
__all__ = ["add_parser", "check_html", "read_source", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "check",
        help="list the TikTok pixel calls of HTML pages and the rules they break",
        description=(
            "Read HTML files or fetch http(s) URLs, list the ttq calls each page makes and the "
            "TikTok rules it breaks. With --browser, run each page in headless Chromium and "
            "record every call its scripts make. Exit 1 if an error-level rule fires, 0 "
            "otherwise, 2 if an input cannot be read or the browser cannot start."
        ),
    )
    parser.add_argument(
        "sources", nargs="+", metavar="FILE|URL", help="an HTML file, '-' for stdin, or a URL"
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (text)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="time allowed to fetch (or, with --browser, load) each URL, in all (10)",
    )
    browser = parser.add_argument_group("browser (pip install 'tiktok-pixel[browser]')")
    browser.add_argument(
        "--browser",
        action="store_true",
        help="run each page in headless Chromium and record the ttq calls its scripts make",
    )
    browser.add_argument(
        "--chromium",
        metavar="PATH",
        help="the Chromium binary (default: $TIKTOK_PIXEL_CHROMIUM, else chromium on PATH)",
    )
    browser.add_argument(
        "--settle",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how long to keep recording after the page's load event (1.0)",
    )
    browser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="let the page load resources from HOST (repeatable; other third parties are "
        "blocked, TikTok is always answered by a local stand-in)",
    )
    crawling = parser.add_argument_group("crawling")
    crawling.add_argument(
        "--crawl",
        type=int,
        metavar="N",
        help="from each URL, follow same-origin links breadth first, up to N pages",
    )
    crawling.add_argument(
        "--crawl-delay",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help="pause between two pages of a crawl (0.5; a longer robots.txt Crawl-delay wins)",
    )
    parser.set_defaults(handler=run)


def check_html(source: str, html: str) -> PageReport:
    """The calls and findings of one page, read statically."""
    return check_static(source, html)


def _validate(args: argparse.Namespace) -> None:
    if args.timeout <= 0:
        raise CommandError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    if args.settle < 0:
        raise CommandError(f"--settle must be zero or more seconds, not {args.settle:g}")
    if args.crawl is not None and args.crawl < 1:
        raise CommandError(f"--crawl must be at least 1 page, not {args.crawl}")
    if args.crawl_delay < 0:
        raise CommandError(f"--crawl-delay must be zero or more seconds, not {args.crawl_delay:g}")
    if not args.browser:
        given = [
            option
            for option, value in (
                ("--chromium", args.chromium),
                ("--allow-host", args.allow_host),
                ("--settle", args.settle != 1.0),
            )
            if value
        ]
        if given:
            raise CommandError(f"{given[0]} needs --browser")


def _static_visit(timeout: float) -> Callable[[str], Visit]:
    def visit(url: str) -> Visit:
        page = fetch(url, timeout)
        report = check_static(url, page.text, page.policies)
        is_html = page.media_type in ("text/html", "application/xhtml+xml")
        return Visit(report, page.text, page.url, is_html)

    return visit


def _pages(args: argparse.Namespace, stack: ExitStack) -> Iterator[PageReport]:
    if args.browser:
        from ..browser_check import BrowserChecker, BrowserOptions, BrowserUnavailable

        options = BrowserOptions(
            chromium=args.chromium,
            settle=args.settle,
            allow_hosts=tuple(args.allow_host),
            timeout=args.timeout,
        )
        try:
            checker = stack.enter_context(BrowserChecker(options))
        except BrowserUnavailable as exc:
            raise CommandError(str(exc)) from None

        def browser_visit(source: str) -> Visit:
            try:
                result = checker.check(source)
            except FetchError:
                raise
            except Exception as exc:  # Playwright's own errors: one line, never a traceback
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise FetchError(f"{source}: browser error: {first[:200]}") from None
            return Visit(result.report, result.html, result.url, result.is_html)

        visit = browser_visit
    else:
        static = _static_visit(args.timeout)

        def static_or_file(source: str) -> Visit:
            if is_url(source):
                return static(source)
            html = read_source(source, args.timeout)
            return Visit(check_static(source, html), html, source)

        visit = static_or_file

    robots = Robots(args.timeout)
    progress = Progress()

    def skipped(message: str) -> None:
        progress.clear()
        print(f"tiktok-pixel check: skipped {message}", file=sys.stderr)

    for source in args.sources:
        if args.crawl and is_url(source):
            for page in crawl(
                source,
                args.crawl,
                visit,
                delay=args.crawl_delay,
                robots=robots,
                progress=progress,
                on_skip=skipped,
            ):
                yield page.report
        else:
            yield visit(source).report


def run(args: argparse.Namespace) -> int:
    _validate(args)
    with ExitStack() as stack:
        try:
            reports = list(_pages(args, stack))
        except FetchError as exc:
            raise CommandError(str(exc)) from None
    print(render(reports, args.format, with_summary=bool(args.crawl)))
    return 1 if any(report.count("error") for report in reports) else 0
