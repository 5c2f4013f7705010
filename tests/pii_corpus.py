"""The privacy guard's corpus: personal data in many shapes and places, and ordinary values.

Every PII case carries unique markers: ``zqNNN`` (three digits) inside each email, name and
address, and for phone numbers the digits as written, without separators and in E.164. A marker
found anywhere a value can leave (HTML, session cookie, logs, Events API body, ``check`` output)
is a leak. The national numbers are British (the corpus runs with ``default_phone_region="GB"``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import phonenumbers

REGION = "GB"


@dataclass
class Case:
    """One shape: the params given to ``track()`` and the markers that must not leave."""

    label: str
    params: dict[str, Any]
    markers: list[str] = field(default_factory=list)


_EMAILS = [
    "ann.{m}@example.com",
    "Ann.Lee.{M}+news@Example.COM",
    "{M}.ANN@EXAMPLE.ORG",
    '"ann {m} lee"@example.net',
    "josé.{m}@bücher.de",
    "{m}@例え.jp",
    "o'brien.{m}@mail.example.co.uk",
    "first.{m}.last@sub.domain.example.io",
    "{m}@xn--bcher-kva.example",
    "ann_{m}@example.travel",
    "ann-{m}@example-shop.com",
    "mailto:{m}@example.com",
    "Contact: {m}@example.com, thanks",
    "<{m}@example.com>",
    "write to {m}@example.com.",
    "{m}+tag+more@gmail.com",
    "{M}@Example.Com",
    "a.b.c.{m}@x.example.museum",
    "{m}%40example.com",
    "Ann.{M}%40Example.org",
]

#: (written, E.164) pairs; ``{n}`` is a three-digit number.
_PHONES = [
    "+44 20 7946 0{n}",
    "+44 (0)20 7946 0{n}",
    "+442079460{n}",
    "0044 20 7946 0{n}",
    "020 7946 0{n}",
    "(020) 7946 0{n}",
    "020-7946-0{n}",
    "020.7946.0{n}",
    "02079460{n}",
    "+44 7700 900{n}",
    "+1 202 555 01{n2}",
    "+1 (202) 555-01{n2}",
    "+1.202.555.01{n2}",
    "+33 1 23 45 6{n1} {n2}",
    "+49 30 9018{n2}",
    "+91 98765 43{n}",
    "tel:+44-20-7946-0{n}",
    "call me on 020 7946 0{n} after 5",
    "+44%2020%207946%200{n}",
    "%2B44%2020%207946%200{n}",
]

#: Key spellings, with the kind of value each gets.
_KEYS = [
    ("Email", "email"),
    ("EMAIL", "email"),
    ("e-mail", "email"),
    ("e_mail", "email"),
    ("eMail", "email"),
    ("user_email", "email"),
    ("userEmail", "email"),
    ("customer-email", "email"),
    ("billingEmail", "email"),
    ("email_address", "email"),
    ("EmailAddress", "email"),
    ("Phone", "phone"),
    ("phoneNumber", "phone"),
    ("billingPhone", "phone"),
    ("mobile", "phone"),
    ("Mobile_Number", "phone"),
    ("tel", "phone"),
    ("telephone", "phone"),
    ("cellPhone", "phone"),
    ("firstName", "name"),
    ("FirstName", "name"),
    ("first-name", "name"),
    ("fname", "name"),
    ("given_name", "name"),
    ("lastName", "name"),
    ("surname", "name"),
    ("Surname", "name"),
    ("family_name", "name"),
    ("full_name", "name"),
    ("fullName", "name"),
    ("customer_name", "name"),
    ("cardholderName", "name"),
    ("address", "address"),
    ("Address", "address"),
    ("street_address", "address"),
    ("billing_address", "address"),
    ("shippingAddress", "address"),
    ("address_line1", "address"),
    ("zip", "zip"),
    ("ZIP", "zip"),
    ("zipCode", "zip"),
    ("postcode", "zip"),
    ("postal_code", "zip"),
    ("PostCode", "zip"),
    ("ssn", "id"),
    ("SSN", "id"),
    ("client_ip", "ip"),
    ("ipAddress", "ip"),
    ("date_of_birth", "dob"),
    ("birthDate", "dob"),
]

_NEUTRAL_KEYS = ["note", "contact", "ref", "details", "info", "who", "extra", "comment"]


def _marker(index: int) -> str:
    return f"zq{index:03d}"


def _phone(template: str, index: int) -> tuple[str, list[str]]:
    n = f"{index % 1000:03d}"
    written = template.format(n=n, n1=n[0], n2=n[1:])
    plain = written.replace("%20", " ").replace("%2B", "+")
    number = re.search(r"\+?[0-9(][0-9 ().\-]*[0-9]", plain)
    assert number is not None, written
    digits = re.sub(r"[^0-9+]", "", number.group())
    try:
        e164 = phonenumbers.format_number(
            phonenumbers.parse(digits, REGION),
            phonenumbers.PhoneNumberFormat.E164,
        )
    except phonenumbers.NumberParseException:
        e164 = digits
    national = e164[-9:]
    return written, [written.lower(), digits, e164, national]


def _value(kind: str, index: int) -> tuple[Any, list[str]]:
    m = _marker(index)
    if kind == "email":
        return f"ann.{m}@example.com", [m]
    if kind == "phone":
        return _phone(_PHONES[index % 10], index)
    if kind == "name":
        return f"Philippa {m.upper()}ton", [m]
    if kind == "address":
        return f"{index} {m.capitalize()} Road, London", [m]
    if kind == "zip":
        return f"{m.upper()} 1BB", [m]
    if kind == "id":
        return f"{m}-12-3456", [m]
    if kind == "ip":
        return f"203.0.{index % 250}.{m}", [m]
    return f"1980-01-{index % 28 + 1:02d} {m}", [m]


def _nest(value: Any, depth: int, index: int, key: str) -> dict[str, Any]:
    """``{key: value}`` wrapped to ``depth`` levels of objects and lists."""
    node: Any = {key: value}
    for level in range(depth - 1):
        node = [node] if (index + level) % 3 == 0 else {f"level{level}": node}
    return node if isinstance(node, dict) else {"nested": node}


def pii_cases() -> list[Case]:
    """At least 200 shapes, each in one ``track`` call's params."""
    cases: list[Case] = []
    index = 0

    def add(label: str, params: dict[str, Any], markers: list[str]) -> None:
        cases.append(Case(f"{len(cases):03d} {label}", params, markers))

    # emails as values under neutral keys, 1-5 deep, some in lists
    for repeat in range(2):
        for template in _EMAILS:
            index += 1
            m = _marker(index)
            value = template.format(m=m, M=m.upper())
            depth = index % 5 + 1
            key = _NEUTRAL_KEYS[index % len(_NEUTRAL_KEYS)]
            wrapped = [value] if repeat else value
            add(f"email value {template!r} depth {depth}", _nest(wrapped, depth, index, key), [m])
    # phone numbers as values, 1-5 deep, some in contents items
    for repeat in range(2):
        for template in _PHONES:
            index += 1
            value, markers = _phone(template, index)
            depth = index % 5 + 1
            key = _NEUTRAL_KEYS[index % len(_NEUTRAL_KEYS)]
            if repeat:
                item = {"content_id": f"sku-{index}", "price": 1, **_nest(value, depth, index, key)}
                add(f"phone {template!r} in contents", {"contents": [item]}, markers)
            else:
                add(f"phone {template!r} depth {depth}", _nest(value, depth, index, key), markers)
    # personal data under PII key spellings: top level, nested, in contents
    for where in ("top", "nested", "contents"):
        for key, kind in _KEYS:
            index += 1
            value, markers = _value(kind, index)
            if where == "top":
                params = {key: value}
            elif where == "nested":
                params = _nest(value, index % 4 + 2, index, key)
            else:
                params = {"contents": [{"content_id": "sku-1"}, {"customer": {key: value}}]}
            add(f"key {key!r} ({kind}) {where}", params, markers)
    # URLs: query (plain and percent-encoded), fragment, path, user info, nested
    url_shapes = [
        "https://shop.example/account?email={e}&utm_source=news",
        "https://shop.example/account?email={q}",
        "https://shop.example/reset?user={q}&token=abc#x",
        "/account?e={e}",
        "https://shop.example/p#email={q}",
        "https://shop.example/p#{e}",
        "https://shop.example/users/{q}/orders",
        "https://{m}:secret@shop.example/",
        "https://shop.example/?first_name=Philippa%20{m}",
        "https://shop.example/?surname={m}&page=2",
        "https://shop.example/?phone=%2B44%2020%207946%200{n}",
        "https://shop.example/?q=call+020+7946+0{n}",
    ]
    for repeat in range(2):
        for shape in url_shapes:
            index += 1
            m = _marker(index)
            email = f"ann.{m}@example.com"
            n = f"{index % 1000:03d}"
            url = shape.format(e=email, q=quote(email, safe=""), m=m, n=n)
            markers = [m]
            if "{n}" in shape:
                markers = [f"79460{n}", f"7946 0{n}", f"7946+0{n}", f"7946%200{n}"]
            key = ["page_url", "link", "return_to", "landing"][index % 4]
            params = {key: url} if not repeat else _nest(url, index % 4 + 2, index, key)
            add(f"url {shape!r}", params, markers)
    return cases


def ordinary_values() -> list[str]:
    """At least 200 values the guard must leave alone."""
    values = [
        "iPhone 15",
        "iPhone 15 Pro Max 256GB",
        "+1 size",
        "Call of Duty",
        "Call of Duty: Black Ops 6",
        "PlayStation 5",
        "Galaxy S24 Ultra",
        "Model 3",
        "4K TV 55 inch",
        "24/7 support",
        "Size 10.5",
        "50% off",
        "Buy 2 get 1 free",
        "#1 bestseller",
        "What's new?",
        "Q&A",
        "Room 101",
        "Flight BA 2490",
        "Order #12345",
        "Tracking 1Z999AA10123456784",
        "1 234 567",
        "100 000 000",
        "1,299.00",
        "1 299,00 €",
        "€49.99",
        "$1,000,000",
        "0.1234567",
        "3.14159265",
        "#FF5733",
        "51.5074, -0.1278",
        "978-3-16-148410-0",
        "ISBN 978-3-16-148410-0",
        "4006381333931",
        "4111 1111 1111 1111",
        "1.2.3",
        "v2.10.1",
        "10.0.19045.2965",
        "Python 3.11.7",
        "Windows 10 22H2",
        "2024-01-15",
        "15/01/2024",
        "01.15.2024",
        "2024-01-15T10:30:00Z",
        "2024-01-15T10:30:00.123+01:00",
        "2024-01-15 10:30:00",
        "Mon, 15 Jan 2024 10:30:00 GMT",
        "1705314600",
        "1705314600123",
        "https://shop.example/p/sku-123?utm_source=news&utm_medium=email&ref=home",
        "https://shop.example/p/sku-123?ttclid=E.C.P.abc123&gclid=xyz",
        "/category/shoes?page=2&sort=price",
        "/search?q=blue+mug",
        "https://shop.example/#reviews",
        "@brand",
        "Price @ 5.99",
        "email",
        "phone",
        "Email me later",
        "mobile",
        "Zip hoodie",
        "Tip jar",
        "Shipping: express",
        "AB-1234-XY",
        "ORD-2025-0000123",
        "INV/2024/000123",
        "100234567890123",
        "2025550143",
        "12025550143",
        "0001234567",
        "Blue mug 350 ml",
        "Tea towel, 2 pack",
        "Spring order, 3 items",
        "product",
        "product_group",
        "EUR",
    ]
    for n in range(20):
        values.append(f"SKU-{10000 + n * 377:05d}")
        values.append(f"ORD-2025-{n * 7919:07d}")
        values.append(str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://shop.example/{n}")))
        values.append(f"{n + 1}.{n * 3}.{n * 7 + 1}")
        values.append(f"2024-{n % 12 + 1:02d}-{n + 1:02d}T{n:02d}:15:00Z")
        values.append(f"{4000000000000000 + n * 1234567:d}")
        values.append(f"Item {n} of 20 - size {36 + n}")
    return values
