"""Findings 1 and 2 of issue #12: the JWKS key set expires, a removed key is refused, a
fetch never blocks other requests, one fetch at a time, and a failing JWKS is called at
most once per cooldown. Tokens minted by another JWT library (joserfc) verify too."""

from __future__ import annotations

import concurrent.futures
import json
import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from shared.auth.tokens import TokenVerifier
from shared.errors import Unauthorized
from tests.resilience.conftest import serve_in_thread
from tests.security.conftest import FakeClock


def jwk_of(key, kid: str) -> dict:
    alg, algorithm = (("ES256", jwt.algorithms.ECAlgorithm) if isinstance(key, ec.EllipticCurvePrivateKey)
                      else ("RS256", jwt.algorithms.RSAAlgorithm))
    return {**json.loads(algorithm.to_jwk(key.public_key())), "kid": kid, "alg": alg, "use": "sig"}


def user_token(key, kid: str, user: uuid.UUID | None = None, **claims) -> str:
    now = int(time.time())
    alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
    body = {"sub": str(user or uuid.uuid4()), "role": "authenticated", "aud": "authenticated",
            "iat": now, "exp": now + 600, **claims}
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


@pytest.fixture(scope="module")
def key_a():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def key_b():
    return ec.generate_private_key(ec.SECP256R1())


def test_removed_key_is_refused_once_the_set_is_fetched_again(jwks, jwt_secret, key_a, key_b):
    """Before: PyJWKClient cached get_signing_key in an LRU cache with no expiry; a key
    removed from the JWKS kept verifying forever. After: at most `jwks_max_age` later."""
    clock = FakeClock()
    verifier = TokenVerifier(jwt_secret=jwt_secret, jwks_url=jwks.url, jwks_max_age=600, clock=clock)
    jwks.keys = [jwk_of(key_a, "kid-a")]
    old = user_token(key_a, "kid-a")
    assert verifier.verify(old).kind == "user"

    jwks.keys = [jwk_of(key_b, "kid-b")]  # Supabase revokes key A
    clock.advance(599)
    assert verifier.verify(old).kind == "user"  # the cached set is still current
    clock.advance(2)  # the set is now older than its lifetime: fetched again, A is gone
    with pytest.raises(Unauthorized):
        verifier.verify(old)
    assert verifier.verify(user_token(key_b, "kid-b")).kind == "user"
    assert jwks.hits == 2


def test_cache_lifetime_setting_is_bounded(monkeypatch):
    from shared.config import ConfigError, load_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql://x@/y")
    monkeypatch.setenv("SUPABASE_JWKS_URL", "https://example.invalid/jwks.json")
    monkeypatch.setenv("MESHHOOK_ROOT_KEY", "a2V5LWZvci10ZXN0cy1vbmx5LW5vdC1yZWFsLTAwMDA=")
    monkeypatch.setenv("MESHHOOK_JWKS_CACHE_SECONDS", "3600")
    with pytest.raises(ConfigError, match="MESHHOOK_JWKS_CACHE_SECONDS"):
        load_settings()


def test_jwks_fetch_does_not_block_other_requests(jwks, app_with, container, key_a):
    """Before: get_principal ran PyJWT's synchronous fetch on the event loop; /healthz
    waited for the JWKS (3.7 s against a 3 s JWKS). After: /healthz answers while the
    fetch is still held."""
    verifier = TokenVerifier(jwt_secret=container.settings.supabase_jwt_secret.get_secret_value(),
                             jwks_url=jwks.url)
    live = serve_in_thread(app_with(verifier=verifier), log_config=None)
    release = jwks.slow()
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pending = pool.submit(httpx.get, f"{live.base_url}/api/projects/{uuid.uuid4()}/secrets",
                                  headers={"Authorization": f"Bearer {user_token(key_a, 'kid-unknown')}"},
                                  timeout=30)
            assert jwks.entered.wait(10), "the token never reached the JWKS"
            started = time.monotonic()
            health = httpx.get(f"{live.base_url}/healthz", timeout=2)
            elapsed = time.monotonic() - started
            assert health.status_code == 200
            assert not pending.done(), "the JWKS fetch was not held while /healthz answered"
            release.set()
            assert pending.result().status_code == 401
        assert elapsed < 1.0, elapsed
    finally:
        release.set()
        live.stop()


def test_one_fetch_at_a_time_and_only_for_who_needs_it(jwks, jwt_secret, key_a, key_b):
    clock = FakeClock()
    verifier = TokenVerifier(jwt_secret=jwt_secret, jwks_url=jwks.url, jwks_refetch_cooldown=0, clock=clock)
    jwks.keys = [jwk_of(key_a, "kid-a")]
    known = user_token(key_a, "kid-a")
    verifier.verify(known)  # the set is cached: one fetch
    jwks.keys.append(jwk_of(key_b, "kid-b"))
    release = jwks.slow()
    new = user_token(key_b, "kid-b")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        first = pool.submit(verifier.verify, new)
        assert jwks.entered.wait(10)
        others = [pool.submit(verifier.verify, new) for _ in range(7)]
        # Meanwhile, whoever does not need the JWKS is answered from memory, not queued:
        assert verifier.verify_cached(known).kind == "user"
        from shared.auth.tokens import mint_user_token
        assert verifier.verify_cached(mint_user_token(jwt_secret, uuid.uuid4())).kind == "user"
        assert not first.done()
        release.set()
        assert {f.result().kind for f in [first, *others]} == {"user"}
    assert jwks.hits == 2  # the initial fetch, then ONE fetch for the eight callers


@pytest.mark.parametrize("failure", ["http_500", "not_a_key_set"])
def test_failing_jwks_is_called_at_most_once_per_cooldown(jwks, jwt_secret, key_a, failure):
    """Before: with the JWKS failing, every token with an unknown kid called it again
    (each waiting the full timeout). After: once per cooldown; the others are a quick 401."""
    if failure == "http_500":
        jwks.status = 500
    else:
        jwks.keys = [{"kty": "nonsense"}]
    verifier = TokenVerifier(jwt_secret=jwt_secret, jwks_url=jwks.url, jwks_refetch_cooldown=30)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            verifier.verify(user_token(key_a, f"kid-{uuid.uuid4()}"))
    assert jwks.hits == 1


def test_cooldown_ends_and_the_last_good_set_survives_an_outage(jwks, jwt_secret, key_a):
    clock = FakeClock()
    verifier = TokenVerifier(jwt_secret=jwt_secret, jwks_url=jwks.url, jwks_max_age=60,
                             jwks_refetch_cooldown=30, clock=clock)
    jwks.keys = [jwk_of(key_a, "kid-a")]
    token = user_token(key_a, "kid-a")
    verifier.verify(token)
    jwks.status = 500
    clock.advance(61)  # the set expired; the refetch fails: the last good set stays current
    assert verifier.verify(token).kind == "user"
    assert verifier.verify(token).kind == "user"
    assert jwks.hits == 2
    clock.advance(30)  # the cooldown is over: one more attempt
    verifier.verify(token)
    assert jwks.hits == 3
    jwks.status = 200
    clock.advance(30)
    verifier.verify(token)
    assert jwks.hits == 4


def test_a_jwks_that_never_answered_is_not_waited_on_again(jwks, jwt_secret, key_a):
    jwks.status = 503
    verifier = TokenVerifier(jwt_secret=jwt_secret, jwks_url=jwks.url, jwks_refetch_cooldown=30)
    token = user_token(key_a, "kid-a")
    with pytest.raises(Unauthorized):
        verifier.verify(token)
    release = jwks.slow()  # were it called again, this call would hang until released
    started = time.monotonic()
    with pytest.raises(Unauthorized):
        verifier.verify_cached(token)  # never blocks: answered from memory
    with pytest.raises(Unauthorized):
        verifier.verify(token)
    release.set()
    assert time.monotonic() - started < 1.0
    assert jwks.hits == 1


@pytest.mark.parametrize("kty", ["EC", "RSA"])
def test_tokens_minted_by_joserfc_verify(jwks, jwt_secret, app_with, make_project, kty):
    """Interop: a second JWT implementation mints the tokens and the key set."""
    from joserfc import jwt as jose_jwt
    from joserfc.jwk import ECKey, RSAKey

    key = ECKey.generate_key("P-256") if kty == "EC" else RSAKey.generate_key(2048)
    alg = "ES256" if kty == "EC" else "RS256"
    jwks.keys = [{**key.as_dict(private=False), "kid": "jose-kid", "alg": alg, "use": "sig"}]
    project = make_project()
    now = int(time.time())
    token = jose_jwt.encode({"alg": alg, "kid": "jose-kid"},
                            {"sub": str(project.owner), "role": "authenticated", "aud": "authenticated",
                             "iat": now, "exp": now + 300}, key)
    verifier = TokenVerifier(jwt_secret=jwt_secret, jwks_url=jwks.url)
    from starlette.testclient import TestClient

    with TestClient(app_with(verifier=verifier)) as jose_client:
        r = jose_client.get(f"/api/projects/{project.id}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        assert r.json()["project"]["role"] == "admin"
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        assert jose_client.get(f"/api/projects/{project.id}",
                               headers={"Authorization": f"Bearer {forged}"}).status_code == 401
