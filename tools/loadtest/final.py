"""The final check: every acknowledged write is there with its last acknowledged value,
every acknowledged delete is gone. It reads through the API (list, resolve, reveal, get),
retrying a 503 for a few seconds: the service may still be recovering from the last fault."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tools.loadtest.ledger import Ledger, Results, found_as_acknowledged

RECOVERY_SECONDS = 15.0


def _request(http: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        r = http.request(method, url, **kwargs)
        if r.status_code != 503 or time.monotonic() > deadline:
            return r
        time.sleep(float(r.headers.get("retry-after", "1")))


def _stored(http: httpx.Client, api: str, names: list[str], listed: dict, runner: dict,
            results: Results) -> dict[str, tuple[int, str]]:
    """name -> (version, value) as the server has it now, for the names listed."""
    values: dict[str, str] = {}
    present = [n for n in names if n in listed]
    for i in range(0, len(present), 500):
        batch = present[i:i + 500]
        r = _request(http, "POST", f"{api}/resolve", json={"names": batch}, headers=runner)
        if r.status_code != 200:
            results.problem(f"final resolve: {r.status_code} {r.text[:200]}")
            continue
        values.update(r.json()["secrets"])
    return {n: (listed[n][1], values[n]) for n in present if n in values}


def final_check(api: str, admin: dict, runner: dict, prefix: str, ledger: Ledger, results: Results,
                timeout: float) -> dict:
    expected = ledger.expected()
    maybe_created = ledger.maybe_created()
    gone = ledger.gone()
    with httpx.Client(timeout=timeout) as http:
        r = _request(http, "GET", api, headers=admin)
        if r.status_code != 200:
            results.problem(f"final list: {r.status_code}")
            return {"checked": False}
        listed = {s["name"]: (s["id"], s["version"]) for s in r.json()["secrets"] if s["name"].startswith(prefix)}
        stored = _stored(http, api, sorted(expected) + sorted(maybe_created), listed, runner, results)
    lost = []
    for name, (secret_id, version, _value, record) in expected.items():
        if name in listed and listed[name][0] != secret_id:
            results.problem(f"final list: {name} has another id")
        if not found_as_acknowledged(record, version, stored.get(name)):
            lost.append(name)
            results.problem(f"final: {name} lost its acknowledged version {version}"
                            f" (stored {stored.get(name, (None,))[0]})")
    unexpected = set(listed) - set(expected) - set(maybe_created)
    for name in sorted(unexpected)[:5]:
        results.problem(f"final list: unexpected {name}")
    for name, value in maybe_created.items():
        if name in stored and stored[name] != (1, value):
            results.problem(f"final: {name} (created, answered 503) holds another value")
    listed_ids = {v[0] for v in listed.values()}
    resurrected = [i for i in gone if i in listed_ids]
    for secret_id in resurrected:
        results.problem(f"final list: deleted {secret_id} is listed")
    _reveal_and_get(api, admin, expected, stored, gone, results, timeout)
    return {"checked": True, "secrets": len(expected), "deleted": len(gone),
            "lost_writes": len(lost) + len(resurrected),
            "ambiguous_creates": len(maybe_created),
            "shared_versions": {name: max(s.acked) for name, s in ledger.shared.items()}}


def _reveal_and_get(api: str, admin: dict, expected: dict, stored: dict, gone: list[str],
                    results: Results, timeout: float) -> None:
    """Reveal gives what resolve gave; a deleted secret answers 404."""

    def reveal(name: str) -> None:
        with httpx.Client(timeout=timeout) as http:
            r = _request(http, "POST", f"{api}/{expected[name][0]}/reveal", headers=admin)
        if r.status_code != 200:
            results.problem(f"final reveal: {name}: {r.status_code} {r.text[:100]}")
        elif r.json()["value"] != stored[name][1]:
            results.problem(f"final reveal: {name} differs from what resolve gave")

    def gone_for_good(secret_id: str) -> None:
        with httpx.Client(timeout=timeout) as http:
            r = _request(http, "GET", f"{api}/{secret_id}", headers=admin)
        if r.status_code != 404:
            results.problem(f"final get: deleted {secret_id} answered {r.status_code}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(reveal, [n for n in expected if n in stored]))
        list(pool.map(gone_for_good, gone))
