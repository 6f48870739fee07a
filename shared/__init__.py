"""meshhook-secrets: project-scoped, envelope-encrypted secrets for MeshHook."""
