"""The feeds over HTTP: RFC 5545 documents of exactly what the link's person may see now."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import delete, update

from kanvaro.calendar import views
from kanvaro.inputs import parse
from kanvaro.models import ProjectMember, User
from kanvaro.tasks.actions import change_task_status
from kanvaro.tasks.forms import StatusChange
from tests.calendar.conftest import dated_task, feed_token
from tests.factories import make_ctx, make_org, make_project, make_user

DUE = date(2026, 12, 24)


def parsed(r) -> Calendar:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(r.content)


def events(cal: Calendar) -> dict[str, dict[str, object]]:
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def feeds(db, org, owner, member, project):  # type: ignore[no-untyped-def]
    """The member's tasks in `project`, one of someone else's, one without a due date."""
    other = make_project(db, org, members=[owner], creator=owner, name="Hidden")
    mine = dated_task(db, project, "Ship it", DUE, member, status="in-progress")
    dated_task(db, project, "Not mine", DUE + timedelta(days=1), owner)
    dated_task(db, project, "No date", None, member)
    dated_task(db, other, "Elsewhere", DUE, owner)
    return {"mine": mine, "other": other, "token": feed_token(db, member)}


def test_my_feed_holds_my_dated_tasks_as_all_day_events(client, feeds, project):
    cal = parsed(client.get(f"/calendar/{feeds['token']}.ics"))
    assert str(cal["version"]) == "2.0" and "Kanvaro" in str(cal["prodid"])
    assert str(cal["x-wr-calname"]) == "Kanvaro: Mia Member"
    task = feeds["mine"]
    label = f"{project.number}.{task.number} Ship it"
    assert list(events(cal)) == [label]
    event = events(cal)[label]
    assert event["dtstart"].dt == DUE and event["dtend"].dt == DUE + timedelta(days=1)
    assert event["dtstart"].params.get("VALUE") == "DATE"
    assert str(event["uid"]) == f"task-{task.id}@kanvaro.test"
    assert str(event["url"]) == f"http://kanvaro.test/tasks/{task.id}"
    assert "Status: In Progress" in str(event["description"])
    assert event["dtstamp"].dt.tzinfo is not None
    assert b"DTSTART;VALUE=DATE:20261224" in client.get(f"/calendar/{feeds['token']}.ics").content


def test_the_same_data_gives_the_same_document_and_an_etag_answers_304(client, feeds, monkeypatch):
    url = f"/calendar/{feeds['token']}.ics"
    first, second = client.get(url), client.get(url)
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    assert "private" in first.headers["cache-control"]

    def never(*args):  # type: ignore[no-untyped-def]
        raise AssertionError("a 304 is answered before the document is built")

    monkeypatch.setattr(views.feeds, "my_feed", never)
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_change_it_could_show_changes_the_etag(client, db, settings, feeds, member):
    url = f"/calendar/{feeds['token']}.ics"
    first = client.get(url)
    change_task_status(make_ctx(db, member, settings), feeds["mine"].id,
                       parse(StatusChange, {"status": "review"}))
    db.commit()
    r = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 200 and r.headers["etag"] != first.headers["etag"]
    assert "Status: Review" in str(next(iter(events(parsed(r)).values()))["description"])


def test_the_feed_needs_no_cookie_and_ignores_one(browser, owner, feeds):
    browser.login_as(owner)  # the owner's cookie does not make it the owner's feed
    cal = parsed(browser.get(f"/calendar/{feeds['token']}.ics"))
    assert [s.endswith("Ship it") for s in events(cal)] == [True]


def test_a_project_i_leave_disappears_from_my_feed(client, db, feeds, project, member):
    db.execute(delete(ProjectMember).where(ProjectMember.project_id == project.id,
                                           ProjectMember.user_id == member.id))
    db.commit()
    assert events(parsed(client.get(f"/calendar/{feeds['token']}.ics"))) == {}
    r = client.get(f"/projects/{project.id}/calendar/{feeds['token']}.ics")
    assert r.status_code == 404


def test_a_deactivated_persons_feeds_answer_404(client, db, feeds, project, member):
    db.execute(update(User).where(User.id == member.id).values(is_active=False))
    db.commit()
    assert client.get(f"/calendar/{feeds['token']}.ics").status_code == 404
    assert client.get(f"/projects/{project.id}/calendar/{feeds['token']}.ics").status_code == 404


def test_an_admin_sees_every_project_and_a_member_only_their_own(client, db, feeds, owner, member):
    hidden = feeds["other"]
    assert client.get(f"/projects/{hidden.id}/calendar/{feeds['token']}.ics").status_code == 404
    cal = parsed(client.get(f"/projects/{hidden.id}/calendar/{feed_token(db, owner)}.ics"))
    assert [s.endswith("Elsewhere") for s in events(cal)] == [True]


def test_the_project_feed_holds_every_dated_task_and_the_projects_dates(client, db, feeds, project):
    project.start_date, project.end_date = date(2026, 12, 1), date(2027, 1, 31)
    db.add(project)
    db.commit()
    cal = parsed(client.get(f"/projects/{project.id}/calendar/{feeds['token']}.ics"))
    assert str(cal["x-wr-calname"]) == f"Kanvaro: {project.number} Launch"
    found = events(cal)
    assert sorted(s.split(" ", 1)[1] for s in found if s[0].isdigit() and "." in s.split()[0]) == [
        "Not mine", "Ship it"]
    start = found[f"{project.number} Launch starts"]
    assert start["dtstart"].dt == date(2026, 12, 1)
    assert str(start["uid"]) == f"project-{project.id}-start@kanvaro.test"
    assert found[f"{project.number} Launch ends"]["dtend"].dt == date(2027, 2, 1)
    assert len({str(e["uid"]) for e in cal.walk("VEVENT")}) == 4


@pytest.mark.parametrize("token", ["", "nope", "x" * 43, "%00", "..", "a.b"])
def test_an_unknown_token_is_404(client, feeds, project, token):
    for url in (f"/calendar/{token}.ics", f"/projects/{project.id}/calendar/{token}.ics"):
        r = client.get(url)
        assert r.status_code == 404, (url, r.status_code)
        assert "Ship it" not in r.text


def test_a_token_of_another_organization_sees_nothing_of_this_one(client, db, feeds, project):
    globex = make_org(db, "Globex")
    gina = make_user(db, globex, role="owner", email="gina@globex.test")
    make_project(db, globex, members=[gina], creator=gina, name="Zeus")
    db.commit()
    theirs = feed_token(db, gina)
    r = client.get(f"/projects/{project.id}/calendar/{theirs}.ics")
    assert r.status_code == 404 and "Ship it" not in r.text
    assert events(parsed(client.get(f"/calendar/{theirs}.ics"))) == {}


def test_a_huge_project_id_is_404(client, feeds):
    assert client.get(f"/projects/{'9' * 400}/calendar/{feeds['token']}.ics").status_code == 404


def test_hostile_titles_stay_inside_their_property(client, db, project, member):
    dated_task(db, project, "Line\r\nBEGIN:VEVENT\r\nSUMMARY:Injected; x,y", DUE, member)
    cal = parsed(client.get(f"/calendar/{feed_token(db, member)}.ics"))
    [event] = cal.walk("VEVENT")
    assert "BEGIN:VEVENT" in str(event["summary"]) and len(cal.walk("VEVENT")) == 1
