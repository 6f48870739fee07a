"""GET /api/projects/{project_id} — Lambda handler."""

from shared.api.app import lambda_handler

handler = lambda_handler("get_project")
