"""POST /api/projects/{project_id}/secrets/export — Lambda handler."""

from shared.api.app import lambda_handler

handler = lambda_handler("export_secrets")
