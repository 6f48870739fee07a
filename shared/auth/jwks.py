"""The JWKS key set: cached for a bounded time, fetched by one caller at a time, and never
hammered while it fails.

- Keys are looked up only in the CURRENT key set: the last one fetched. A set older than
  `max_age` (at most 10 minutes) is fetched again before it is used, so a key Supabase
  removed is refused at the latest `max_age` after its removal. (PyJWKClient's
  `get_signing_key` sits behind an LRU cache with no expiry: a removed key stayed trusted.)
- An unknown kid (a key Supabase has just published) triggers a fetch at once, but only
  one per `cooldown` seconds, so a flood of forged kids cannot drive requests to the JWKS.
- A failed fetch (timeout, HTTP error, malformed set) starts the same cooldown: the
  endpoint is called at most once per cooldown while it fails. Meanwhile the last good set
  stays current (a JWKS outage must not sign everyone out); with none, tokens that need the
  JWKS are refused at once instead of waiting on the endpoint again.
- Single flight: one fetch at a time. A caller that needs the set while another fetches
  waits for that fetch (then uses its result); a caller that does not need it never waits.
  `lookup_cached` answers from memory only and never blocks: the API calls it on the event
  loop and moves to a worker thread only when a fetch is really needed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import jwt

log = logging.getLogger("meshhook_secrets.auth")

MAX_CACHE_SECONDS = 600


class JwksUnavailable(Exception):
    """No key set could be had (the endpoint fails, or is cooling down after a failure)."""


class NeedsFetch(Exception):
    """`lookup_cached` cannot answer from memory; `lookup` (which may fetch) can."""


@dataclass(frozen=True)
class _KeySet:
    keys: dict[str, jwt.PyJWK]
    fetched_at: float


def _fetch_url(url: str, timeout: float) -> dict:
    request = urllib.request.Request(url, headers={"User-Agent": "meshhook-secrets"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
        return json.load(response)


class JwksCache:
    def __init__(
        self, url: str, *, max_age: float = MAX_CACHE_SECONDS, cooldown: float = 30,
        timeout: float = 5, clock: Callable[[], float] = time.monotonic,
        fetch: Callable[[str, float], dict] = _fetch_url,
    ) -> None:
        if not 0 <= max_age <= MAX_CACHE_SECONDS:
            raise ValueError(f"the JWKS cache lifetime must be 0 to {MAX_CACHE_SECONDS} seconds")
        self._url = url
        self._max_age = max_age
        self._cooldown = cooldown
        self._timeout = timeout
        self._clock = clock
        self._fetch = fetch
        self._set: _KeySet | None = None
        self._last_attempt: float | None = None  # when the last fetch started
        self._last_failed = False
        self._fetching = threading.Lock()  # single flight
        self.fetch_count = 0  # fetches attempted (tests and the docs' figures read it)

    # -- lookups -------------------------------------------------------------------------

    def lookup_cached(self, kid: str | None) -> jwt.PyJWK | None:
        """The key from memory, None if the current set lacks it (and no fetch may help
        now); NeedsFetch if a fetch is due first. Never blocks."""
        now = self._clock()
        current = self._set
        if current is not None and now - current.fetched_at <= self._max_age:
            key = current.keys.get(kid or "")
            if key is not None or not self._may_fetch(now):
                return key
            raise NeedsFetch()
        if self._may_fetch(now):
            raise NeedsFetch()
        if current is None:  # never fetched, the endpoint failing, in its cooldown
            raise JwksUnavailable("the JWKS endpoint is failing; cooling down")
        return current.keys.get(kid or "")  # stale, but the endpoint fails: the last good set

    def lookup(self, kid: str | None) -> jwt.PyJWK | None:
        """The key, fetching the set first if it is due (may block: call off the event loop)."""
        try:
            return self.lookup_cached(kid)
        except NeedsFetch:
            pass
        seen = self.fetch_count
        with self._fetching:
            # Another caller may have fetched while this one waited: use its result.
            if self.fetch_count == seen:
                try:
                    return self.lookup_cached(kid)
                except NeedsFetch:
                    self._refresh()
            return self._after_fetch(kid)

    def _after_fetch(self, kid: str | None) -> jwt.PyJWK | None:
        current = self._set
        if current is None:
            raise JwksUnavailable("the JWKS endpoint is failing")
        return current.keys.get(kid or "")

    # -- fetching ------------------------------------------------------------------------

    def _may_fetch(self, now: float) -> bool:
        if self._last_attempt is None:
            return True
        elapsed = now - self._last_attempt
        if self._set is not None and not self._last_failed and now - self._set.fetched_at > self._max_age:
            return True  # the set expired: fetch, whatever the cooldown
        return elapsed >= self._cooldown

    def _refresh(self) -> None:
        """Fetch the set (the caller holds `_fetching`). A failure keeps the last good set."""
        self._last_attempt = self._clock()
        self.fetch_count += 1
        try:
            document = self._fetch(self._url, self._timeout)
            keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(document).keys if k.key_id}
        except Exception as exc:  # noqa: BLE001 (any failure: network, HTTP, JSON, key format)
            self._last_failed = True
            log.warning("JWKS fetch failed (%s); next attempt in %.0f s", type(exc).__name__, self._cooldown)
            return
        self._last_failed = False
        self._set = _KeySet(keys, self._last_attempt)
