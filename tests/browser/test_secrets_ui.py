"""The secrets UI in a real browser against `meshhook-secrets dev`.

Every test makes its own uniquely named secrets, so they are independent of each
other and of the order they run in. Values are obviously fake.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import create_via_api, fake_value, row, unique

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
TOKEN_KEY = "meshhook-secrets.access_token"
WRITE_OR_REVEAL = re.compile(r"^(New secret|Create a secret|Rotate|Delete|Reveal|Copy value|Edit description|Edit rotation reminder|Import|Export|Roll back)\b")


def assert_value_not_leaked(session, value: str) -> None:
    """Not in the URL, Web Storage (the token is the only thing we keep) or the console."""
    page = session.page
    assert value not in page.evaluate("location.href")
    local = page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert value not in local
    session_storage = page.evaluate("Object.fromEntries(Object.entries(sessionStorage))")
    assert session_storage.get(TOKEN_KEY), "the dev token should be kept in sessionStorage"
    assert not [k for k, v in session_storage.items() if value in k or value in v]
    assert not [m for m in session.console if value in m], "a console message contains the value"


# --------------------------------------------------------------------------- create / rotate


def test_create_with_live_rules_then_rotate_to_version_2(open_as):
    session = open_as("admin")
    page = session.page
    name, value, rotated = unique("CREATE"), fake_value("create"), fake_value("rotated")

    # The dev login token left the address bar and lives in sessionStorage.
    assert "access_token" not in page.url
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')")

    page.get_by_role("button", name="New secret").click()
    dialog = page.get_by_role("dialog", name="New secret")
    name_input = dialog.get_by_label("Name", exact=True)
    expect(name_input).to_be_focused()

    # The API's rules are shown as you type.
    name_input.fill("1-not-valid")
    expect(name_input).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_text("Starts with a letter or an underscore (not met)")).to_be_visible()
    expect(dialog.get_by_text("Only letters, digits and underscores (not met)")).to_be_visible()
    name_input.fill(name)
    expect(name_input).not_to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_text("Starts with a letter or an underscore (met)")).to_be_visible()

    dialog.get_by_label("Value", exact=True).fill(value)
    expect(dialog.get_by_text(f"{len(value)} B of 64 KiB")).to_be_visible()
    description = dialog.get_by_label("Description")
    description.fill("x" * 501)
    expect(dialog.get_by_text("the limit is 500")).to_be_visible()
    description.fill("Created by the browser test")
    expect(dialog.get_by_text("27 of 500 characters")).to_be_visible()

    dialog.get_by_role("button", name="Create secret").click()
    expect(dialog).to_be_hidden()
    created = row(page, name)
    expect(created).to_contain_text("Created by the browser test")
    expect(created).to_contain_text("v1")
    expect(page.get_by_role("status").filter(has_text=f"Created {name}")).to_be_visible()
    assert value not in page.content()
    assert_value_not_leaked(session, value)

    # The typed value did not survive the submit.
    page.get_by_role("button", name="New secret").click()
    expect(dialog.get_by_label("Value", exact=True)).to_have_value("")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Rotate: a new value is the next version, shown without a reload.
    created.get_by_role("button", name=f"Rotate {name}").click()
    rotate = page.get_by_role("dialog", name=f"Rotate {name}")
    expect(rotate).to_contain_text("becomes version 2")
    rotate.get_by_label("New value").fill(rotated)
    rotate.get_by_role("button", name="Rotate", exact=True).click()
    expect(rotate).to_be_hidden()
    expect(created).to_contain_text("v2")
    expect(page.get_by_role("status").filter(has_text=f"Rotated {name}: now version 2")).to_be_visible()
    assert_value_not_leaked(session, rotated)


def test_rotate_after_someone_else_rotated_shows_412(open_as, api, dev_server):
    name = unique("STALE")
    secret = create_via_api(api, dev_server, name, fake_value("stale"))
    session = open_as("admin")
    page = session.page

    row(page, name).get_by_role("button", name=f"Rotate {name}").click()
    dialog = page.get_by_role("dialog", name=f"Rotate {name}")
    dialog.get_by_label("New value").fill(fake_value("mine"))

    # Meanwhile someone else rotates it.
    other = api("editor").put(
        f"/api/projects/{dev_server.project_id}/secrets/{secret['id']}",
        data={"value": fake_value("theirs")},
        headers={"If-Match": str(secret["version"])},
    )
    assert other.status == 200, other.text()

    dialog.get_by_role("button", name="Rotate", exact=True).click()
    expect(dialog.get_by_role("alert")).to_contain_text("Someone else changed this secret: it is now version 2")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("becomes version 3")  # the dialog follows the reloaded list
    expect(row(page, name)).to_contain_text("v2")  # the list was reloaded

    # Rotating again (with the version now shown) replaces their value.
    dialog.get_by_role("button", name="Rotate", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(row(page, name)).to_contain_text("v3")


def test_duplicate_name_names_the_existing_secret_inline(open_as, api, dev_server):
    name = unique("DUP")
    create_via_api(api, dev_server, name, fake_value("first"))
    # What the API says for a duplicate (names are unique ignoring case).
    duplicate = api("admin").post(
        f"/api/projects/{dev_server.project_id}/secrets", data={"name": name.lower(), "value": "fake-value-1234"}
    )
    assert duplicate.status == 409
    assert duplicate.json()["error"] == "conflict"

    page = open_as("admin").page
    page.get_by_role("button", name="New secret").click()
    dialog = page.get_by_role("dialog", name="New secret")
    name_input = dialog.get_by_label("Name", exact=True)
    name_input.fill(name.lower())
    dialog.get_by_label("Value", exact=True).fill(fake_value("second"))
    dialog.get_by_role("button", name="Create secret").click()

    # A sentence that names the secret that exists, as it is spelled in the list.
    expect(name_input).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_role("alert")).to_have_text(
        f"A secret named {name} already exists in this project (names are unique ignoring case)."
    )
    expect(name_input).to_be_focused()
    expect(dialog).to_be_visible()

    name_input.fill(name)
    dialog.get_by_role("button", name="Create secret").click()
    expect(dialog.get_by_role("alert")).to_have_text(f"A secret named {name} already exists in this project.")
    expect(row(page, name)).to_have_count(1)


# --------------------------------------------------------------------------- reveal / copy


def test_reveal_is_masked_then_hides_after_the_timeout(open_as, api, dev_server):
    name, value = unique("REVEAL_T"), fake_value("reveal-timeout")
    create_via_api(api, dev_server, name, value)
    page = open_as("admin", init_script="window.__MESHHOOK_SECRETS_REVEAL_MS__ = 1500;").page
    r = row(page, name)

    # Masked by default, and announced as hidden.
    expect(r.locator(".masked")).to_have_attribute("aria-hidden", "true")
    expect(r.get_by_text("Value hidden")).to_be_attached()
    assert value not in page.content()

    r.get_by_role("button", name=f"Reveal value of {name}").click()
    expect(r.get_by_text(value, exact=True)).to_be_visible()
    expect(r.get_by_role("button", name=f"Hide value of {name}")).to_be_focused()

    # Nothing else happens: the 1.5 s timer hides it.
    expect(r.get_by_text(value, exact=True)).to_have_count(0, timeout=10_000)
    expect(r.get_by_text("Value hidden")).to_be_attached()
    assert value not in page.content()


def test_reveal_hides_when_focus_or_the_window_is_left(open_as, api, dev_server):
    name, value = unique("REVEAL_B"), fake_value("reveal-blur")
    create_via_api(api, dev_server, name, value)
    # A long timer, so only blur can explain the value disappearing within the 5 s below.
    page = open_as("admin", init_script="window.__MESHHOOK_SECRETS_REVEAL_MS__ = 120000;").page
    r = row(page, name)
    shown = r.get_by_text(value, exact=True)

    r.get_by_role("button", name=f"Reveal value of {name}").click()
    expect(shown).to_be_visible()
    page.get_by_label("Filter").focus()  # focus leaves the reveal control
    expect(shown).to_have_count(0, timeout=5_000)

    r.get_by_role("button", name=f"Reveal value of {name}").click()
    expect(shown).to_be_visible()
    page.evaluate("window.dispatchEvent(new FocusEvent('blur'))")  # the user switched windows
    expect(shown).to_have_count(0, timeout=5_000)
    assert value not in page.content()


def test_copy_writes_the_clipboard_without_showing_the_value(open_as, api, dev_server):
    name, value = unique("COPY"), fake_value("copy")
    create_via_api(api, dev_server, name, value)
    session = open_as("admin", clipboard=True)
    page = session.page
    r = row(page, name)

    copy = r.get_by_role("button", name=f"Copy value of {name}")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert value not in page.content()
    expect(r.get_by_text("Value hidden")).to_be_attached()
    assert page.evaluate("navigator.clipboard.readText()") == value
    assert not [m for m in session.console if value in m]


# --------------------------------------------------------------------------- delete


def test_delete_requires_typing_the_name(open_as, api, dev_server):
    name = unique("DELETE")
    create_via_api(api, dev_server, name, fake_value("delete"))
    page = open_as("admin").page

    row(page, name).get_by_role("button", name=f"Delete {name}").click()
    dialog = page.get_by_role("dialog", name=f"Delete {name}")
    confirm = dialog.get_by_role("button", name="Delete secret")
    expect(confirm).to_be_disabled()
    dialog.get_by_label(f"Type {name} to confirm").fill(name[:-1])
    expect(confirm).to_be_disabled()
    dialog.get_by_label(f"Type {name} to confirm").fill(name)
    expect(confirm).to_be_enabled()
    confirm.click()

    expect(dialog).to_be_hidden()
    expect(row(page, name)).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text=f"Deleted {name}")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Filter")).to_be_focused()
    page.reload()  # gone on the server too
    expect(page.get_by_text("Role: admin")).to_be_visible()
    expect(row(page, name)).to_have_count(0)


# --------------------------------------------------------------------------- roles


def test_viewer_sees_no_write_or_reveal_controls(open_as, api, dev_server):
    name = unique("VIEWER")
    create_via_api(api, dev_server, name, fake_value("viewer"))
    page = open_as("viewer").page

    expect(row(page, name)).to_be_visible()
    expect(page.get_by_role("button", name=WRITE_OR_REVEAL)).to_have_count(0)
    expect(page.get_by_role("tab", name="Audit log")).to_have_count(0)
    expect(page.get_by_role("textbox")).to_have_count(0)  # the only input is the filter (searchbox)
    expect(page.get_by_role("searchbox", name="Filter")).to_be_visible()


def test_editor_can_write_but_not_reveal_copy_or_audit(open_as, api, dev_server):
    name = unique("EDITOR")
    create_via_api(api, dev_server, name, fake_value("editor"))
    page = open_as("editor").page
    r = row(page, name)

    expect(r).to_be_visible()
    expect(page.get_by_role("button", name="New secret")).to_be_visible()
    expect(r.get_by_role("button", name=f"Rotate {name}")).to_be_visible()
    expect(r.get_by_role("button", name=f"Delete {name}")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^(Reveal|Copy value)"))).to_have_count(0)
    expect(page.get_by_role("tab", name="Audit log")).to_have_count(0)
    expect(page.get_by_text("Value hidden")).to_have_count(0)


def test_expired_or_invalid_token_asks_to_sign_in_again(open_as, dev_server):
    url = f"{dev_server.base_url}/projects/{dev_server.project_id}/secrets#access_token=not.a-valid.token"
    page = open_as("admin", url=url, wait=False).page
    expect(page.get_by_role("alert")).to_contain_text("Your session has expired")
    expect(page.get_by_role("button", name=WRITE_OR_REVEAL)).to_have_count(0)


def test_without_a_token_asks_to_sign_in(open_as, dev_server):
    url = f"{dev_server.base_url}/projects/{dev_server.project_id}/secrets"
    page = open_as("viewer", url=url, wait=False).page
    expect(page.get_by_role("alert")).to_contain_text("You are not signed in")


def test_unknown_project_says_project_not_found(open_as, dev_server):
    token = dev_server.token("admin")
    url = f"{dev_server.base_url}/projects/{uuid.uuid4()}/secrets#access_token={token}"
    page = open_as("admin", url=url, wait=False).page
    expect(page.get_by_role("alert")).to_contain_text("Project not found")


# --------------------------------------------------------------------------- audit


def test_audit_tab_lists_events_and_loads_more(open_as, api, dev_server):
    name = unique("AUDIT")
    secret = create_via_api(api, dev_server, name, fake_value("audit"))
    base = f"/api/projects/{dev_server.project_id}/secrets/{secret['id']}"
    assert api("admin").put(base, data={"value": fake_value("audit2")}).status == 200
    assert api("admin").post(f"{base}/reveal").status == 200  # create, rotate, reveal: 3 events

    page = open_as("admin", init_script="window.__MESHHOOK_SECRETS_AUDIT_PAGE_SIZE__ = 2;").page
    page.get_by_role("tab", name="Secrets").focus()
    page.keyboard.press("ArrowRight")  # the ARIA tabs pattern
    expect(page.get_by_role("tab", name="Audit log")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Audit log")).to_be_focused()
    panel = page.get_by_role("tabpanel", name="Audit log")
    panel.get_by_label("Secret").select_option(label=name)
    panel.get_by_role("button", name="Apply filters").click()

    events = panel.get_by_role("table").locator("tbody tr")
    expect(events).to_have_count(2)
    for header in ("Time", "Actor", "Action", "Secret", "IP address", "Outcome"):
        expect(panel.get_by_role("columnheader", name=header)).to_be_visible()
    expect(events.first).to_contain_text(name)
    expect(events.first).to_contain_text("(you)")  # the admin's own actions

    load_more = panel.get_by_role("button", name="Load more")
    for _ in range(10):  # page until next_cursor is null
        if load_more.count() == 0:
            break
        seen = events.count()
        load_more.click()
        expect(events).not_to_have_count(seen)
    expect(load_more).to_have_count(0)
    assert events.count() >= 3


# --------------------------------------------------------------------------- keyboard, themes


def test_keyboard_only_create_and_dialog_focus(open_as):
    page = open_as("admin").page
    name, value = unique("KEYBOARD"), fake_value("keyboard")

    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.textContent?.trim()") == "New secret":
            break
    else:
        pytest.fail("Tab never reached the New secret button")
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog", name="New secret")
    expect(dialog.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Value", exact=True)).to_be_focused()
    page.keyboard.type(value)
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Description")).to_be_focused()
    page.keyboard.type("typed with the keyboard")
    page.keyboard.press("Enter")  # submits the form

    expect(dialog).to_be_hidden()
    expect(row(page, name)).to_contain_text("typed with the keyboard")

    # Focus is trapped in an open dialog, and Escape closes it.
    new_secret = page.get_by_role("button", name="New secret")
    expect(new_secret).to_be_focused()  # focus went back to the opener
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    for _ in range(8):
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement?.closest('dialog[open]')")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(new_secret).to_be_focused()


def test_light_and_dark_themes(open_as, api, dev_server):
    create_via_api(api, dev_server, unique("THEME"), fake_value("theme"))
    page = open_as("admin", color_scheme="light").page
    background = "getComputedStyle(document.querySelector('.mhs')).backgroundColor"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    light = page.evaluate(background)
    page.screenshot(path=str(SCREENSHOTS / "secrets-light.png"), full_page=True, animations="disabled")

    page.emulate_media(color_scheme="dark")  # prefers-color-scheme follows the system
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    dark = page.evaluate(background)
    assert dark != light
    page.screenshot(path=str(SCREENSHOTS / "secrets-dark.png"), full_page=True, animations="disabled")

    page.get_by_role("button", name="New secret").click()
    page.get_by_role("dialog", name="New secret").get_by_label("Name", exact=True).fill("1_bad")
    page.screenshot(path=str(SCREENSHOTS / "secrets-dialog-dark.png"), animations="disabled")
    page.keyboard.press("Escape")

    toggle.click()  # the toggle overrides the system preference
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(background) == light
    page.get_by_role("button", name="New secret").click()
    page.screenshot(path=str(SCREENSHOTS / "secrets-dialog-light.png"), animations="disabled")
