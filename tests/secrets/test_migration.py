"""The versions migration on a database of the previous shape: every row's ciphertext becomes
its version row byte for byte (nothing is decrypted), and still opens, mid-rotation included."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import psycopg
from psycopg.conninfo import make_conninfo

from shared.crypto.envelope import Binding, seal_value
from shared.keys.keystore import KeyStore, create_active_kek
from shared.keys.rotate import Policy, rotate_keks
from shared.store import migrate
from shared.store.database import Database
from tests.keys.conftest import decrypt_versions, local_root

NEW = "20261202100000"


def _old_database(database, monkeypatch) -> str:
    name = f"meshhook_old_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database.admin_dsn, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    dsn = make_conninfo(database.admin_dsn, dbname=name)
    everything = migrate.discover
    with monkeypatch.context() as m:
        m.setattr(migrate, "discover", lambda: [x for x in everything() if x.version < NEW])
        migrate.apply_migrations(dsn, supabase_compat=True)
    return dsn


def _seed_old_rows(conn, ring, project_id, user) -> dict[uuid.UUID, tuple[int, bytes]]:
    """Rows as the previous code wrote them: ciphertext columns on project_secrets."""
    rows = {}
    for i, version in enumerate((1, 3, 1)):
        sid, value = uuid.uuid4(), b"sk_test_fake_old_%d_" % i + os.urandom(4).hex().encode()
        sealed = seal_value(ring, value, Binding(project_id, sid, version))
        conn.execute("insert into public.project_secrets (id, project_id, name, version, kek_id, wrapped_dek,"
                     " ciphertext) values (%s, %s, %s, %s, %s, %s, %s)",
                     (sid, project_id, f"OLD_{i}", version, sealed.kek_id, sealed.wrapped_dek, sealed.ciphertext))
        conn.execute("insert into public.secret_audit_events (project_id, secret_id, actor_type, actor_id,"
                     " action, outcome, metadata) values (%s, %s, 'user', %s, %s, 'success', %s)",
                     (project_id, sid, str(user), "create" if version == 1 else "rotate", f'{{"version": {version}}}'))
        rows[sid] = (version, value)
    return rows


def test_old_rows_move_as_they_are_and_still_open(database, monkeypatch):
    dsn = _old_database(database, monkeypatch)
    root, _ = local_root()
    db = Database(dsn, max_size=3)
    try:
        user, project_id = uuid.uuid4(), uuid.uuid4()
        ring = KeyStore(db, root).reload()
        with db.as_system() as conn:
            conn.execute("insert into auth.users (id, email) values (%s, 'old@test.invalid')", (user,))
            conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'old')", (project_id, user))
            rows = _seed_old_rows(conn, ring, project_id, user)
            before = dict(conn.execute("select id, ciphertext from public.project_secrets").fetchall())
            create_active_kek(conn, root)  # a rotation started: every row is under a retired KEK

        assert migrate.apply_migrations(dsn)[0] == "20261202100000_secret_versions.sql"  # then any later ones

        opened = decrypt_versions(dsn, root)
        assert opened == {(sid, version): value for sid, (version, value) in rows.items()}
        with psycopg.connect(dsn) as conn:
            moved = dict(conn.execute("select secret_id, ciphertext from public.project_secret_versions").fetchall())
            made_by = set(conn.execute("select created_by_type, created_by_id from public.project_secret_versions"))
        assert moved == before, "ciphertexts moved byte for byte"
        assert made_by == {("user", str(user))}
        report = rotate_keks(db, root, policy=Policy(max_age=timedelta(days=90)))
        assert report.complete and report.rewrapped == 3
        assert decrypt_versions(dsn, root) == opened
    finally:
        db.close()
