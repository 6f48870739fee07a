"""Browser tests for the secrets UI (web/): a real `meshhook-secrets dev` server
driven by Playwright (Python, sync API) with Debian's Chromium.

Build the UI first (`cd web && npm ci && npm run build`); these fixtures do not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.devserver import DevServer, start_dev_server

ROOT = Path(__file__).resolve().parents[2]
WEB_INDEX = ROOT / "web" / "build" / "index.html"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("MESHHOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT = float(os.environ.get("MESHHOOK_DEV_STARTUP_TIMEOUT", "90"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the web UI in Chromium against a dev server")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# --------------------------------------------------------------------------- server


@pytest.fixture(scope="package")  # closed when tests/browser ends: its event loop must not outlive it
def dev_server(tmp_path_factory) -> Iterator[DevServer]:
    if not WEB_INDEX.exists():
        pytest.fail(f"{WEB_INDEX.relative_to(ROOT)} is missing: scripts/test builds the UI first")
    server = start_dev_server(tmp_path_factory.mktemp("ui-dev"), timeout=STARTUP_TIMEOUT)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="package")  # closed when tests/browser ends: its event loop must not outlive it
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")  # closed when tests/browser ends: its event loop must not outlive it
def chromium(playwright_instance):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class UISession:
    """One signed-in browser tab, plus everything it printed to its console."""

    page: object
    role: str
    console: list[str]


@pytest.fixture
def open_as(request, chromium, dev_server) -> Iterator[Callable[..., UISession]]:
    """open_as("admin", clipboard=False, init_script=None, color_scheme=None, viewport=None,
    before_goto=None) -> UISession.

    Each call gets a fresh browser context (fresh sessionStorage), logs in through
    the URL that `dev` printed and waits for the secrets page to show the role.
    """
    from playwright.sync_api import expect

    contexts = []
    sessions: list[UISession] = []

    def _open(role: str, *, clipboard: bool = False, init_script: str | None = None,
              color_scheme: str | None = None, url: str | None = None, wait: bool = True,
              viewport: dict | None = None, bypass_csp: bool = False,
              before_goto: Callable[[object], None] | None = None) -> UISession:
        # bypass_csp: only to inject axe-core (an inline script) into the page.
        # before_goto(page): e.g. routes, installed before the first request can leave.
        context = chromium.new_context(
            base_url=dev_server.base_url,
            color_scheme=color_scheme or "light",
            viewport=viewport or {"width": 1280, "height": 800},
            bypass_csp=bypass_csp,
        )
        if clipboard:
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=dev_server.base_url)
        if init_script:
            context.add_init_script(init_script)
        contexts.append(context)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda msg: console.append(msg.text))
        page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
        session = UISession(page=page, role=role, console=console)
        sessions.append(session)
        if before_goto:
            before_goto(page)
        page.goto(url or dev_server.logins[role])
        if wait:
            expect(page.get_by_text(f"Role: {role}")).to_be_visible()
        return session

    yield _open

    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False) for when in ("setup", "call")
    )
    if failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for i, session in enumerate(sessions):
            path = SCREENSHOTS / f"FAILED-{request.node.name}-{i}-{session.role}.png"
            try:
                session.page.screenshot(path=str(path), full_page=True)
            except Exception as exc:  # a crashed page must not hide the real failure
                print(f"could not save {path}: {exc}")
    for context in contexts:
        context.close()


@pytest.fixture
def api(playwright_instance, dev_server):
    """A tiny HTTP client for arranging data: api(role).post(path, data=...)."""
    clients = []

    def _client(role: str):
        client = playwright_instance.request.new_context(
            base_url=dev_server.base_url,
            extra_http_headers={"Authorization": f"Bearer {dev_server.token(role)}"},
        )
        clients.append(client)
        return client

    yield _client
    for client in clients:
        client.dispose()
