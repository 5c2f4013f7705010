"""The shared option builder: one table, every problem at once, each front end's own words."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask

from tests.conftest import CODE
from tests.contrib.bad_options import BAD_VALUES, leaked_fields
from tiktok_pixel import PixelConfig
from tiktok_pixel.cli import main
from tiktok_pixel.contrib.flask import TikTokPixel
from tiktok_pixel.contrib.options import (
    ALL_OPTIONS,
    FLASK,
    Spelling,
    build_options,
    flask_key,
    read_options,
    starlette_key,
    suggest_option,
)
from tiktok_pixel.contrib.starlette import STARLETTE, TikTokPixelMiddleware

#: The Django spelling without Django: a dict key, named with the setting.
DICT = Spelling("settings.X", str, name=lambda option: f"settings.X[{option!r}]")


def test_keys() -> None:
    assert flask_key("PIXEL_CODE") == "TIKTOK_PIXEL_CODE"
    assert flask_key("USE_EXISTING") == "TIKTOK_PIXEL_USE_EXISTING"
    assert starlette_key("PIXEL_CODE") == "pixel_code"
    assert starlette_key("USE_EXISTING") == "use_existing_pixel"
    assert starlette_key("AUTO_INJECT") == "auto_inject"


def test_options_build_the_config() -> None:
    found = build_options(
        {"PIXEL_CODE": [CODE], "USE_EXISTING": True, "CONSENT": "hold", "ENABLED": True},
        DICT,
        runtime_url="/static/tiktok_pixel/tiktok_pixel.js",
    )
    config = found.config
    assert config.pixel_codes == (CODE,)
    assert config.use_existing_pixel and config.consent == "hold"
    assert config.runtime_url == "/static/tiktok_pixel/tiktok_pixel.js"
    assert found.enabled and found.mirror() is None
    site = found.site(script_url="/x.js")
    assert site.config is config and site.script_url == "/x.js" and site.mirror is None


def test_none_is_unset_and_an_empty_code_is_no_code() -> None:
    found = build_options({"PIXEL_CODE": CODE, "CONSENT": None, "MAPPINGS": None}, DICT)
    assert found.config.consent is None
    with pytest.raises(ValueError, match=r"^settings.X\['PIXEL_CODE'\] is required, unless"):
        build_options({"PIXEL_CODE": ""}, DICT)


def test_every_problem_is_reported_at_once() -> None:
    found, problems = read_options(
        {
            "PIXEL_CODE": ["bad", CODE, "worse"],
            "PIXEL_ID": 1,
            "ENABLED": "yes",
            "CONSENT": "granted",
            "DEFAULT_CURRENCY": "EURO",
            "NONCE": "static",
        },
        DICT,
    )
    assert found is None
    assert [(p.option, p.missing) for p in problems] == [
        (None, False),
        ("ENABLED", False),
        ("NONCE", False),
        ("PIXEL_CODE", False),
        ("CONSENT", False),
        ("DEFAULT_CURRENCY", False),
    ]
    assert problems[0].hint.startswith("did you mean PIXEL_CODE?")
    assert "invalid TikTok pixel codes 'bad', 'worse'" in problems[3].message


def test_a_missing_code_is_marked_and_the_rest_still_checked() -> None:
    _, problems = read_options({"CONSENT": "granted"}, DICT)
    assert [(p.option, p.missing) for p in problems] == [("PIXEL_CODE", True), ("CONSENT", False)]
    assert problems[0].message == (
        "settings.X['PIXEL_CODE'] is required, unless settings.X['USE_EXISTING'] is set"
    )
    # disabled: no code needed, the other options are still checked
    _, problems = read_options({"ENABLED": False, "USE_EXISTING": "yes"}, DICT)
    assert [p.option for p in problems] == ["USE_EXISTING"]
    assert build_options({"ENABLED": False}, DICT).config.use_existing_pixel


def test_testing_collects_without_a_code_and_mirrors_only_when_asked() -> None:
    api = {"ACCESS_TOKEN": "t", "ENDPOINT": "http://127.0.0.1:9/"}
    found = build_options({"EVENTS_API": api}, DICT, testing=True)
    assert not found.enabled and found.events_api_config is None
    found = build_options({"PIXEL_CODE": CODE, "EVENTS_API": api}, DICT, testing=True)
    assert found.enabled and found.events_api_config is None and found.events_api is api
    found = build_options({"PIXEL_CODE": CODE, "ENABLED": True, "EVENTS_API": api}, DICT)
    assert found.events_api_config is not None


def test_the_events_api_needs_a_code_to_send_for() -> None:
    with pytest.raises(ValueError) as info:
        build_options(
            {"TIKTOK_PIXEL_USE_EXISTING": True, "TIKTOK_PIXEL_EVENTS_API": {"ACCESS_TOKEN": "t"}},
            FLASK,
        )
    assert str(info.value) == (
        "TIKTOK_PIXEL_EVENTS_API has no pixel code to send the events for: "
        "TIKTOK_PIXEL_USE_EXISTING is set without TIKTOK_PIXEL_CODE; set its option PIXEL_CODES "
        "to the site's pixel code(s)"
    )


def test_consent_held_without_a_way_to_learn_it_warns_once_in_the_users_words(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = {"ACCESS_TOKEN": "t", "ENDPOINT": "http://127.0.0.1:9/"}
    given = {"PIXEL_CODE": CODE, "CONSENT": "hold", "EVENTS_API": api}
    found = build_options({flask_key(option): value for option, value in given.items()}, FLASK)
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        mirror = found.mirror()
    assert mirror is not None and mirror.close(timeout=1)
    [record] = caplog.records
    assert "TIKTOK_PIXEL_CONSENT is 'hold' and TIKTOK_PIXEL_EVENTS_API" in record.getMessage()
    assert "TIKTOK_PIXEL_CONSENT_GRANTED is not" in record.getMessage()


def test_a_dotted_path_is_resolved_only_where_the_front_end_allows_it() -> None:
    imports = Spelling("settings.X", str, resolve=lambda path: {"a.b": print}[path])
    assert build_options({"PIXEL_CODE": CODE, "NONCE": "a.b"}, imports).nonce is print
    with pytest.raises(ValueError, match="a fixed nonce defeats CSP"):
        build_options({"PIXEL_CODE": CODE, "NONCE": "a.b"}, DICT)


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("ID", "PIXEL_CODE"),
        ("pixel_id", "PIXEL_CODE"),
        ("USE_EXISTNG", "USE_EXISTING"),
        ("AUTO_INJCT", "AUTO_INJECT"),
        ("LDU", "LIMITED_DATA_USE"),
        ("COLOUR", None),
    ],
)
def test_misspelt_or_aliased_options_get_a_suggestion(name: str, meant: str | None) -> None:
    assert suggest_option(name) == meant


def test_a_misspelt_pixel_config_field_gets_a_suggestion() -> None:
    with pytest.raises(ValueError, match=r"pixel_code; did you mean 'pixel_codes'\?"):
        PixelConfig.from_mapping({"pixel_code": CODE})


# --- every option's error, through each front end ----------------------------------------------

OPTIONS = sorted(BAD_VALUES)


def flask_error(options: dict[str, Any]) -> str:
    app = Flask(__name__)
    app.config.update({flask_key(option): value for option, value in options.items()})
    with pytest.raises(ValueError) as info:
        TikTokPixel(app)
    assert "tiktok_pixel" not in app.extensions
    return str(info.value)


def starlette_error(options: dict[str, Any], **kwargs: Any) -> str:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    kwargs.update({starlette_key(option): value for option, value in options.items()})
    with pytest.raises(ValueError) as info:
        TikTokPixelMiddleware(app, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("option", OPTIONS)
def test_flask_names_its_key(option: str) -> None:
    value, after = BAD_VALUES[option]
    message = flask_error({"PIXEL_CODE": CODE, option: value})
    assert f"{flask_key(option)}{after}" in message
    assert leaked_fields(message, flask_key) == []


@pytest.mark.parametrize("option", OPTIONS)
def test_starlette_names_its_keyword(option: str) -> None:
    value, after = BAD_VALUES[option]
    message = starlette_error({"PIXEL_CODE": CODE, option: value})
    assert message.startswith(f"TikTokPixelMiddleware: {starlette_key(option)}{after}")
    assert leaked_fields(message, starlette_key) == []


def test_the_missing_code_in_each_front_ends_words() -> None:
    assert (
        flask_error({}) == "TIKTOK_PIXEL_CODE is required, unless TIKTOK_PIXEL_USE_EXISTING is set"
    )
    assert starlette_error({}) == (
        "TikTokPixelMiddleware: pixel_code is required, unless use_existing_pixel is set"
    )


def test_unknown_keys_in_each_front_ends_words() -> None:
    message = flask_error({"PIXEL_CODE": CODE, "USE_EXISTNG": True})
    assert message.startswith(
        "app.config has unknown TikTok pixel option(s): TIKTOK_PIXEL_USE_EXISTNG; did you mean "
        "TIKTOK_PIXEL_USE_EXISTING? known options are TIKTOK_PIXEL_AUTO_INJECT, "
    )
    message = starlette_error({"PIXEL_CODE": CODE}, use_existing=True)
    assert message.startswith(
        "TikTokPixelMiddleware has unknown TikTok pixel option(s): use_existing; did you mean "
        "use_existing_pixel?"
    )


def test_a_page_view_mapping_clash_names_both_keys() -> None:
    options = {"PIXEL_CODE": CODE, "MAPPINGS": {"presets": ["page"]}}
    assert "TIKTOK_PIXEL_AUTO_PAGE_VIEW's ttq.page()" in flask_error(options)
    assert "set auto_page_view to False" in starlette_error(options)
    assert STARLETTE.words("AUTO_PAGE_VIEW") == "auto_page_view"


#: ``render`` options: option -> (arguments, what the message says after naming the option)
CLI_CASES = {
    "PIXEL_CODE": (["--pixel-code", "nope"], ": invalid TikTok pixel code 'nope'"),
    "DEFAULT_CURRENCY": (["--default-currency", "EURO"], " 'EURO' is not an ISO 4217 code"),
    "DEFAULT_PHONE_REGION": (["--default-phone-region", "ZZ"], " 'ZZ' is not an ISO 3166"),
    "SDK_URL": (["--sdk-url", "javascript:alert(1)"], " must be an http(s) URL"),
    "MAPPINGS": (["--mappings", "{mappings}"], ": unknown key(s) sets; did you mean 'set'?"),
}


@pytest.mark.parametrize("option", sorted(CLI_CASES))
def test_the_render_command_names_its_flag(
    option: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from tiktok_pixel.cli.render import FLAGS

    mappings = tmp_path / "mappings.json"
    mappings.write_text('{"sets": []}', encoding="utf-8")
    args, after = CLI_CASES[option]
    args = [arg.format(mappings=mappings) for arg in args]
    code = [] if option == "PIXEL_CODE" else ["--pixel-code", CODE]
    assert main(["render", *code, *args]) == 2
    err = capsys.readouterr().err
    flag = args[0]
    assert err.startswith(f"tiktok-pixel render: error: {flag}{after}"), err
    assert leaked_fields(err, lambda option: FLAGS.get(option, "")) == []


def test_the_render_command_names_the_missing_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render"]) == 2
    assert capsys.readouterr().err == (
        "tiktok-pixel render: error: --pixel-code is required, unless --use-existing-pixel is set\n"
    )


def test_each_option_has_a_bad_value() -> None:
    assert set(BAD_VALUES) == ALL_OPTIONS
    assert all(re.match(r"[ :]", after) for _, after in BAD_VALUES.values())
