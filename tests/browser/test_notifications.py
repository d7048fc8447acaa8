"""Notifications in real Chromium: the header's count, mark read and read all by keyboard with
JavaScript and as plain forms without it, watching a task, the mail settings; axe-clean in
light and dark, and within a 390 px screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kanvaro.models import Notification, Task
from tests.browser.conftest import LiveServer, assert_no_axe_violations, focused, tab_to
from tests.factories import make_org, make_project, make_user


def _world(live: LiveServer, unread: int = 2, read: int = 1) -> dict[str, Any]:
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        tom = make_user(db, org, role="team_member", name="Tom Member", email="tom@acme.test")
        project = make_project(db, org, name="Launch", creator=owner, members=[tom])
        project.task_seq = 1
        task = Task(organization_id=org.id, project_id=project.id, number=1, title="Fix login",
                    position=1, created_by_id=owner.id)
        db.add(task)
        db.flush()
        now = datetime.now(UTC)
        kinds = ["commented", "status_changed", "mentioned", "assigned"]
        for i in range(unread + read):
            db.add(Notification(organization_id=org.id, user_id=owner.id, kind=kinds[i % 4],
                                task_id=task.id, actor_id=tom.id,
                                created_at=now - timedelta(minutes=i),
                                read_at=now if i >= unread else None))
        db.commit()
        return {"owner": owner, "tom": tom, "task": task}


def _header(page: Page, name: str) -> None:
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)).to_be_visible()


def test_the_header_shows_the_count_on_every_page(page: Page, live: LiveServer) -> None:
    w = _world(live, unread=3)
    live.login(page.context, w["owner"])
    for url in ("/projects", f"/tasks/{w['task'].id}", "/account"):
        page.goto(url)
        _header(page, "Notifications, 3 unread")
    page.get_by_role("link", name="Notifications, 3 unread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    assert page.url.endswith("/notifications")


def test_mark_read_and_read_all_by_keyboard(page: Page, live: LiveServer) -> None:
    w = _world(live)
    live.login(page.context, w["owner"])
    page.goto("/notifications")
    _header(page, "Notifications, 2 unread")
    first = tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Mark read")
    page.keyboard.press("Enter")
    _header(page, "Notifications, 1 unread")
    expect(page.locator("#announcer")).to_have_text("Marked read.")
    # Focus stays in place: on the task link of the item just read, which lost its button.
    expect(page.locator(f"#{first['id']}")).to_be_focused()
    assert focused(page)["tag"] == "a" and "Fix login" in focused(page)["text"]
    tab_to(page, "#read-all", shift=True)
    page.keyboard.press("Enter")
    _header(page, "Notifications")
    expect(page.get_by_text("Nothing unread.")).to_be_visible()
    expect(page.locator("#read-all")).to_be_focused()
    expect(page.get_by_role("button", name="Mark read")).to_have_count(0)
    page.reload()
    _header(page, "Notifications")


def test_mark_read_and_read_all_without_javascript(nojs_page: Page, live: LiveServer) -> None:
    page = nojs_page
    w = _world(live)
    live.login(page.context, w["owner"])
    page.goto("/notifications")
    page.get_by_role("button", name="Mark read").first.click()
    expect(page.get_by_role("status").filter(has_text="Marked read.")).to_be_visible()
    _header(page, "Notifications, 1 unread")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_role("status").filter(has_text="Marked 1 notification read.")).to_be_visible()
    _header(page, "Notifications")


def test_watch_a_task_by_keyboard_and_without_javascript(new_page: Any, live: LiveServer) -> None:
    w = _world(live, unread=0, read=0)
    page = new_page()
    live.login(page.context, w["tom"])
    page.goto(f"/tasks/{w['task'].id}")
    tab_to(page, "#watch-button")
    page.keyboard.press("Enter")
    expect(page.locator("#watch-button")).to_have_text("Stop watching")
    expect(page.locator("#watch-button")).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("You are watching this task.")
    nojs = new_page(java_script_enabled=False)
    live.login(nojs.context, w["tom"])
    nojs.goto(f"/tasks/{w['task'].id}")
    nojs.get_by_role("button", name="Stop watching").click()
    expect(nojs.get_by_role("status").filter(has_text="You no longer watch this task.")).to_be_visible()
    expect(nojs.get_by_role("button", name="Watch", exact=True)).to_be_visible()


def test_mail_settings_by_keyboard(page: Page, live: LiveServer) -> None:
    w = _world(live, unread=0, read=0)
    live.login(page.context, w["owner"])
    page.goto("/account")
    page.get_by_role("link", name="Choose which notifications come by mail").click()
    box = page.get_by_role("checkbox", name="Comments on tasks I watch")
    expect(box).to_be_checked()
    tab_to(page, lambda f: f["type"] == "checkbox" and "Comments" in f["label"])
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Save mail settings")
    page.keyboard.press("Enter")
    expect(page.locator("#announcer")).to_have_text("Notification settings saved.")
    page.reload()
    expect(page.get_by_role("checkbox", name="Comments on tasks I watch")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Assigned to me")).to_be_checked()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/notifications", "/account/notifications"])
def test_the_pages_are_axe_clean_and_fit_a_phone(new_page: Any, live: LiveServer, scheme: str,
                                                 path: str) -> None:
    w = _world(live, unread=2, read=2)
    page = new_page(color_scheme=scheme, viewport={"width": 390, "height": 844})
    live.login(page.context, w["owner"])
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_axe_violations(page)
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > 390)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''))""")
    assert wide == [], f"past 390 px on {path}: {wide}"
    assert "Notification" in page.title()
