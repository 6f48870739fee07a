"""POST /api/projects/{project_id}/secrets/resolve — Lambda handler."""

from shared.api.app import lambda_handler

handler = lambda_handler("resolve_secrets")
