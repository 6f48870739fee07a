"""The audit trail's indexes: each one serves a statement, none is dead weight on inserts."""

from __future__ import annotations

import json
import uuid

import psycopg

from shared.store.audit import lock_and_count_reveals


def test_the_reveal_count_reads_its_index_and_the_index_it_superseded_is_gone(fresh_dsn):
    with psycopg.connect(fresh_dsn) as conn:
        indexes = {name for (name,) in conn.execute(
            "select indexname from pg_indexes where schemaname = 'public' and tablename = 'secret_audit_events'")}
        assert "secret_audit_events_actor_recent_idx" not in indexes  # reveals only: no statement can use it
        assert "secret_audit_events_reveals_idx" in indexes

        # The count the reveal limit reads (shared/store/audit.py), planned with scans off:
        # it can use its index, so it does.
        captured = []

        class Capture:
            def execute(self, sql, params=None):
                captured.append((sql, params))
                return conn.execute(sql, params)

        project, actor = uuid.uuid4(), str(uuid.uuid4())
        lock_and_count_reveals(Capture(), project, actor, 10)
        sql, params = captured[-1]
        conn.execute("set local enable_seqscan = off")
        plan = json.dumps(conn.execute("explain (format json) " + sql, params).fetchone()[0])
        assert "secret_audit_events_reveals_idx" in plan
