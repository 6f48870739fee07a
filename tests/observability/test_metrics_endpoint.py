"""`GET /metrics` (docs/operations.md#alarms-and-metrics): Prometheus text for loopback clients, or with the metrics
token; refused in the error shape otherwise; absent from the Lambda route set."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest
from pydantic import SecretStr

from shared.api.app import ROUTE_NAMES, create_app

TOKEN = "fake-metrics-token-0001"
REMOTE = ("203.0.113.7", 40000)


def get_metrics(app, client: tuple[str, int], headers: dict[str, str] | None = None) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://meshhook.test") as http:
            return await http.get("/metrics", headers=headers)

    return asyncio.run(run())


@pytest.fixture
def app_with_token(container):
    settings = container.settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    with_token = dataclasses.replace(container, settings=settings)
    return create_app(container=lambda: with_token)


@pytest.mark.parametrize("client", [("127.0.0.1", 5000), ("::1", 5000), ("127.0.0.2", 5000)])
def test_loopback_clients_read_the_metrics(app, client):
    response = get_metrics(app, client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE meshhook_requests_total counter" in response.text
    assert "meshhook_kek_age_days" in response.text and response.headers["x-request-id"]


def test_without_a_token_configured_others_are_forbidden(app):
    response = get_metrics(app, REMOTE, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden" and set(response.json()) == {"error", "message"}


def test_with_a_token_configured_others_need_it(app_with_token):
    for headers in (None, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN}):
        response = get_metrics(app_with_token, REMOTE, headers)
        assert response.status_code == 401, headers
        assert response.json()["error"] == "unauthorized" and response.headers["www-authenticate"] == "Bearer"
    response = get_metrics(app_with_token, REMOTE, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and "meshhook_requests_total" in response.text


def test_the_test_client_is_not_loopback(client):
    # Starlette's TestClient calls itself "testclient": not an address, so not trusted.
    assert client.get("/metrics").status_code == 403


def test_no_lambda_serves_metrics():
    assert "metrics" not in ROUTE_NAMES
    one = create_app(only=["list_secrets"])
    assert get_metrics(one, ("127.0.0.1", 5000)).status_code in (404, 405)
