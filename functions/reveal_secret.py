"""POST /api/projects/{project_id}/secrets/{secret_id}/reveal — Lambda handler."""

from shared.api.app import lambda_handler

handler = lambda_handler("reveal_secret")
