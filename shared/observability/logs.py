"""The service's structured logger: Powertools Logger, one JSON object per line on stdout
(CloudWatch Logs on Lambda, the terminal under `serve`/`dev`), with the Lambda context's
fields (function name, `function_request_id`, cold start) when the handler injects it.

Powertools is imported at the first log line, not with this module, so a handler's cold
import does not pay for it.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

SERVICE = "meshhook-secrets"


class _Stdout:
    """sys.stdout as it is at each write, not as it was when the logger was made (a test's
    captured stream, or a replaced one, must not keep receiving the lines)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@functools.cache
def get_logger():
    from aws_lambda_powertools import Logger

    logger = Logger(service=SERVICE, utc=True, stream=_Stdout())
    logger.remove_keys(["location"])  # always the middleware's own line: noise
    return logger


def log_event(message: str, fields: dict[str, Any], *, error: bool = False) -> None:
    """One line: `message` plus `fields`. Pass only what is safe to keep: ids, names, counts,
    codes; json.dumps escapes control characters."""
    logger = get_logger()
    (logger.error if error else logger.info)(message, extra=fields)
