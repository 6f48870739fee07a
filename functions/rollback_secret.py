"""POST /api/projects/{project_id}/secrets/{secret_id}/rollback — Lambda handler."""

from shared.api.app import lambda_handler

handler = lambda_handler("rollback_secret")
