"""POST /api/projects/{project_id}/secrets/check — Lambda handler."""

from shared.api.app import lambda_handler

handler = lambda_handler("check_references")
