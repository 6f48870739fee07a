"""GET /api/projects/{project_id}/secrets/audit — Lambda handler."""

from shared.api.app import lambda_handler

handler = lambda_handler("audit_events")
