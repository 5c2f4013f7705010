from __future__ import annotations

import pytest

from tests.conftest import CODE
from tests.events_api.fake_api import TOKEN, FakeEventsApi, Reply
from tiktok_pixel.events_api import EventsApiClient, Outcome, api_event
from tiktok_pixel.events_api.client import classify, scrub


def client_for(api: FakeEventsApi, **kwargs: object) -> EventsApiClient:
    return EventsApiClient(TOKEN, endpoint=api.url, **kwargs)  # type: ignore[arg-type]


def test_request_shape(api: FakeEventsApi) -> None:
    events = [api_event("Purchase", "o-1", event_time=1_700_000_000)]
    with client_for(api, test_event_code="TEST1") as client:
        result = client.send(CODE, events)
    assert result.ok and result.code == 0 and result.request_id == "req-ok"
    [req] = api.received
    assert req.headers["Access-Token"] == TOKEN  # no "Bearer"
    assert req.headers["Content-Type"] == "application/json"
    assert "Authorization" not in req.headers
    assert req.body == {
        "event_source": "web",
        "event_source_id": CODE,
        "data": events,
        "test_event_code": "TEST1",
    }


@pytest.mark.parametrize(
    ("reply", "outcome", "code"),
    [
        (Reply(body={"code": 40002, "message": "Invalid param"}), Outcome.REJECTED, 40002),
        (Reply(body={"code": 40105, "message": "Invalid access token"}), Outcome.REJECTED, 40105),
        (Reply(body={"code": 20001, "message": "partial"}), Outcome.REJECTED, 20001),
        (Reply(body={"code": 40100, "message": "Too many requests"}), Outcome.RETRY, 40100),
        (Reply(body={"code": 50002, "message": "internal"}), Outcome.RETRY, 50002),
        (Reply(body={"code": "0", "message": "OK"}), Outcome.ACCEPTED, 0),
        (Reply(status=429, body={"message": "slow down"}), Outcome.RETRY, None),
        (Reply(status=500, body="oops"), Outcome.RETRY, None),
        (Reply(status=503, body={}), Outcome.RETRY, None),
        (Reply(status=400, body={"code": 40002, "message": "bad"}), Outcome.REJECTED, 40002),
        (Reply(status=401, body="nope"), Outcome.REJECTED, None),
        (Reply(status=200, body="<html>proxy</html>"), Outcome.RETRY, None),
    ],
)
def test_outcomes(api: FakeEventsApi, reply: Reply, outcome: Outcome, code: int | None) -> None:
    """HTTP 200 is not success: only a body with code 0 is."""
    api.reply(reply)
    with client_for(api) as client:
        result = client.send(CODE, [api_event("Lead", "l-1")])
    assert result.outcome is outcome
    assert result.code == code
    assert result.status == reply.status
    assert result.events == 1


def test_retry_after_header(api: FakeEventsApi) -> None:
    api.reply(Reply(status=429, body={}, headers={"Retry-After": "7"}))
    with client_for(api) as client:
        result = client.send(CODE, [api_event("Lead", "l-1")])
    assert result.retryable and result.retry_after == 7.0
    assert classify(429, None, 1, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}).retry_after == 0


def test_timeout_is_retryable(api: FakeEventsApi) -> None:
    api.reply(Reply(hang=3.0))
    with client_for(api, timeout=0.2) as client:
        result = client.send(CODE, [api_event("Lead", "l-1")])
    api.release.set()
    assert result.outcome is Outcome.RETRY and "timeout" in result.message


def test_connection_refused_is_retryable() -> None:
    with EventsApiClient(TOKEN, endpoint="http://127.0.0.1:9/track/", timeout=1) as client:
        result = client.send(CODE, [api_event("Lead", "l-1")])
    assert result.outcome is Outcome.RETRY and "transport error" in result.message


def test_tiktok_messages_are_scrubbed_of_pii(api: FakeEventsApi) -> None:
    message = (
        "Invalid email jane@example.com from 203.0.113.7 / 2001:db8::1 phone +44 7700 900123 "
        f"hash {'a' * 64}"
    )
    api.reply(Reply(body={"code": 40002, "message": message}))
    with client_for(api) as client:
        result = client.send(CODE, [api_event("Lead", "l-1")])
    for secret in ("jane@", "203.0.113.7", "2001:db8", "7700", "a" * 64):
        assert secret not in result.message
        assert secret not in result.describe()
    assert result.message.startswith("Invalid email [redacted]")
    assert "code 40002 (parameter error)" in result.describe()
    assert len(scrub("x" * 1000)) == 300
    assert scrub(None) == ""


def test_an_item_that_is_not_an_event_is_rejected_without_a_request(api: FakeEventsApi) -> None:
    with client_for(api) as client:
        result = client.send(CODE, [["not", "an", "event"]])  # type: ignore[list-item]
    assert result.outcome is Outcome.REJECTED and api.received == []
    assert "cannot encode events" in result.message
