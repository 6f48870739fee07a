"""Forged, expired and misdirected tokens are all the same 401; JWKS keys are honoured."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.auth.tokens import TokenVerifier
from shared.errors import Unauthorized
from tests.api.conftest import secrets_url
from tests.support.http_stub import serve


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(user: uuid.UUID, **override) -> dict:
    now = int(time.time())
    return {"sub": str(user), "role": "authenticated", "aud": "authenticated", "iat": now,
            "exp": now + 600, **override}


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key, kid: str, alg: str) -> dict:
    algorithm = jwt.algorithms.ECAlgorithm if alg == "ES256" else jwt.algorithms.RSAAlgorithm
    return {**json.loads(algorithm.to_jwk(key.public_key())), "kid": kid, "alg": alg, "use": "sig"}


@pytest.fixture(scope="module")
def jwks_keys(ec_key) -> list[dict]:
    """The key set the JWKS endpoint serves; a test may append to it (a key rotation)."""
    return [public_jwk(ec_key, "test-kid-1", "ES256")]


@pytest.fixture(scope="module")
def jwks_url(jwks_keys):
    """A JWKS document served on localhost, as Supabase serves its signing keys; read
    afresh on each fetch, so a key a test appends is served."""

    def answer(request: dict) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/json"}, json.dumps({"keys": jwks_keys}).encode()

    with serve(answer) as stub:
        yield f"{stub.url}/auth/v1/.well-known/jwks.json"


@pytest.fixture
def verifier(jwt_secret, jwks_url):
    return TokenVerifier(jwt_secret=jwt_secret, jwks_url=jwks_url)


def test_es256_token_verified_through_jwks(verifier, ec_key):
    user = uuid.uuid4()
    token = jwt.encode(claims_for(user), ec_key, algorithm="ES256", headers={"kid": "test-kid-1"})
    principal = verifier.verify(token)
    assert principal.kind == "user" and principal.user_id == user


def test_new_signing_key_is_fetched_on_unknown_kid(jwt_secret, jwks_url, jwks_keys, ec_key):
    """Supabase rotates its signing keys: a token with a kid the cached set lacks makes the
    verifier fetch the set again, instead of failing until the cache expires. (In service
    such a refetch happens at most once per 30 s cooldown; here the cooldown is 0.)"""
    from cryptography.hazmat.primitives.asymmetric import rsa

    verifier = TokenVerifier(jwt_secret=jwt_secret, jwks_url=jwks_url, jwks_refetch_cooldown=0)
    user = uuid.uuid4()
    old = jwt.encode(claims_for(user), ec_key, algorithm="ES256", headers={"kid": "test-kid-1"})
    assert verifier.verify(old).user_id == user  # the key set is now cached
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims_for(user), new_key, algorithm="RS256", headers={"kid": "rotated-rs256"})
    jwks_keys.append(public_jwk(new_key, "rotated-rs256", "RS256"))  # published after caching
    try:
        assert verifier.verify(token).user_id == user  # fetched again on the unknown kid
        # A token whose header claims another algorithm than its key's is still refused.
        forged = jwt.encode(claims_for(user), new_key, algorithm="PS256", headers={"kid": "rotated-rs256"})
        with pytest.raises(Unauthorized):
            verifier.verify(forged)
    finally:
        jwks_keys.pop()


def forged_tokens(jwt_secret: str, ec_key) -> dict[str, str]:
    user = uuid.uuid4()
    good = claims_for(user)
    header_none = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    public_pem = ec_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    payload = b64url(json.dumps(good).encode())
    signing_input = f"{b64url(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': 'test-kid-1'}).encode())}.{payload}"
    import hashlib
    import hmac
    hs_with_public_key = signing_input + "." + b64url(
        hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    other_ec = ec.generate_private_key(ec.SECP256R1())
    return {
        "alg_none": f"{header_none}.{payload}.",
        "wrong_secret": jwt.encode(good, "not-the-secret-at-all-0123456789", algorithm="HS256"),
        "expired": jwt.encode(claims_for(user, exp=int(time.time()) - 120), jwt_secret, algorithm="HS256"),
        "no_exp": jwt.encode({k: v for k, v in good.items() if k != "exp"}, jwt_secret, algorithm="HS256"),
        "wrong_audience": jwt.encode(claims_for(user, aud="anon"), jwt_secret, algorithm="HS256"),
        "no_audience": jwt.encode({k: v for k, v in good.items() if k != "aud"}, jwt_secret, algorithm="HS256"),
        "anon_role": jwt.encode(claims_for(user, role="anon"), jwt_secret, algorithm="HS256"),
        "hs256_signed_with_jwks_public_key": hs_with_public_key,
        "es256_unknown_key": jwt.encode(good, other_ec, algorithm="ES256", headers={"kid": "test-kid-1"}),
        "es256_unknown_kid": jwt.encode(good, other_ec, algorithm="ES256", headers={"kid": "nope"}),
        "hs512": jwt.encode(good, jwt_secret, algorithm="HS512"),
        "sub_not_uuid": jwt.encode(claims_for(user, sub="admin"), jwt_secret, algorithm="HS256"),
        "runner_without_project": jwt.encode({"role": "workflow_runner", "run_id": "r1",
                                              "exp": int(time.time()) + 60}, jwt_secret, algorithm="HS256"),
        "garbage": "not.a.jwt",
        "empty": "",
    }


def test_every_forged_token_is_rejected_by_the_verifier(verifier, jwt_secret, ec_key):
    for name, token in forged_tokens(jwt_secret, ec_key).items():
        with pytest.raises(Unauthorized):
            verifier.verify(token)
            pytest.fail(f"{name} was accepted")


def test_forged_tokens_get_401_over_http(client, project, create, jwt_secret, ec_key):
    create(project)
    for name, token in forged_tokens(jwt_secret, ec_key).items():
        r = client.get(secrets_url(project.id), headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, name
        assert r.json() == {"error": "unauthorized", "message": r.json()["message"]}
        assert token[:20] not in r.text or not token
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        assert client.get(secrets_url(project.id), headers=headers).status_code == 401
