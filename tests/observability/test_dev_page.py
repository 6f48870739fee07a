"""`/dev/metrics` under `dev`: a static page that draws `/metrics`, nothing fetched from elsewhere.
Its parsing runs under Node against the real Prometheus text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from starlette.testclient import TestClient

from shared.api.app import create_app
from shared.cli.dev.metrics_page import PAGE, router


def script() -> str:
    return re.search(r"<script>(.*)</script>", PAGE.read_text(), re.S).group(1)


def test_dev_serves_the_page_and_nothing_else_does(container, client):
    with TestClient(create_app(container=lambda: container, extra_routers=[router])) as dev:
        page = dev.get("/dev/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'fetch("/metrics"' in page.text and "setInterval(poll" in page.text
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page.text), "no external resource"
    assert client.get("/dev/metrics").status_code == 404  # serve's app has no dev pages


def test_the_page_reads_rates_and_p95_from_prometheus_text():
    from shared.observability.prom import PrometheusBackend

    backend = PrometheusBackend()
    backend.observe_request("list_secrets", 200, 0.004)
    before = backend.render().decode()
    for seconds in [0.02] * 18 + [0.3, 0.3]:
        backend.observe_request("list_secrets", 200, seconds)
    backend.observe_request("reveal_secret", 500, 0.01)
    after = backend.render().decode()

    node = shutil.which("node")
    assert node, "Node is needed (scripts/setup installs it with the UI)"
    body = script().split("poll();\nsetInterval")[0]
    program = body + f"""
    const a = parse({json.dumps(before)}), b = parse({json.dumps(after)});
    console.log(JSON.stringify({{total: b.total - a.total, errors: b.errors - a.errors, p95: p95(a, b)}}));
    """
    out = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["total"] == 21 and result["errors"] == 1
    # 21 requests: the 95th (rank 19.95) is one of the 0.3 s ones, in the (0.25, 0.5] bucket.
    assert 250 < result["p95"] <= 500
