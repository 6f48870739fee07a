"""Configuration from the environment, validated once at start-up.

A missing or malformed setting raises `ConfigError` with one line naming the variable,
so a misconfigured Lambda fails at its first invocation with an obvious log line.
"""

from __future__ import annotations

import base64
import binascii
import functools

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """One line naming the setting that is wrong. Never contains the setting's value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

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
    # Lets non-loopback clients read `GET /metrics` under serve (shared/observability/endpoint.py).
    metrics_token: SecretStr | None = Field(default=None, alias="MESHHOOK_METRICS_TOKEN")

    @field_validator("meshhook_root_key")
    @classmethod
    def _root_key_is_32_bytes(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            try:
                raw = base64.b64decode(v.get_secret_value(), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("must be base64 of exactly 32 bytes") from None
            if len(raw) != 32:
                raise ValueError("must be base64 of exactly 32 bytes")
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
        return base64.b64decode(self.meshhook_root_key.get_secret_value())

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


def load_settings() -> Settings:
    try:
        return Settings()  # type: ignore[call-arg]
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
