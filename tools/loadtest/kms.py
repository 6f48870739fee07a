"""AWS KMS on loopback that fails on demand: moto's server mode behind a small proxy.

    kms = FaultyKms.start()               # moto on 127.0.0.1, the proxy in front of it
    os.environ["AWS_ENDPOINT_URL_KMS"] = kms.endpoint   # boto3 honours it
    key_id = kms.create_key()
    kms.fail("throttle")                  # every KMS call now answers ThrottlingException
    kms.fail("timeout", ops={"Decrypt"})  # ... or holds Decrypt calls unanswered
    kms.heal()

Faults: throttle (400 ThrottlingException), internal (500 KMSInternalException), timeout
(no answer until healed, at most HOLD seconds), reset (the connection closed unanswered),
and the refusals an operator must fix: disabled (DisabledException), pending_deletion
(KMSInvalidStateException), not_found (NotFoundException), access_denied
(AccessDeniedException). moto itself still decrypts with a disabled key, so these are
answered by the proxy. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOLD = 8.0  # seconds a "timeout" holds a call (clients give up long before)
FAULTS = {
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "internal": (500, "KMSInternalException", "internal error (injected)"),
    "disabled": (400, "DisabledException", "the key is disabled (injected)"),
    "pending_deletion": (400, "KMSInvalidStateException", "the key is pending deletion (injected)"),
    "not_found": (400, "NotFoundException", "the key does not exist (injected)"),
    "access_denied": (400, "AccessDeniedException", "not authorized (injected)"),
    "timeout": None, "reset": None,
}
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing-not-a-key", "AWS_SECRET_ACCESS_KEY": "testing-not-a-secret",
                    "AWS_SESSION_TOKEN": "testing", "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}


class FaultyKms:
    def __init__(self, moto_server, upstream: tuple[str, int]) -> None:
        self._moto, self._upstream = moto_server, upstream
        self._lock = threading.Lock()
        self._fault: str | None = None
        self._ops: set[str] | None = None
        self._release = threading.Event()
        self.calls: Counter = Counter()  # KMS operation -> calls the proxy received
        self.faulted: Counter = Counter()  # ... and how many of them it failed
        self._proxy = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._proxy.daemon_threads = True
        self._thread = threading.Thread(target=self._proxy.serve_forever, name="kms-proxy", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls) -> FaultyKms:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        return cls(server, server.get_host_and_port())

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._proxy.server_address[1]}"

    def env(self) -> dict[str, str]:
        """What a process needs to use this KMS: the endpoint and fake credentials."""
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL_KMS": self.endpoint}

    def direct_client(self):
        """A boto3 client that talks to moto itself (never faulted): for set-up."""
        import boto3

        host, port = self._upstream
        return boto3.client("kms", endpoint_url=f"http://{host}:{port}", region_name=FAKE_CREDENTIALS["AWS_REGION"],
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def create_key(self) -> str:
        return self.direct_client().create_key(Description="meshhook test (fake)")["KeyMetadata"]["KeyId"]

    def fail(self, fault: str, *, ops: set[str] | None = None) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {sorted(FAULTS)}")
        with self._lock:
            self._fault, self._ops = fault, ops

    def heal(self) -> None:
        with self._lock:
            self._fault = self._ops = None
            self._release.set()  # let held calls go (their clients gave up already)
            self._release = threading.Event()

    def fault_for(self, op: str) -> tuple[str | None, threading.Event]:
        with self._lock:
            self.calls[op] += 1
            fault = self._fault if self._ops is None or op in self._ops else None
            if fault is not None:
                self.faulted[op] += 1
            return fault, self._release

    def forward(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self._upstream, timeout=10)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def close(self) -> None:
        self.heal()
        self._proxy.shutdown()
        self._proxy.server_close()
        self._moto.stop()


def _handler(kms: FaultyKms) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            op = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
            fault, release = kms.fault_for(op)
            if fault in ("timeout", "reset"):
                if fault == "timeout":
                    release.wait(HOLD)
                self.close_connection = True
                return  # nothing written: the client sees a timeout or a closed connection
            if fault is not None:
                status, code, message = FAULTS[fault]
                self._answer(status, [("Content-Type", "application/x-amz-json-1.1")],
                             json.dumps({"__type": code, "message": message}).encode())
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            status, response_headers, payload = kms.forward(self.path, body, headers)
            kept = [(k, v) for k, v in response_headers
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date")]
            self._answer(status, kept, payload)

        def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
