"""One load-test client: a loop of random operations, one method per operation, each
checking the answer against what this client knows the server acknowledged.

A 503 (with Retry-After) is an answer the chaos run allows; a write answered 503 is
ambiguous and recorded as such in the ledger, then settled by the next read of that secret.
"""

from __future__ import annotations

import random
import string
import time

import httpx

from tools.loadtest.ledger import Ledger, Own, Results

# Operation mix (weights); a client with no secret of its own creates one first.
MIX = {"create": 12, "list": 5, "get": 14, "update": 18, "stale_update": 4, "reveal": 12,
       "delete": 8, "resolve": 14, "contend": 8, "get_deleted": 5}
_NEED_NO_SECRET = ("list", "contend", "get_deleted", "create")
_ALPHABET = string.ascii_letters + string.digits + " -_=+/.:;!?#@%&*()[]{}<>'\"\\|~`^$,éßøΩ中文🔑"


def fake_value(rng: random.Random) -> str:
    size = rng.choice((1, 8, 40, 200, 1000, 4000))
    return "fake-" + "".join(rng.choice(_ALPHABET) for _ in range(size))


def unanswered(r: httpx.Response | None) -> bool:
    """No answer, or a 5xx: a write may or may not have committed."""
    return r is None or r.status_code >= 500


class Client:
    def __init__(self, n: int, http: httpx.Client, api: str, auth: tuple[dict, dict], ledger: Ledger,
                 results: Results, *, seed: int, run_tag: str, max_live: int) -> None:
        self.n, self.http, self.api, self.results, self.ledger = n, http, api, results, ledger
        self.admin, self.runner = auth
        self.rng = random.Random(seed * 1000 + n)
        self.mine, self.gone = ledger.owned[n], ledger.deleted[n]
        self.pending = ledger.pending_creates[n]
        self.seen_shared = {name: 1 for name in ledger.shared}
        self.tag, self.max_live, self.counter = run_tag, max_live, 0

    def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            op, name = self.pick()
            getattr(self, op)(name)

    def pick(self) -> tuple[str, str | None]:
        op = self.rng.choices(list(MIX), list(MIX.values()))[0]
        if not self.mine and op not in _NEED_NO_SECRET:
            op = "create"
        if op == "create" and len(self.mine) + len(self.pending) >= self.max_live:
            op = "delete" if self.mine else "list"
        if op == "get_deleted" and not self.gone:
            op = "list"
        name = self.rng.choice(sorted(self.mine)) if self.mine else None
        if name is not None and op not in _NEED_NO_SECRET and self.uncertain(name):
            op = "reconcile"
        return op, name

    def uncertain(self, name: str) -> bool:
        own = self.mine[name]
        return own.maybe is not None or own.maybe_deleted

    # -- talking to the server -------------------------------------------------------------

    def call(self, op: str, method: str, url: str, **kwargs) -> httpx.Response | None:
        started = time.monotonic()
        try:
            r = self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.results.problem(f"{op}: {type(exc).__name__}")
            return None
        ended = time.monotonic()
        self.results.record(op, r.status_code, started, ended, ended - started)
        if r.status_code >= 500 and r.status_code != 503:
            self.results.problem(f"{op}: {r.status_code} {r.text[:200]}")
        elif r.status_code == 503 and not r.headers.get("retry-after"):
            self.results.problem(f"{op}: a 503 without Retry-After")
        return r

    def expect(self, op: str, r: httpx.Response | None, *codes: int) -> bool:
        if r is None or r.status_code >= 500 or r.status_code == 429:
            return False  # counted in statuses; the result says so
        if r.status_code not in codes:
            self.results.problem(f"{op}: expected {codes}, got {r.status_code} {r.text[:200]}")
            return False
        return True

    # -- the operations --------------------------------------------------------------------

    def create(self, _: str | None) -> None:
        self.counter += 1
        name, value = f"LOAD_{self.tag}_{self.n}_{self.counter}", fake_value(self.rng)
        r = self.call("create", "POST", self.api, json={"name": name, "value": value}, headers=self.admin)
        if self.expect("create", r, 201):
            meta = r.json()["secret"]
            if meta["version"] != 1:
                self.results.problem(f"create: version {meta['version']}")
            self.mine[name] = Own(meta["id"], 1, value)
        elif unanswered(r):
            self.pending[name] = value

    def list(self, _: str | None) -> None:
        r = self.call("list", "GET", self.api, headers=self.admin)
        if not self.expect("list", r, 200):
            return
        listed = {s["name"]: (s["id"], s["version"]) for s in r.json()["secrets"]}
        for name, value in list(self.pending.items()):  # creates answered 503: committed or not
            if name in listed:
                self.mine[name] = Own(listed[name][0], listed[name][1], value)
            del self.pending[name]
        for name, own in self.mine.items():
            if not self.uncertain(name) and listed.get(name, (None, None))[1] != own.version:
                self.results.problem(f"list: {name} at {listed.get(name)}, acked {own.version}")

    def reconcile(self, name: str) -> None:
        """Learn whether this secret's write answered 503 committed."""
        own = self.mine[name]
        r = self.call("get", "GET", f"{self.api}/{own.id}", headers=self.admin)
        if unanswered(r):
            return
        if r.status_code == 404 and own.maybe_deleted:
            del self.mine[name]
            self.gone.append(own.id)
            return
        if self.expect("get", r, 200):
            version = r.json()["secret"]["version"]
            if own.maybe is not None and version == own.maybe[0]:
                own.version, own.value = own.maybe
            elif version != own.version:
                self.results.problem(f"get: {name} at {version}, acked {own.version}")
            own.maybe, own.maybe_deleted = None, False

    def get(self, name: str) -> None:
        own = self.mine[name]
        r = self.call("get", "GET", f"{self.api}/{own.id}", headers=self.admin)
        if self.expect("get", r, 200) and r.json()["secret"]["version"] != own.version:
            self.results.problem(f"get: {name} at {r.json()['secret']['version']}, acked {own.version}")

    def update(self, name: str) -> None:
        own, value = self.mine[name], fake_value(self.rng)
        body = {"value": value}
        if self.rng.random() < 0.3:
            body["description"] = f"rotated by client {self.n}"
        r = self.call("update", "PUT", f"{self.api}/{own.id}", json=body,
                      headers={**self.admin, "If-Match": f'"{own.version}"'})
        if self.expect("update", r, 200):
            version = r.json()["secret"]["version"]
            if version != own.version + 1:
                self.results.problem(f"update: {name} went {own.version} -> {version}")
            own.version, own.value = version, value
        elif unanswered(r):
            own.maybe = (own.version + 1, value)

    def stale_update(self, name: str) -> None:
        own = self.mine[name]
        stale = own.version - 1 if own.version > 1 else own.version + 7
        r = self.call("stale_update", "PUT", f"{self.api}/{own.id}", json={"value": fake_value(self.rng)},
                      headers={**self.admin, "If-Match": str(stale)})
        self.expect("stale_update", r, 412)

    def reveal(self, name: str) -> None:
        own = self.mine[name]
        r = self.call("reveal", "POST", f"{self.api}/{own.id}/reveal", headers=self.admin)
        if self.expect("reveal", r, 200) and r.json()["value"] != own.value:
            self.results.problem(f"reveal: {name} is not its last acknowledged value")

    def delete(self, name: str) -> None:
        own = self.mine[name]
        r = self.call("delete", "DELETE", f"{self.api}/{own.id}", headers=self.admin)
        if self.expect("delete", r, 204):
            del self.mine[name]
            self.gone.append(own.id)
        elif unanswered(r):
            own.maybe_deleted = True

    def get_deleted(self, _: str | None) -> None:
        r = self.call("get_deleted", "GET", f"{self.api}/{self.rng.choice(self.gone)}", headers=self.admin)
        self.expect("get_deleted", r, 404)

    def resolve(self, _: str | None) -> None:
        certain = [n for n in sorted(self.mine) if not self.uncertain(n)]
        names = self.rng.sample(certain, min(len(certain), self.rng.randint(1, 3)))
        if not names:
            return
        r = self.call("resolve", "POST", f"{self.api}/resolve", json={"names": names}, headers=self.runner)
        if self.expect("resolve", r, 200):
            got = r.json()["secrets"]
            for name in names:
                if got.get(name) != self.mine[name].value:
                    self.results.problem(f"resolve: {name} is not its last acknowledged value")

    def contend(self, _: str | None) -> None:
        """Race the other clients on a shared secret with If-Match."""
        shared_name = self.rng.choice(sorted(self.ledger.shared))
        target, value = self.ledger.shared[shared_name], fake_value(self.rng)
        expected = self.seen_shared[shared_name]
        r = self.call("contend", "PUT", f"{self.api}/{target.id}", json={"value": value},
                      headers={**self.admin, "If-Match": str(expected)})
        if unanswered(r):
            with self.ledger.shared_lock:
                target.maybe.add(value)
        if not self.expect("contend", r, 200, 412):
            return
        if r.status_code == 200:
            version = r.json()["secret"]["version"]
            with self.ledger.shared_lock:
                if version in target.acked:
                    self.results.problem(f"contend: version {version} of {shared_name} acknowledged twice")
                target.acked[version] = value
            if version != expected + 1:
                self.results.problem(f"contend: If-Match {expected} gave version {version}")
            self.seen_shared[shared_name] = version
        else:
            g = self.call("get", "GET", f"{self.api}/{target.id}", headers=self.admin)
            if self.expect("get", g, 200):
                self.seen_shared[shared_name] = g.json()["secret"]["version"]
