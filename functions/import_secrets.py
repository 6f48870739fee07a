"""POST /api/projects/{project_id}/secrets/import — Lambda handler."""

from shared.api.app import lambda_handler

handler = lambda_handler("import_secrets")
