"""``check --crawl N``: from a start URL, visit same-origin links breadth first.

At most ``limit`` pages per start URL, ``robots.txt`` respected (for the links followed; the
start URL is checked because it was asked for), a pause of ``delay`` seconds between requests
(or the site's ``Crawl-delay`` when longer). Fragments are dropped and each URL is visited once,
so loops end. Links to other origins are never followed.
"""

from __future__ import annotations

import shutil
import sys
import time
import urllib.robotparser
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TextIO
from urllib.parse import urldefrag, urljoin, urlsplit

from .page_fetch import FetchError, fetch
from .page_report import PageReport

#: The user agent robots.txt rules are matched against.
USER_AGENT = "tiktok-pixel-check"
#: Links to files that are not pages are not followed.
_NOT_PAGES = (
    ".pdf .zip .gz .tar .png .jpg .jpeg .gif .webp .svg .ico .css .js .json .xml .txt .mp3 .mp4"
    " .webm .woff .woff2 .ttf .csv .doc .docx .xls .xlsx"
).split()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag in ("a", "area") and values.get("href"):
            self.hrefs.append(str(values["href"]))


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), f"{(parts.hostname or '').lower()}:{port}"


def links(html: str, page_url: str) -> list[str]:
    """The same-origin page links of ``html`` (absolute, without fragments), in page order."""
    parser = _Links()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; anything else just ends the link list
        pass
    base = urljoin(page_url, parser.base) if parser.base else page_url
    found: list[str] = []
    for href in parser.hrefs:
        try:
            url = urldefrag(urljoin(base, href.strip()))[0]
        except ValueError:
            continue
        path = urlsplit(url).path.lower()
        same = origin(url) == origin(page_url)
        if same and not path.endswith(tuple(_NOT_PAGES)) and url not in found:
            found.append(url)
    return found


class Robots:
    """``robots.txt`` per origin, fetched once; an unreadable file allows everything."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._parsers: dict[tuple[str, str], urllib.robotparser.RobotFileParser] = {}

    def _parser(self, url: str) -> urllib.robotparser.RobotFileParser:
        key = origin(url)
        if key not in self._parsers:
            parts = urlsplit(url)
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            parser = urllib.robotparser.RobotFileParser(robots_url)
            try:
                parser.parse(fetch(robots_url, self.timeout).text.splitlines())
            except FetchError as exc:
                # As urllib.robotparser does: 401/403 forbid everything, other failures allow.
                status = str(exc).split(": HTTP ", 1)[-1][:3]
                parser.parse(["User-agent: *", "Disallow: /"] if status in ("401", "403") else [])
            self._parsers[key] = parser
        return self._parsers[key]

    def allowed(self, url: str) -> bool:
        return self._parser(url).can_fetch(USER_AGENT, url)

    def delay(self, url: str) -> float:
        value = self._parser(url).crawl_delay(USER_AGENT)
        return float(value) if value else 0.0


class Progress:
    """A one-line progress bar on stderr, only when it is a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()

    def show(self, done: int, total: int, url: str) -> None:
        if not self.enabled:
            return
        width = shutil.get_terminal_size((80, 20)).columns
        bar_width = 20
        filled = bar_width * done // max(total, 1)
        text = f"[{'#' * filled}{'.' * (bar_width - filled)}] {done}/{total} {url}"
        self.stream.write("\r" + text[: width - 1].ljust(width - 1))
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            width = shutil.get_terminal_size((80, 20)).columns
            self.stream.write("\r" + " " * (width - 1) + "\r")
            self.stream.flush()


@dataclass
class Visit:
    """A page visited: its report, its HTML (to find links in) and the URL it ended on."""

    report: PageReport
    html: str
    url: str
    #: False for a response that is not HTML (a feed, a PDF): not counted, not reported.
    is_html: bool = True


def crawl(
    start: str,
    limit: int,
    visit: Callable[[str], Visit],
    *,
    delay: float = 0.0,
    robots: Robots,
    progress: Progress | None = None,
    on_skip: Callable[[str], None] | None = None,
) -> Iterator[Visit]:
    """Visit up to ``limit`` pages from ``start``, breadth first; yields each page visited.

    ``visit`` checks a page; a :class:`FetchError` from the start URL is raised, one from a
    followed link is passed to ``on_skip`` and the crawl goes on.
    """
    first = urldefrag(start)[0]
    queue: deque[str] = deque([first])
    seen = {first}
    visited = 0
    last = 0.0
    try:
        while queue and visited < limit:
            url = queue.popleft()
            if url != first and not robots.allowed(url):
                continue
            pause = max(delay, robots.delay(url)) - (time.monotonic() - last)
            if visited and pause > 0:
                time.sleep(pause)
            if progress:
                progress.show(visited, limit, url)
            last = time.monotonic()
            try:
                page = visit(url)
            except FetchError as exc:
                if url == first:
                    raise
                if on_skip:
                    on_skip(str(exc))
                continue
            if not page.is_html and url != first:
                if on_skip:
                    on_skip(f"{url}: not an HTML page")
                continue
            visited += 1
            yield page
            for link in links(page.html, page.url):
                if link not in seen and origin(link) == origin(first):
                    seen.add(link)
                    queue.append(link)
    finally:
        if progress:
            progress.clear()
