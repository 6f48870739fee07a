"""A Lambda handler wrapped for observability: Powertools' Logger adds the invocation's
context (function name, `function_request_id`, cold start) to every line it writes, and
the metrics backend is flushed once the invocation ends, failed or not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.observability import metrics
from shared.observability.logs import get_logger

Handler = Callable[[Any, Any], Any]
_CONTEXT_FIELDS = ("function_name", "memory_limit_in_mb", "invoked_function_arn", "aws_request_id")
_LOGGED_KEYS = ("cold_start", "function_name", "function_memory_size", "function_arn", "function_request_id")


def with_lambda_context(handler: Handler, backend: metrics.Backend) -> Handler:
    logger = get_logger()
    # Not clear_state: that would restore the keys get_logger removed. The context keys
    # are removed after each invocation instead.
    injected = logger.inject_lambda_context(handler)

    def invoke(event: Any, context: Any) -> Any:
        # A context without the runtime's fields (a test passing None) is not injected.
        run = injected if all(hasattr(context, f) for f in _CONTEXT_FIELDS) else handler
        try:
            return run(event, context)
        finally:
            logger.remove_keys(_LOGGED_KEYS)
            backend.flush()

    return invoke
