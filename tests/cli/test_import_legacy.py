"""`meshhook-secrets import-legacy` on a MeshHook-shaped database: the dry run writes
nothing, --apply moves the good rows (encrypted, audited, legacy plaintext deleted) and
reports the rest with a suggested name, a rerun imports nothing twice."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from shared.auth.principal import Principal
from shared.cli.main import main
from shared.config import load_settings
from shared.container import build_container
from shared.secrets.bulk import export_secrets
from shared.secrets.legacy_rows import suggest_name
from shared.store.models import RequestInfo
from tests.support.meshhook import add_legacy_rows, add_meshhook_project

GOOD = {
    "STRIPE_API_KEY": "sk_test_fake_legacy_0001".encode(),
    "_DB_PASSWORD": "fake pässwörd ✓".encode(),  # UTF-8 beyond ASCII, kept as it is
    "MULTI_LINE": b"-----BEGIN FAKE KEY-----\nfake\n-----END FAKE KEY-----\n",
}
BAD = {
    "api-key": (b"sk_test_fake_legacy_dash", "name_invalid", "API_KEY"),
    "2fa.token": (b"fake-2fa-legacy", "name_invalid", "_2FA_TOKEN"),
    "EXISTING": (b"fake-existing-legacy", "name_taken", "EXISTING_LEGACY"),
    "NOT_TEXT": (b"\xff\xfe\x00fake", "not_utf8", None),
    "HUGE": (b"f" * (64 * 1024 + 1), "value_too_large", None),
    "EMPTY": (b"", "value_empty", None),
}


@pytest.fixture
def world(cli_env):
    """A MeshHook project with legacy rows of every kind, and a secret EXISTING already ours."""
    project_id, owner = add_meshhook_project(cli_env["DATABASE_URL"])
    container = build_container(load_settings())
    owner_principal = Principal("user", user_id=owner)
    container.service.create(owner_principal, RequestInfo(), project_id, name="existing", value="fake-ours")
    add_legacy_rows(cli_env["DATABASE_URL"], project_id, GOOD | {k: v for k, (v, _, _) in BAD.items()})
    yield project_id, owner_principal, container
    container.close()


def snapshot(dsn: str) -> dict[str, list]:
    tables = {"secrets": "project_id, key, value_encrypted, updated_at",
              "project_secrets": "id, name, version, updated_at",
              "project_secret_versions": "secret_id, version, kek_id, wrapped_dek, ciphertext",
              "secret_audit_events": "id, action, metadata", "secret_keks": "id, state, wrapped_key"}
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"select {cols} from public.{t} order by 1, 2").fetchall()
                for t, cols in tables.items()}


def run(capsys, *args: str) -> tuple[list[dict], dict]:
    assert main(["import-legacy", "--json", *args]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[-1]["event"] == "summary"
    return lines[:-1], lines[-1]


def test_dry_run_reports_every_row_and_writes_nothing(world, cli_env, capsys):
    project_id, _, _ = world
    before = snapshot(cli_env["DATABASE_URL"])
    rows, summary = run(capsys)
    assert snapshot(cli_env["DATABASE_URL"]) == before  # legacy rows, secrets, versions, audit, KEKs
    by_key = {r["key"]: r for r in rows}
    assert set(by_key) == set(GOOD) | set(BAD)  # one line per row, none dropped
    for key in GOOD:
        assert by_key[key]["status"] == "imported" and by_key[key]["name"] == key
    for key, (_, status, suggestion) in BAD.items():
        assert (by_key[key]["status"], by_key[key]["suggestion"]) == (status, suggestion), key
    assert summary["apply"] is False and summary["left"] == len(BAD)
    assert summary["counts"]["imported"] == len(GOOD)
    assert all(r["project_id"] == str(project_id) for r in rows)


def test_dry_run_text_report_says_would_import(world, capsys):
    assert main(["import-legacy"]) == 0
    out = capsys.readouterr().out
    assert "would import" in out and "STRIPE_API_KEY" in out
    assert "name invalid" in out and "(suggested: API_KEY)" in out
    assert "dry run: nothing written" in out
    assert "sk_test_fake" not in out


def test_apply_moves_good_rows_audits_them_and_leaves_the_rest(world, cli_env, capsys, sql_on):
    project_id, owner, container = world
    rows, summary = run(capsys, "--apply")
    assert summary["counts"]["imported"] == len(GOOD) and summary["left"] == len(BAD)
    conn = sql_on(cli_env["DATABASE_URL"])
    left = {k for (k,) in conn.execute("select key from public.secrets where project_id = %s", (project_id,))}
    assert left == set(BAD)  # imported rows (and their plaintext) gone, reported ones kept
    events = conn.execute(
        "select secret_name, actor_type, actor_id, metadata from secret_audit_events"
        " where project_id = %s and action = 'import' order by secret_name", (project_id,)).fetchall()
    assert [e[0] for e in events] == sorted(GOOD)
    for _, actor_type, actor_id, metadata in events:
        assert (actor_type, actor_id, metadata["source"], metadata["version"]) == ("system", "import-legacy", "legacy", 1)
    assert "sk_test_fake" not in json.dumps([list(map(str, e)) for e in events])
    values = export_secrets(container.service, owner, RequestInfo(), project_id, fmt="json")
    assert values == {k: v.decode() for k, v in GOOD.items()} | {"existing": "fake-ours"}
    # A rerun finds only the reported rows: nothing is imported twice.
    rows, again = run(capsys, "--apply")
    assert again["counts"].get("imported", 0) == 0 and again["left"] == len(BAD)
    assert conn.execute("select count(*) from project_secrets where project_id = %s",
                        (project_id,)).fetchone()[0] == len(GOOD) + 1


def test_rename_invalid_imports_under_the_suggested_names(world, cli_env, capsys, sql_on):
    project_id, owner, container = world
    rows, _ = run(capsys, "--apply", "--rename-invalid")
    by_key = {r["key"]: r for r in rows}
    assert (by_key["api-key"]["status"], by_key["api-key"]["name"]) == ("imported", "API_KEY")
    assert by_key["EXISTING"]["status"] == "name_taken"  # taken names are never renamed silently
    values = export_secrets(container.service, owner, RequestInfo(), project_id, fmt="json")
    assert values["API_KEY"] == "sk_test_fake_legacy_dash" and values["_2FA_TOKEN"] == "fake-2fa-legacy"
    metadata = sql_on(cli_env["DATABASE_URL"]).execute(
        "select metadata from secret_audit_events where secret_name = 'API_KEY'").fetchone()[0]
    assert metadata["legacy_key"] == "api-key"


def test_project_option_limits_the_run(world, cli_env, capsys, sql_on):
    project_id, _, _ = world
    other, _ = add_meshhook_project(cli_env["DATABASE_URL"])
    add_legacy_rows(cli_env["DATABASE_URL"], other, {"OTHER_KEY": b"fake-other-legacy"})
    rows, summary = run(capsys, "--apply", "--project", str(other))
    assert [(r["key"], r["status"]) for r in rows] == [("OTHER_KEY", "imported")]
    assert sql_on(cli_env["DATABASE_URL"]).execute(
        "select count(*) from public.secrets where project_id = %s", (project_id,)).fetchone()[0] == len(GOOD) + len(BAD)


def test_names_equal_but_for_case_import_one_and_report_the_other(cli_env, capsys):
    project_id, _ = add_meshhook_project(cli_env["DATABASE_URL"])
    add_legacy_rows(cli_env["DATABASE_URL"], project_id, {"TOKEN": b"fake-upper", "token": b"fake-lower"})
    rows, summary = run(capsys)  # MeshHook's key is unique as written; ours ignoring case
    assert sorted(r["status"] for r in rows) == ["imported", "name_taken"]
    taken = next(r for r in rows if r["status"] == "name_taken")
    assert taken["suggestion"].lower() == taken["key"].lower() + "_legacy"


@pytest.mark.parametrize(("key", "expected"), [
    ("api-key", "API_KEY"), ("2fa.token", "_2FA_TOKEN"), ("clé secrète", "CLE_SECRETE"),
    ("--", "SECRET"), ("a" * 200 + "-", "A" * 128),
])
def test_suggested_names_are_valid(key, expected):
    from shared.secrets.limits import check_name

    assert suggest_name(key) == expected
    check_name(expected)


def test_without_the_legacy_table_it_says_so(cli_env, sql_on, capsys):
    sql_on(cli_env["DATABASE_URL"]).execute("drop table public.secrets")
    assert main(["import-legacy"]) == 2
    assert "public.secrets does not exist" in capsys.readouterr().err


@pytest.fixture
def sql_on():
    opened: list[psycopg.Connection] = []

    def connect(dsn: str) -> psycopg.Connection:
        opened.append(psycopg.connect(dsn, autocommit=True))
        return opened[-1]

    yield connect
    for conn in opened:
        conn.close()


def test_project_missing_is_reported(cli_env, sql_on, capsys):
    conn = sql_on(cli_env["DATABASE_URL"])
    conn.execute("alter table public.secrets drop constraint secrets_project_id_fkey")
    add_legacy_rows(cli_env["DATABASE_URL"], uuid.uuid4(), {"ORPHAN": b"fake-orphan"})
    rows, _ = run(capsys, "--apply")
    assert [(r["key"], r["status"]) for r in rows] == [("ORPHAN", "project_missing")]
    assert conn.execute("select count(*) from public.secrets").fetchone()[0] == 1


def test_dry_run_on_a_database_without_keys_creates_no_kek(cli_env, sql_on, capsys):
    """The first keyring load creates a KEK: a dry run never loads one."""
    project_id, _ = add_meshhook_project(cli_env["DATABASE_URL"])
    add_legacy_rows(cli_env["DATABASE_URL"], project_id, {"FIRST_KEY": b"fake-first"})
    _, summary = run(capsys)
    assert summary["counts"] == {"imported": 1}
    assert sql_on(cli_env["DATABASE_URL"]).execute("select count(*) from secret_keks").fetchone()[0] == 0


def test_the_import_events_show_in_the_projects_audit_trail(world, jwt_secret, capsys):
    """An admin reads them through the API like any other event: actor type system."""
    from starlette.testclient import TestClient

    from shared.api.app import create_app
    from shared.auth.tokens import mint_user_token

    project_id, owner, container = world
    run(capsys, "--apply")
    with TestClient(create_app(container=lambda: container)) as client:
        answer = client.get(f"/api/projects/{project_id}/secrets/audit", params={"action": "import"},
                            headers={"Authorization": f"Bearer {mint_user_token(jwt_secret, owner.user_id)}"})
    assert answer.status_code == 200, answer.text
    events = answer.json()["events"]
    assert sorted(e["secret_name"] for e in events) == sorted(GOOD)
    assert {(e["actor_type"], e["actor_id"], e["metadata"]["source"]) for e in events} == {
        ("system", "import-legacy", "legacy")}
    assert "sk_test_fake" not in answer.text


def test_a_suggestion_avoids_the_names_of_rows_still_to_come(cli_env, capsys):
    """`api-key` would become API_KEY, but a row API_KEY waits: the suggestion is API_KEY_2,
    whichever of the two the run meets first."""
    project_id, _ = add_meshhook_project(cli_env["DATABASE_URL"])
    add_legacy_rows(cli_env["DATABASE_URL"], project_id, {"api-key": b"fake-dash", "API_KEY": b"fake-upper"})
    rows, summary = run(capsys, "--apply", "--rename-invalid")
    assert {r["key"]: (r["status"], r["name"]) for r in rows} == {
        "api-key": ("imported", "API_KEY_2"), "API_KEY": ("imported", "API_KEY")}


def test_database_down_is_exit_75_with_a_rerun_hint(cli_env, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/meshhook")  # nothing listens there
    assert main(["import-legacy", "--apply"]) == 75
    assert "database unavailable" in capsys.readouterr().err


def test_a_full_project_is_reported_not_overfilled(cli_env, monkeypatch, capsys):
    monkeypatch.setenv("MESHHOOK_MAX_SECRETS", "1")
    project_id, _ = add_meshhook_project(cli_env["DATABASE_URL"])
    add_legacy_rows(cli_env["DATABASE_URL"], project_id, {"FIRST": b"fake-1", "SECOND": b"fake-2"})
    rows, summary = run(capsys, "--apply")
    assert sorted((r["key"], r["status"]) for r in rows) == [("FIRST", "imported"), ("SECOND", "project_full")]
    assert summary["left"] == 1
