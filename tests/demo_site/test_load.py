"""A bounded load run against the demo under waitress (400 requests, 16 users at once): no errors
and no user ever sees another's identity; and the checks do catch a shared collector and a shop
that echoes raw emails. The full run (20,000 requests, 32 users) is ``benchmarks/bench_load.py``."""

from __future__ import annotations

from typing import Any

import pytest

import demo_site.views
from benchmarks.load import LoadReport, run_load
from demo_site import create_app
from tiktok_pixel import PageEvents
from tiktok_pixel.contrib.flask import extension
from tiktok_pixel.lifecycle import RequestPixel


def clean(report: LoadReport) -> dict[str, Any]:
    return {
        "errors": report.errors,
        "cross_user": report.cross_user,
        "raw_pii": report.raw_pii,
        "missing_own": report.missing_own,
        "samples": report.samples,
    }


def test_400_requests_from_16_users_no_errors_no_cross_user_pii() -> None:
    report = run_load(400, 16, deadline_s=60)
    assert clean(report) == {
        "errors": 0,
        "cross_user": 0,
        "raw_pii": 0,
        "missing_own": 0,
        "samples": [],
    }
    assert report.requests == 400 and not report.deadline_hit
    assert len(report.server) == 400  # the server saw each request once
    # the funnel reached the pages that identify their user (checkout to order, sign-in)
    assert report.identity_pages >= 16
    assert report.pages > 200
    assert 0 < report.pixel_share < 100 and report.latency_ms(95) >= report.latency_ms(50) > 0


def test_a_collector_shared_between_requests_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The classic bug: one collector for the process instead of one per request."""
    app = create_app()
    shared = PageEvents(extension.get_state(app).config)
    per_request = extension.request_pixel

    def sharing() -> RequestPixel:
        found = per_request()
        found.events = shared
        return found

    monkeypatch.setattr(extension, "request_pixel", sharing)
    report = run_load(200, 8, deadline_s=60, app=app)
    assert report.errors == 0
    assert report.cross_user > 0
    assert any("another client's identity hash" in s for s in report.samples)


def test_a_page_echoing_raw_emails_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_site.views, "mask_email", lambda email: email)
    report = run_load(200, 8, deadline_s=60)
    assert report.raw_pii > 0 and report.cross_user == 0
    assert any("a raw email or phone number" in s for s in report.samples)


def test_the_run_stops_by_itself_at_its_deadline() -> None:
    report = run_load(1_000_000, 4, deadline_s=0.5)
    assert report.deadline_hit and 0 < report.requests < 1_000_000
    assert report.seconds < 5 and report.errors == 0
