"""What logging and metrics cost per request: the same app with `observe=False` next to it
with the request log line and metrics on, called in-process through ASGI (no sockets, no
client library: the app's own cost is all that is measured), interleaved in one run.

Two rows: the Prometheus backend (`serve`/`dev`) and the EMF backend flushed after every
request (what each Lambda invocation does). The log lines go to /dev/null, through the
same write calls that would reach a terminal or CloudWatch.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid

from shared.auth.tokens import mint_user_token
from shared.container import Container


def _scope(path: str, token: str) -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000), "server": ("bench", 80),
    }


async def _call(app, scope: dict) -> int:
    status = 0

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(scope), receive, send)
    return status


async def _seconds_per_request(app, scope: dict, repeat: int, after=None) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        if await _call(app, scope) != 200:
            raise RuntimeError("bench request failed")
        if after is not None:
            after()
    return (time.perf_counter() - start) / repeat


def bench_observability(container: Container, owner: uuid.UUID, project_id: uuid.UUID, quick: bool) -> list[dict]:
    from shared.api.app import create_app
    from shared.observability.emf import EmfBackend
    from shared.observability.prom import PrometheusBackend

    secret = container.settings.supabase_jwt_secret.get_secret_value()
    scope = _scope(f"/api/projects/{project_id}/secrets", mint_user_token(secret, owner))
    emf = EmfBackend()
    apps = {
        "off": (create_app(container=lambda: container, observe=False), None),
        "prometheus": (create_app(container=lambda: container, metrics=PrometheusBackend()), None),
        "emf": (create_app(container=lambda: container, metrics=emf), emf.flush),
    }
    repeat, rounds = (100, 5) if quick else (300, 7)
    best = dict.fromkeys(apps, float("inf"))

    async def run() -> None:
        for app, after in apps.values():  # warm up: pool, keyring, first imports
            await _seconds_per_request(app, scope, 20, after)
        for _ in range(rounds):  # interleaved: drift on a shared machine hits all alike
            for name, (app, after) in apps.items():
                best[name] = min(best[name], await _seconds_per_request(app, scope, repeat, after))

    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        asyncio.run(run())
    base = best["off"]
    return [
        {"bench": f"GET list_secrets in-process, {label}", "baseline": "same app, observe=False",
         "baseline_ms": base * 1e3, "measured_ms": best[key] * 1e3, "ratio": best[key] / base,
         "goal": f"+{(best[key] - base) * 1e6:.0f} us per request (log line + metrics)"}
        for label, key in (("logs + Prometheus", "prometheus"), ("logs + EMF flush", "emf"))
    ]
