"""The JS client (clients/js) against the real server: resolve, unknown names, tokens, 503."""

from __future__ import annotations

import json

import httpx

from tests.clients.conftest import ROOT, VALUE, json_answer, other_project, run_node

SCRIPT = ROOT / "tests" / "clients" / "resolve.mjs"


def resolve(base_url: str, project_id: str, token: str, names: list[str], **extra) -> dict:
    options = {"baseUrl": base_url, "projectId": project_id, "runnerToken": token, "names": names, **extra}
    out = run_node(SCRIPT, json.dumps(options))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    for shown in result["shown"]:  # what a log would get: never the value, never the token
        assert VALUE not in shown and token not in shown
    return result


def test_a_runner_token_resolves_its_projects_secrets(dev):
    result = resolve(dev.server.base_url, dev.server.project_id, dev.runner_token, ["STRIPE_API_KEY"])
    assert result["ok"] and result["values"] == {"STRIPE_API_KEY": VALUE}
    assert result["shown"][0] == 'RunSecrets(names=["STRIPE_API_KEY"])'


def test_unknown_names_are_listed_and_nothing_is_resolved(dev):
    result = resolve(dev.server.base_url, dev.server.project_id, dev.runner_token,
                     ["STRIPE_API_KEY", "NOPE_ONE", "ALSO_MISSING"])
    assert (result["ok"], result["class"], result["status"], result["code"]) == (
        False, "UnknownSecretsError", 404, "not_found")
    assert result["missing"] == ["ALSO_MISSING", "NOPE_ONE"]


def test_a_bad_token_is_401(dev):
    forged = dev.runner_token[:-4] + ("AAAA" if not dev.runner_token.endswith("AAAA") else "BBBB")
    for token in ("not-a-jwt", forged):
        result = resolve(dev.server.base_url, dev.server.project_id, token, ["STRIPE_API_KEY"])
        assert (result["class"], result["status"], result["code"]) == ("UnauthorizedError", 401, "unauthorized")


def test_another_projects_runner_token_is_404_as_for_no_project(dev):
    token = dev.mint_runner_token(other_project())
    result = resolve(dev.server.base_url, dev.server.project_id, token, ["STRIPE_API_KEY"])
    assert (result["class"], result["status"], result["code"]) == ("NotFoundError", 404, "not_found")
    assert result.get("missing") is None  # "project not found" names no secret


def test_a_users_token_is_403_users_reveal_runs_resolve(dev):
    result = resolve(dev.server.base_url, dev.server.project_id, dev.server.token("admin"), ["STRIPE_API_KEY"])
    assert (result["class"], result["status"], result["code"]) == ("ForbiddenError", 403, "forbidden")


def test_a_503_is_retried_after_retry_after_and_then_resolves(dev, http_stub):
    def answer(request):  # first 503, then pass the request on to the real server
        if len(stub.requests) == 1:
            return json_answer(503, {"error": "unavailable", "message": "database unavailable"}, **{"Retry-After": "1"})
        real = httpx.post(dev.server.base_url + request["path"], content=request["body"],
                          headers={"Authorization": request["headers"]["Authorization"],
                                   "Content-Type": "application/json"})
        return real.status_code, {"Content-Type": "application/json"}, real.content

    stub = http_stub(answer)
    result = resolve(stub.url, dev.server.project_id, dev.runner_token, ["STRIPE_API_KEY"])
    assert result["ok"] and result["values"] == {"STRIPE_API_KEY": VALUE}
    first, second = stub.requests
    assert second["at"] - first["at"] >= 0.95  # Retry-After: 1 was honoured


def test_a_503_that_lasts_is_an_unavailable_error_after_the_retries(dev, http_stub):
    stub = http_stub(lambda request: json_answer(503, {"error": "unavailable", "message": "database unavailable"}))
    result = resolve(stub.url, dev.server.project_id, dev.runner_token, ["STRIPE_API_KEY"], retries=2, backoffMs=5)
    assert (result["class"], result["status"], result["code"]) == ("UnavailableError", 503, "unavailable")
    assert len(stub.requests) == 3


def test_a_4xx_is_never_retried(dev, http_stub):
    stub = http_stub(lambda request: json_answer(429, {"error": "rate_limited", "message": "slow down"}))
    result = resolve(stub.url, dev.server.project_id, dev.runner_token, ["STRIPE_API_KEY"])
    assert (result["class"], result["status"]) == ("RateLimitedError", 429)
    assert len(stub.requests) == 1
