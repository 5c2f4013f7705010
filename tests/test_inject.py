"""Auto-injection finds the document's real ``</head>``, never one inside a script or comment."""

from __future__ import annotations

import pytest

from tiktok_pixel.inject import head_end, insert_before_head_end

REAL = "</head><body>"


@pytest.mark.parametrize(
    "head",
    [
        '<script>var s = "</head>";</script>',
        "<SCRIPT type=module>x('</HEAD >')</SCRIPT>",
        "<!-- old layout: </head> -->",
        "<style>/* </head> */</style>",
        "<title>a </head> title</title>",
        "<noscript></head></noscript>",
        '<script>a="</scripts>"; b="</head>"</script>',
    ],
)
def test_the_real_head_end_is_found(head: str) -> None:
    body = f"<html><head>{head}{REAL}<p>x</p></body></html>".encode()
    assert head_end(body) == body.index(REAL.encode())


def test_the_last_head_end_outside_raw_text_wins() -> None:
    body = b"<head></head><body><script>'</head>'</script></body>"
    assert head_end(body) == 6


@pytest.mark.parametrize(
    "body", [b"<p>no head</p>", b"<head><script>'</head>", b"<head><!-- </head>"]
)
def test_no_real_head_end_means_no_injection(body: bytes) -> None:
    assert head_end(body) is None
    assert insert_before_head_end(body, b"<script></script>") is None


def test_the_fragment_goes_right_before_it() -> None:
    body = b"<head><title>t</title></head><body></body>"
    assert insert_before_head_end(body, b"<x>") == b"<head><title>t</title><x></head><body></body>"
