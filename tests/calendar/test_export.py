"""The CSV export of a project's tasks: the list's filters, guarded cells, streamed."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import insert

from kanvaro.exports.cells import guard
from kanvaro.exports.queries import slug
from kanvaro.models import Story, Task
from tests.calendar.conftest import dated_task
from tests.factories import make_org, make_project, make_user, now

HEADER = ["key", "title", "status", "priority", "story", "assignees", "story_points", "due_date",
          "created_at", "updated_at", "description"]


def table(r) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    text = r.content.decode("utf-8-sig")
    assert text.split("\r\n", 1)[0] == ",".join(HEADER)
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def tasks(db, project, owner, member):  # type: ignore[no-untyped-def]
    story = Story(organization_id=project.organization_id, project_id=project.id, title="Login flow")
    db.add(story)
    db.flush()
    first = dated_task(db, project, "Fix login", date(2026, 12, 24), member, owner)
    first.story_id, first.story_points, first.priority = story.id, 3, "high"
    first.description = "Line one\nLine two, with \"quotes\""
    db.add(first)
    db.commit()
    dated_task(db, project, "Write docs", None, status="completed")
    return first


def test_every_column_of_every_task(as_owner, project, tasks, owner, member):
    r = as_owner.get(f"/projects/{project.id}/tasks.csv")
    assert r.headers["content-disposition"] == 'attachment; filename="launch-tasks.csv"'
    first, second = table(r)
    assert first["key"] == f"{project.number}.{tasks.number}" and first["title"] == "Fix login"
    assert (first["status"], first["priority"], first["story"]) == ("todo", "high", "Login flow")
    assert first["assignees"] == ";".join(sorted([owner.email, member.email]))
    assert (first["story_points"], first["due_date"]) == ("3", "2026-12-24")
    assert first["created_at"].endswith("Z") and len(first["created_at"]) == 20
    assert first["description"] == "Line one\nLine two, with \"quotes\""
    assert (second["title"], second["status"], second["assignees"], second["due_date"]) == (
        "Write docs", "completed", "", "")


def test_the_lists_filters_apply(as_owner, project, tasks, member):
    only = table(as_owner.get(f"/projects/{project.id}/tasks.csv?status=completed"))
    assert [row["title"] for row in only] == ["Write docs"]
    mine = table(as_owner.get(f"/projects/{project.id}/tasks.csv?assignee={member.id}&q=fix"))
    assert [row["title"] for row in mine] == ["Fix login"]
    by_due = table(as_owner.get(f"/projects/{project.id}/tasks.csv?sort=due_date&priority=high"))
    assert [row["title"] for row in by_due] == ["Fix login"]
    ignored = table(as_owner.get(f"/projects/{project.id}/tasks.csv?status=nonsense&story=999999"))
    assert len(ignored) == 2


def test_the_project_page_links_to_the_export_with_its_filters(as_owner, project, tasks):
    page = as_owner.get(f"/projects/{project.id}?status=completed&q=docs").text
    assert f'href="/projects/{project.id}/tasks.csv?q=docs&amp;status=completed&amp;sort=number"' in page
    assert "Export these tasks as CSV" in page
    assert f'href="/projects/{project.id}/tasks.csv?sort=number"' in as_owner.get(f"/projects/{project.id}").text


@pytest.mark.parametrize("title", ["=cmd|' /C calc'!A0", "+1", "-1+1", "@SUM(A1:A2)", "\tx", "\rx"])
def test_a_cell_that_would_be_a_formula_is_guarded(as_owner, db, project, title):
    dated_task(db, project, title, None)
    [row] = table(as_owner.get(f"/projects/{project.id}/tasks.csv"))
    assert row["title"] == "'" + title


def test_the_guard_leaves_other_text_alone():
    assert [guard(v) for v in ("Plan", "a=b", "", "3", "'quoted", " =x")] == [
        "Plan", "a=b", "", "3", "'quoted", " =x"]
    assert [guard(v) for v in ("=1", "+", "-", "@", "\t", "\r")] == [
        "'=1", "'+", "'-", "'@", "'\t", "'\r"]


def test_the_file_name_is_ascii_and_never_empty():
    assert slug("Café Website! 2") == "cafe-website-2"
    assert slug('"; rm -rf /') == "rm-rf"
    assert slug("日本") == ""


def test_a_name_without_ascii_falls_back_to_the_number(as_owner, db, org, owner):
    p = make_project(db, org, members=[owner], creator=owner, name="日本")
    db.commit()
    r = as_owner.get(f"/projects/{p.id}/tasks.csv")
    assert r.headers["content-disposition"] == f'attachment; filename="project-{p.number}-tasks.csv"'
    assert table(r) == []


def test_a_big_project_streams_in_pieces(as_owner, db, project, owner):
    db.execute(insert(Task), [
        {"organization_id": project.organization_id, "project_id": project.id, "number": n,
         "title": f"Task {n}", "position": n, "status": "todo", "priority": "medium",
         "description": "x" * 50, "created_at": now(), "updated_at": now()}
        for n in range(1, 3001)])
    project.task_seq = 3000
    db.add(project)
    db.commit()
    with as_owner.client.stream("GET", f"/projects/{project.id}/tasks.csv",
                                headers={"Accept-Encoding": "identity"}) as r:
        assert r.status_code == 200 and "content-length" not in r.headers
        pieces = list(r.iter_raw())
    assert len(pieces) >= 6  # 500 rows a piece
    rows = list(csv.DictReader(io.StringIO(b"".join(pieces).decode("utf-8-sig"), newline="")))
    assert len(rows) == 3000 and rows[-1]["title"] == "Task 3000"


def test_a_foreign_project_is_404(as_owner, db):
    globex = make_org(db, "Globex")
    gina = make_user(db, globex, role="owner", email="gina@globex.test")
    theirs = make_project(db, globex, members=[gina], creator=gina, name="Zeus")
    db.commit()
    r = as_owner.get(f"/projects/{theirs.id}/tasks.csv")
    assert r.status_code == 404 and "Zeus" not in r.text


def test_a_project_one_is_not_in_is_404_and_a_member_gets_it(browser, db, org, owner, project, tasks):
    outsider = make_user(db, org, role="team_member", email="otto@acme.test")
    viewer = make_user(db, org, role="viewer", email="vi@acme.test")
    hidden = make_project(db, org, members=[owner, viewer], creator=owner, name="Secret")
    db.commit()
    browser.login_as(outsider)
    r = browser.get(f"/projects/{project.id}/tasks.csv")
    assert r.status_code == 404 and "Fix login" not in r.text
    browser.login_as(viewer)  # a viewer of a project sees it, so exports it
    assert table(browser.get(f"/projects/{hidden.id}/tasks.csv")) == []


def test_not_logged_in_goes_to_the_login_page(browser, project):
    r = browser.get(f"/projects/{project.id}/tasks.csv")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
