"""Watching, the notification list, mark read and the mail settings over HTTP, each without
and with htmx; the header's count on every page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kanvaro.models import AuditEntry, Notification, ProjectMember, Task, TaskWatcher, User
from tests.factories import make_project, make_user
from tests.sqlcount import count_sql
from tests.web.markup import FULL_PAGE, tag

HX = {"HX-Request": "true"}


@pytest.fixture
def task(db, org, project, owner):
    project.task_seq += 1
    t = Task(organization_id=org.id, project_id=project.id, number=project.task_seq,
             title="Fix <login>", position=1, created_by_id=owner.id)
    db.add(t)
    db.commit()
    return t


def notify(db, user, task, kind="commented", actor=None, read=False, minutes_ago=0) -> int:
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    n = Notification(organization_id=user.organization_id, user_id=user.id, kind=kind,
                     task_id=task.id, actor_id=actor.id if actor else None, created_at=when,
                     read_at=when if read else None)
    db.add(n)
    db.commit()
    return n.id  # type: ignore[return-value]


def text(fragment: str) -> str:
    """What a screen reader reads of some markup: its text, tags dropped, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def nav_link(page: str) -> str:
    match = re.search(r'<li id="nav-notifications".*?</li>', page, re.DOTALL)
    assert match, "no notifications link in the header"
    return match.group(0)


def link_name(page: str) -> str:
    """The header link's accessible name: its aria-label, else its text."""
    link = nav_link(page)
    label = re.search(r'<a [^>]*aria-label="([^"]*)"', link)
    return html.unescape(label.group(1)) if label else text(link)


def fresh(db) -> None:
    """End the test session's snapshot and forget its rows: see what the app committed."""
    db.commit()
    db.expire_all()


def unread(db, user) -> int:
    db.commit()
    return db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


# --- the header ------------------------------------------------------------------------

def test_every_page_shows_the_unread_count_as_a_link(browser, db, owner, member, task):
    for _ in range(3):
        notify(db, owner, task, actor=member)
    notify(db, owner, task, actor=member, read=True)
    browser.login_as(owner)
    for url in ("/projects", f"/tasks/{task.id}", "/team", "/account"):
        page = browser.get(url).text
        assert 'href="/notifications"' in nav_link(page) and ">3</span>" in nav_link(page)
        assert link_name(page) == "Notifications, 3 unread", url


def test_no_count_when_nothing_is_unread(browser, db, owner, member, task):
    notify(db, owner, task, actor=member, read=True)
    page = browser.login_as(owner).get("/projects").text
    assert link_name(page) == "Notifications" and "count" not in nav_link(page)


def test_the_count_costs_no_statement_and_changes_the_etag(browser, db, owner, member, task, engine):
    browser.login_as(owner)
    first = browser.get("/projects")
    with count_sql(engine) as without:
        browser.get("/projects")
    notify(db, owner, task, actor=member)
    with count_sql(engine) as with_one:
        again = browser.get("/projects", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200 and "Notifications, 1 unread" in link_name(again.text)
    assert with_one.count == without.count


# --- the list ------------------------------------------------------------------------

def test_the_list_shows_unread_first_then_read_each_saying_who_did_what(browser, db, owner, member, task):
    old_unread = notify(db, owner, task, "assigned", actor=member, minutes_ago=30)
    read = notify(db, owner, task, "status_changed", actor=member, read=True, minutes_ago=5)
    new_unread = notify(db, owner, task, "mentioned", actor=member, minutes_ago=1)
    due = notify(db, owner, task, "due_soon")
    page = browser.login_as(owner).get("/notifications")
    assert page.status_code == 200
    order = [int(i) for i in re.findall(r'<li id="note-(\d+)"', page.text)]
    assert order == [due, new_unread, old_unread, read]
    items = {int(i): text(m) for i, m in re.findall(r'<li id="note-(\d+)".*?>(.*?)</li>', page.text, re.DOTALL)}
    assert items[new_unread].startswith("New Mia Member mentioned you on 1.1 Fix <login>")
    assert items[old_unread].startswith("New Mia Member assigned you to 1.1 Fix <login>")
    assert items[read].startswith("Mia Member changed the status of 1.1 Fix <login>")
    assert "Mark read" not in items[read]
    assert "is due" in items[due]
    assert "Fix &lt;login&gt;" in page.text and "<login>" not in page.text  # escaped
    assert f'href="/tasks/{task.id}"' in page.text and "<time datetime=" in page.text


def test_a_task_one_can_no_longer_see_is_not_named(browser, db, org, owner, member, task):
    notify(db, member, task, "commented", actor=owner)
    db.execute(ProjectMember.__table__.delete().where(ProjectMember.user_id == member.id))
    db.commit()
    page = browser.login_as(member).get("/notifications")
    assert "a task you can no longer see" in page.text
    assert "Fix" not in page.text and f"/tasks/{task.id}" not in page.text
    assert link_name(page.text) == "Notifications, 1 unread"


def test_fifty_a_page(browser, db, owner, member, task):
    for i in range(51):
        notify(db, owner, task, actor=member, minutes_ago=i)
    browser.login_as(owner)
    first, second = browser.get("/notifications"), browser.get("/notifications?page=2")
    assert first.text.count('<li id="note-') == 50 and 'href="?page=2"' in first.text
    assert second.text.count('<li id="note-') == 1
    assert browser.get("/notifications?page=zz").status_code == 200


def test_others_notifications_are_never_listed(browser, db, org, owner, member, task):
    notify(db, member, task, "commented", actor=owner)
    page = browser.login_as(owner).get("/notifications")
    assert '<li id="note-' not in page.text and "Nothing yet" in page.text


# --- mark read -------------------------------------------------------------------------

def test_mark_read_without_js_goes_back_to_the_list(browser, db, owner, member, task):
    nid = notify(db, owner, task, actor=member)
    notify(db, owner, task, actor=member)
    r = browser.login_as(owner).post(f"/notifications/{nid}/read")
    assert r.status_code == 303 and r.headers["location"] == "/notifications"
    assert unread(db, owner) == 1
    fresh(db)
    assert db.get(Notification, nid).read_at is not None
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "notification.read"))
    assert entry.changes == {"read": [None, 1]} and entry.actor_id == owner.id


def test_mark_read_with_htmx_answers_the_item_and_the_new_count(browser, db, owner, member, task):
    nid = notify(db, owner, task, actor=member)
    notify(db, owner, task, actor=member)
    r = browser.login_as(owner).post(f"/notifications/{nid}/read", htmx=True)
    assert r.status_code == 200 and FULL_PAGE not in r.text
    item = re.search(rf'<li id="note-{nid}".*?</li>', r.text, re.DOTALL).group(0)
    assert "Mark read" not in item and "New" not in text(item)
    # Focus stays on the item: its link takes the id the button had.
    assert f'id="note-{nid}-act"' in tag(item, f"note-{nid}-act") and "<a " in tag(item, f"note-{nid}-act")
    assert 'hx-swap-oob="true"' in nav_link(r.text) and link_name(r.text) == "Notifications, 1 unread"
    assert 'id="announcer" hx-swap-oob="innerHTML">Marked read.' in r.text


def test_someone_elses_notification_is_404_and_stays_unread(browser, db, org, owner, member, task):
    nid = notify(db, member, task, actor=owner)
    browser.login_as(owner)
    assert browser.post(f"/notifications/{nid}/read").status_code == 404
    assert browser.post(f"/notifications/{nid}/read", htmx=True).status_code == 404
    assert browser.post("/notifications/999999/read").status_code == 404
    assert unread(db, member) == 1
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_mark_read_needs_the_csrf_token(browser, db, owner, member, task):
    nid = notify(db, owner, task, actor=member)
    browser.login_as(owner)
    assert browser.post(f"/notifications/{nid}/read", csrf=False).status_code == 403
    assert browser.post("/notifications/read-all", csrf=False).status_code == 403
    assert unread(db, owner) == 1


def test_read_all_without_js_and_with_htmx(browser, db, owner, member, task):
    for _ in range(3):
        notify(db, owner, task, actor=member)
    notify(db, member, task, actor=owner)
    browser.login_as(owner)
    r = browser.post("/notifications/read-all")
    assert r.status_code == 303 and r.headers["location"] == "/notifications"
    assert unread(db, owner) == 0 and unread(db, member) == 1
    notify(db, owner, task, actor=member)
    r = browser.post("/notifications/read-all", htmx=True)
    assert r.status_code == 200 and FULL_PAGE not in r.text
    assert '<div id="notifications">' in r.text and "Mark read" not in r.text
    assert 'id="read-all"' in r.text and "Nothing unread." in r.text
    assert link_name(r.text) == "Notifications" and "Marked 1 notification read." in r.text
    db.commit()
    reads = [e.changes["read"][1] for e in db.scalars(
        select(AuditEntry).where(AuditEntry.action == "notification.read").order_by(AuditEntry.id))]
    assert reads == [3, 1]


def test_not_logged_in_goes_to_login(browser, db, owner, member, task):
    nid = notify(db, owner, task, actor=member)
    r = browser.get("/notifications")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert browser.post(f"/notifications/{nid}/read").status_code == 303
    assert unread(db, owner) == 1


# --- watching ----------------------------------------------------------------------------

def watching(db, task, user) -> bool:
    db.commit()
    return db.get(TaskWatcher, (task.id, user.id)) is not None


def test_the_task_page_offers_watch_and_stop_watching(browser, db, owner, task):
    browser.login_as(owner)
    page = browser.get(f"/tasks/{task.id}").text
    assert f'action="/tasks/{task.id}/watch"' in page and ">Watch</button>" in page
    r = browser.post(f"/tasks/{task.id}/watch")
    assert r.status_code == 303 and r.headers["location"] == f"/tasks/{task.id}"
    assert watching(db, task, owner)
    page = browser.get(f"/tasks/{task.id}").text
    assert f'action="/tasks/{task.id}/unwatch"' in page and ">Stop watching</button>" in page
    r = browser.post(f"/tasks/{task.id}/unwatch")
    assert r.status_code == 303 and not watching(db, task, owner)


def test_watch_with_htmx_answers_the_button(browser, db, owner, task):
    browser.login_as(owner)
    r = browser.post(f"/tasks/{task.id}/watch", htmx=True)
    assert r.status_code == 200 and FULL_PAGE not in r.text
    assert r.text.count("<form") == 1 and 'id="watch-button"' in r.text and "Stop watching" in r.text
    assert "You are watching this task." in r.text
    r = browser.post(f"/tasks/{task.id}/unwatch", htmx=True)
    assert ">Watch</button>" in r.text and "You no longer watch this task." in r.text
    assert not watching(db, task, owner)


def test_a_viewer_may_watch_a_task_of_their_project(browser, db, org, project, task):
    viewer = make_user(db, org, role="viewer")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=viewer.id))
    db.commit()
    assert browser.login_as(viewer).post(f"/tasks/{task.id}/watch").status_code == 303
    assert watching(db, task, viewer)


def test_watching_a_task_one_cannot_see_is_404(browser, db, org, owner, task):
    outsider = make_user(db, org, role="team_member")
    db.commit()
    browser.login_as(outsider)
    assert browser.post(f"/tasks/{task.id}/watch").status_code == 404
    assert browser.post(f"/tasks/{task.id}/unwatch", htmx=True).status_code == 404
    assert not watching(db, task, outsider)
    assert browser.post(f"/tasks/{task.id}/watch", csrf=False).status_code == 403


def test_a_watcher_hears_of_status_changes_through_the_app(browser, db, org, owner, member, task):
    browser.login_as(member).post(f"/tasks/{task.id}/watch")
    r = browser.login_as(owner).post(f"/tasks/{task.id}/status", {"status": "review"})
    assert r.status_code == 303
    db.commit()
    kinds = list(db.scalars(select(Notification.kind).where(Notification.user_id == member.id)))
    assert kinds == ["status_changed"]
    assert link_name(browser.login_as(member).get("/projects").text) == "Notifications, 1 unread"


# --- mail settings ---------------------------------------------------------------------

def test_the_settings_page_shows_every_kind_checked_at_first(browser, owner):
    page = browser.login_as(owner).get("/account/notifications").text
    boxes = re.findall(r'<input type="checkbox" name="mail" value="(\w+)"( checked)?>', page)
    assert [(v, bool(c)) for v, c in boxes] == [(k, True) for k in (
        "assigned", "mentioned", "commented", "status_changed", "due_soon")]
    assert 'href="/account/notifications"' in browser.get("/account").text


def test_saving_the_settings_without_js_and_with_htmx(browser, db, owner):
    browser.login_as(owner)
    r = browser.post("/account/notifications", [("mail", "assigned"), ("mail", "mentioned")])
    assert r.status_code == 303 and r.headers["location"] == "/account/notifications"
    fresh(db)
    assert db.get(User, owner.id).mail_off == ["commented", "status_changed", "due_soon"]
    page = browser.get("/account/notifications").text
    assert 'value="commented">' in page and 'value="assigned" checked>' in page
    r = browser.post("/account/notifications", [("mail", "due_soon")], htmx=True)
    assert r.status_code == 200 and FULL_PAGE not in r.text and 'value="due_soon" checked>' in r.text
    assert "Notification settings saved." in r.text
    fresh(db)
    assert db.get(User, owner.id).mail_off == ["assigned", "mentioned", "commented", "status_changed"]
    actions = list(db.scalars(select(AuditEntry.action)))
    assert actions == ["user.notifications_changed"] * 2


def test_settings_are_ones_own(browser, db, org, owner):
    other = make_user(db, org, role="team_member")
    db.commit()
    browser.login_as(owner).post("/account/notifications", {"mail": "assigned", "user_id": str(other.id)})
    fresh(db)
    assert db.get(User, other.id).mail_off == []


def test_notifications_of_another_project_stay_in_it(browser, db, org, owner, member, task):
    """The list reads one person's rows only, whatever project they come from."""
    elsewhere = make_project(db, org, members=[member], creator=member)
    elsewhere.task_seq = 1
    t2 = Task(organization_id=org.id, project_id=elsewhere.id, number=1, title="Secret", position=1)
    db.add(t2)
    db.commit()
    notify(db, owner, t2, actor=member)  # owner sees every project: named
    page = browser.login_as(owner).get("/notifications").text
    assert "Secret" in page
