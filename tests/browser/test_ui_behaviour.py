"""Issue #16, phase 1: stable layout, toasts, roles, description, reference, sort,
keyboard-only rotate, audit filters and CSV. A real dev server; fake values only."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    button_boxes,
    create_via_api,
    fake_value,
    press_by_tab,
    row,
    unique,
)

pytestmark = pytest.mark.browser

AUDIT_ACTIONS = ["create", "update", "rotate", "rollback", "delete", "reveal", "copy", "export", "import", "resolve"]


# --------------------------------------------------------------------------- stable layout


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_revealing_moves_nothing_and_another_rows_reveal_takes_one_click(open_as, api, dev_server, size):
    tag = unique("LAYOUT")
    first, second = f"{tag}_A", f"{tag}_B"
    long_value = fake_value("long") + "_" + "x" * 3000  # a long value must not widen anything
    create_via_api(api, dev_server, first, long_value)
    create_via_api(api, dev_server, second, fake_value("short"))
    viewport = DESKTOP if size == "desktop" else PHONE
    page = open_as("admin", viewport=viewport, init_script="window.__MESHHOOK_SECRETS_REVEAL_MS__ = 120000;").page
    page.get_by_label("Filter").fill(tag)
    a, b = row(page, first), row(page, second)
    expect(b).to_be_visible()

    before = button_boxes(page)
    a.get_by_role("button", name=f"Reveal value of {first}").click()
    shown = a.get_by_label(f"Value of {first}", exact=True)
    expect(shown).to_be_visible()
    assert shown.inner_text() == long_value
    after = button_boxes(page)
    moved = {k: (before[k], after.get(k)) for k in before if k != f"Reveal value of {first}" and before[k] != after.get(k)}
    assert moved == {}, f"revealing moved: {moved}"
    assert after[f"Hide value of {first}"] == before[f"Reveal value of {first}"]  # same place, same size

    # One click on the other row's Reveal: the first hides (focus left it), the second shows.
    b.get_by_role("button", name=f"Reveal value of {second}").click()
    expect(b.get_by_label(f"Value of {second}", exact=True)).to_be_visible()
    expect(shown).to_have_count(0)
    assert long_value not in page.content()

    # And one click on a Rotate while a value is shown opens its dialog.
    a.get_by_role("button", name=f"Rotate {first}").click()
    expect(page.get_by_role("dialog", name=f"Rotate {first}")).to_be_visible()


def test_toasts_do_not_move_the_page_and_errors_stay(open_as, api, dev_server):
    name = unique("TOAST")
    create_via_api(api, dev_server, name, fake_value("toast"))
    # A clipboard that refuses: Copy fails, which is an error toast.
    refuse = "navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));"
    page = open_as("admin", init_script=refuse).page
    page.clock.install()
    page.reload()
    expect(row(page, name)).to_be_visible()
    page_y = "el => el.getBoundingClientRect().top + window.scrollY"  # where it is in the document
    table_top = page.get_by_role("table").evaluate(page_y)

    row(page, name).get_by_role("button", name=f"Copy reference to {name}").click()
    error = page.get_by_role("alert").filter(has_text="Could not write to the clipboard")
    expect(error).to_be_visible()
    assert page.get_by_role("table").evaluate(page_y) == table_top  # nothing pushed down

    page.get_by_role("button", name="Delete " + name).click()  # a success toast as well
    dialog = page.get_by_role("dialog", name=f"Delete {name}")
    dialog.get_by_label(f"Type {name} to confirm").fill(name)
    dialog.get_by_role("button", name="Delete secret").click()
    notice = page.get_by_role("status").filter(has_text=f"Deleted {name}")
    expect(notice).to_be_visible()

    page.clock.run_for(60_000)  # a minute later: the notice has gone, the error has not
    expect(notice).to_have_count(0)
    expect(error).to_be_visible()
    page.get_by_role("button", name=re.compile("^Dismiss: Could not write")).click()
    expect(error).to_have_count(0)


# --------------------------------------------------------------------------- roles


CONTROLS = {
    # role: (page-level buttons and tabs, per-row buttons)
    "viewer": (set(), {"Copy reference to {n}", "Details of {n}"}),
    "editor": ({"New secret", "Import"}, {"Copy reference to {n}", "Details of {n}", "Rotate {n}", "Delete {n}"}),
    "admin": ({"New secret", "Import", "Export", "tab:Secrets", "tab:Audit log"},
              {"Copy reference to {n}", "Details of {n}", "Rotate {n}", "Delete {n}",
               "Reveal value of {n}", "Copy value of {n}"}),
}


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_each_role_sees_exactly_its_controls(open_as, api, dev_server, role):
    name = unique(f"ROLE_{role.upper()}")
    create_via_api(api, dev_server, name, fake_value("role"), description="for the role test")
    page = open_as(role).page
    r = row(page, name)
    expect(r).to_be_visible()
    page_controls, row_controls = CONTROLS[role]

    names = lambda loc: {b.get_attribute("aria-label") or b.inner_text().strip() for b in loc.all()}  # noqa: E731
    assert names(r.get_by_role("button")) == {c.format(n=name) for c in row_controls}
    outside = names(page.locator(".page-header button:not(.theme-toggle), .toolbar button")) - {"Sign out"}
    tabs = {f"tab:{t.inner_text().strip()}" for t in page.get_by_role("tab").all()}
    assert outside | tabs == page_controls

    r.get_by_role("button", name=f"Details of {name}").click()
    details = page.get_by_role("dialog", name=name)
    expect(details).to_contain_text("for the role test")
    expect(details.get_by_role("button", name="Edit description")).to_have_count(0 if role == "viewer" else 1)
    expect(details.get_by_role("button", name="Edit rotation reminder")).to_have_count(0 if role == "viewer" else 1)


# --------------------------------------------------------------------------- details, reference, sort


def test_edit_description_sends_only_the_description(open_as, api, dev_server):
    name = unique("DESC")
    create_via_api(api, dev_server, name, fake_value("desc"), description="before")
    page = open_as("editor").page
    row(page, name).get_by_role("button", name=f"Details of {name}").click()
    details = page.get_by_role("dialog", name=name)
    details.get_by_role("button", name="Edit description").click()
    field = details.get_by_role("textbox", name="Description")
    expect(field).to_be_focused()
    expect(field).to_have_value("before")
    field.fill("after, edited in the details panel")

    with page.expect_request(lambda r: r.method == "PUT") as put:
        details.get_by_role("button", name="Save description").click()
    assert json.loads(put.value.post_data) == {"description": "after, edited in the details panel"}
    assert "if-match" not in {k.lower() for k in put.value.headers}
    expect(details).to_contain_text("after, edited in the details panel")
    expect(details).to_contain_text("v1")  # a description is not a new version
    page.keyboard.press("Escape")
    expect(row(page, name)).to_contain_text("after, edited in the details panel")
    expect(page.get_by_role("status").filter(has_text=f"Saved the description of {name}")).to_be_visible()


def test_a_rotation_reminder_is_set_refused_when_bad_and_removed(open_as, api, dev_server):
    name = unique("REMIND")
    secret = create_via_api(api, dev_server, name, fake_value("remind"))
    page = open_as("editor").page
    row(page, name).get_by_role("button", name=f"Details of {name}").click()
    details = page.get_by_role("dialog", name=name)
    expect(details).to_contain_text("No reminder")
    details.get_by_role("button", name="Edit rotation reminder").click()
    field = details.get_by_role("textbox", name="Remind to rotate every (days)")
    expect(field).to_be_focused()
    expect(field).to_have_value("")

    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.method) if r.method == "PUT" else None)
    for bad in ("0", "3651", "1.5", "ninety"):  # refused here, never sent
        field.fill(bad)
        expect(details.get_by_role("button", name="Save reminder")).to_have_attribute("aria-disabled", "true")
        expect(details.locator(".field-error")).to_be_visible()
    assert sent == []

    field.fill("30")
    with page.expect_request(lambda r: r.method == "PUT") as put:
        details.get_by_role("button", name="Save reminder").click()
    assert json.loads(put.value.post_data) == {"rotation_period_days": 30}
    assert "if-match" not in {k.lower() for k in put.value.headers}
    expect(details).to_contain_text("every 30 days")
    expect(page.get_by_role("status").filter(has_text=f"Saved the rotation reminder of {name}")).to_be_visible()

    details.get_by_role("button", name="Edit rotation reminder").click()
    expect(field).to_have_value("30")
    field.fill("")
    with page.expect_request(lambda r: r.method == "PUT") as put:
        details.get_by_role("button", name="Save reminder").click()
    assert json.loads(put.value.post_data) == {"rotation_period_days": None}
    expect(details).to_contain_text("No reminder")
    stored = api("viewer").get(f"/api/projects/{dev_server.project_id}/secrets/{secret['id']}").json()["secret"]
    assert (stored["rotation_period_days"], stored["version"]) == (None, 1)  # metadata only: no new version


def test_copy_reference_and_sort(open_as, api, dev_server):
    tag = unique("SORT")
    names = [f"{tag}_{x}" for x in ("B", "A", "C")]
    for n in names:  # created B, A, C: "recently updated" puts C first
        create_via_api(api, dev_server, n, fake_value("sort"))
    page = open_as("viewer", clipboard=True).page
    page.get_by_label("Filter").fill(tag)
    headers = page.get_by_role("rowheader")
    expect(headers).to_have_text([f"{tag}_A", f"{tag}_B", f"{tag}_C"])
    page.get_by_label("Sort", exact=True).select_option(label="Recently updated")
    expect(headers).to_have_text([f"{tag}_C", f"{tag}_A", f"{tag}_B"])
    page.get_by_label("Sort", exact=True).select_option(label="Recently used")  # none used: by name
    expect(headers).to_have_text([f"{tag}_A", f"{tag}_B", f"{tag}_C"])

    row(page, f"{tag}_A").get_by_role("button", name=f"Copy reference to {tag}_A").click()
    expect(page.get_by_role("status").filter(has_text=f"Copied {{{{secrets.{tag}_A}}}}")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == f"{{{{secrets.{tag}_A}}}}"


# --------------------------------------------------------------------------- keyboard


def test_keyboard_only_rotate(open_as, api, dev_server):
    name = unique("KEYROT")
    create_via_api(api, dev_server, name, fake_value("keyrot"))
    page = open_as("editor").page

    press_by_tab(page, f"Rotate {name}", filter=name)
    dialog = page.get_by_role("dialog", name=f"Rotate {name}")
    expect(dialog.get_by_label("New value")).to_be_focused()
    page.keyboard.type(fake_value("keyrot2"))
    page.keyboard.press("Tab")  # Cancel
    page.keyboard.press("Tab")  # Rotate
    expect(dialog.get_by_role("button", name="Rotate", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(row(page, name)).to_contain_text("v2")
    expect(row(page, name).get_by_role("button", name=f"Rotate {name}")).to_be_focused()  # back to the opener

    # Ctrl+Enter in the value submits too.
    page.keyboard.press("Enter")
    page.keyboard.type(fake_value("keyrot3"))
    page.keyboard.press("Control+Enter")
    expect(dialog).to_be_hidden()
    expect(row(page, name)).to_contain_text("v3")


# --------------------------------------------------------------------------- audit


def test_audit_filters_seconds_deleted_secrets_and_csv(open_as, api, dev_server):
    kept, gone = unique("AUDIT_KEPT"), unique("AUDIT_GONE")
    create_via_api(api, dev_server, kept, fake_value("kept"))
    doomed = create_via_api(api, dev_server, gone, fake_value("gone"))
    base = f"/api/projects/{dev_server.project_id}/secrets"
    assert api("admin").post(f"{base}/{doomed['id']}/reveal").status == 200
    assert api("admin").delete(f"{base}/{doomed['id']}").status == 204

    page = open_as("admin").page
    page.get_by_role("tab", name="Audit log").click()
    panel = page.get_by_role("tabpanel", name="Audit log")
    events = panel.get_by_role("table").locator("tbody tr")
    expect(events.first).to_be_visible()

    action = panel.get_by_label("Action")
    assert action.locator("option").all_inner_texts() == ["All actions", *AUDIT_ACTIONS]
    secret = panel.get_by_label("Secret")
    expect(secret.locator("option", has_text=f"{gone} (deleted)")).to_have_count(1)
    expect(secret.locator("option", has_text=kept)).to_have_count(1)
    expect(panel.get_by_label("Actor").locator("option", has_text="You")).to_have_count(1)

    secret.select_option(label=f"{gone} (deleted)")
    action.select_option("reveal")
    panel.get_by_role("button", name="Apply filters").click()
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("reveal")
    expect(events.first).to_contain_text(gone)
    expect(events.first.locator("time")).to_have_text(re.compile(r"\d{1,2}:\d{2}:\d{2}"))  # seconds

    with page.expect_download() as download:
        panel.get_by_role("button", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert [(r["action"], r["secret_name"]) for r in rows] == [("reveal", gone)]
    assert rows[0]["actor_type"] == "user" and rows[0]["created_at"]
