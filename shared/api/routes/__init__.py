"""Every route of the API, one module per resource.

Order matters where paths overlap: `/secrets/audit` and `/secrets/resolve` come before
`/secrets/{secret_id}`, so neither is taken for a secret id.
"""

from shared.api.routes import audit, projects, resolve, secrets

ROUTERS = (audit.router, resolve.router, projects.router, secrets.router)
