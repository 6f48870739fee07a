"""Rows straight into the tables, fast (COPY, not the API): a user with a project, and n
sealed secrets with their versions. For the benchmarks (shared/cli/bench) and the tests
that need many rows (tests/keys); never for a real project.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import psycopg

from shared.crypto.envelope import Binding, seal_value
from shared.crypto.keyring import Keyring


def create_project(conn: psycopg.Connection, name: str = "bench") -> uuid.UUID:
    """A user and a project they own, straight into the tables."""
    owner, project_id = uuid.uuid4(), uuid.uuid4()
    conn.execute("insert into auth.users (id, email) values (%s, %s)", (owner, f"{owner}@bench.invalid"))
    conn.execute("insert into public.projects (id, owner, name) values (%s, %s, %s)",
                 (project_id, owner, name))
    return project_id


def seed_secrets(
    conn: psycopg.Connection, ring: Keyring, project_id: uuid.UUID, values: Iterable[bytes],
    *, prefix: str = "S", versions: int = 1,
) -> list[uuid.UUID]:
    """COPY in one secret per value, at version `versions`, each of its `versions` versions
    sealed under the keyring's active KEK with its own DEK (version k holds the value with
    `~k` appended, the current one the value itself); their ids, in order."""
    values = list(values)
    ids = [uuid.uuid4() for _ in values]
    with conn.cursor().copy("copy public.project_secrets (id, project_id, name, version) from stdin") as copy:
        for i, secret_id in enumerate(ids):
            copy.write_row((secret_id, project_id, f"{prefix}_{i}", versions))
    with conn.cursor().copy(
        "copy public.project_secret_versions (secret_id, project_id, version, kek_id, wrapped_dek,"
        " ciphertext, created_by_type) from stdin"
    ) as copy:
        for secret_id, value in zip(ids, values, strict=True):
            for version in range(1, versions + 1):
                plain = value if version == versions else value + b"~%d" % version
                sealed = seal_value(ring, plain, Binding(project_id, secret_id, version))
                copy.write_row((secret_id, project_id, version, sealed.kek_id, sealed.wrapped_dek,
                                sealed.ciphertext, "system"))
    return ids


def crowd_platform(conn: psycopg.Connection, projects: int) -> None:
    """Other users' projects, one each, so the figures are those of a database shaped like
    MeshHook's in production rather than an empty one (a membership check that scanned every
    project would show here). Set-based: 100,000 take about a second."""
    conn.execute("insert into auth.users (id) select gen_random_uuid() from generate_series(1, %s)", (projects,))
    conn.execute("insert into public.projects (owner, name) select u.id, 'another team'"
                 " from auth.users u where not exists (select 1 from public.projects p where p.owner = u.id)")
    conn.execute("analyze auth.users, public.projects")
