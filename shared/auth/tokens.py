"""Who is calling: verify a bearer token and turn it into a Principal.

Three kinds of caller, all Supabase-shaped JWTs:
- a user: a Supabase access token, `role=authenticated`, `aud=authenticated`, `sub`;
  HS256 with the project's JWT secret, or ES256/RS256 with a key from its JWKS;
- a workflow run: `role=workflow_runner`, `project_id`, `run_id`, short `exp`, HS256,
  minted by MeshHook's orchestrator; it may resolve that one project's secrets;
- Supabase's service key: `role=service_role`, HS256.
Runner tokens and the service key are minted with the JWT secret, never by Supabase Auth:
they are accepted as HS256 only, whatever key a JWKS holds. A runner token must carry
`iat` and live at most 24 h. Every failure is the same 401, whatever was wrong with the token.

`verify_cached` never blocks (the API calls it on the event loop); it raises NeedsFetch
when the token needs a JWKS fetch, which `verify` does (the API calls that one in a
worker thread). See shared/auth/jwks.py for the key set's lifetime and cooldown.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt

from shared.auth.jwks import JwksCache, JwksUnavailable, NeedsFetch
from shared.auth.principal import Principal
from shared.errors import Unauthorized

ASYMMETRIC_ALGORITHMS = ("ES256", "RS256")
RUNNER_TOKEN_MAX_TTL = 24 * 3600


class TokenVerifier:
    def __init__(
        self, *, jwt_secret: str | None, jwks_url: str | None, leeway: int = 5,
        jwks_refetch_cooldown: float = 30, jwks_max_age: float = 600, jwks_timeout: float = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not jwt_secret and not jwks_url:
            raise ValueError("a JWT secret or a JWKS URL is required")
        self._secret = jwt_secret
        self.jwks = (JwksCache(jwks_url, max_age=jwks_max_age, cooldown=jwks_refetch_cooldown,
                               timeout=jwks_timeout, clock=clock)
                     if jwks_url else None)
        self._leeway = leeway

    def verify(self, token: str) -> Principal:
        """The caller; may fetch the JWKS (blocking: call it off the event loop)."""
        return self._verify(token, cached_only=False)

    def verify_cached(self, token: str) -> Principal:
        """The caller, from memory only; NeedsFetch if the JWKS must be fetched first."""
        return self._verify(token, cached_only=True)

    def _verify(self, token: str, *, cached_only: bool) -> Principal:
        try:
            alg, claims = self._decode(token, cached_only)
            return _principal(claims, alg)
        except NeedsFetch:
            raise
        except (jwt.PyJWTError, JwksUnavailable, ValueError, KeyError, TypeError):
            raise Unauthorized("invalid or expired access token") from None

    def _decode(self, token: str, cached_only: bool) -> tuple[str, dict[str, Any]]:
        header = jwt.get_unverified_header(token)
        alg = header.get("alg")
        options = {"require": ["exp"], "verify_aud": False}
        if alg == "HS256" and self._secret:
            # Only ever the shared secret: a public key is never used as an HMAC secret.
            return alg, jwt.decode(token, self._secret, algorithms=["HS256"], options=options,
                                   leeway=self._leeway)
        if alg in ASYMMETRIC_ALGORITHMS and self.jwks is not None:
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise ValueError("a JWKS token names its key")
            key = (self.jwks.lookup_cached if cached_only else self.jwks.lookup)(kid)
            if key is None:
                raise ValueError("no such key in the current key set")
            if key.algorithm_name != alg:
                raise ValueError("algorithm does not match the key")
            return alg, jwt.decode(token, key.key, algorithms=[alg], options=options, leeway=self._leeway)
        raise ValueError("unsupported algorithm")


def _principal(claims: dict[str, Any], alg: str) -> Principal:
    role = claims.get("role")
    if role == "authenticated":
        aud = claims.get("aud")
        if aud != "authenticated" and not (isinstance(aud, list) and "authenticated" in aud):
            raise ValueError("wrong audience")
        return Principal("user", user_id=uuid.UUID(str(claims["sub"])))
    if alg != "HS256":
        raise ValueError("runner tokens and the service key are HS256 only")
    if role == "workflow_runner":
        iat, exp = claims["iat"], claims["exp"]  # a runner token without iat: KeyError, 401
        if not isinstance(iat, int | float) or exp - iat > RUNNER_TOKEN_MAX_TTL:
            raise ValueError("runner token lives too long")
        run_id = str(claims["run_id"])
        if not run_id or len(run_id) > 200:
            raise ValueError("bad run id")
        return Principal("runner", project_id=uuid.UUID(str(claims["project_id"])), run_id=run_id)
    if role == "service_role":
        return Principal("service")
    raise ValueError("role not accepted")


def mint_user_token(secret: str, user_id: uuid.UUID, *, ttl: int = 3600, email: str | None = None) -> str:
    """A Supabase-shaped access token, for development and tests."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id), "role": "authenticated", "aud": "authenticated",
        "iat": now, "exp": now + ttl,
    }
    if email:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm="HS256")


def mint_runner_token(secret: str, project_id: uuid.UUID, run_id: str, *, ttl: int = 900) -> str:
    """What MeshHook's orchestrator mints for one workflow run."""
    now = int(time.time())
    claims = {"role": "workflow_runner", "project_id": str(project_id), "run_id": run_id,
              "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def mint_service_token(secret: str, *, ttl: int = 3600) -> str:
    now = int(time.time())
    return jwt.encode({"role": "service_role", "iss": "supabase", "iat": now, "exp": now + ttl},
                      secret, algorithm="HS256")
