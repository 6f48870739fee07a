"""Configuration from the environment, validated once at start-up.

A missing or malformed setting raises `ConfigError` with one line naming the variable,
so a misconfigured Lambda fails at its first invocation with an obvious log line.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
from collections.abc import Mapping

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)


class ConfigError(Exception):
    """One line naming the setting that is wrong. Never contains the setting's value."""


def parse_root_key(text: str) -> bytes:
    """A local root key from its base64 text: exactly 32 bytes, or ValueError (no detail:
    the message must not echo the key)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64 of exactly 32 bytes") from None
    if len(raw) != 32:
        raise ValueError("must be base64 of exactly 32 bytes")
    if not any(raw):  # all zeros: a placeholder copied from an example, not a key
        raise ValueError("is all zero bytes, a placeholder, not a random key")
    return raw


class Settings(BaseModel):
    """Every setting; `from_environ` reads them from environment variables. Each field's
    variable is its alias if it has one, else its name, ignoring case.

    A plain pydantic model rather than pydantic-settings' BaseSettings: reading a flat set of
    variables is a dictionary lookup, and importing pydantic-settings (every settings source
    it offers, its CLI parser included) cost a cold Lambda about a fifth of FastAPI's own
    import time."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    database_url: SecretStr
    supabase_jwt_secret: SecretStr | None = None
    supabase_jwks_url: str | None = None
    meshhook_root_key: SecretStr | None = None
    meshhook_kms_key_id: str | None = None
    aws_region: str | None = None

    db_pool_max: int = Field(default=10, ge=1, le=200)
    cors_origins: str = Field(default="", alias="MESHHOOK_CORS_ORIGINS")
    kek_max_age_days: int = Field(default=90, ge=1, alias="MESHHOOK_KEK_MAX_AGE_DAYS")
    max_value_bytes: int = Field(default=64 * 1024, ge=1, alias="MESHHOOK_MAX_VALUE_BYTES")
    max_secrets_per_project: int = Field(default=1000, ge=1, alias="MESHHOOK_MAX_SECRETS")
    max_body_bytes: int = Field(default=128 * 1024, ge=1024, alias="MESHHOOK_MAX_BODY_BYTES")
    reveals_per_minute: int = Field(default=60, ge=1, alias="MESHHOOK_REVEALS_PER_MINUTE")
    # The JWKS key set's lifetime (a key removed from the JWKS is refused at most this long
    # after) and the pause after a fetch that failed or found no new key (shared/auth/jwks.py).
    jwks_cache_seconds: float = Field(default=600, ge=0, le=600, alias="MESHHOOK_JWKS_CACHE_SECONDS")
    jwks_cooldown_seconds: float = Field(default=30, ge=0, le=3600, alias="MESHHOOK_JWKS_COOLDOWN_SECONDS")
    # Comma-separated proxy addresses (or CIDRs) whose X-Forwarded-For / -Proto `serve`
    # believes; none by default, so the audit IP is the peer's own address.
    trusted_proxies: str = Field(default="", alias="MESHHOOK_TRUSTED_PROXIES")

    max_versions: int = Field(default=10, ge=1, le=1000, alias="MESHHOOK_MAX_VERSIONS")
    max_import_bytes: int = Field(default=1024 * 1024, ge=1024, alias="MESHHOOK_MAX_IMPORT_BYTES")
    # Lets non-loopback clients read `GET /metrics` under serve (shared/observability/endpoint.py).
    metrics_token: SecretStr | None = Field(default=None, alias="MESHHOOK_METRICS_TOKEN")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """The settings from `environ` (the process environment by default); `overrides`,
        by field name or alias, win over it."""
        env = {k.lower(): v for k, v in (os.environ if environ is None else environ).items()}
        data: dict[str, object] = {}
        for name, field in cls.model_fields.items():
            variable = field.alias or name
            if variable.lower() in env:
                data[variable] = env[variable.lower()]
        return cls.model_validate({**data, **overrides})

    @field_validator("supabase_jwt_secret")
    @classmethod
    def _jwt_secret_is_long(cls, v: SecretStr | None) -> SecretStr | None:
        # HS256 with a short secret can be brute-forced offline from one token. Supabase's
        # secrets are 40+ characters; RFC 7518 asks for a key as long as the hash (32 bytes).
        if v is not None and v.get_secret_value() and len(v.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes")
        return v

    @field_validator("meshhook_root_key")
    @classmethod
    def _root_key_is_32_bytes(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            parse_root_key(v.get_secret_value())
        return v

    @model_validator(mode="after")
    def _one_of_each(self) -> Settings:
        if not self.supabase_jwt_secret and not self.supabase_jwks_url:
            raise ValueError("SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL must be set")
        if not self.meshhook_root_key and not self.meshhook_kms_key_id:
            raise ValueError("MESHHOOK_ROOT_KEY or MESHHOOK_KMS_KEY_ID must be set")
        if self.meshhook_kms_key_id and not self.aws_region:
            raise ValueError("AWS_REGION must be set with MESHHOOK_KMS_KEY_ID")
        return self

    def root_key_bytes(self) -> bytes | None:
        if self.meshhook_root_key is None:
            return None
        return parse_root_key(self.meshhook_root_key.get_secret_value())

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, v: str) -> str:
        import ipaddress

        for item in (p.strip() for p in v.split(",")):
            if item:
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError("must be comma-separated IP addresses or CIDR networks") from None
        return v

    def uvicorn_proxy_options(self) -> dict[str, object]:
        """uvicorn's proxy settings: X-Forwarded-* believed only from the trusted proxies
        (uvicorn's own default trusts 127.0.0.1, so anything local could set the audit IP)."""
        proxies = [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]
        if not proxies:
            return {"proxy_headers": False}
        return {"proxy_headers": True, "forwarded_allow_ips": proxies}


def load_settings() -> Settings:
    try:
        return Settings.from_environ()
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    err = exc.errors(include_input=False)[0]
    field = ".".join(str(p) for p in err.get("loc", ()))
    message = err.get("msg", "invalid").removeprefix("Value error, ")
    if not field:
        return message
    if err.get("type") == "missing":
        return f"{field.upper()} is not set"
    return f"{field.upper()}: {message}"


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once (a warm Lambda reuses them)."""
    return load_settings()
