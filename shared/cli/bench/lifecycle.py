"""The lifecycle figures of `meshhook-secrets bench`: a bulk import of 500 secrets (against
the same 500 created one request at a time), and KEK re-wrap when every secret keeps 10
versions (one DEK per version, all moved in the same pass)."""

from __future__ import annotations

import time
import uuid

import psycopg

from shared.auth.principal import Principal
from shared.container import Container
from shared.store.models import RequestInfo

Row = dict[str, object]


def _project(dsn: str) -> tuple[uuid.UUID, Principal]:
    owner, project_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("insert into auth.users (id) values (%s)", (owner,))
        conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'bench import')",
                     (project_id, owner))
    return project_id, Principal("user", user_id=owner)


def bench_import_rows(container: Container, dsn: str, quick: bool) -> list[Row]:
    from shared.secrets.bulk import import_secrets

    n = 100 if quick else 500
    lines = [f"IMPORT_{i:04d}='sk_test_fake_{i:04d}_{'x' * 40}'\n" for i in range(n)]
    one_by_one, owner = _project(dsn)
    started = time.perf_counter()
    for i in range(n):
        container.service.create(owner, RequestInfo(), one_by_one, name=f"IMPORT_{i:04d}",
                                 value=f"sk_test_fake_{i:04d}_" + "x" * 40)
    base = time.perf_counter() - started
    bulk, owner = _project(dsn)
    started = time.perf_counter()
    result = import_secrets(container.service, owner, RequestInfo(), bulk, fmt="dotenv",
                            content="".join(lines), on_conflict="fail")
    measured = time.perf_counter() - started
    assert len(result.created) == n
    return [{"bench": f"import {n} secrets (dotenv)", "baseline": f"{n} creates one by one",
             "baseline_ms": base * 1e3, "measured_ms": measured * 1e3, "ratio": measured / base,
             "goal": f"{n / measured:,.0f} secrets/s, one transaction"}]


def bench_rewrap_versions_rows(base_dsn: str, quick: bool) -> list[Row]:
    from shared.cli.bench.fresh import fresh_database
    from shared.cli.bench.rewrap import bench_rewrap, rewrap_row

    n = 200 if quick else 1000

    return [rewrap_row(f"KEK re-wrap {n} secrets x 10 versions", bench_rewrap(fresh_database(base_dsn), n, versions=10))]
