"""Finding 8 of issue #12, the smaller ones: /api/docs without a CDN, no dotfiles from the
UI build, weak settings refused, a failed integrity check audited, the KMS grant scoped,
the dev sign-in flag, and X-Forwarded-For believed only from trusted proxies."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from shared.config import ConfigError, Settings, load_settings
from tests.api.conftest import secrets_url
from tests.resilience.conftest import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]


def test_api_docs_load_nothing_from_another_origin(client):
    """Before: Swagger UI's script and CSS came from a CDN (a third-party script on a page
    that holds the user's token)."""
    r = client.get("/api/docs")
    assert r.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", r.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for url in urls:
        if url.startswith("/api/docs/"):
            assert client.get(url).status_code == 200, url


@pytest.fixture
def ui_dir(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>ui</title>")
    (tmp_path / ".meshhook-built").write_text("build-stamp-0000")
    (tmp_path / "_app").mkdir()
    (tmp_path / "_app" / "app.js").write_text("console.log('ui')")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]")
    return tmp_path


def test_ui_dotfiles_are_not_served(app_with, ui_dir):
    with TestClient(app_with(static_dir=ui_dir)) as c:
        for path in ("/.meshhook-built", "/.git/config", "/_app/.hidden"):
            r = c.get(path)
            assert r.status_code == 404 and "build-stamp" not in r.text and "[core]" not in r.text, path
        assert c.get("/_app/app.js").text == "console.log('ui')"
        assert "<title>ui</title>" in c.get("/projects/x/secrets").text  # the SPA's routes


GOOD = {"DATABASE_URL": "postgresql://x@/y", "SUPABASE_JWT_SECRET": "fake-jwt-secret-for-tests-0123456789",
        "MESHHOOK_ROOT_KEY": base64.b64encode(b"fake-root-key-for-tests-only-000").decode()}


@pytest.mark.parametrize(("change", "named"), [
    ({"SUPABASE_JWT_SECRET": "x"}, "SUPABASE_JWT_SECRET"),
    ({"SUPABASE_JWT_SECRET": "a" * 31}, "SUPABASE_JWT_SECRET"),
    ({"MESHHOOK_ROOT_KEY": base64.b64encode(bytes(32)).decode()}, "MESHHOOK_ROOT_KEY"),
    ({"MESHHOOK_TRUSTED_PROXIES": "everyone"}, "MESHHOOK_TRUSTED_PROXIES"),
])
def test_weak_settings_stop_start_up(monkeypatch, change, named):
    for key, value in {**GOOD, **change}.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert named in str(info.value) and change[named] not in str(info.value)


def test_failed_integrity_check_is_audited(env, make_project, sql):
    """Before: a reveal of a tampered row rolled back with no audit row at all. After: a
    `failure` row, written in its own transaction on the SAME single connection."""
    from shared.api.app import create_app
    from shared.container import build_container

    container = build_container(Settings.from_environ(env, db_pool_max=1))
    project = make_project()
    try:
        with TestClient(create_app(container=lambda: container), raise_server_exceptions=False) as c:
            r = c.post(secrets_url(project.id), json={"name": "TAMPERED", "value": "fake-value-to-tamper"},
                       headers=project.auth("owner"))
            secret_id = r.json()["secret"]["id"]
            sql.execute("update project_secret_versions set ciphertext = set_byte(ciphertext, 20,"
                        " get_byte(ciphertext, 20) # 1) where secret_id = %s", (secret_id,))
            r = c.post(secrets_url(project.id, secret_id, "reveal"), headers=project.auth("owner"))
            assert r.status_code == 500 and r.json()["error"] == "internal"
    finally:
        container.close()
    rows = sql.execute("select action, outcome, actor_id from secret_audit_events where secret_id = %s"
                       " and action = 'reveal'", (secret_id,)).fetchall()
    assert rows == [("reveal", "failure", str(project.owner))]


def test_kms_grant_is_not_every_key_of_every_account():
    text = (ROOT / "serverless.yml").read_text()
    statement = text[text.index("kms:Decrypt"):text.index("kms:EncryptionContext")]
    (resource,) = re.findall(r"Resource: (.+)", statement)
    assert ":*:*:" not in resource, resource
    assert "${AWS::AccountId}" in resource and "${AWS::Region}" in resource  # the deploying account


def test_dev_login_flag_only_under_dev(app_with, ui_dir):
    """The UI takes `#access_token=` links only when /api/dev-config says so (login CSRF)."""
    from shared.cli.dev.server import dev_app

    with TestClient(app_with(static_dir=ui_dir)) as served:
        r = served.get("/api/dev-config")
        assert r.status_code == 404 and r.json()["error"] == "not_found"
    with TestClient(dev_app(app_with(static_dir=ui_dir))) as dev:
        r = dev.get("/api/dev-config")
        assert r.status_code == 200 and r.json() == {"dev_login": True}
        assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("trusted", "expected"), [("", "127.0.0.1"), ("127.0.0.1", "203.0.113.9")])
def test_forwarded_for_is_believed_only_from_trusted_proxies(app_with, env, project, sql, trusted, expected):
    """Before: uvicorn trusted X-Forwarded-For from 127.0.0.1, so anything local set the
    audit IP. After: only from MESHHOOK_TRUSTED_PROXIES (none by default)."""
    settings = Settings.from_environ(env, MESHHOOK_TRUSTED_PROXIES=trusted)
    live = serve_in_thread(app_with(), **settings.uvicorn_proxy_options())
    try:
        r = httpx.post(f"{live.base_url}{secrets_url(project.id)}", json={"name": f"IP_{len(trusted)}",
                       "value": "fake-value-ip"}, headers={**project.auth("owner"), "X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 201, r.text
    finally:
        live.stop()
    ip = sql.execute("select host(ip_address) from secret_audit_events where secret_id = %s",
                     (r.json()["secret"]["id"],)).fetchone()[0]
    assert ip == expected
