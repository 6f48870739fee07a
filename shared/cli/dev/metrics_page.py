"""`/dev/metrics` under `meshhook-secrets dev`: a static page (HTML and a little JS, no build
step, nothing fetched from elsewhere) that reads `/metrics` every few seconds and draws the
request rate, the error rate and the p95 latency of the last hour as inline SVG charts."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

PAGE = Path(__file__).with_name("metrics_page.html")
router = APIRouter()


@router.get("/dev/metrics", name="dev_metrics_page", include_in_schema=False)
def dev_metrics_page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))
