from __future__ import annotations

from typing import Any

from tiktok_pixel.events_api import RequestInfo
from tiktok_pixel.events_api.request import parse_cookies


def environ(**extra: Any) -> dict[str, Any]:
    base = {
        "REQUEST_METHOD": "GET",
        "wsgi.url_scheme": "https",
        "HTTP_HOST": "shop.example",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/cart",
        "QUERY_STRING": "",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64)",
    }
    base.update(extra)
    return base


def test_fields_from_a_wsgi_environ() -> None:
    info = RequestInfo.from_wsgi_environ(
        environ(
            QUERY_STRING="utm=1&ttclid=E.C.P.abc123",
            HTTP_REFERER="https://www.tiktok.com/",
            HTTP_COOKIE='theme=dark; _ttp=2abcDEF_ttp; ttclid="E.C.P.old"',
        )
    )
    assert info == RequestInfo(
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (X11; Linux x86_64)",
        url="https://shop.example/cart?utm=1&ttclid=E.C.P.abc123",
        referrer="https://www.tiktok.com/",
        ttp="2abcDEF_ttp",
        ttclid="E.C.P.abc123",  # the URL's beats the cookie's
    )
    assert info.user_fields() == {
        "ttp": "2abcDEF_ttp",
        "ttclid": "E.C.P.abc123",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
    }
    assert info.page_fields() == {"url": info.url, "referrer": "https://www.tiktok.com/"}


def test_ttclid_from_its_cookie_and_empty_fields_left_out() -> None:
    info = RequestInfo.from_wsgi_environ(
        environ(HTTP_COOKIE="ttclid=E.C.P.cookie", HTTP_USER_AGENT="", REMOTE_ADDR="")
    )
    assert info.ttclid == "E.C.P.cookie" and info.ttp is None
    assert info.user_fields() == {"ttclid": "E.C.P.cookie"}
    assert info.page_fields() == {"url": "https://shop.example/cart"}


def test_forwarded_headers_only_with_trusted_proxies() -> None:
    env = environ(
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="www.shop.example",
        HTTP_HOST="internal:8000",
        **{"wsgi.url_scheme": "http"},
    )
    direct = RequestInfo.from_wsgi_environ(env)
    assert direct.ip == "10.0.0.2" and direct.url == "http://internal:8000/cart"
    proxied = RequestInfo.from_wsgi_environ(env, proxy_hops=1)
    # one trusted proxy: the address it saw, not what the client claimed before it
    assert proxied.ip == "198.51.100.9"
    assert proxied.url == "https://www.shop.example/cart"
    assert RequestInfo.from_wsgi_environ(env, proxy_hops=2).ip == "6.6.6.6"


def test_url_without_host_header_and_non_ascii_path() -> None:
    env = environ(SERVER_NAME="shop.example", SERVER_PORT="8443", PATH_INFO="/caf\xc3\xa9")
    del env["HTTP_HOST"]
    assert RequestInfo.from_wsgi_environ(env).url == "https://shop.example:8443/caf%C3%A9"
    env["SERVER_PORT"] = "443"
    assert RequestInfo.from_wsgi_environ(env).url == "https://shop.example/caf%C3%A9"


def test_ip_with_port_and_ipv6() -> None:
    assert RequestInfo.from_wsgi_environ(environ(REMOTE_ADDR="2001:db8::1")).ip == "2001:db8::1"
    hops = {"proxy_hops": 1}
    env = environ(HTTP_X_FORWARDED_FOR="[2001:db8::2]:4431")
    assert RequestInfo.from_wsgi_environ(env, **hops).ip == "2001:db8::2"
    env = environ(HTTP_X_FORWARDED_FOR="198.51.100.1:5555")
    assert RequestInfo.from_wsgi_environ(env, **hops).ip == "198.51.100.1"


def test_cookie_parsing_is_lenient() -> None:
    header = 'bad; =x; a=1; a=2; _ttp="q\\"x"; weird=va lue; last='
    cookies = parse_cookies(header)
    assert cookies["a"] == "1"
    assert cookies["weird"] == "va lue" and cookies["last"] == ""
    assert "bad" not in cookies
    info = RequestInfo.from_wsgi_environ(environ(HTTP_COOKIE="x=\x01; _ttp=\x07bad"))
    assert info.ttp is None  # control characters are not an id


def test_long_values_are_clipped_or_dropped() -> None:
    info = RequestInfo.from_wsgi_environ(
        environ(HTTP_USER_AGENT="A" * 5000, HTTP_COOKIE="_ttp=" + "t" * 600)
    )
    assert info.user_agent is not None and len(info.user_agent) == 2048
    assert info.ttp is None
