from __future__ import annotations

import pytest

from tests.conftest import CODE
from tiktok_pixel.events_api import DEFAULT_ENDPOINT, EventsApiConfig

SECRET = "s3cr3t-token-value"


def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", f"  {SECRET}\n")
    config = EventsApiConfig()
    assert config.access_token == SECRET
    assert config.endpoint == DEFAULT_ENDPOINT
    assert config.batch_size == 1000 and config.backend == "thread"
    monkeypatch.setenv("OTHER_TOKEN", "other")
    assert EventsApiConfig(access_token_env="OTHER_TOKEN").access_token == "other"
    # an explicit token wins over the environment
    assert EventsApiConfig(access_token="explicit").access_token == "explicit"


def test_missing_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
    with pytest.raises(ValueError, match="set the environment variable TIKTOK_ACCESS_TOKEN"):
        EventsApiConfig()
    with pytest.raises(ValueError, match="MY_TOKEN"):
        EventsApiConfig(access_token_env="MY_TOKEN")


def test_token_is_never_shown() -> None:
    config = EventsApiConfig(access_token=SECRET)
    assert SECRET not in repr(config)
    assert "access_token" not in config.public_settings()
    with pytest.raises(ValueError) as info:
        EventsApiConfig(access_token=f"Bearer {SECRET}")
    assert SECRET not in str(info.value) and "Bearer" in str(info.value)


def test_no_events_api_object_shows_the_token_in_its_repr() -> None:
    from tiktok_pixel import PixelConfig
    from tiktok_pixel.contrib.celery import CeleryTransport
    from tiktok_pixel.events_api import BackgroundSender, EventsApiClient, EventsApiMirror

    config = EventsApiConfig.from_mapping({"ACCESS_TOKEN": SECRET, "BATCH_SIZE": 10})
    client = EventsApiClient.from_config(config)
    sender = BackgroundSender.from_config(config, client)
    mirror = EventsApiMirror(PixelConfig(pixel_codes=CODE), config, sender=sender)
    objects = [config, client, sender, mirror, CeleryTransport(), config.public_settings()]
    for thing in objects:
        assert SECRET not in repr(thing) and SECRET not in str(thing)
    mirror.close(0)


def test_from_mapping_upper_and_lower_case() -> None:
    config = EventsApiConfig.from_mapping(
        {
            "ACCESS_TOKEN": SECRET,
            "batch_size": 50,
            "TEST_EVENT_CODE": " TEST123 ",
            "PIXEL_CODES": CODE.lower(),
            "BACKEND": "celery",
        }
    )
    assert config.batch_size == 50 and config.test_event_code == "TEST123"
    assert config.pixel_codes == (CODE,) and config.backend == "celery"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"BATCH_SIZE": 0}, "BATCH_SIZE|batch_size must be a whole number from 1 to 1000"),
        ({"BATCH_SIZE": 1001}, "BATCH_SIZE must be a whole number from 1 to 1000"),
        ({"BATCH_SIZE": True}, "BATCH_SIZE"),
        ({"QUEUE_SIZE": -1}, "QUEUE_SIZE"),
        ({"TIMEOUT": 0}, "TIMEOUT must be a number of seconds from 0.1 to 300, not 0"),
        ({"FLUSH_INTERVAL": 1e-9}, "FLUSH_INTERVAL must be a number of seconds from 0.01 to 60"),
        ({"FLUSH_INTERVAL": 3600}, "FLUSH_INTERVAL must be a number of seconds from 0.01 to 60"),
        ({"QUEUE_SIZE": 10_000_000}, "QUEUE_SIZE must be a whole number from 1 to 1000000"),
        ({"MAX_RETRIES": 50}, "MAX_RETRIES must be a whole number from 0 to 20, not 50"),
        ({"BACKOFF_MAX": 86400}, "BACKOFF_MAX must be a number of seconds from 0.01 to 600"),
        ({"BACKOFF_BASE": 5, "BACKOFF_MAX": 1}, r"BACKOFF_BASE \(5\) must not exceed BACKOFF_MAX"),
        ({"SHUTDOWN_TIMEOUT": -1}, "SHUTDOWN_TIMEOUT must be a number of seconds from 0 to 300"),
        ({"LOG_INTERVAL": 0}, "LOG_INTERVAL must be a number of seconds from 1 to 3600"),
        ({"BACKOFF_BASE": float("nan")}, "BACKOFF_BASE"),
        ({"BACKEND": "rq"}, "BACKEND must be 'thread' or 'celery'"),
        ({"ENDPOINT": "ftp://x"}, "ENDPOINT must be an http"),
        ({"TEST_EVENT_CODE": ""}, "TEST_EVENT_CODE"),
        ({"LIMITED_DATA_USE": "yes"}, "LIMITED_DATA_USE"),
        ({"PIXEL_CODES": "nope"}, "invalid TikTok pixel code 'nope'"),
        ({"BATCH": 10}, "unknown events API option\\(s\\) in EVENTS_API: BATCH"),
        ({"batch_size": 5, "BATCH_SIZE": 6}, "BATCH_SIZE is given twice"),
    ],
)
def test_bad_options_fail_loudly(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        EventsApiConfig.from_mapping({"ACCESS_TOKEN": SECRET, **options})
    assert str(info.value).startswith(("EVENTS_API", "unknown"))
    assert SECRET not in str(info.value)


def test_with_changes_revalidates() -> None:
    config = EventsApiConfig(access_token=SECRET)
    assert config.with_changes(batch_size=10).batch_size == 10
    with pytest.raises(ValueError):
        config.with_changes(batch_size=5000)


def test_messages_name_each_option_as_it_was_written() -> None:
    with pytest.raises(ValueError) as info:
        EventsApiConfig.from_mapping({"ACCESS_TOKEN": SECRET, "batch_size": 0}, source="X")
    assert str(info.value) == "X: batch_size must be a whole number from 1 to 1000, not 0"
    with pytest.raises(ValueError) as info:
        EventsApiConfig.from_mapping({"ACCESS_TOKEN": SECRET, "BACKOFF_BASE": 9, "backoff_max": 1})
    assert "BACKOFF_BASE (9) must not exceed backoff_max (1)" in str(info.value)
    with pytest.raises(ValueError) as info:  # not written at all: upper case, as the docs write it
        EventsApiConfig.from_mapping({"ACCESS_TOKEN_ENV": "NO_SUCH_TOKEN_VARIABLE"})
    assert "(or the ACCESS_TOKEN)" in str(info.value)
    with pytest.raises(ValueError, match=r"^events API option batch_size must be a whole number"):
        EventsApiConfig(access_token=SECRET, batch_size=0)  # built directly: the field names
