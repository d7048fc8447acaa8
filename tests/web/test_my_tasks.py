"""My tasks (SPEC §8, `GET /my/tasks`) and the page a login lands on."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select

from kanvaro.models import ProjectMember, Task
from kanvaro.tasks.models import TaskAssignee
from tests.factories import PASSWORD, assign, make_org, make_project, make_user
from tests.sqlcount import count_sql
from tests.web.markup import FULL_PAGE


def _today() -> date:
    """Today in UTC, as the request will see it: a test that would cross midnight between
    writing its rows and asking for the page waits the few seconds past it first."""
    now = datetime.now(UTC)
    left = (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC) - now)
    if left < timedelta(seconds=60):
        time.sleep(left.total_seconds() + 1)
    return datetime.now(UTC).date()


TODAY = _today()


@pytest.fixture(autouse=True)
def _pin_today():
    """Autouse fixtures run first: the rows and the request see the same day."""
    global TODAY
    TODAY = _today()


def add_task(db, project, title: str, *people, due: date | None = None, status: str = "todo",
             completed_days_ago: int | None = None) -> Task:
    project.task_seq += 1
    completed = (datetime.now(UTC) - timedelta(days=completed_days_ago)
                 if completed_days_ago is not None else None)
    task = Task(organization_id=project.organization_id, project_id=project.id,
                number=project.task_seq, title=title, due_date=due, status=status,
                completed_at=completed, position=project.task_seq)
    db.add(task)
    db.flush()
    assign(db, task, *people)
    return task


def groups(page: str) -> dict[str, list[str]]:
    """Group heading -> the titles listed under it, in order."""
    found = {}
    for block in re.findall(r'<(?:section|details) class="my-group".*?</(?:section|details)>', page, re.DOTALL):
        heading = re.search(r"<h2[^>]*>([^<]+?) <span", block)[1]
        found[heading] = re.findall(r'<span class="num">[\d.]+</span> ([^<]+)</a>', block)
    return found


@pytest.fixture
def mine(db, org, owner, member, project):
    add_task(db, project, "Late", member, due=TODAY - timedelta(days=2))
    add_task(db, project, "Later late", member, owner, due=TODAY - timedelta(days=1))
    add_task(db, project, "Now", member, due=TODAY)
    add_task(db, project, "Soon", member, due=TODAY + timedelta(days=7))
    add_task(db, project, "Next month", member, due=TODAY + timedelta(days=8))
    add_task(db, project, "Some day", member)
    add_task(db, project, "Done lately", member, due=TODAY - timedelta(days=5), status="completed",
             completed_days_ago=2)
    add_task(db, project, "Done long ago", member, status="completed", completed_days_ago=30)
    add_task(db, project, "Someone else's", owner, due=TODAY)
    add_task(db, project, "Nobody's", due=TODAY)
    db.commit()


def test_my_tasks_are_grouped_by_due_date_and_completed_ones_fold_last(browser, member, mine):
    r = browser.login_as(member).get("/my/tasks")
    assert r.status_code == 200 and r.text.startswith(FULL_PAGE)
    assert groups(r.text) == {
        "Overdue": ["Late", "Later late"], "Due today": ["Now"], "This week": ["Soon"],
        "Later": ["Next month"], "No due date": ["Some day"],
        "Completed in the last 14 days": ["Done lately"],
    }
    assert '<details class="my-group">' in r.text and "<details class=\"my-group\" open" not in r.text
    assert r.text.index("Some day") < r.text.index("Done lately")
    # each with its status control, which works with JS off: a form posting to the status route
    for task_id in re.findall(r'<li id="task-(\d+)">', r.text):
        assert f'action="/tasks/{task_id}/status"' in r.text


def test_the_header_links_my_tasks_on_every_page(browser, member, project):
    browser.login_as(member)
    assert '<a href="/my/tasks"' in browser.get("/projects").text
    assert '<a href="/my/tasks" aria-current="page">' in browser.get("/my/tasks").text


def test_nothing_assigned_says_so(browser, member, project):
    page = browser.login_as(member).get("/my/tasks").text
    assert "No open task is assigned to you" in page and groups(page) == {}


def test_a_task_in_a_project_i_left_or_another_organization_is_not_shown(browser, db, org, owner, member, project):
    other = make_project(db, org, members=[owner, member], creator=owner, name="Left")
    add_task(db, other, "In a project I left", member, due=TODAY)
    add_task(db, project, "Still mine", member, due=TODAY)
    elsewhere = make_project(db, make_org(db), name="Elsewhere")
    add_task(db, elsewhere, "Foreign", member.id, due=TODAY)  # a row no action would write
    db.execute(delete(ProjectMember).where(ProjectMember.project_id == other.id,
                                           ProjectMember.user_id == member.id))
    db.commit()
    page = browser.login_as(member).get("/my/tasks").text
    assert groups(page) == {"Due today": ["Still mine"]}
    assert "Left" not in page and "Foreign" not in page


def test_without_js_a_status_change_from_my_tasks_comes_back_to_its_row(browser, db, member, mine):
    browser.login_as(member)
    task = db.scalar(select(Task).where(Task.title == "Now"))
    r = browser.post(f"/tasks/{task.id}/status", {"status": "completed"},
                     headers={"Referer": "http://testserver/my/tasks"})
    assert (r.status_code, r.headers["location"]) == (303, f"/my/tasks#task-{task.id}")
    page = browser.get("/my/tasks").text
    assert "Now" in groups(page)["Completed in the last 14 days"]
    assert "Status set to Completed." in page


def test_with_htmx_a_status_change_from_my_tasks_answers_the_control_alone(browser, db, member, mine):
    browser.login_as(member)
    task = db.scalar(select(Task).where(Task.title == "Now"))
    r = browser.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True,
                     headers={"HX-Current-URL": "http://testserver/my/tasks"})
    assert r.status_code == 200 and r.text.lstrip().startswith(f'<form method="post" action="/tasks/{task.id}/status"')
    assert 'aria-pressed="true" title="Review"' in r.text and "hx-swap-oob" not in r.text


def test_my_tasks_cost_the_same_statements_for_5_and_200_tasks(browser, db, org, engine, member, project):
    browser.login_as(member)

    def tasks(n: int, start: int) -> None:
        now = datetime.now(UTC)
        db.execute(insert(Task), [{"organization_id": org.id, "project_id": project.id, "number": i,
                                   "title": f"Task {i}", "position": i, "created_at": now,
                                   "updated_at": now, "due_date": TODAY + timedelta(days=i % 20 - 5)}
                                  for i in range(start, start + n)])
        ids = db.scalars(select(Task.id).where(Task.number >= start, Task.project_id == project.id))
        db.execute(insert(TaskAssignee), [{"task_id": t, "user_id": member.id, "organization_id": org.id}
                                          for t in ids])
        db.commit()

    def measure() -> int:
        with count_sql(engine) as sql:
            assert browser.get("/my/tasks").status_code == 200
        return sql.count

    tasks(5, 1)
    measure()  # warm up
    few = measure()
    tasks(195, 6)
    many = measure()
    print(f"\nSQL statements for GET /my/tasks: {few} with 5 tasks, {many} with 200")
    assert few == many <= 3


# --- the landing page after login ---------------------------------------------------------

def login(browser, user, **extra):  # type: ignore[no-untyped-def]
    return browser.post("/login", {"email": user.email, "password": PASSWORD, **extra})


def test_a_login_lands_on_my_tasks_when_i_have_open_ones(browser, member, mine):
    r = login(browser, member)
    assert (r.status_code, r.headers["location"]) == (303, "/my/tasks")


def test_a_login_with_next_follows_next(browser, member, mine):
    r = login(browser, member, next="/projects/1")
    assert r.headers["location"] == "/projects/1"


def test_a_login_without_open_tasks_lands_on_the_projects(browser, db, org, owner, member, project):
    add_task(db, project, "Finished", member, status="completed", completed_days_ago=1)
    other = make_project(db, org, members=[owner, member], creator=owner)
    add_task(db, other, "Where I no longer am", member)
    db.execute(delete(ProjectMember).where(ProjectMember.project_id == other.id,
                                           ProjectMember.user_id == member.id))
    db.commit()
    r = login(browser, member)
    assert r.headers["location"] == "/projects"


def test_the_login_page_sends_no_next_unless_asked(browser):
    plain = browser.get("/login").text
    assert '<input id="next" name="next" type="hidden" value="">' in plain
    asked = browser.get("/login?next=/projects/7").text
    assert 'value="/projects/7"' in asked


def test_an_owner_who_sees_every_project_lands_on_their_tasks(browser, db, org, owner):
    project = make_project(db, org, name="Not mine")
    add_task(db, project, "Owner task", owner)
    db.commit()
    r = login(browser, owner)
    assert r.headers["location"] == "/my/tasks"
    assert groups(browser.get("/my/tasks").text) == {"No due date": ["Owner task"]}


def test_a_member_assigned_only_where_they_cannot_see_lands_on_the_projects(browser, db, org):
    project = make_project(db, org, name="Not Vic's")
    vic = make_user(db, org, role="team_member", name="Vic")
    add_task(db, project, "In a project Vic is not in", vic)
    db.commit()
    assert login(browser, vic).headers["location"] == "/projects"
