"""The process-wide objects, built once from settings: a warm Lambda reuses them.

Nothing here connects at import time; the pool opens on the first request, and the
root key provider is chosen from the environment (local key or AWS KMS).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from shared.auth.tokens import TokenVerifier
from shared.config import Settings, get_settings
from shared.crypto.root_keys import KmsRootKey, LocalRootKey, RootKey
from shared.keys.keystore import KeyStore
from shared.secrets.limits import Limits
from shared.secrets.service import SecretsService
from shared.store.database import Database


@dataclass
class Container:
    settings: Settings
    db: Database
    keys: KeyStore
    service: SecretsService
    verifier: TokenVerifier

    def close(self) -> None:
        self.db.close()


def root_key_from(settings: Settings) -> RootKey:
    raw = settings.root_key_bytes()
    if raw is not None:
        return LocalRootKey(raw)
    return KmsRootKey.connect(settings.meshhook_kms_key_id or "", settings.aws_region or "")


def build_container(settings: Settings, *, root_key: RootKey | None = None) -> Container:
    db = Database(settings.database_url.get_secret_value(), max_size=settings.db_pool_max)
    keys = KeyStore(db, root_key or root_key_from(settings))
    limits = Limits(
        max_value_bytes=settings.max_value_bytes,
        max_secrets_per_project=settings.max_secrets_per_project,
        reveals_per_minute=settings.reveals_per_minute,
        max_versions=settings.max_versions,
        max_import_bytes=settings.max_import_bytes,
    )
    secret = settings.supabase_jwt_secret.get_secret_value() if settings.supabase_jwt_secret else None
    verifier = TokenVerifier(jwt_secret=secret, jwks_url=settings.supabase_jwks_url,
                             jwks_max_age=settings.jwks_cache_seconds,
                             jwks_refetch_cooldown=settings.jwks_cooldown_seconds)
    return Container(settings, db, keys, SecretsService(db, keys, limits), verifier)


@functools.cache
def default_container() -> Container:
    return build_container(get_settings())
