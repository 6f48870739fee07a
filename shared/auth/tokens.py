"""Who is calling: verify a bearer token and turn it into a Principal.

Three kinds of caller, all Supabase-shaped JWTs:
- a user: a Supabase access token, `role=authenticated`, `aud=authenticated`, `sub`;
  HS256 with the project's JWT secret, or ES256/RS256 with a key from its JWKS;
- a workflow run: `role=workflow_runner`, `project_id`, `run_id`, short `exp`, HS256,
  minted by MeshHook's orchestrator; it may resolve that one project's secrets;
- Supabase's service key: `role=service_role`, HS256 or JWKS.
Every failure is the same 401, whatever was wrong with the token.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from shared.auth.principal import Principal
from shared.errors import Unauthorized

ASYMMETRIC_ALGORITHMS = ("ES256", "RS256")
RUNNER_TOKEN_MAX_TTL = 24 * 3600


class TokenVerifier:
    def __init__(
        self, *, jwt_secret: str | None, jwks_url: str | None, leeway: int = 5,
        jwks_refetch_cooldown: float = 30,
    ) -> None:
        if not jwt_secret and not jwks_url:
            raise ValueError("a JWT secret or a JWKS URL is required")
        self._secret = jwt_secret
        # The key set is cached for 10 minutes and fetched again when a token names an
        # unknown kid (a rotated key), at most once per cooldown, so a flood of forged kids
        # can't turn the verifier against the JWKS endpoint.
        self._jwks = (jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=600, timeout=5,
                                      cooldown_duration=jwks_refetch_cooldown)
                      if jwks_url else None)
        self._leeway = leeway

    def verify(self, token: str) -> Principal:
        try:
            claims = self._decode(token)
            return _principal(claims)
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            raise Unauthorized("invalid or expired access token") from None

    def _decode(self, token: str) -> dict[str, Any]:
        alg = jwt.get_unverified_header(token).get("alg")
        options = {"require": ["exp"], "verify_aud": False}
        if alg == "HS256" and self._secret:
            # Only ever the shared secret: a public key is never used as an HMAC secret.
            return jwt.decode(token, self._secret, algorithms=["HS256"], options=options, leeway=self._leeway)
        if alg in ASYMMETRIC_ALGORITHMS and self._jwks is not None:
            # PyJWKClient refetches the key set once when the kid is unknown (key rotation).
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            if signing_key.algorithm_name != alg:
                raise ValueError("algorithm does not match the key")
            return jwt.decode(token, signing_key.key, algorithms=[alg], options=options, leeway=self._leeway)
        raise ValueError("unsupported algorithm")


def _principal(claims: dict[str, Any]) -> Principal:
    role = claims.get("role")
    if role == "authenticated":
        aud = claims.get("aud")
        if aud != "authenticated" and not (isinstance(aud, list) and "authenticated" in aud):
            raise ValueError("wrong audience")
        return Principal("user", user_id=uuid.UUID(str(claims["sub"])))
    if role == "workflow_runner":
        if claims["exp"] - claims.get("iat", claims["exp"]) > RUNNER_TOKEN_MAX_TTL:
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
