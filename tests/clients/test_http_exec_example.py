"""examples/http-exec.mjs, run as its header says, against a real dev server and an echo
service: the real value reaches the service, and what the step records does not show it."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from tests.clients.conftest import ROOT, VALUE, json_answer, run_node

RECORDED = 2048


def test_the_http_exec_example_sends_the_value_and_records_it_redacted(dev, http_stub):
    def echo(request):  # reflects the Authorization header back, as many APIs' error bodies do
        auth = request["headers"]["Authorization"]
        # Padding puts the raw header across the 2 KB mark: cutting before redacting would leak its start.
        pad = "x" * (RECORDED - len('{"pad": "", "authorization": "Bearer ') - 8)
        body = {"pad": pad, "authorization": auth, "authorization_b64": base64.b64encode(auth.encode()).decode(),
                "authorization_url": quote(auth, safe=""), "request": json.loads(request["body"])}
        return json_answer(401, body)

    stub = http_stub(echo)
    out = run_node(ROOT / "examples" / "http-exec.mjs", env={**dev.env, "TARGET_URL": stub.url + "/v1/charges"})
    assert out.returncode == 0, out.stderr
    [request] = stub.requests
    assert request["headers"]["Authorization"] == f"Bearer {VALUE}"  # the real value reached it
    assert json.loads(request["body"])["customer"] == "{{input.customer_id}}"  # MeshHook's own, left alone

    printed = out.stdout + out.stderr
    assert 'resolved RunSecrets(names=["STRIPE_API_KEY"])' in printed
    assert 'headers={"Authorization":"Bearer [REDACTED]"' in printed
    response_line = next(line for line in out.stdout.splitlines() if line.startswith("response 401"))
    recorded = response_line.split(" recorded): ", 1)[1]
    assert len(recorded) == RECORDED and recorded.endswith("[REDACTED]"[:8])
    for form in (VALUE, VALUE[:12], VALUE[-12:], base64.b64encode(f"Bearer {VALUE}".encode()).decode()[12:-4],
                 quote(VALUE, safe="")):
        assert form not in printed
