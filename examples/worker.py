"""An example MeshHook worker step: resolve the run's secrets, render, call, log redacted.

Against `scripts/dev` (paste its `export API=… PROJECT=… TOKEN=… RUNNER_TOKEN=…` line first,
and create a secret named STRIPE_API_KEY):

    .venv/bin/python examples/worker.py

The "remote service" is a local echo server that reflects the request back, headers and
all, as many real APIs do in their error bodies: the classic way a key ends up in run logs.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx

from shared.runtime.worker import fetch_run_secrets

STEP = {
    "method": "POST",
    "url": "http://127.0.0.1:{port}/v1/charges",
    "headers": {"Authorization": "Bearer {{secrets.STRIPE_API_KEY}}", "Content-Type": "application/json"},
    "body": {"amount": 1200, "currency": "eur", "customer": "{{input.customer_id}}"},
}


class EchoService(BaseHTTPRequestHandler):
    """Answers 402 with the request echoed back, including its Authorization header."""

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        auth = self.headers.get("Authorization", "")
        echo = {"error": "card_declined", "request": {"authorization": auth,
                "authorization_b64": base64.b64encode(auth.encode()).decode(),
                "body": json.loads(self.rfile.read(length) or b"{}")}}
        data = json.dumps(echo).encode()
        self.send_response(402)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main() -> int:
    api, project, runner = os.environ["API"], uuid.UUID(os.environ["PROJECT"]), os.environ["RUNNER_TOKEN"]
    service = HTTPServer(("127.0.0.1", 0), EchoService)
    threading.Thread(target=service.serve_forever, daemon=True).start()

    step = json.loads(json.dumps(STEP).replace("{port}", str(service.server_port)))
    secrets = fetch_run_secrets(api, runner, project, step)  # one resolve call for the run

    handler = logging.StreamHandler(sys.stdout)
    # Everything this handler writes is redacted: message, arguments, tracebacks, extras.
    # (secrets.log_filter does the same as a logging.Filter; the formatter is cheaper.)
    handler.setFormatter(secrets.log_formatter(logging.Formatter("%(levelname)s %(name)s: %(message)s")))
    log = logging.getLogger("worker.step")
    log.addHandler(handler)
    log.setLevel(logging.INFO)

    config = secrets.render(step)
    log.info("resolved %s", secrets)
    log.info("request %s %s headers=%s", config["method"], config["url"], config["headers"])
    response = httpx.request(config["method"], config["url"], headers=config["headers"], json=config["body"])
    log.warning("response %d: %s", response.status_code, response.text)
    echoed = response.json()["request"]["authorization"]
    print(f"the remote service received the real key: {echoed == config['headers']['Authorization']}")
    service.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
