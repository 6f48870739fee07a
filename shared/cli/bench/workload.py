"""The texts both redaction benches redact: what a workflow worker records of its HTTP steps.

Each step is logged as method, URL, status, time, headers and a body: 350-2100 characters a
line (1100 on average). Ten fake secret values are in the redactor and 1 step in 50 carries
one, in one of the forms a secret travels in: raw in a header, base64 in Basic auth, or
URL-encoded in a query string. The same seed gives the same steps in every run.
"""

from __future__ import annotations

import base64
import json
import random
from urllib.parse import quote

LINE = "%s %s -> %d in %.1f ms; headers=%s; body=%s"  # a step, as a worker's log line
STEPS = 500  # distinct steps; longer runs go round them


def fake_values(rng: random.Random) -> list[str]:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    def token(n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    return [
        f"fake-sk-live-{token(24)}", f"fake-ghp_{token(36)}", f"fake-xoxb-{token(12)}-{token(24)}",
        f"fake-pass/{token(8)}+{token(6)}!", f"fake.jwt.{token(60)}.{token(43)}",
        f"fake-webhook-{token(32)}", f"fake-AKIA{token(16)}", f"fake-{token(40)}",
        f"fake-db-p@ss {token(10)}", f"fake-hmac-{token(64)}",
    ]


def workload() -> tuple[list[str], list[tuple]]:
    """The values and the steps, as `LINE`'s arguments (the step at 25, 75, ... holds a value)."""
    rng = random.Random(20240501)
    values = fake_values(rng)
    return values, [_step(rng, values, with_secret=i % 50 == 25) for i in range(STEPS)]


def _step(rng: random.Random, values: list[str], with_secret: bool) -> tuple:
    headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate",
               "User-Agent": "MeshHook/1.4 (+https://meshhook.dev)",
               "X-Request-Id": "%032x" % rng.getrandbits(128)}
    customer_id, page = rng.randrange(10**6), rng.randrange(9)
    url = f"https://api.example.com/v1/customers/{customer_id}/orders?page={page}"
    items = [{"id": rng.randrange(10**9), "sku": f"SKU-{rng.randrange(10**5):05d}",
              "qty": rng.randrange(1, 9),
              "note": "gift wrap, leave at the door" * (rng.random() < 0.3)}
             for _ in range(rng.randrange(0, 22))]
    customer = {"name": "Ada Lovelace", "email": "ada@example.com"}
    body = json.dumps({"customer": customer, "items": items})
    if with_secret:  # in one of the forms a secret travels in
        value = rng.choice(values)
        where = rng.randrange(3)
        if where == 0:
            headers["Authorization"] = f"Bearer {value}"
        elif where == 1:
            headers["Authorization"] = "Basic " + base64.b64encode(f"svc:{value}".encode()).decode()
        else:
            url += "&api_key=" + quote(value, safe="")
    return ("POST", url, 200, rng.uniform(3, 900), headers, body)
