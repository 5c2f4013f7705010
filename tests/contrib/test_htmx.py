"""htmx requests through Flask's and Starlette's test clients (Django: ``django/test_htmx.py``)."""

from __future__ import annotations

from tests.contrib.htmx_shop import check_server


def test_flask() -> None:
    from tests.contrib.flask_htmx_shop import create_htmx_app

    client = create_htmx_app().test_client()

    def send(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
        response = client.open(path, method=method, headers=headers)
        names = {key.lower(): value for key, value in response.headers.items()}
        return response.status_code, names, response.get_data(as_text=True)

    check_server(send)


def test_starlette() -> None:
    from starlette.testclient import TestClient

    from tests.contrib.starlette_shop import create_htmx_app

    client = TestClient(create_htmx_app())

    def send(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
        response = client.request(method, path, headers=headers)
        return response.status_code, dict(response.headers), response.text

    check_server(send)
