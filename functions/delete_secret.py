"""DELETE /api/projects/{project_id}/secrets/{secret_id} — Lambda handler."""

from shared.api.app import lambda_handler

handler = lambda_handler("delete_secret")
