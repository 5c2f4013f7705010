"""``RequestInfo``: what the Events API needs from the browser's request, framework-free.

The pixel sends the visitor's IP, user agent, page URL and ``_ttp`` cookie by itself; a server
event must carry them explicitly so TikTok can match and deduplicate it. Flask and Django both
expose the WSGI environ (``request.environ`` / ``request.META``), so one helper serves both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

#: Longest value kept for any one field; longer ones are cut (URLs) or dropped (ids).
MAX_FIELD_LENGTH = 2048


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """The request context of a server event; every field is optional.

    ``ttp`` is the pixel's first-party ``_ttp`` cookie and ``ttclid`` the click id TikTok adds to
    landing-page URLs (taken from the URL, else from a ``ttclid`` cookie the site keeps).
    """

    ip: str | None = None
    user_agent: str | None = None
    url: str | None = None
    referrer: str | None = None
    ttp: str | None = None
    ttclid: str | None = None

    def user_fields(self) -> dict[str, str]:
        """The ``user`` keys this request contributes (ip, user_agent, ttp, ttclid)."""
        out = {}
        for key in ("ttp", "ttclid", "ip", "user_agent"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

    def page_fields(self) -> dict[str, str]:
        """The ``page`` object: url and referrer when known."""
        out = {}
        if self.url:
            out["url"] = self.url
        if self.referrer:
            out["referrer"] = self.referrer
        return out

    @classmethod
    def from_wsgi_environ(cls, environ: Mapping[str, Any], *, proxy_hops: int = 0) -> RequestInfo:
        """Build from a WSGI environ (Flask ``request.environ``, Django ``request.META``).

        With ``proxy_hops`` > 0 the client address is read from ``X-Forwarded-For`` as seen by
        the outermost trusted proxy (``proxy_hops`` entries from the right), and the URL uses
        ``X-Forwarded-Proto`` / ``X-Forwarded-Host``. With 0 (the default), forwarded headers are
        ignored, since any client can send them.
        """
        cookies = parse_cookies(_text(environ.get("HTTP_COOKIE")) or "")
        query = _text(environ.get("QUERY_STRING")) or ""
        ttclid = None
        if "ttclid" in query:
            for key, value in parse_qsl(query, keep_blank_values=False):
                if key == "ttclid":
                    ttclid = value
                    break
        return cls(
            ip=_client_ip(environ, proxy_hops),
            user_agent=_clip(_text(environ.get("HTTP_USER_AGENT"))),
            url=_clip(_url(environ, query, proxy_hops)),
            referrer=_clip(_text(environ.get("HTTP_REFERER"))),
            ttp=_token(cookies.get("_ttp")),
            ttclid=_token(ttclid) or _token(cookies.get("ttclid")),
        )


def parse_cookies(header: str) -> dict[str, str]:
    """``name=value`` pairs of a ``Cookie`` header; malformed parts are skipped, first wins.

    Deliberately lenient (unlike ``http.cookies``, which gives up on the whole header at the
    first cookie it dislikes): one odd third-party cookie must not hide ``_ttp``.
    """
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name or name in cookies:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies[name] = value
    return cookies


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _clip(value: str | None) -> str | None:
    return value[:MAX_FIELD_LENGTH] if value else None


def _token(value: str | None) -> str | None:
    """An id from a cookie or the query: kept only if short and printable."""
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > 512 or not value.isprintable():
        return None
    return value


def _forwarded(environ: Mapping[str, Any], header: str, hops: int) -> str | None:
    """The value a trusted proxy put in a comma-separated forwarded header."""
    raw = _text(environ.get(header))
    if not raw or hops <= 0:
        return None
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts:
        return None
    return parts[-hops] if len(parts) >= hops else parts[0]


def _client_ip(environ: Mapping[str, Any], hops: int) -> str | None:
    ip = _forwarded(environ, "HTTP_X_FORWARDED_FOR", hops) or _text(environ.get("REMOTE_ADDR"))
    if not ip or len(ip) > 64:
        return None
    # "[::1]:1234" and "1.2.3.4:5678" forms some proxies send
    if ip.startswith("[") and "]" in ip:
        ip = ip[1 : ip.index("]")]
    elif ip.count(":") == 1:
        ip = ip.partition(":")[0]
    return ip or None


def _url(environ: Mapping[str, Any], query: str, hops: int) -> str | None:
    scheme = _forwarded(environ, "HTTP_X_FORWARDED_PROTO", hops) or environ.get("wsgi.url_scheme")
    host = _forwarded(environ, "HTTP_X_FORWARDED_HOST", hops) or _text(environ.get("HTTP_HOST"))
    if not host:
        name = _text(environ.get("SERVER_NAME"))
        if not name:
            return None
        port = str(environ.get("SERVER_PORT") or "")
        default = "443" if scheme == "https" else "80"
        host = name if not port or port == default else f"{name}:{port}"
    if scheme not in ("http", "https"):
        scheme = "http"
    # PEP 3333: paths are bytes decoded as latin-1; re-encode before quoting.
    path = (environ.get("SCRIPT_NAME") or "") + (environ.get("PATH_INFO") or "")
    try:
        path = quote(path.encode("latin-1"), safe="/;=,:@!$&'()*+~-._%")
    except UnicodeEncodeError:
        path = quote(path, safe="/;=,:@!$&'()*+~-._%")
    url = f"{scheme}://{host}{path or '/'}"
    return f"{url}?{query}" if query else url
