"""``DEMO_CATALOGUE``: the demo serves another catalogue from a JSON file or a mapping; the bundled
one stays the default; a malformed one fails at start-up, naming the setting."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from demo_site import create_app
from demo_site.catalogue import load_catalogue

OTHER = {
    "currency": "GBP",
    "products": [
        {
            "id": "tea-tin",
            "name": "Tea tin <b>",
            "brand": "Leafworks",
            "category": "Pantry",
            "price": "7.5",
            "colour": "#123456",
            "shape": "bottle",
            "description": "Holds 100 g.",
        }
    ],
}


def test_the_bundled_catalogue_is_the_default() -> None:
    app = create_app()
    assert app.extensions["demo_shop"]["catalogue"] is load_catalogue()
    assert app.config["TIKTOK_PIXEL_MAPPINGS"] == {"currency": "EUR"}
    assert app.test_client().get("/p/mug-enamel-blue").status_code == 200


def check_other(app: Any) -> None:
    client = app.test_client()
    page = client.get("/p/tea-tin")
    assert page.status_code == 200
    assert "Tea tin &lt;b&gt;" in page.text
    assert '"content_name":"Tea tin \\u003cb\\u003e"' in page.text
    assert '"currency":"GBP"' in page.text  # the catalogue's currency reaches the mappings
    assert client.get("/p/mug-enamel-blue").status_code == 404
    assert app.extensions["demo_shop"]["catalogue"].get("tea-tin").price == 7.5


def test_a_catalogue_from_a_mapping() -> None:
    check_other(create_app({"DEMO_CATALOGUE": OTHER}))


def test_a_catalogue_from_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps(OTHER), encoding="utf-8")
    check_other(create_app({"DEMO_CATALOGUE": path}))
    check_other(create_app({"DEMO_CATALOGUE": str(path)}))


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (42, "DEMO_CATALOGUE must be a path to a JSON file or a mapping, not int"),
        ({"products": []}, "DEMO_CATALOGUE: currency must be a string"),
        ({"currency": "EUR"}, 'DEMO_CATALOGUE: expected {"currency"'),
        (
            {"currency": "EUR", "products": [{"id": "x"}]},
            "DEMO_CATALOGUE: each product needs exactly the fields id, name",
        ),
        (
            {"currency": "EUR", "products": [{**OTHER["products"][0], "name": 3}]},
            "DEMO_CATALOGUE: product fields other than price must be strings",
        ),
        (
            {"currency": "EUR", "products": [OTHER["products"][0]] * 2},
            "DEMO_CATALOGUE: product ids must be unique",
        ),
    ],
)
def test_a_malformed_catalogue_fails_at_start_up(setting: object, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        create_app({"DEMO_CATALOGUE": setting})
