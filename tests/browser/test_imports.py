"""CSV import in real Chromium: upload, map, run, watch the progress and read the report, by
keyboard with JavaScript (htmx polls the progress) and without it (the page refreshes itself);
axe-clean in light and dark, and within a 390 px screen."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kanvaro import uow
from kanvaro.imports import jobs
from kanvaro.imports.models import ImportJob
from kanvaro.models import Task
from tests.browser.conftest import LiveServer, assert_no_axe_violations, focused, tab_to
from tests.factories import make_org, make_project, make_user
from tests.imports.helpers import csv_bytes

ROWS = [["Write the plan", "Doing", "31/12/2026"], ["", "To do", ""], ["Ship it", "Done", ""],
        ["Tell everyone", "Review", "2027-01-15"], ["Celebrate", "To do", ""]]


def _world(live: LiveServer, tmp_path: Path) -> dict[str, Any]:
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        project = make_project(db, org, name="Launch", creator=owner)
        db.commit()
    path = tmp_path / "tasks.csv"
    path.write_bytes(csv_bytes(["Summary", "State", "When"], ROWS, sep=";"))
    return {"owner": owner, "project": project, "file": path}


def _upload(page: Page, w: dict[str, Any]) -> None:
    page.goto(f"/projects/{w['project'].id}/import")
    page.get_by_label("CSV file or Trello export").set_input_files(str(w["file"]))
    tab_to(page, lambda f: f["text"] == "Upload and preview")
    page.keyboard.press("Enter")
    expect(page.get_by_text("“tasks.csv” read: 5 rows.")).to_be_visible()


def _half_way(live: LiveServer, job_id: int, rows: int) -> None:
    """What the background loop does, a chunk of `rows` at a time (the test server runs none)."""
    assert jobs.claim(live.engine, datetime.now(UTC)) is not None
    with live.db() as db:
        parsed = db.get(ImportJob, job_id).rows
    uow.run(jobs.Runtime(live.engine, live.settings), uow.Caller(jobs.Starter(_starter(live, job_id))),
            lambda ctx: jobs.chunk(ctx, job_id, parsed, rows=rows))


def _starter(live: LiveServer, job_id: int) -> int:
    with live.db() as db:
        return int(db.get(ImportJob, job_id).created_by_id)


def _finish(live: LiveServer) -> None:
    jobs.run_once(live.settings, live.engine, now=datetime.now(UTC) + jobs.LEASE * 2)


def _job_id(page: Page) -> int:
    return int(page.url.rstrip("/").split("#")[0].rsplit("/", 1)[1])


def test_upload_map_run_and_watch_the_progress_by_keyboard(page: Page, live: LiveServer, tmp_path: Path) -> None:
    w = _world(live, tmp_path)
    live.login(page.context, w["owner"])
    _upload(page, w)
    # The guesses: Summary -> Title, State -> Status; When is not a name it knows.
    expect(page.get_by_label("Summary")).to_have_value("title")
    expect(page.get_by_label("State")).to_have_value("status")
    expect(page.get_by_label("When")).to_have_value("ignore")
    expect(page.locator("#preview tbody tr")).to_have_count(5)
    expect(page.locator("#preview")).to_contain_text("Title: Enter a title.")
    # By keyboard: When to Due date, saved, and the preview shows it.
    tab_to(page, "#map_2")
    page.keyboard.press("End")  # the last choice, Labels ...
    page.keyboard.press("ArrowUp")  # ... and the one above it: Due date
    expect(page.locator("#map_2")).to_have_value("due_date")
    tab_to(page, lambda f: f["text"] == "Save and preview again")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Columns saved")).to_be_visible()
    expect(page.locator("#preview thead")).to_contain_text("When (Due date)")
    job_id = _job_id(page)
    tab_to(page, lambda f: f["text"] == "Import 5 rows")
    page.keyboard.press("Enter")
    bar = page.locator("progress#import-bar")
    expect(bar).to_be_visible()
    expect(page.get_by_text("0 of 5 rows")).to_be_visible()
    _half_way(live, job_id, 2)
    expect(page.get_by_text("2 of 5 rows")).to_be_visible(timeout=5000)  # htmx's poll
    expect(bar).to_have_attribute("value", "2")
    _finish(live)
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible(timeout=5000)
    expect(page.locator(".facts")).to_contain_text("Tasks created4")
    expect(page.locator("table.refused")).to_contain_text("Title: Enter a title.")
    expect(page.locator("#announcer")).to_have_text("Import finished: 4 tasks created.")
    assert page.locator("progress").count() == 0
    with live.db() as db:
        assert sorted(db.scalars(select(Task.title))) == ["Celebrate", "Ship it", "Tell everyone",
                                                         "Write the plan"]
    tab_to(page, lambda f: f["text"] == "See the tasks")
    assert focused(page)["href"] == f"/projects/{w['project'].id}"


def test_without_javascript_the_page_refreshes_itself_until_the_report(nojs_page: Page, live: LiveServer,
                                                                      tmp_path: Path) -> None:
    page = nojs_page
    w = _world(live, tmp_path)
    live.login(page.context, w["owner"])
    _upload(page, w)
    page.get_by_label("When").select_option("due_date")
    page.get_by_role("button", name="Import 5 rows").click()
    expect(page.get_by_text("0 of 5 rows")).to_be_visible()
    job_id = _job_id(page)
    _half_way(live, job_id, 3)
    expect(page.get_by_text("3 of 5 rows")).to_be_visible(timeout=6000)  # <meta refresh>
    _finish(live)
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible(timeout=6000)
    expect(page.locator("table.refused")).to_contain_text("Title: Enter a title.")
    page.get_by_role("link", name="See the tasks").click()
    expect(page.get_by_text("Write the plan")).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_are_axe_clean_and_fit_a_phone(new_page: Any, live: LiveServer, tmp_path: Path,
                                                 scheme: str) -> None:
    w = _world(live, tmp_path)
    page = new_page(color_scheme=scheme, viewport={"width": 390, "height": 844})
    live.login(page.context, w["owner"])

    def check(what: str) -> None:
        assert_no_axe_violations(page)
        wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > 390)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''))""")
        assert wide == [], f"past 390 px on the {what}: {wide}"

    page.goto(f"/projects/{w['project'].id}/import")
    check("upload page")
    _upload(page, w)
    check("mapping page")
    page.get_by_role("button", name="Import 5 rows").click()
    expect(page.get_by_text("0 of 5 rows")).to_be_visible()
    check("progress page")
    _finish(live)
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible(timeout=5000)
    check("report")
    page.goto(f"/projects/{w['project'].id}/import")
    expect(page.get_by_role("link", name="tasks.csv")).to_be_visible()
    check("upload page with its recent imports")
