"""The import-legacy tests run on a MeshHook-shaped database (tests/support/meshhook.py)."""

from tests.support.meshhook import cli_env, meshhook_dsn, meshhook_template  # noqa: F401 - fixtures
