"""Calendar links and the CSV export in real Chromium: made, shown once and turned off by
keyboard, with JavaScript and without; axe-clean in light and dark, within a 390 px screen."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kanvaro.models import Task
from tests.browser.conftest import LiveServer, assert_no_axe_violations, focused, tab_to
from tests.factories import assign, make_org, make_project, make_user


def _world(live: LiveServer) -> dict[str, Any]:
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        project = make_project(db, org, name="Launch with a rather long project name",
                               creator=owner, members=[owner])
        project.task_seq = 2
        task = Task(organization_id=org.id, project_id=project.id, number=1, title="Fuel the rocket",
                    position=1, due_date=date(2026, 12, 24), status="review")
        db.add_all([task, Task(organization_id=org.id, project_id=project.id, number=2,
                               title="Count down", position=2)])
        db.flush()
        assign(db, task, owner)
        db.commit()
        return {"owner": owner, "project": project}


def _make_links_by_keyboard(page: Page, live: LiveServer, button: str) -> str:
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == button)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your calendar links")).to_be_visible()
    mine = page.get_by_label("My tasks")
    expect(mine).to_have_attribute("readonly", "")
    link = mine.input_value()
    assert link.endswith(".ics")
    assert link.startswith(live.url + "/calendar/")
    feed = page.request.get(link)
    assert feed.status == 200 and feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "SUMMARY:1.1 Fuel the rocket" in feed.text()
    return link


@pytest.mark.parametrize("js", [False, True])
def test_make_remake_and_turn_off_by_keyboard(new_page: Any, live: LiveServer, js: bool) -> None:
    w = _world(live)
    page = new_page(java_script_enabled=js)
    live.login(page.context, w["owner"])
    page.goto("/account")
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Subscribe to your due dates from a calendar app")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar feeds")
    expect(page.get_by_text("You have no calendar links.")).to_be_visible()
    first = _make_links_by_keyboard(page, live, "Make calendar links")
    expect(page.get_by_label("1 Launch with a rather long project name")).to_have_value(
        first.replace("/calendar/", f"/projects/{w['project'].id}/calendar/"))
    page.goto("/account/calendar")  # a later visit never shows them again
    expect(page.get_by_role("status").filter(has_text="Your calendar links are on")).to_be_visible()
    expect(page.get_by_label("My tasks")).to_have_count(0)
    second = _make_links_by_keyboard(page, live, "Make a new link")
    assert second != first
    assert page.request.get(first).status == 404
    tab_to(page, lambda f: f["tag"] == "button" and f["text"].startswith("Turn off"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Calendar links turned off")).to_be_visible()
    expect(page.get_by_text("You have no calendar links.")).to_be_visible()
    assert page.request.get(second).status == 404


def test_the_export_link_carries_the_filters_and_is_reached_by_keyboard(nojs_page: Page,
                                                                         live: LiveServer) -> None:
    w = _world(live)
    page = nojs_page
    live.login(page.context, w["owner"])
    project = w["project"]
    page.goto(f"/projects/{project.id}")
    page.get_by_label("Status", exact=True).select_option("review")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("link", name="Export these tasks as CSV")).to_be_visible()
    info = tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Export these tasks as CSV")
    assert info["href"] == f"/projects/{project.id}/tasks.csv?status=review&sort=number"
    with page.expect_download() as got:
        page.keyboard.press("Enter")
    download = got.value
    assert download.suggested_filename == "launch-with-a-rather-long-project-name-tasks.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("key,title,status")
    assert "Fuel the rocket" in text and "Count down" not in text
    assert focused(page)["text"] == "Export these tasks as CSV"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("made", [False, True])
def test_the_page_is_axe_clean_and_fits_a_phone(new_page: Any, live: LiveServer, scheme: str,
                                                made: bool) -> None:
    w = _world(live)
    page = new_page(color_scheme=scheme, viewport={"width": 390, "height": 844})
    live.login(page.context, w["owner"])
    page.goto("/account/calendar")
    if made:
        page.get_by_role("button", name="Make calendar links").click()
        expect(page.get_by_label("My tasks")).to_be_visible()
    assert_no_axe_violations(page)
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > 390)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''))""")
    assert wide == [], f"past 390 px: {wide}"
    page.goto(f"/projects/{w['project'].id}")
    assert_no_axe_violations(page, context=".export-link")
