"""A local HTTP server whose answers a test writes, for everything the service or a client
calls over HTTP in tests: a JWKS endpoint, the secrets API a worker calls, an upstream.

`serve(answer)` runs it in threads on a free port; `answer(request)` gets the request as
a dict (method, path, headers, body, at) and returns (status, headers, body bytes). Every
request is recorded in `Stub.requests`, in arrival order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = Callable[[dict], tuple[int, dict[str, str], bytes]]


@dataclass
class Stub:
    url: str
    requests: list[dict] = field(default_factory=list)


@contextmanager
def serve(answer: Answer) -> Iterator[Stub]:
    stub = Stub("")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = {"method": self.command, "path": self.path, "headers": dict(self.headers),
                       "body": body, "at": time.monotonic()}
            stub.requests.append(request)
            status, headers, data = answer(request)
            self.send_response(status)
            for key, value in {"Content-Length": str(len(data)), **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer  # noqa: N815 (http.server's names)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stub.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
