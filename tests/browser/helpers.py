"""Shared by the browser tests: names, obviously fake values, row locators, axe, layout checks."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
DOC_SCREENSHOTS = ROOT / "web" / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def unique(tag: str) -> str:
    return f"UI_{tag}_{uuid.uuid4().hex[:8]}"


def fake_value(tag: str) -> str:
    return f"sk_test_fake_{tag}_{uuid.uuid4().hex[:8]}"


def row(page: Page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def create_via_api(api, dev_server, name: str, value: str, description: str | None = None) -> dict:
    data = {"name": name, "value": value} | ({"description": description} if description else {})
    response = api("admin").post(f"/api/projects/{dev_server.project_id}/secrets", data=data)
    assert response.status == 201, response.text()
    return response.json()["secret"]


def axe_violations(page: Page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of the given impacts on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))"""
    )
    return [v for v in found if v["impact"] in impacts]


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the document is wider than the window (0 = no sideways scroll)."""
    return page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def wide_elements(page: Page) -> list[str]:
    """The first elements that stick out to the right of the window (for failure messages)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5).slice(0, 6)
            .map(e => `${e.tagName.toLowerCase()}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`)"""
    )


def dialogs_outside_viewport(page: Page) -> list[str]:
    """Open dialogs that do not fit inside the window, with their box."""
    return page.evaluate(
        """() => [...document.querySelectorAll('dialog[open]')].map(d => {
            const r = d.getBoundingClientRect();
            const inside = r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5;
            return inside ? null : `${d.getAttribute('aria-labelledby')}: ${JSON.stringify(r)}`;
        }).filter(Boolean)"""
    )


def button_boxes(page: Page) -> dict[str, dict]:
    """Every visible button's box, by accessible name (aria-label or text)."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.mhs button')]
            .filter(b => b.offsetParent !== null)
            .map(b => { const r = b.getBoundingClientRect();
                return [b.getAttribute('aria-label') || b.textContent.trim(),
                        { x: Math.round(r.x), y: Math.round(r.y), w: Math.round(r.width), h: Math.round(r.height) }]; }))"""
    )


def secrets_path(dev_server) -> str:
    return f"/api/projects/{dev_server.project_id}/secrets"


def value_via_api(api, dev_server, secret_id: str, version: int | None = None) -> str:
    """The value as the API reveals it (admin): what the UI's action really stored."""
    body = {"version": version} if version else {}
    response = api("admin").post(f"{secrets_path(dev_server)}/{secret_id}/reveal", data=body)
    assert response.status == 200, response.text()
    return response.json()["value"]


def secret_via_api(api, dev_server, name: str) -> dict | None:
    listed = api("admin").get(secrets_path(dev_server))
    assert listed.status == 200, listed.text()
    return next((s for s in listed.json()["secrets"] if s["name"] == name), None)


def audit_via_api(api, dev_server, secret_id: str, action: str | None = None) -> list[dict]:
    params = {"secret_id": secret_id, "limit": 200} | ({"action": action} if action else {})
    response = api("admin").get(f"{secrets_path(dev_server)}/audit", params=params)
    assert response.status == 200, response.text()
    return response.json()["events"]


def focus_by_tab(page: Page, name: str, limit: int = 80) -> None:
    """Tab (keyboard only) until the focused element's name is `name` (aria-label, label, text)."""
    script = """() => { const e = document.activeElement;
        return e?.getAttribute('aria-label') || e?.labels?.[0]?.textContent?.trim() || e?.textContent?.trim(); }"""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(script) == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def press_by_tab(page: Page, name: str, filter: str | None = None) -> None:
    """From the Filter box (filled with `filter` first, when given), Tab to `name` and press Enter."""
    box = page.get_by_label("Filter")
    if filter is not None:
        box.fill(filter)
    box.focus()
    focus_by_tab(page, name)
    page.keyboard.press("Enter")
