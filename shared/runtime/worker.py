"""The Python API for a workflow worker: one call per run, then render and redact.

    secrets = resolve_run_secrets(service, runner, project_id, [step.config for step in run])
    config = secrets.render(step.config)          # {{secrets.NAME}} filled in
    handler.addFilter(secrets.log_filter)         # on each handler: a logger's own filters
                                                  # miss records of its child loggers
    handler.setFormatter(secrets.log_formatter(handler.formatter))  # or this: cheaper, and
                                                  # also covers what a JSON formatter adds

`resolve_run_secrets` works in-process (one database statement for all the run's names);
`fetch_run_secrets` does the same through the HTTP API with a runner token, for workers
that hold no database credentials. Both return a `RunSecrets`, whose repr hides values.
`fetch_run_secrets` retries a 503 (the database or KMS briefly unavailable) after the
server's Retry-After plus a random jitter, a bounded number of times; never a 4xx.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from shared.auth.principal import Principal
from shared.errors import NotFound, ServiceError, Unavailable
from shared.runtime.redact import RedactingFilter, Redactor
from shared.runtime.templating import UnknownSecretError, find_secret_names, render
from shared.secrets.resolve import resolve_secrets
from shared.secrets.service import SecretsService
from shared.store.models import RequestInfo


class RunSecrets:
    """A run's resolved values, the renderer for its step configs, and its redactor."""

    __slots__ = ("_values", "redactor", "log_filter")

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.redactor = Redactor(self._values.values())
        self.log_filter: RedactingFilter = self.redactor.logging_filter()

    def __repr__(self) -> str:
        return f"RunSecrets(names={sorted(self._values)})"

    @property
    def names(self) -> list[str]:
        return sorted(self._values)

    def render(self, config: Any) -> Any:
        """The config with every `{{secrets.NAME}}` filled in; unknown names raise."""
        return render(config, self._values)

    def redact(self, obj: Any) -> Any:
        return self.redactor.redact(obj)

    def log_formatter(self, inner: logging.Formatter | None = None) -> logging.Formatter:
        """`inner`, with everything it produces redacted (see RedactingFormatter)."""
        return self.redactor.formatter(inner)


def resolve_run_secrets(
    service: SecretsService, runner: Principal, project_id: uuid.UUID, configs: Any,
    request: RequestInfo | None = None,
) -> RunSecrets:
    """Resolve every secret the configs reference, in one database statement."""
    names = find_secret_names(configs)
    if not names:
        return RunSecrets({})
    try:
        values = resolve_secrets(service, runner, request or RequestInfo(), project_id, names)
    except NotFound as exc:
        raise _unknown(exc.message, names) from None
    return RunSecrets(values)


def fetch_run_secrets(
    base_url: str, runner_token: str, project_id: uuid.UUID, configs: Any, *,
    client: httpx.Client | None = None, attempts: int = 4, max_delay: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> RunSecrets:
    """The same through `POST …/secrets/resolve`, for a worker without database access.
    A 503 (or a connection refused) is retried up to `attempts` times in all, waiting the
    server's Retry-After (at most `max_delay`) plus up to half of it again at random, so
    workers that failed together do not come back together. A 4xx is never retried."""
    names = find_secret_names(configs)
    if not names:
        return RunSecrets({})
    http = client or httpx.Client(timeout=10)
    url = f"{base_url.rstrip('/')}/api/projects/{project_id}/secrets/resolve"
    try:
        for attempt in range(1, attempts + 1):
            try:
                response = http.post(url, json={"names": names},
                                     headers={"Authorization": f"Bearer {runner_token}"})
            except httpx.ConnectError:
                if attempt == attempts:
                    raise Unavailable(f"resolve failed: {url} refused the connection ({attempts} attempts)") from None
                sleep(retry_delay(None, attempt, max_delay))
                continue
            if response.status_code != 503 or attempt == attempts:
                break
            sleep(retry_delay(response.headers.get("retry-after"), attempt, max_delay))
    finally:
        if client is None:
            http.close()
    return _run_secrets(response, names, attempts)


def retry_delay(retry_after: str | None, attempt: int, max_delay: float) -> float:
    """Retry-After in seconds (an HTTP date counts as 1 s), else 0.5 s doubling per attempt;
    capped, then up to 50% added at random."""
    try:
        base = float(retry_after) if retry_after is not None else 0.5 * 2 ** (attempt - 1)
    except ValueError:
        base = 1.0
    base = min(max(base, 0.0), max_delay)
    return base + random.uniform(0, base / 2)


def _run_secrets(response: httpx.Response, names: list[str], attempts: int) -> RunSecrets:
    if response.status_code == 404:
        raise _unknown(response.json().get("message", ""), names)
    if response.status_code == 503:
        raise Unavailable(f"resolve failed: 503 unavailable after {attempts} attempts")
    if response.status_code != 200:
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        raise ServiceError(f"resolve failed: {response.status_code} {body.get('error', '')}".strip())
    return RunSecrets(response.json()["secrets"])


def _unknown(message: str, names: list[str]) -> Exception:
    """A 404 naming secrets becomes the templating error naming them; else the project is gone."""
    prefix = "unknown secrets: "
    if message.startswith(prefix):
        return UnknownSecretError(message[len(prefix):].split(", "))
    return NotFound(message or "project not found")
