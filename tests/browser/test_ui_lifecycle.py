"""Issue #16, the lifecycle screens: version history with reveal and rollback, import,
export, rotation reminders, copy audited as a copy. Every result is checked through the
API (the version a rollback made, the value it holds, the audit action, what an import
stored, what an export contains). A real dev server; fake values only."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    audit_via_api,
    create_via_api,
    fake_value,
    focus_by_tab,
    press_by_tab,
    row,
    secret_via_api,
    secrets_path,
    unique,
    value_via_api,
)

pytestmark = pytest.mark.browser


def rotate_via_api(api, dev_server, secret: dict, value: str) -> dict:
    response = api("admin").put(f"{secrets_path(dev_server)}/{secret['id']}", data={"value": value})
    assert response.status == 200, response.text()
    return response.json()["secret"]


def open_details(page, name: str):
    row(page, name).get_by_role("button", name=f"Details of {name}").click()
    details = page.get_by_role("dialog", name=name)
    expect(details.get_by_role("heading", name="Version history")).to_be_visible()
    return details


def versions_in(details):
    return details.locator("ol.versions > li")


# --------------------------------------------------------------------------- history, rollback


def test_history_reveal_an_old_version_and_roll_back_to_it(open_as, api, dev_server):
    name, first, second = unique("HIST"), fake_value("v1"), fake_value("v2")
    secret = create_via_api(api, dev_server, name, first)
    rotate_via_api(api, dev_server, secret, second)
    session = open_as("admin", init_script="window.__MESHHOOK_SECRETS_REVEAL_MS__ = 120000;")
    page = session.page

    details = open_details(page, name)
    items = versions_in(details)
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("v2")
    expect(items.nth(0)).to_contain_text("current")
    expect(items.nth(1)).to_contain_text("v1")
    for item in (items.nth(0), items.nth(1)):  # who (the admin, by email) and when (with seconds)
        expect(item).to_contain_text("admin@demo.meshhook.local (you)")
        expect(item.locator("time")).to_have_text(re.compile(r"\d{1,2}:\d{2}:\d{2}"))

    # An old version's value, for admins (audited as a reveal of that version).
    details.get_by_role("button", name=f"Reveal value of {name} version 1").click()
    expect(details.get_by_label(f"Value of {name} version 1", exact=True)).to_have_text(first)
    assert [e["metadata"].get("version") for e in audit_via_api(api, dev_server, secret["id"], "reveal")] == [1]
    details.get_by_role("button", name=f"Hide value of {name} version 1").click()
    assert first not in page.content()

    # Roll back, confirmed in a dialog.
    details.get_by_role("button", name=f"Roll back to v1 of {name}").click()
    confirm = page.get_by_role("dialog", name=f"Roll back {name}")
    expect(confirm).to_contain_text("The value of version 1 becomes version 3")
    confirm.get_by_role("button", name="Roll back", exact=True).click()
    expect(confirm).to_be_hidden()

    # The list and the panel follow without a reload, and say the new version.
    expect(page.get_by_role("status").filter(has_text=f"Rolled back {name} to the value of version 1: now version 3")).to_be_visible()
    expect(row(page, name)).to_contain_text("v3")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("v3")
    expect(details.locator("dl.meta")).to_contain_text("v3")

    # Through the API: version 3 is current and holds version 1's value; it was audited.
    assert secret_via_api(api, dev_server, name)["version"] == 3
    assert value_via_api(api, dev_server, secret["id"]) == first
    rollbacks = audit_via_api(api, dev_server, secret["id"], "rollback")
    assert len(rollbacks) == 1 and rollbacks[0]["outcome"] == "success"
    assert first not in page.content() and second not in page.content()
    assert not [m for m in session.console if first in m or second in m]


def test_rollback_after_someone_else_rotated_says_412_then_goes_on(open_as, api, dev_server):
    name, first = unique("ROLL412"), fake_value("r1")
    secret = create_via_api(api, dev_server, name, first)
    secret = rotate_via_api(api, dev_server, secret, fake_value("r2"))
    page = open_as("editor").page
    details = open_details(page, name)
    details.get_by_role("button", name=f"Roll back to v1 of {name}").click()
    confirm = page.get_by_role("dialog", name=f"Roll back {name}")
    expect(confirm).to_contain_text("becomes version 3")

    rotate_via_api(api, dev_server, secret, fake_value("r3"))  # meanwhile: version 3
    confirm.get_by_role("button", name="Roll back", exact=True).click()
    expect(confirm.get_by_role("alert")).to_contain_text("Someone else changed this secret: it is now version 3")
    expect(confirm).to_contain_text("becomes version 4")
    assert secret_via_api(api, dev_server, name)["version"] == 3  # nothing was written

    confirm.get_by_role("button", name="Roll back", exact=True).click()
    expect(confirm).to_be_hidden()
    expect(row(page, name)).to_contain_text("v4")
    assert secret_via_api(api, dev_server, name)["version"] == 4
    assert value_via_api(api, dev_server, secret["id"]) == first


HISTORY_CONTROLS = {"viewer": (0, 0), "editor": (0, 1), "admin": (1, 1)}  # (reveal old, roll back)


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_history_controls_by_role(open_as, api, dev_server, role):
    name = unique(f"HROLE_{role.upper()}")
    secret = create_via_api(api, dev_server, name, fake_value("h1"))
    rotate_via_api(api, dev_server, secret, fake_value("h2"))
    page = open_as(role).page
    details = open_details(page, name)
    expect(versions_in(details)).to_have_count(2)
    reveals, rollbacks = HISTORY_CONTROLS[role]
    expect(details.get_by_role("button", name=re.compile(r"^Reveal value of .* version"))).to_have_count(reveals)
    expect(details.get_by_role("button", name=re.compile(r"^Roll back"))).to_have_count(rollbacks)
    # The current version offers neither: rotate and the row's Reveal do that.
    expect(versions_in(details).nth(0).get_by_role("button")).to_have_count(0)


def test_keyboard_only_rollback(open_as, api, dev_server):
    name, first = unique("KEYROLL"), fake_value("k1")
    secret = create_via_api(api, dev_server, name, first)
    rotate_via_api(api, dev_server, secret, fake_value("k2"))
    page = open_as("editor").page

    press_by_tab(page, f"Details of {name}", filter=name)
    details = page.get_by_role("dialog", name=name)
    expect(details).to_be_visible()
    focus_by_tab(page, f"Roll back to v1 of {name}")
    page.keyboard.press("Enter")
    confirm = page.get_by_role("dialog", name=f"Roll back {name}")
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice first
    page.keyboard.press("Tab")
    expect(confirm.get_by_role("button", name="Roll back", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(confirm).to_be_hidden()
    expect(versions_in(details).nth(0)).to_contain_text("v3")
    page.keyboard.press("Escape")  # closes the panel
    expect(details).to_be_hidden()
    expect(row(page, name)).to_contain_text("v3")
    assert value_via_api(api, dev_server, secret["id"]) == first


# --------------------------------------------------------------------------- copy


def test_copy_value_is_audited_as_copy_and_copy_reference_is_not_audited(open_as, api, dev_server):
    name, value = unique("COPYAUDIT"), fake_value("copyaudit")
    secret = create_via_api(api, dev_server, name, value)
    page = open_as("admin", clipboard=True).page
    r = row(page, name)

    r.get_by_role("button", name=f"Copy value of {name}").click()
    expect(page.get_by_role("status").filter(has_text=f"Value of {name} copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == value
    copies = audit_via_api(api, dev_server, secret["id"], "copy")
    assert len(copies) == 1 and copies[0]["outcome"] == "success"
    assert audit_via_api(api, dev_server, secret["id"], "reveal") == []  # a copy, not a reveal

    before = len(audit_via_api(api, dev_server, secret["id"]))
    r.get_by_role("button", name=f"Copy reference to {name}").click()
    expect(page.get_by_role("status").filter(has_text=f"Copied {{{{secrets.{name}}}}}")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == f"{{{{secrets.{name}}}}}"
    assert len(audit_via_api(api, dev_server, secret["id"])) == before  # the reference reads no value


# --------------------------------------------------------------------------- import


def preview(dialog):
    return dialog.get_by_role("region", name="Preview")


def test_import_previews_created_updated_skipped_then_applies(open_as, api, dev_server):
    tag = unique("IMP")
    existing = create_via_api(api, dev_server, f"{tag}_OLD", fake_value("old"))
    new_a, new_b, replaced = fake_value("a"), fake_value("b"), fake_value("replaced")
    content = (f"# pasted from a .env\nexport {tag}_A={new_a}\n{tag}_B='{new_b}\nsecond line'\n"
               f"{tag.lower()}_old=\"{replaced}\"  # names are unique ignoring case\n")
    session = open_as("editor")
    page = session.page
    page.get_by_role("button", name="Import", exact=True).click()
    dialog = page.get_by_role("dialog", name="Import secrets")
    dialog.get_by_label("Contents").fill(content)
    mode = dialog.get_by_label("If a name exists")
    submit = dialog.get_by_role("button", name="Import", exact=True)

    # The default refuses names that exist: the preview says so and Import is off.
    expect(preview(dialog)).to_contain_text("2 to create, 0 to update, 0 skipped")
    expect(preview(dialog)).to_contain_text(f"These exist already: {tag}_OLD")
    expect(submit).to_have_attribute("aria-disabled", "true")
    mode.select_option("skip")
    expect(preview(dialog)).to_contain_text("2 to create, 0 to update, 1 skipped")
    mode.select_option("overwrite")
    expect(preview(dialog)).to_contain_text("2 to create, 1 to update, 0 skipped")
    expect(preview(dialog).locator("dd").nth(0)).to_have_text(f"{tag}_A, {tag}_B")
    expect(preview(dialog).locator("dd").nth(1)).to_have_text(f"{tag}_OLD")
    expect(submit).to_have_attribute("aria-disabled", "false")
    for value in (new_a, new_b, replaced):
        assert value not in preview(dialog).inner_text()

    submit.click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="Imported: 2 created, 1 updated, 0 skipped")).to_be_visible()
    expect(row(page, f"{tag}_A")).to_contain_text("v1")  # in the list without a reload
    expect(row(page, f"{tag}_OLD")).to_contain_text("v2")

    # Through the API: the values, exactly (the multi-line one too), and the import events.
    a, b = secret_via_api(api, dev_server, f"{tag}_A"), secret_via_api(api, dev_server, f"{tag}_B")
    assert value_via_api(api, dev_server, a["id"]) == new_a
    assert value_via_api(api, dev_server, b["id"]) == f"{new_b}\nsecond line"
    assert value_via_api(api, dev_server, existing["id"]) == replaced
    assert secret_via_api(api, dev_server, f"{tag}_OLD")["version"] == 2
    assert [e["metadata"]["result"] for e in audit_via_api(api, dev_server, a["id"], "import")] == ["created"]
    assert [e["metadata"]["result"] for e in audit_via_api(api, dev_server, existing["id"], "import")] == ["updated"]
    assert not [m for m in session.console if new_a in m or replaced in m]

    # The pasted text did not outlive the dialog.
    page.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_label("Contents")).to_have_value("")


def test_import_reports_problems_by_line_without_values(open_as, api, dev_server):
    tag = unique("IMPBAD")
    leak = fake_value("must_not_show")
    page = open_as("admin").page
    page.get_by_role("button", name="Import", exact=True).click()
    dialog = page.get_by_role("dialog", name="Import secrets")
    dialog.get_by_label("Contents").fill(f"{tag}_OK=fine_fake\n{leak}\n1{tag}={leak}\n{tag}_EMPTY=\n")
    problems = preview(dialog).get_by_role("list", name="Problems").get_by_role("listitem")
    expect(problems).to_have_text([
        "line 2: a name without '=' and a value",
        re.compile(r"^line 3: the name is not a valid secret name"),
        "line 4: value must not be empty",
    ])
    assert leak not in preview(dialog).inner_text()
    expect(dialog.get_by_role("button", name="Import", exact=True)).to_have_attribute("aria-disabled", "true")

    # What only the server finds (a JSON key given twice) comes back by key, nothing imported.
    dialog.get_by_label("Format").select_option("json")
    dialog.get_by_label("Contents").fill(f'{{"{tag}_J": "{leak}", "{tag}_J": "{leak}"}}')
    expect(preview(dialog)).to_contain_text("1 to create")
    dialog.get_by_role("button", name="Import", exact=True).click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported")
    expect(alert.get_by_role("listitem")).to_have_text([f"key {tag}_J: {tag}_J is given twice (first at key {tag}_J)"])
    assert leak not in alert.inner_text()
    assert secret_via_api(api, dev_server, f"{tag}_J") is None


def test_import_from_a_chosen_json_file(open_as, api, dev_server, tmp_path):
    tag = unique("IMPFILE")
    values = {f"{tag}_X": fake_value("x"), f"{tag}_Y": fake_value("y")}
    upload = tmp_path / "secrets.json"
    upload.write_text(json.dumps(values))
    page = open_as("editor").page
    page.get_by_role("button", name="Import", exact=True).click()
    dialog = page.get_by_role("dialog", name="Import secrets")
    dialog.get_by_label("File").set_input_files(str(upload))
    expect(dialog.get_by_label("Format")).to_have_value("json")  # by the file's name
    expect(dialog.get_by_label("Contents (from secrets.json)")).to_have_value(json.dumps(values))
    expect(preview(dialog)).to_contain_text("2 to create, 0 to update, 0 skipped")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog).to_be_hidden()
    for name, value in values.items():
        expect(row(page, name)).to_be_visible()
        assert value_via_api(api, dev_server, secret_via_api(api, dev_server, name)["id"]) == value


def test_keyboard_only_import(open_as, api, dev_server):
    name, value = unique("KEYIMP"), fake_value("keyimp")
    page = open_as("editor").page
    press_by_tab(page, "Import")
    dialog = page.get_by_role("dialog", name="Import secrets")
    expect(dialog).to_be_visible()
    focus_by_tab(page, "Contents")  # File, Format, then the text (its label names it)
    page.keyboard.type(f"{name}={value}")
    expect(preview(dialog)).to_contain_text("1 to create")
    focus_by_tab(page, "Import")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(row(page, name)).to_contain_text("v1")
    assert value_via_api(api, dev_server, secret_via_api(api, dev_server, name)["id"]) == value


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("fmt", ["dotenv", "json"])
def test_export_downloads_what_the_api_exports(open_as, api, dev_server, fmt):
    tag = unique(f"EXP_{fmt.upper()}")
    quoted = fake_value("it's") + " \\ $HOME"  # quotes, a backslash and a $ survive the round trip
    made = {f"{tag}_1": create_via_api(api, dev_server, f"{tag}_1", quoted), f"{tag}_2": create_via_api(
        api, dev_server, f"{tag}_2", fake_value("two"))}
    page = open_as("admin").page
    page.get_by_role("button", name="Export", exact=True).click()
    dialog = page.get_by_role("dialog", name="Export secrets")
    dialog.get_by_label("Format").select_option(fmt)
    with page.expect_download() as download:
        dialog.get_by_role("button", name="Download").click()
    expect(dialog).to_be_hidden()
    saved = open(download.value.path(), encoding="utf-8").read()
    assert download.value.suggested_filename.endswith(".env" if fmt == "dotenv" else ".json")

    # The file is the API's export, byte for byte (.env) or key for key (JSON).
    response = api("admin").post(f"{secrets_path(dev_server)}/export", data={"format": fmt})
    assert response.status == 200, response.text()
    if fmt == "dotenv":
        assert saved == response.text()
        assert f"{tag}_1='" in saved
    else:
        assert json.loads(saved) == response.json()
        assert json.loads(saved)[f"{tag}_1"] == quoted
    exports = audit_via_api(api, dev_server, made[f"{tag}_1"]["id"], "export")
    assert len(exports) == 2 and exports[-1]["metadata"]["format"] == fmt  # ours (older), then the check's
    expect(page.get_by_role("status").filter(has_text=re.compile(r"^Exported \d+ secrets"))).to_be_visible()
    assert quoted not in page.content()


# --------------------------------------------------------------------------- rotation reminders


def test_rotation_badge_and_filter(open_as, api, dev_server):
    tag = unique("ROT")
    base = secrets_path(dev_server)
    for suffix, days in (("SOON", 1), ("LATER", 365), ("NONE", None)):
        data = {"name": f"{tag}_{suffix}", "value": fake_value("rot"), "rotation_period_days": days}
        assert api("admin").post(base, data=data).status == 201
    page = open_as("viewer").page
    page.get_by_label("Filter").fill(tag)
    expect(page.get_by_role("rowheader")).to_have_count(3)
    expect(row(page, f"{tag}_SOON").locator(".badge.rotation")).to_have_text("Rotation due")
    expect(row(page, f"{tag}_LATER").locator(".badge.rotation")).to_have_count(0)
    expect(row(page, f"{tag}_NONE").locator(".badge.rotation")).to_have_count(0)

    show = page.get_by_label("Show")
    expect(show.locator("option").nth(1)).to_have_text(re.compile(r"^Rotation due \(\d+\)$"))
    show.select_option(index=1)
    expect(page.get_by_role("rowheader")).to_have_count(1)
    expect(page.get_by_role("rowheader", name=f"{tag}_SOON", exact=True)).to_be_visible()
    show.select_option(label="All secrets")
    expect(page.get_by_role("rowheader")).to_have_count(3)

    details = open_details(page, f"{tag}_SOON")
    expect(details.locator("dl.meta")).to_contain_text("every 1 day, next by")
    page.keyboard.press("Escape")

    # Two days on (the browser's clock), the reminder is overdue.
    page.clock.set_fixed_time(time.time() + 2 * 86_400)
    page.reload()
    page.get_by_label("Filter").fill(tag)
    expect(row(page, f"{tag}_SOON").locator(".badge.rotation")).to_have_text("Rotation overdue")
    due = secret_via_api(api, dev_server, f"{tag}_SOON")
    assert due["rotation_period_days"] == 1 and due["rotation_due_at"]
