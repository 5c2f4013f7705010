"""Fixtures of the framework integration tests (Flask, Jinja, and Django below)."""

from __future__ import annotations

from collections.abc import Iterator

import phonenumbers
import pytest

from tiktok_pixel import hashing


def exploding_parse(*args: object, **kwargs: object) -> object:
    raise RuntimeError("phonenumbers metadata is broken for +44 7700 900123")


@pytest.fixture
def broken_phonenumbers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    hashing._parse_phone.cache_clear()
    hashing._hash_cached.cache_clear()
    monkeypatch.setattr(phonenumbers, "parse", exploding_parse)
    yield
    hashing._parse_phone.cache_clear()
    hashing._hash_cached.cache_clear()
