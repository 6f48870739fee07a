"""Every screen at 1280 px and 390 px, light and dark: axe-core finds no violation
(the bar is none serious or critical; today none of any impact), nothing scrolls sideways,
dialogs fit the window. The same run takes the screenshots that web/README.md shows: into
test-output/screenshots/docs/ normally, and into web/docs/screenshots/ (the committed ones)
only with MESHHOOK_UPDATE_SCREENSHOTS=1, so a test run leaves the git tree clean.

The list, the version history and the audit log are served fixed data here (Playwright's
routing, GET only), so the screenshots are the same on every run; everything else is the
real dev server. Fixed data is metadata only: no value is served or shown.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.helpers import (
    DESKTOP,
    DOC_SCREENSHOTS,
    PHONE,
    ROOT,
    axe_violations,
    dialogs_outside_viewport,
    horizontal_overflow,
    wide_elements,
)

pytestmark = pytest.mark.browser

# Where this run's screenshots go: the committed ones only when asked to refresh them.
SHOTS = DOC_SCREENSHOTS if os.environ.get("MESHHOOK_UPDATE_SCREENSHOTS") == "1" else (
    ROOT / "test-output" / "screenshots" / "docs")

PROJECT = "00000000-0000-4000-8000-00000000d0c5"
SECRETS = [
    ("GITHUB_TOKEN", "Fine-grained token for the release workflow", 3, "2026-11-28T09:12:44Z", "2026-12-01T17:03:09Z"),
    ("OPENAI_API_KEY", None, 1, "2026-11-30T14:55:02Z", None),
    ("SLACK_WEBHOOK_URL", "Posts build results to #deploys", 2, "2026-11-21T08:30:00Z", "2026-12-02T06:41:27Z"),
    ("STRIPE_SECRET_KEY", "Test-mode key (sk_test_…) for the checkout workflow", 5, "2026-12-01T10:20:31Z",
     "2026-12-02T07:15:58Z"),
]
EVENTS = [
    (9, "reveal", "STRIPE_SECRET_KEY", "user", "ana@example.com", None, "2026-12-02T07:16:03Z"),
    (8, "resolve", "STRIPE_SECRET_KEY", "runner", None, "run_7f3a91", "2026-12-02T07:15:58Z"),
    (7, "rotate", "STRIPE_SECRET_KEY", "user", "ana@example.com", None, "2026-12-01T10:20:31Z"),
    (6, "delete", "LEGACY_FTP_PASSWORD", "user", None, None, "2026-11-30T16:02:11Z"),
    (5, "create", "OPENAI_API_KEY", "user", "sam@example.com", None, "2026-11-30T14:55:02Z"),
]


def rotation(name: str) -> dict:
    """One reminder of each kind: none, far off, due soon (relative to now), overdue."""
    soon = (datetime.now(timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    period, due, overdue = {
        "GITHUB_TOKEN": (365, "2027-11-28T09:12:44Z", False),
        "OPENAI_API_KEY": (30, soon, False),
        "SLACK_WEBHOOK_URL": (7, "2026-11-28T08:30:00Z", True),
    }.get(name, (None, None, False))
    return {"rotation_period_days": period, "rotation_due_at": due, "rotation_overdue": overdue}


def fixed_secrets() -> list[dict]:
    return [
        {"id": f"00000000-0000-4000-8000-0000000000{i:02d}", "project_id": PROJECT, "name": name,
         "description": description, "version": version, "created_at": "2026-11-01T12:00:00Z",
         "updated_at": updated, "last_used_at": used} | rotation(name)
        for i, (name, description, version, updated, used) in enumerate(SECRETS)
    ]


def fixed_versions(version: int, updated: str) -> list[dict]:
    authors = [("ana@example.com", "5b2e0007"), ("sam@example.com", "5b2e0005")]
    return [
        {"version": v, "current": v == version, "created_at": updated if v == version else f"2026-11-{2 * v:02d}T10:20:31Z",
         "created_by": {"type": "user", "id": f"{authors[v % 2][1]}-0000-4000-8000-000000000000",
                        "email": authors[v % 2][0]}}
        for v in range(version, 0, -1)
    ]


def fixed_events() -> list[dict]:
    ids = {name: f"00000000-0000-4000-8000-0000000000{i:02d}" for i, (name, *_rest) in enumerate(SECRETS)}
    return [
        {"id": n, "project_id": PROJECT, "secret_id": ids.get(secret, "00000000-0000-4000-8000-00000000dead"),
         "secret_name": secret, "actor_type": actor_type,
         "actor_id": None if actor_type == "runner" else f"5b2e{n:04d}-0000-4000-8000-000000000000",
         "actor_email": email, "run_id": run, "action": action, "outcome": "success", "metadata": {},
         "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0", "created_at": at}
        for n, action, secret, actor_type, email, run, at in EVENTS
    ]


def serve_fixed_data(page: Page, secrets: list[dict]) -> None:
    def list_route(route: Route) -> None:
        if route.request.method != "GET":
            return route.fallback()
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"secrets": secrets}))

    def audit_route(route: Route) -> None:
        body = {"events": fixed_events(), "next_cursor": None}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def versions_route(route: Route) -> None:
        secret_id = route.request.url.rsplit("/", 2)[-2]
        secret = next(s for s in secrets if s["id"] == secret_id)
        body = {"versions": fixed_versions(secret["version"], secret["updated_at"])}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(re.compile(r"/api/projects/[^/]+/secrets$"), list_route)
    page.route(re.compile(r"/api/projects/[^/]+/secrets/[^/]+/versions$"), versions_route)
    page.route(re.compile(r"/api/projects/[^/]+/secrets/audit(\?.*)?$"), audit_route)


def login_url_with_email(dev_server, role: str, email: str) -> str:
    """The dev login URL of `role`, with an `email` claim in its token (as Supabase's have).

    The token is signed with the secret that `dev` keeps in its data folder, and has the
    same subject, so the server treats it as that demo user.
    """
    import jwt

    state = json.loads(next(dev_server.data_dir.rglob("dev.json")).read_text())
    claims = json.loads(_b64url_decode(dev_server.token(role).split(".")[1]))
    now = int(time.time())
    token = jwt.encode(
        {"sub": claims["sub"], "role": "authenticated", "aud": "authenticated", "email": email,
         "iat": now, "exp": now + 3600},
        state["jwt_secret"], algorithm="HS256",
    )
    return dev_server.logins[role].split("#", 1)[0] + f"#access_token={token}"


def _b64url_decode(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def check_screen(page: Page, screen: str, shot: str | None = None) -> None:
    """The checks every screen gets; a screenshot for the README if asked."""
    assert horizontal_overflow(page) == 0, f"{screen}: the document scrolls sideways: {wide_elements(page)}"
    assert dialogs_outside_viewport(page) == [], f"{screen}: a dialog does not fit the window"
    # The bar is no serious or critical violation; today there is none of any impact.
    violations = axe_violations(page, impacts=("minor", "moderate", "serious", "critical"))
    assert violations == [], f"{screen}: axe found {json.dumps(violations, indent=1)}"
    if shot:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{shot}.png"), animations="disabled", caret="hide")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_screen_is_accessible_and_fits(open_as, dev_server, scheme, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    suffix = f"{size}-{scheme}"
    # README screenshots: every screen on the desktop; on the phone the list twice, the rest light.
    wanted = size == "desktop" or scheme == "light"
    shoot = lambda name: f"{name}-{suffix}" if wanted or name == "secrets" else None  # noqa: E731
    url = login_url_with_email(dev_server, "admin", "ana@example.com")
    page = open_as("admin", url=url, wait=False, color_scheme=scheme, viewport=viewport, bypass_csp=True,
                   before_goto=lambda p: serve_fixed_data(p, fixed_secrets())).page
    expect(page.get_by_text("Role: admin")).to_be_visible()
    expect(page.get_by_text("Signed in as ana@example.com")).to_be_visible()  # the JWT's email claim
    expect(page.get_by_role("rowheader", name="STRIPE_SECRET_KEY")).to_be_visible()
    check_screen(page, f"list {suffix}", shoot("secrets"))

    # Every row's actions are reachable without scrolling sideways.
    for button in page.get_by_role("button", name=re.compile(r"^(Rotate|Delete|Details) ")).all():
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], button

    page.get_by_role("button", name="New secret").click()
    create = page.get_by_role("dialog", name="New secret")
    create.get_by_label("Name", exact=True).fill("1_bad")
    check_screen(page, f"create {suffix}", shoot("create-dialog"))
    page.keyboard.press("Escape")
    expect(create).to_be_hidden()

    page.get_by_role("button", name="Rotate STRIPE_SECRET_KEY").click()
    check_screen(page, f"rotate {suffix}")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Delete STRIPE_SECRET_KEY").click()
    check_screen(page, f"delete {suffix}")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Details of STRIPE_SECRET_KEY").click()
    details = page.get_by_role("dialog", name="STRIPE_SECRET_KEY")
    expect(details).to_contain_text("{{secrets.STRIPE_SECRET_KEY}}")
    expect(details.locator("ol.versions > li")).to_have_count(5)  # the version history
    check_screen(page, f"details {suffix}", shoot("details"))
    details.get_by_role("button", name="Roll back to v4 of STRIPE_SECRET_KEY").click()
    confirm = page.get_by_role("dialog", name="Roll back STRIPE_SECRET_KEY")
    expect(confirm).to_contain_text("becomes version 6")
    check_screen(page, f"rollback {suffix}")
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    page.keyboard.press("Escape")
    expect(details).to_be_hidden()

    # Rotation reminders: the badges, and the filter.
    expect(page.get_by_role("row").filter(has_text="SLACK_WEBHOOK_URL")).to_contain_text("Rotation overdue")
    page.get_by_label("Show").select_option(index=1)
    expect(page.get_by_role("rowheader")).to_have_count(2)  # OPENAI_API_KEY (due soon), SLACK_WEBHOOK_URL
    check_screen(page, f"rotation due {suffix}")
    page.get_by_label("Show").select_option(index=0)

    page.get_by_role("button", name="Import", exact=True).click()
    import_dialog = page.get_by_role("dialog", name="Import secrets")
    import_dialog.get_by_label("Contents").fill(
        "# fake values only\nDATABASE_URL=postgres://fake:fake@db.example/app\nSTRIPE_SECRET_KEY=sk_test_fake_new\n"
        "SENTRY_DSN='https://fake@sentry.example/1'\nnot a line\n")
    import_dialog.get_by_label("If a name exists").select_option("overwrite")
    expect(import_dialog.get_by_role("region", name="Preview")).to_contain_text("2 to create, 1 to update")
    check_screen(page, f"import {suffix}", shoot("import-dialog"))
    page.keyboard.press("Escape")
    expect(import_dialog).to_be_hidden()

    page.get_by_role("button", name="Export", exact=True).click()
    export_dialog = page.get_by_role("dialog", name="Export secrets")
    expect(export_dialog).to_contain_text("all 4 secrets")
    check_screen(page, f"export {suffix}")
    page.keyboard.press("Escape")
    expect(export_dialog).to_be_hidden()

    page.get_by_role("tab", name="Audit log").click()
    panel = page.get_by_role("tabpanel", name="Audit log")
    expect(panel.get_by_role("cell", name="ana@example.com").first).to_be_visible()
    check_screen(page, f"audit {suffix}", shoot("audit"))


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_empty_project_offers_create_and_docs(open_as, dev_server, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    url = login_url_with_email(dev_server, "editor", "sam@example.com")
    page = open_as("editor", url=url, wait=False, viewport=viewport, bypass_csp=True,
                   before_goto=lambda p: serve_fixed_data(p, [])).page
    empty = page.get_by_role("region", name="No secrets yet")
    expect(empty).to_be_visible()
    expect(empty.get_by_role("link", name="How secrets work")).to_have_attribute("href", re.compile(r"."))
    check_screen(page, f"empty {size}", f"empty-{size}-light" if size == "desktop" else None)
    empty.get_by_role("button", name="Create a secret").click()
    expect(page.get_by_role("dialog", name="New secret").get_by_label("Name", exact=True)).to_be_focused()


def test_viewer_screen_is_accessible(open_as):
    page = open_as("viewer", wait=False, bypass_csp=True,
                   before_goto=lambda p: serve_fixed_data(p, fixed_secrets())).page
    expect(page.get_by_role("rowheader", name="GITHUB_TOKEN")).to_be_visible()
    check_screen(page, "viewer list")
