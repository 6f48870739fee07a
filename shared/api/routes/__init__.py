"""Every route of the API, one module per resource, each declared on a `RouteTable`.

Order matters where paths overlap: `/secrets/audit`, `/secrets/resolve` and the bulk routes
(`/secrets/import`, `/export`, `/check`) come before `/secrets/{secret_id}`, so none is taken
for a secret id.
"""

from shared.api.routes import audit, bulk, projects, resolve, secrets, versions

ROUTE_TABLES = (audit.routes, resolve.routes, bulk.routes, projects.routes, secrets.routes, versions.routes)
ROUTE_NAMES = tuple(name for table in ROUTE_TABLES for name in table.names)
