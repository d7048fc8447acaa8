"""Mail digests and due_soon against a real SMTP server (aiosmtpd on 127.0.0.1), the changes
made through the app: at most one mail per person per 10 minutes, none about one's own
changes, kinds turned off left out, due_soon once per task and due date."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from kanvaro import mail
from kanvaro.models import EmailOutbox, Notification, ProjectMember, Task, TaskWatcher, User
from kanvaro.notifications import digest
from kanvaro.notifications.digest import run_digests
from kanvaro.notifications.due_soon import run_due_soon
from tests.factories import make_project, make_user
from tests.sqlcount import count_sql
from tests.test_mail import Inbox, SmtpServer, free_port, text_and_html

BURST = 50


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def smtp(settings, port):
    return dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")


@pytest.fixture
def team(db, org, owner):
    """Mia makes the changes; Ann and Bob are assigned; Olive (the owner) watches."""
    mia = make_user(db, org, role="team_member", name="Mia Maker", email="mia@acme.test")
    ann = make_user(db, org, role="team_member", name="Ann Assignee", email="ann@acme.test")
    bob = make_user(db, org, role="team_member", name="Bob Assignee", email="bob@acme.test")
    project = make_project(db, org, members=[owner, mia, ann, bob], creator=owner, name="Launch")
    db.commit()
    return {"owner": owner, "mia": mia, "ann": ann, "bob": bob, "project": project}


def at(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def make_task(browser, db, team, title="Fix login", **fields) -> Task:
    browser.login_as(team["mia"])
    r = browser.post(f"/projects/{team['project'].id}/tasks", [
        ("title", title), ("assignees", str(team["ann"].id)), ("assignees", str(team["bob"].id)),
        *fields.items()])
    assert r.status_code == 303, r.text[-500:]
    db.commit()
    task = db.scalars(select(Task).order_by(Task.id.desc())).first()
    db.commit()  # no snapshot left open: a later write of the test would find it stale
    browser.login_as(team["owner"]).post(f"/tasks/{task.id}/watch")
    return task


def burst(browser, team, task, n=BURST) -> None:
    """n changes by Mia: status changes and comments, one after the other."""
    browser.login_as(team["mia"])
    statuses = ["in-progress", "review", "testing", "todo"]
    for i in range(n):
        if i % 2:
            r = browser.post(f"/tasks/{task.id}/comments", {"body": f"Note {i}"})
        else:
            r = browser.post(f"/tasks/{task.id}/status", {"status": statuses[(i // 2) % 4]})
        assert r.status_code == 303, (i, r.status_code)


def recipients(inbox: Inbox) -> Counter[str]:
    return Counter(to for rcpts, _ in inbox.messages for to in rcpts)


def test_a_burst_of_50_changes_is_at_most_one_mail_per_watcher_per_window(browser, db, team, engine, smtp, port):
    task = make_task(browser, db, team)
    burst(browser, team, task)
    counts: dict[str, Counter[str]] = {}
    with SmtpServer(port, Inbox()) as inbox:
        # Right away: the burst is still settling, nothing goes.
        assert mail.drain_once(smtp, engine=engine, now=at(0)) == 0
        mail.drain_once(smtp, engine=engine, now=at(2))
        counts["first window"] = recipients(inbox)
        mail.drain_once(smtp, engine=engine, now=at(4))
        mail.drain_once(smtp, engine=engine, now=at(9))
        counts["same window"] = recipients(inbox) - counts["first window"]
        burst(browser, team, task)  # another burst, within ten minutes of the first mail
        mail.drain_once(smtp, engine=engine, now=at(5))
        mail.drain_once(smtp, engine=engine, now=at(11))
        counts["still the window"] = recipients(inbox) - counts["first window"]
        mail.drain_once(smtp, engine=engine, now=at(12.5))
        counts["next window"] = recipients(inbox) - counts["first window"]
    watchers = {"olive@acme.test", "ann@acme.test", "bob@acme.test"}
    assert counts["first window"] == Counter(dict.fromkeys(watchers, 1))
    assert counts["same window"] == Counter() and counts["still the window"] == Counter()
    assert counts["next window"] == Counter(dict.fromkeys(watchers, 1))
    assert "mia@acme.test" not in recipients(inbox)  # the actor: none
    print(f"\nburst of {BURST}, twice: {dict(recipients(inbox))}; mails in all: {len(inbox.messages)}")
    # What one digest says: the task once, each kind of change once with how often.
    to_ann = next(m for rcpts, m in inbox.messages if rcpts == ["ann@acme.test"])
    text, html = text_and_html(to_ann)
    assert text.count("Fix login") == 1 and "Mia Maker assigned you" in text
    assert "Mia Maker commented (25 times)" in text and "Mia Maker changed the status" in text
    assert f"http://kanvaro.test/tasks/{task.id}" in text and f'href="http://kanvaro.test/tasks/{task.id}"' in html
    assert "http://kanvaro.test/account/notifications" in text
    assert to_ann["Subject"].startswith("Kanvaro: ") and "Fix login" not in to_ann["Subject"]


def test_every_notification_is_still_in_the_app_and_marked_mailed(browser, db, team, engine, smtp, port):
    task = make_task(browser, db, team)
    burst(browser, team, task, n=10)
    with SmtpServer(port, Inbox()):
        mail.drain_once(smtp, engine=engine, now=at(2))
    db.commit()
    rows = db.execute(select(Notification.user_id, Notification.mailed_at, Notification.read_at)).all()
    assert {uid for uid, _, _ in rows} == {team[k].id for k in ("owner", "ann", "bob")}
    assert all(mailed is not None and read is None for _, mailed, read in rows)


def test_kinds_turned_off_are_not_mailed(browser, db, team, engine, smtp, port):
    browser.login_as(team["ann"]).post("/account/notifications", {"mail": "due_soon"})
    browser.login_as(team["bob"]).post("/account/notifications", [("mail", "assigned")])
    task = make_task(browser, db, team)
    burst(browser, team, task, n=6)
    with SmtpServer(port, Inbox()) as inbox:
        mail.drain_once(smtp, engine=engine, now=at(2))
    got = {rcpts[0]: text_and_html(m)[0] for rcpts, m in inbox.messages}
    assert "ann@acme.test" not in got  # nothing she wants by mail
    assert "Mia Maker assigned you" in got["bob@acme.test"]
    assert "commented" not in got["bob@acme.test"] and "status" not in got["bob@acme.test"]
    assert "commented" in got["olive@acme.test"]
    db.commit()  # Ann's are settled all the same: not mailed later when she turns kinds on
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == team["ann"].id, Notification.mailed_at.is_(None))) == 0


def test_nothing_is_mailed_of_a_task_one_can_no_longer_see_or_once_read(browser, db, team, engine, smtp, port):
    task = make_task(browser, db, team)
    burst(browser, team, task, n=4)
    db.commit()
    db.execute(ProjectMember.__table__.delete().where(ProjectMember.user_id == team["bob"].id))
    db.commit()
    browser.login_as(team["ann"]).post("/notifications/read-all")
    with SmtpServer(port, Inbox()) as inbox:
        mail.drain_once(smtp, engine=engine, now=at(2))
    assert set(recipients(inbox)) == {"olive@acme.test"}


def test_a_deactivated_person_gets_no_mail(browser, db, team, engine, smtp, port):
    task = make_task(browser, db, team)
    burst(browser, team, task, n=4)
    db.commit()
    db.execute(update(User).where(User.id == team["bob"].id).values(is_active=False))
    db.commit()
    with SmtpServer(port, Inbox()) as inbox:
        mail.drain_once(smtp, engine=engine, now=at(2))
    assert set(recipients(inbox)) == {"olive@acme.test", "ann@acme.test"}
    db.commit()
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.mailed_at.is_(None))) == 0  # settled, not read again every few seconds


def test_no_script_reaches_a_mail(browser, db, team, engine, smtp, port):
    task = make_task(browser, db, team, title='<script>alert(1)</script><img src=x onerror=alert(2)>')
    browser.login_as(team["mia"]).post(f"/tasks/{task.id}/comments", {"body": "<script>alert(3)</script>"})
    db.commit()
    db.execute(update(User).where(User.id == team["mia"].id).values(name="<b onmouseover=alert(4)>Mia"))
    db.commit()
    browser.login_as(team["mia"]).post(f"/tasks/{task.id}/status", {"status": "review"})
    with SmtpServer(port, Inbox()) as inbox:
        mail.drain_once(smtp, engine=engine, now=at(2))
    assert inbox.messages
    for _, m in inbox.messages:
        _, html = text_and_html(m)
        assert "<script" not in html and "<img" not in html and "<b " not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert not re.search(r"<[^>]+\son\w+=", html)


def test_two_runs_at_once_mail_each_person_once(browser, db, team, engine, settings):
    task = make_task(browser, db, team)
    burst(browser, team, task, n=6)
    made: list[int] = []
    runs = [threading.Thread(target=lambda: made.append(run_digests(engine, settings, at(2))))
            for _ in range(4)]
    for t in runs:
        t.start()
    for t in runs:
        t.join()
    db.commit()
    assert sum(made) == 3
    assert sorted(db.scalars(select(EmailOutbox.to))) == ["ann@acme.test", "bob@acme.test", "olive@acme.test"]


def test_a_digest_run_over_1000_pending_notifications_is_a_few_statements(db, org, team, engine, settings):
    p = team["project"]
    people = [make_user(db, org, role="team_member") for _ in range(100)]
    p.task_seq = 10
    tasks = [Task(organization_id=org.id, project_id=p.id, number=i + 1, title=f"Task {i}", position=i)
             for i in range(10)]
    db.add_all(tasks)
    db.add_all(ProjectMember(organization_id=org.id, project_id=p.id, user_id=u.id) for u in people)
    db.flush()
    created = datetime.now(UTC) - timedelta(minutes=5)
    db.execute(insert(Notification), [
        {"organization_id": org.id, "user_id": people[i % 100].id, "task_id": tasks[i % 10].id,
         "kind": ("commented", "status_changed", "mentioned")[i % 3], "actor_id": team["mia"].id,
         "created_at": created} for i in range(1000)])
    db.commit()
    with count_sql(engine) as sql:
        started = time.perf_counter()
        assert run_digests(engine, settings) == 100
        took = time.perf_counter() - started
    print(f"\ndigest run over 1000 pending notifications (100 people): {took * 1000:.0f} ms, "
          f"{sql.count} statements")
    assert sql.count <= 4, str(sql)  # pending, claim, mailed marks, outbox rows
    assert took < 5  # the bench holds it to well under 1 s; a loaded test machine, less strictly
    db.commit()
    assert db.scalar(select(func.count()).select_from(Notification).where(Notification.mailed_at.is_(None))) == 0


# --- due_soon --------------------------------------------------------------------------

def test_due_soon_is_made_once_per_task_and_due_date_for_its_assignees(browser, db, team, engine, smtp, port):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    task = make_task(browser, db, team, due_date=tomorrow.isoformat())
    later = make_task(browser, db, team, title="Later", due_date=(tomorrow + timedelta(days=5)).isoformat())
    done = make_task(browser, db, team, title="Done", due_date=tomorrow.isoformat())
    browser.login_as(team["mia"]).post(f"/tasks/{done.id}/status", {"status": "completed"})
    db.commit()
    db.execute(update(Notification).values(read_at=datetime.now(UTC)))  # only due_soon is news now
    db.commit()

    def due_soon_of() -> list[tuple[int, int]]:
        db.commit()
        return sorted(db.execute(select(Notification.task_id, Notification.user_id)
                                 .where(Notification.kind == "due_soon")).all())

    assert run_due_soon(engine) == 2
    assert run_due_soon(engine) == 0
    assert due_soon_of() == sorted((task.id, team[k].id) for k in ("ann", "bob"))
    db.expire_all()
    assert db.get(Task, task.id).due_soon_for == tomorrow and db.get(Task, later.id).due_soon_for is None
    # A new due date is a new reminder, once.
    browser.login_as(team["owner"]).post(f"/tasks/{task.id}", {
        "title": "Fix login", "priority": "medium", "status": "todo", "due_date": datetime.now(UTC).date().isoformat(),
        "assignees": str(team["ann"].id)})
    assert run_due_soon(engine) == 1 and run_due_soon(engine) == 0
    with SmtpServer(port, Inbox()) as inbox:
        mail.drain_once(smtp, engine=engine, now=at(2))
    got = {rcpts[0]: text_and_html(m)[0] for rcpts, m in inbox.messages}
    assert set(got) == {"ann@acme.test", "bob@acme.test"}
    # A digest says the due date as it is now (Bob's reminder was for the day before).
    assert all(f"Due {datetime.now(UTC).date().isoformat()}" in text for text in got.values())
    assert got["ann@acme.test"].count("Due ") == 1  # her two reminders, one line


def test_due_soon_skips_who_cannot_see_the_task_and_the_sender_makes_it(browser, db, team, engine, settings):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    task = make_task(browser, db, team, due_date=tomorrow.isoformat())
    db.commit()
    db.execute(ProjectMember.__table__.delete().where(ProjectMember.user_id == team["bob"].id))
    db.commit()
    mail._due_soon_ran.clear()
    mail.drain_once(settings, engine=engine)
    db.commit()
    assert db.scalars(select(Notification.user_id).where(Notification.kind == "due_soon")).all() == [team["ann"].id]
    assert db.get(TaskWatcher, (task.id, team["ann"].id)) is not None
    assert digest.EVERY == timedelta(minutes=10)
