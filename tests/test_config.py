"""Start-up configuration: a missing or malformed setting is one line naming it."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from shared.config import ConfigError, load_settings

GOOD = {"DATABASE_URL": "postgresql://x@/y", "SUPABASE_JWT_SECRET": "test-secret-not-real-0123456789abcdef",
        "MESHHOOK_ROOT_KEY": base64.b64encode(b"k" * 32).decode()}


@pytest.mark.parametrize(("change", "named"), [
    ({"DATABASE_URL": None}, "DATABASE_URL is not set"),
    ({"MESHHOOK_ROOT_KEY": "not base64!"}, "MESHHOOK_ROOT_KEY"),
    ({"MESHHOOK_ROOT_KEY": base64.b64encode(b"short").decode()}, "MESHHOOK_ROOT_KEY"),
    ({"SUPABASE_JWT_SECRET": None}, "SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL"),
    ({"MESHHOOK_ROOT_KEY": None}, "MESHHOOK_ROOT_KEY or MESHHOOK_KMS_KEY_ID"),
    ({"MESHHOOK_ROOT_KEY": None, "MESHHOOK_KMS_KEY_ID": "alias/x"}, "AWS_REGION"),
    ({"DB_POOL_MAX": "lots"}, "DB_POOL_MAX"),
])
def test_bad_setting_is_one_line_naming_it(monkeypatch, change, named):
    for key, value in {**GOOD, **change}.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    message = str(err.value)
    assert named in message and "\n" not in message
    assert GOOD["MESHHOOK_ROOT_KEY"] not in message and "not base64!" not in message


def test_good_settings_load_and_hide_secrets(monkeypatch):
    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.root_key_bytes() == b"k" * 32
    assert "test-secret" not in repr(settings) and GOOD["MESHHOOK_ROOT_KEY"] not in repr(settings)


def test_serve_with_bad_setting_stops_with_one_line():
    env = {k: v for k, v in GOOD.items() if k != "MESHHOOK_ROOT_KEY"}
    env["PATH"] = "/usr/bin:/bin"
    out = subprocess.run([sys.executable, "-m", "shared.cli.main", "serve", "--port", "1"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip() == ("meshhook-secrets: configuration error: "
                                  "MESHHOOK_ROOT_KEY or MESHHOOK_KMS_KEY_ID must be set")


def test_variables_are_read_by_alias_or_name_ignoring_case_and_overrides_win():
    from shared.config import Settings

    env = {"database_url": "postgresql://x@/y", "Supabase_Jwt_Secret": GOOD["SUPABASE_JWT_SECRET"],
           "MESHHOOK_ROOT_KEY": GOOD["MESHHOOK_ROOT_KEY"], "meshhook_max_versions": "7",
           "MAX_VERSIONS": "99", "DB_POOL_MAX": "3"}
    settings = Settings.from_environ(env, db_pool_max=1)
    assert settings.database_url.get_secret_value() == "postgresql://x@/y"
    # An aliased setting is read from its variable only, not from its field's name.
    assert settings.max_versions == 7
    assert settings.db_pool_max == 1

