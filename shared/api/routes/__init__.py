"""Every route of the API, one module per resource.

Order matters where paths overlap: `/secrets/audit`, `/secrets/resolve` and the bulk routes
(`/secrets/import`, `/export`, `/check`) come before `/secrets/{secret_id}`, so none is taken
for a secret id.
"""

from shared.api.routes import audit, bulk, projects, resolve, secrets, versions

ROUTERS = (audit.router, resolve.router, bulk.router, projects.router, secrets.router, versions.router)
