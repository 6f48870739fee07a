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
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from shared.auth.principal import Principal
from shared.errors import NotFound, ServiceError
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
    client: httpx.Client | None = None,
) -> RunSecrets:
    """The same through `POST …/secrets/resolve`, for a worker without database access."""
    names = find_secret_names(configs)
    if not names:
        return RunSecrets({})
    http = client or httpx.Client(timeout=10)
    try:
        response = http.post(
            f"{base_url.rstrip('/')}/api/projects/{project_id}/secrets/resolve",
            json={"names": names}, headers={"Authorization": f"Bearer {runner_token}"},
        )
    finally:
        if client is None:
            http.close()
    if response.status_code == 404:
        raise _unknown(response.json().get("message", ""), names)
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
