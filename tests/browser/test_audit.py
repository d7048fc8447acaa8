"""The audit log in a real Chromium: sentences with links, fitting a 390 px phone, axe-clean in
light and dark, and times in the reader's zone with JavaScript (in UTC, as said, without)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import insert

from kanvaro.audit import bump_revision
from kanvaro.models import AuditEntry, Invitation
from tests.browser.conftest import LiveServer, assert_no_axe_violations
from tests.browser.test_tasks import World, make_world
from tests.factories import now

PHONE = {"width": 390, "height": 844}
AT = datetime(2026, 3, 4, 5, 37, 9, tzinfo=UTC)  # 14:37 in Tokyo, the same day
LONG = "Averyveryverylongtitlewithoutanyspacesatallthatmustwrapsomehowonaphone" * 2


def log_of(live: LiveServer) -> tuple[World, int]:
    """The world of the task tests, and entries of every kind of sentence; returns the id of
    the entry written at AT (a status change of the first task)."""
    w = make_world(live)
    first, second = w.tasks[0], w.tasks[1]
    with live.db() as db:
        invitation = Invitation(organization_id=w.org_id, email=f"{LONG.lower()}@example.com",
                                role="viewer", token_hash="0" * 64, invited_by_id=w.owner.id,
                                created_at=now(), expires_at=now())
        db.add(invitation)
        db.flush()

        def row(action: str, kind: str, entity_id: int | None, changes: dict[str, Any],
                actor: int | None = w.owner.id, at: datetime | None = None) -> dict[str, Any]:
            return {"organization_id": w.org_id, "actor_id": actor, "action": action,
                    "entity_type": kind, "entity_id": entity_id, "changes": changes,
                    "request_id": "req-0123456789abcdef", "client_addr": "203.0.113.7",
                    "created_at": at or now()}

        db.execute(insert(AuditEntry), [
            row("task.created", "task", first, {"title": [None, "Task number 1"], "number": [None, "1.1"]}),
            row("task.updated", "task", second, {"assignee_id": [None, w.member.id], "priority": ["low", "high"],
                                                 "story_id": [None, w.story_id], "title": ["Old", LONG]}),
            row("task.deleted", "task", 9_999, {"title": [LONG, None]}),
            row("project.updated", "project", w.project_id, {"status": ["planning", "active"]}),
            row("story.updated", "story", w.story_id, {"priority": ["medium", "high"]}),
            row("invitation.created", "invitation", invitation.id,
                {"email": [None, invitation.email], "role": [None, "viewer"]}),
            row("user.role_changed", "user", w.member.id, {"role": ["client", "team_member"]}),
            row("user.login_failed", "user", w.member.id, {}, actor=w.member.id),
            row("task.status_changed", "task", first, {"status": ["review", "testing"]}, at=AT),
        ])
        bump_revision(db.connection(), w.org_id, 0)
        db.commit()
        entry = db.query(AuditEntry.id).filter(AuditEntry.created_at == AT).scalar()
    return w, int(entry)


def open_audit(page: Page, live: LiveServer, w: World) -> None:
    live.login(page.context, w.owner)
    page.goto("/audit")
    expect(page.locator(".audit-log > li")).to_have_count(9)


def test_entries_read_as_sentences_whose_links_lead_to_the_entity(page: Page, live: LiveServer) -> None:
    w, entry = log_of(live)
    open_audit(page, live, w)
    item = page.locator(f"#entry-{entry}")
    expect(item.locator("p").first).to_have_text("Olive Owner moved 1.1 Task number 1 from Review to Testing")
    expect(page.locator(".audit-log")).to_contain_text(f"Olive Owner deleted task {LONG}")
    expect(page.locator(".audit-log")).not_to_contain_text("in-progress")
    item.get_by_role("link", name="1.1 Task number 1").click()
    expect(page).to_have_url(f"{live.url}/tasks/{w.tasks[0]}")
    page.go_back()
    page.locator(f"#entry-{entry}").get_by_role("link", name="Olive Owner").click()
    expect(page).to_have_url(f"{live.url}/team#member-{w.owner.id}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_log_fits_a_phone_and_is_axe_clean(new_page: Any, live: LiveServer, scheme: str) -> None:
    w, _ = log_of(live)
    page = new_page(viewport=PHONE, color_scheme=scheme)
    open_audit(page, live, w)
    for summary in page.locator(".audit-log summary").all():
        summary.click()  # every entry's details open: the widest the page gets
    expect(page.locator(".audit-log details[open]")).to_have_count(9)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"/audit is {width} px wide at 390 ({scheme})"
    assert_no_axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    assert_no_axe_violations(page)


def test_with_javascript_times_show_in_the_readers_zone(new_page: Any, live: LiveServer) -> None:
    w, entry = log_of(live)
    page = new_page(timezone_id="Asia/Tokyo")
    open_audit(page, live, w)
    time = page.locator(f"#entry-{entry} time")
    expect(time).to_have_attribute("datetime", "2026-03-04T05:37:09Z")
    expect(time).to_contain_text("14:37")  # UTC+9
    expect(time).not_to_contain_text("UTC")


def test_without_javascript_times_stay_in_utc_and_say_so(new_page: Any, live: LiveServer) -> None:
    w, entry = log_of(live)
    page = new_page(java_script_enabled=False, timezone_id="Asia/Tokyo")
    open_audit(page, live, w)
    expect(page.locator(f"#entry-{entry} time")).to_have_text("2026-03-04 05:37 UTC")
