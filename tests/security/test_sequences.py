"""Finding 5 of issue #12: the Data API roles cannot use the secret tables' sequences.
Every sequence of the schemas is enumerated, so a future table is covered too."""

from __future__ import annotations

import psycopg
import pytest

API_ROLES = ("anon", "authenticated", "service_role")
PRIVILEGES = ("USAGE", "SELECT", "UPDATE")


def test_no_api_role_holds_a_privilege_on_any_sequence(sql):
    sequences = [r[0] for r in sql.execute(
        "select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind = 'S' and n.nspname in ('public', 'meshhook') order by 1").fetchall()]
    assert {"public.secret_audit_events_id_seq", "public.secret_keks_id_seq"} <= set(sequences)
    held = [(seq, role, priv) for seq in sequences for role in API_ROLES for priv in PRIVILEGES
            if sql.execute("select has_sequence_privilege(%s, %s, %s)", (role, seq, priv)).fetchone()[0]]
    assert held == []


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_data_api_role_cannot_move_the_audit_sequence(sql, role):
    with pytest.raises(psycopg.errors.InsufficientPrivilege), sql.transaction():
        sql.execute(f"set local role {role}")
        sql.execute("select setval('public.secret_audit_events_id_seq', 1)")
