"""tiktok_pixel.validation: every rule fires when it should and stays silent when it should not."""

from __future__ import annotations

import logging

import pytest

from tests.browser import html_page
from tests.conftest import CODE, CODE2
from tiktok_pixel import (
    RULES,
    Call,
    PageEvents,
    PixelConfig,
    check_page,
    render_calls,
    sha256_hex,
    validate_calls,
    validate_page,
)
from tiktok_pixel.validation import Finding, errors, validate_call

RUNTIME = "/static/tiktok_pixel.js"
DIGEST = sha256_hex("ann@example.com")


def track(event: str = "AddToCart", event_id: object = "e-1", **params: object) -> Call:
    return Call("track", event, dict(params), event_id)  # type: ignore[arg-type]


GOOD_ITEM = {"content_id": "sku-1", "price": 12.5, "quantity": 2}

#: rule id -> (calls that must fire it, calls that must not).
CALL_CASES: dict[str, tuple[list[Call], list[Call]]] = {
    "currency-missing": (
        [track(value=10), track("Purchase", value=0)],
        [track(value=10, currency="EUR"), track(), track(value=None)],
    ),
    "currency-unsupported": (
        [track(value=1, currency="eur"), track(value=1, currency="XYZ"), track(currency=None)],
        [track(value=1, currency="EUR"), track(value=1, currency="JPY")],
    ),
    "value-missing": (
        [track("Purchase", currency="EUR"), track("CompletePayment"), track("PlaceAnOrder")],
        [track("Purchase", value=0, currency="EUR"), track("AddToCart"), track("ViewContent")],
    ),
    "not-a-number": (
        [
            track(value="19.99", currency="EUR"),
            track(value=True, currency="EUR"),
            track(num_items="2"),
            track(contents=[{"content_id": "a", "price": "9.99"}]),
            track(contents=[{"content_id": "a", "price": None}]),
            track(contents=[{"content_id": "a", "quantity": "1"}]),
        ],
        [track(value=19.99, currency="EUR", num_items=2), track(contents=[GOOD_ITEM])],
    ),
    "contents-invalid": (
        [track(contents={"content_id": "a"}), track(contents=["sku-1"])],
        [track(contents=[GOOD_ITEM]), track(contents=[])],
    ),
    "content-id-missing": (
        [
            track(contents=[{"price": 1}]),
            track(contents=[GOOD_ITEM, {"content_id": ""}]),
            track(contents=[{"content_id": None}]),
        ],
        [track(contents=[GOOD_ITEM]), track(contents=[{"content_id": 42}]), track()],
    ),
    "content-type-invalid": (
        [
            track(content_type="products"),
            track(content_type="Product"),
            track(contents=[{**GOOD_ITEM, "content_type": "sku"}]),
        ],
        [
            track(content_type="product"),
            track(content_type="product_group"),
            track(contents=[{**GOOD_ITEM, "content_type": "product"}]),
        ],
    ),
    "event-id-not-string": (
        [track(event_id=123), track(event_id=""), track(event_id=["e"])],
        [track(event_id="123"), track(event_id=None)],
    ),
    "event-sunset": (
        [track("ClickButton"), track("PlaceAnOrder", value=1, currency="EUR")],
        [track("Purchase", value=1, currency="EUR"), track("Contact")],
    ),
    "event-renamed": (
        [track("CompletePayment", value=1, currency="EUR"), track("SubmitForm")],
        [track("Lead"), track("ClickButton")],
    ),
    "event-name-similar": (
        [track("addtocart"), track("Add To Cart"), track("AddToCard"), track("purchase")],
        [track("AddToCart"), track("NewsletterSignup"), track("CompletePayment")],
    ),
    "identify-empty": (
        [
            Call("identify", None, {}),
            Call("identify", None, {"email": ""}),
            Call("identify", None, {"favourite_colour": "blue"}),
            Call("identify", None, {"email": None}),
        ],
        [
            Call("identify", None, {"email": DIGEST}),
            Call("identify", None, {"external_id": DIGEST}),
            Call("identify", None, {"city": "london"}),
            Call("identify", None, {"sha256_email": DIGEST}),
        ],
    ),
    "identify-unhashed": (
        [
            Call("identify", None, {"email": "ann@example.com"}),
            Call("identify", None, {"phone_number": "+447700900123"}),
            Call("identify", None, {"sha256_email": "ann@example.com"}),
        ],
        [
            Call("identify", None, {"email": DIGEST, "phone_number": DIGEST.upper()}),
            Call("identify", None, {"city": "london", "country": "gb"}),
        ],
    ),
    "pii-in-params": (
        [
            track("Lead", email="a@b.com"),
            track(Email=DIGEST[:10]),
            track(description="write to Ann+news@Example.org"),
            track(contents=[{"content_id": "a", "customer": {"phone": "020 7946 0958"}}]),
            track(page="https://shop.example/reset?email=ann%40example.com"),
            track(notes=["fine", {"billingPhone": "+1 202 555 0143"}]),
        ],
        [
            track(contents=[GOOD_ITEM], value=1, currency="EUR", description="iPhone 15"),
            track(email=DIGEST, shipping="express", tip=2, unzip_count=3),
            track(page="https://shop.example/p?utm_source=news&ttclid=x1", order_id="100234567890"),
            track(email_verified=True, phone_type="mobile", query="+1 size"),
        ],
    ),
}


def fired(calls: list[Call]) -> list[str]:
    return [finding.id for finding in validate_calls(calls)]


@pytest.mark.parametrize("rule_id", sorted(CALL_CASES))
def test_call_rule_fires_when_it_should(rule_id: str) -> None:
    firing, _ = CALL_CASES[rule_id]
    for call in firing:
        findings = [f for f in validate_call(call) if f.id == rule_id]
        assert findings, f"{rule_id} did not fire for {call}"
        assert findings[0].call is call
        assert findings[0].severity == RULES[rule_id].severity


@pytest.mark.parametrize("rule_id", sorted(CALL_CASES))
def test_call_rule_is_silent_when_it_should_be(rule_id: str) -> None:
    _, silent = CALL_CASES[rule_id]
    for call in silent:
        assert rule_id not in fired([call]), f"{rule_id} fired for {call}"


def test_the_rules_are_data_and_each_one_is_tested() -> None:
    assert set(CALL_CASES) | set(PAGE_RULES) == set(RULES)
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id
        assert rule.severity in ("error", "warning")
        assert rule.summary and "\n" not in rule.summary


def test_what_the_product_renders_is_clean() -> None:
    page = PageEvents(PixelConfig(pixel_codes=[CODE, CODE2]))
    page.identify(email="ann@example.com", phone_number="+447700900123", city="London")
    page.track("ViewContent", content_ids=["sku-1"], content_type="product")
    page.track(
        "Purchase",
        contents=[{"content_id": "sku-1", "price": "12.50", "quantity": 2}],
        value="25.00",
        currency="eur",
        content_type="product",
        event_id=1234,  # coerced to "1234" by the collector
    )
    assert validate_calls(page.calls) == []
    assert validate_page(html_page(str(page.render()))) == []


def test_findings_carry_rule_message_and_call() -> None:
    call = track("Purchase", value="12", currency="EUR")
    [finding] = validate_calls([call])
    assert finding == Finding(
        RULES["not-a-number"], "'Purchase': value is a string, not a number", call
    )
    assert str(finding) == "error [not-a-number] 'Purchase': value is a string, not a number"
    assert finding.to_dict() == {
        "rule": "not-a-number",
        "severity": "error",
        "message": "'Purchase': value is a string, not a number",
        "explanation": RULES["not-a-number"].summary,
        "call": call.to_dict(),
    }
    assert errors([finding]) == [finding]


def test_a_call_sent_to_several_pixels_is_reported_once() -> None:
    html = str(render_calls(PixelConfig(pixel_codes=[CODE, CODE2]), [track("SubmitForm")]))
    assert [f.id for f in validate_page(html)] == ["event-renamed"]


def test_messages_hold_no_identify_values_or_odd_param_values() -> None:
    secret = "ann.secret@example.com"
    findings = validate_calls(
        [
            Call("identify", None, {"email": secret}),
            track(value=1, currency=secret),
            track(content_type=secret),
        ]
    )
    assert [f.id for f in findings] == [
        "identify-unhashed",
        "currency-unsupported",
        "pii-in-params",
        "content-type-invalid",
        "pii-in-params",
    ]
    findings = [f for f in findings if f.id != "pii-in-params"]
    assert all(secret not in f.message and "secret" not in f.message for f in findings)
    assert findings[1].message == (
        "'AddToCart': currency (a string, withheld) is not a code TikTok accepts"
    )
    assert "'XYZ'" in validate_calls([track(value=1, currency="XYZ")])[0].message


# --- page rules -------------------------------------------------------------------------------


def fragment(config: PixelConfig | None = None, calls: list[Call] | None = None) -> str:
    return str(render_calls(config or PixelConfig(pixel_codes=CODE), calls or [track("Lead")]))


BASE_CODE = (
    "<script>!function (w, d, t) {w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];"
    "ttq.load('" + CODE + "');ttq.page();}(window, document, 'ttq');</script>"
)
SDK_TAG = (
    f'<script async src="https://analytics.tiktok.com/i18n/pixel/events.js?sdkid={CODE}&lib=ttq">'
    "</script>"
)
NO_INLINE = PixelConfig(pixel_codes=CODE, inline=False, runtime_url=RUNTIME)

#: page rule id -> (pages that must fire it, pages that must not).
PAGE_RULES: dict[str, tuple[list[str], list[str]]] = {
    "pixel-loaded-twice": (
        [
            html_page(BASE_CODE + fragment()),
            html_page(fragment() + BASE_CODE),
            html_page(BASE_CODE + BASE_CODE),
            html_page(BASE_CODE + SDK_TAG + SDK_TAG),
            html_page(SDK_TAG + SDK_TAG),
            html_page(fragment(NO_INLINE) + BASE_CODE.replace("'", '"')),
        ],
        [
            html_page(fragment() + fragment()),  # ours: loaded once however often rendered
            html_page(fragment() + fragment(NO_INLINE)),
            html_page(BASE_CODE + fragment(PixelConfig(pixel_codes=CODE, use_existing_pixel=True))),
            html_page(BASE_CODE + fragment(PixelConfig(pixel_codes=CODE2))),
            html_page(BASE_CODE),
            html_page(SDK_TAG),
            # a DOM snapshot: the events.js tag each loader inserted is not another load
            html_page(SDK_TAG + BASE_CODE),
            html_page(SDK_TAG + fragment() + fragment()),
        ],
    ),
    "loader-outside-head": (
        [
            html_page("", fragment()),
            html_page("", fragment(NO_INLINE)),
            html_page("", BASE_CODE),
            "<!doctype html><title>x</title><p>text first</p>" + fragment(),
            "<html><head></head><body><div>" + fragment() + "</div></body></html>",
        ],
        [
            html_page(fragment()),
            "<html><head></head>" + fragment() + "<body></body></html>",  # moved into head
            "<!doctype html><title>x</title>" + fragment() + "<p>text</p>",  # implied head
            html_page("", fragment(PixelConfig(pixel_codes=CODE, use_existing_pixel=True))),
            html_page("<noscript><img src=x></noscript>" + fragment()),
        ],
    ),
    "fragment-unreadable": (
        [
            html_page(fragment().replace('"calls":', '"calls"')),
            html_page('<script type="application/json" data-tiktok-pixel>{}</script>'),
        ],
        [html_page(fragment()), html_page('<script type="application/json">{}</script>')],
    ),
    "pixel-missing": (
        [html_page("<script>var x = 1;</script>"), ""],
        [html_page(fragment()), html_page(BASE_CODE)],
    ),
}


@pytest.mark.parametrize("rule_id", sorted(PAGE_RULES))
def test_page_rule_fires_when_it_should(rule_id: str) -> None:
    for html in PAGE_RULES[rule_id][0]:
        assert rule_id in [f.id for f in validate_page(html)], html


@pytest.mark.parametrize("rule_id", sorted(PAGE_RULES))
def test_page_rule_is_silent_when_it_should_be(rule_id: str) -> None:
    for html in PAGE_RULES[rule_id][1]:
        assert rule_id not in [f.id for f in validate_page(html)], html


def test_page_findings_say_where() -> None:
    html = "<html><head>\n" + BASE_CODE + "\n</head><body>\n" + fragment() + "\n</body></html>"
    findings = {f.id: f for f in validate_page(html)}
    assert findings["pixel-loaded-twice"].message == (
        f"pixel {CODE} is loaded by: base-code (line 2), fragment (line 4)"
    )
    assert findings["loader-outside-head"].message == (
        f"the fragment loading pixel {CODE} at line 4 is in <body>, not <head>"
    )
    checked = check_page(html)
    assert [c.method for c in checked.calls] == ["track"]  # the base code loaded it first
    assert list(checked.findings) == validate_page(html)


# --- debug mode -------------------------------------------------------------------------------


def test_debug_mode_logs_findings_on_render(caplog: pytest.LogCaptureFixture) -> None:
    page = PageEvents(PixelConfig(pixel_codes=CODE, debug=True))
    page.track("CompletePayment", value=3)
    page.add(Call("identify", None, {"email": "ann@example.com"}))
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        html = page.render()
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("tiktok_pixel")]
    assert messages == [
        "TikTok pixel check: warning [identify-unhashed] identify: email is not a SHA-256 hex "
        "digest (value withheld)",
        "TikTok pixel check: error [currency-missing] 'CompletePayment': value is set but "
        "currency is missing",
        "TikTok pixel check: warning [event-renamed] 'CompletePayment' is now 'Purchase'; "
        "use the new name",
    ]
    assert "ann@example.com" not in caplog.text
    # the fragment is unchanged; the findings follow it as a data block (tests/test_render_findings)
    fragment = render_calls(PixelConfig(pixel_codes=CODE), page.calls)
    assert html.startswith(fragment) and "data-tiktok-pixel-findings" in html[len(fragment) :]


def test_without_debug_render_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    page.add(Call("track", "CompletePayment", {"value": 3}, "e"))
    with caplog.at_level(logging.DEBUG, logger="tiktok_pixel"):
        page.render()
    assert caplog.records == []


def test_debug_is_a_config_field() -> None:
    assert PixelConfig(pixel_codes=CODE).debug is False
    assert PixelConfig.from_mapping({"pixel_codes": CODE, "debug": True}).debug is True


def test_the_readme_lists_every_rule() -> None:
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        assert f"| `{rule.id}` | {rule.severity} |" in readme, rule.id
