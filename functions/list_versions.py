"""GET /api/projects/{project_id}/secrets/{secret_id}/versions — Lambda handler."""

from shared.api.app import lambda_handler

handler = lambda_handler("list_versions")
