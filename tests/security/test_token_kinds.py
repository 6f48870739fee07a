"""Finding 7 of issue #12: runner tokens and the service key are HS256 only, a runner token
must carry `iat` (the 24 h cap is measured from it), and a run may only resolve."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.auth.tokens import TokenVerifier, mint_runner_token
from shared.errors import Unauthorized
from tests.security.test_jwks import jwk_of


def test_runner_token_without_iat_is_refused(jwt_secret):
    """Before: no `iat`, no lifetime check: a runner token could live for years."""
    verifier = TokenVerifier(jwt_secret=jwt_secret, jwks_url=None)
    claims = {"role": "workflow_runner", "project_id": str(uuid.uuid4()), "run_id": "run_no_iat",
              "exp": int(time.time()) + 10 * 365 * 24 * 3600}
    with pytest.raises(Unauthorized):
        verifier.verify(jwt.encode(claims, jwt_secret, algorithm="HS256"))
    claims["iat"] = int(time.time())  # with iat, a ten-year lifetime is refused as before
    with pytest.raises(Unauthorized):
        verifier.verify(jwt.encode(claims, jwt_secret, algorithm="HS256"))


@pytest.mark.parametrize("kind", ["ES256", "RS256"])
@pytest.mark.parametrize("role", ["service_role", "workflow_runner"])
def test_jwks_signed_service_and_runner_tokens_are_refused(jwks, jwt_secret, kind, role):
    """Before: a JWKS key could mint service_role (any project) and runner tokens."""
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "ES256" else rsa.generate_private_key(
        public_exponent=65537, key_size=2048)
    jwks.keys = [jwk_of(key, "kid-1")]
    verifier = TokenVerifier(jwt_secret=jwt_secret, jwks_url=jwks.url)
    now = int(time.time())
    claims = {"role": role, "iat": now, "exp": now + 300, "project_id": str(uuid.uuid4()), "run_id": "r1"}
    with pytest.raises(Unauthorized):
        verifier.verify(jwt.encode(claims, key, algorithm=kind, headers={"kid": "kid-1"}))
    user = {"sub": str(uuid.uuid4()), "role": "authenticated", "aud": "authenticated", "iat": now, "exp": now + 300}
    assert verifier.verify(jwt.encode(user, key, algorithm=kind, headers={"kid": "kid-1"})).kind == "user"


def test_runner_cannot_read_the_project(client, project, jwt_secret):
    """Before: GET /api/projects/{id} answered 200 with the project's name to a run."""
    token = mint_runner_token(jwt_secret, project.id, "run_reads_project")
    r = client.get(f"/api/projects/{project.id}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "forbidden"
    other = mint_runner_token(jwt_secret, uuid.uuid4(), "run_other_project")
    assert client.get(f"/api/projects/{project.id}",
                      headers={"Authorization": f"Bearer {other}"}).status_code == 404
