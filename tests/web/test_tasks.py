"""Task routes over HTTP, each without and with htmx: create, list, view, edit, status, delete."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, ProjectMember, Story, Task
from kanvaro.stories import actions as story_actions
from kanvaro.stories.forms import NewStory
from kanvaro.tasks import actions as task_actions
from kanvaro.tasks.forms import NewTask, StatusChange, TaskEdit
from tests.factories import assignee_ids, make_org, make_project, make_user
from tests.sqlcount import count_sql
from tests.web.markup import FULL_PAGE, field_error, value_of

HX = {"HX-Request": "true"}


def count(db, model, *where) -> int:
    db.commit()  # end the test session's snapshot, so what the app committed is visible
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audit_rows(db, action: str) -> list[AuditEntry]:
    db.commit()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def pressed(html: str, task_id: int) -> list[str]:
    """The statuses shown as pressed in the task's status control."""
    control = re.search(rf'<form[^>]*id="status-{task_id}".*?</form>', html, re.DOTALL)
    assert control, f"no status control for task {task_id}"
    return re.findall(r'value="([^"]+)" aria-pressed="true"', control.group(0))


def reload(db, row):
    """The row as the database has it now (a new snapshot: SQLite WAL reads are repeatable)."""
    db.commit()
    db.refresh(row)
    return row


def bulk_tasks(db, org, project, n, **values):
    """n tasks in one Core INSERT (fast), numbered 1..n."""
    now = datetime.now(UTC)
    db.execute(insert(Task), [
        {"organization_id": org.id, "project_id": project.id, "number": i, "title": f"Task {i:03d}",
         "position": i, "created_at": now, "updated_at": now, **values} for i in range(1, n + 1)
    ])
    db.commit()


def add_member(db, org, project, user):
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=user.id))
    db.flush()
    return user


@pytest.fixture
def new_task(db, ctx, project):
    def make(**data):
        data.setdefault("title", "Write docs")
        task = task_actions.create_task(ctx, project.id, parse(NewTask, data))
        db.commit()
        return task
    return make


@pytest.fixture
def task(new_task):
    return new_task()


# --- create ---------------------------------------------------------------------------

def test_create_redirects_to_the_project_and_shows_1_1(as_owner, db, project):
    r = as_owner.post(f"/projects/{project.id}/tasks", {"title": "Ship it", "priority": "high"})
    assert (r.status_code, r.headers["location"]) == (303, f"/projects/{project.id}")
    task = db.scalar(select(Task))
    assert (task.title, task.priority, task.number) == ("Ship it", "high", 1)
    page = as_owner.get(f"/projects/{project.id}").text
    assert "1.1" in page and "Ship it" in page
    assert len(audit_rows(db, "task.created")) == 1


def test_create_with_htmx_answers_hx_location(as_owner, db, project):
    r = as_owner.post(f"/projects/{project.id}/tasks", {"title": "Ship it"}, htmx=True)
    assert r.status_code == 200 and r.headers["hx-location"] == f"/projects/{project.id}"
    assert "HX-Request" in r.headers["vary"]
    assert count(db, Task) == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("title", "", "Enter a title."),
    ("title", "x" * 201, "Use 1 to 200 characters."),
    ("story_points", "101", "Use a whole number from 0 to 100."),
    ("story_points", "-1", "Use a whole number from 0 to 100."),
    ("story_points", "many", "integer"),
    ("priority", "urgent", "Not a valid choice"),
    ("due_date", "31/12/2030", "date"),
    ("story", "999999", "Not a valid choice"),
    ("assignees", "999999", "Not a valid choice"),
    ("assignees", "many", "could not be coerced"),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_create_with_an_invalid_field_is_422_with_the_error_next_to_it(
    as_owner, db, project, field, value, message, htmx,
):
    data = {"title": "Fine", "description": "kept text", field: value}
    r = as_owner.post(f"/projects/{project.id}/tasks", data, htmx=htmx)
    assert r.status_code == 422
    assert message in field_error(r.text, field)
    assert 'id="error-summary"' in r.text
    assert value_of(r.text, "description") == "kept text"
    assert r.text.startswith(FULL_PAGE) is (not htmx)
    if htmx:
        assert r.text.lstrip().startswith('<form method="post" action="/projects/')
    assert count(db, Task) == 0 and audit_rows(db, "task.created") == []


def test_create_with_a_story_of_another_project_is_422(as_owner, db, ctx, org, owner, project):
    other = make_project(db, org, members=[owner], creator=owner)
    story = story_actions.create_story(ctx, other.id, parse(NewStory, {"title": "Elsewhere"}))
    db.commit()
    r = as_owner.post(f"/projects/{project.id}/tasks", {"title": "x", "story": str(story.id)})
    assert r.status_code == 422 and "Not a valid choice" in field_error(r.text, "story")
    assert count(db, Task) == 0


def test_create_with_a_non_member_assignee_is_422(as_owner, db, org, project):
    outsider = make_user(db, org, name="Otto Outsider")
    db.commit()
    page = as_owner.get(f"/projects/{project.id}").text
    assert "Otto Outsider" not in page and "Mia Member" in page
    for field in ("assignees", "assignee"):  # the old single field is one of them
        r = as_owner.post(f"/projects/{project.id}/tasks", {"title": "x", field: str(outsider.id)})
        assert r.status_code == 422 and "Not a valid choice" in field_error(r.text, "assignees")
    assert count(db, Task) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_create_in_a_hidden_or_foreign_project_is_404(browser, db, org, project, htmx):
    outsider = make_user(db, org, role="team_member")
    stranger = make_user(db, make_org(db), role="owner")
    db.commit()
    for user in (outsider, stranger):
        r = browser.login_as(user).post(f"/projects/{project.id}/tasks", {"title": "x"}, htmx=htmx)
        assert r.status_code == 404
    assert count(db, Task) == 0


@pytest.mark.parametrize("role", ["client", "viewer"])
def test_create_by_client_or_viewer_is_403(browser, db, org, project, role):
    user = add_member(db, org, project, make_user(db, org, role=role))
    db.commit()
    r = browser.login_as(user).post(f"/projects/{project.id}/tasks", {"title": "x"})
    assert r.status_code == 403 and count(db, Task) == 0


# --- the list -------------------------------------------------------------------------

def listed(html: str) -> list[str]:
    """Task titles in list order."""
    table = re.search(r'id="task-list".*', html, re.DOTALL)
    assert table
    return re.findall(r'<td[^>]*><a href="/tasks/\d+">([^<]*)</a></td>', table.group(0))


@pytest.fixture
def varied(db, ctx, org, project, member, new_task):
    story = story_actions.create_story(ctx, project.id, parse(NewStory, {"title": "Checkout"}))
    db.commit()
    today = date.today()
    new_task(title="Alpha bug", priority="low", due_date=str(today + timedelta(days=9)))
    new_task(title="Beta feature", priority="critical", assignees=[str(member.id)], story=str(story.id))
    new_task(title="Gamma bug", priority="high", due_date=str(today + timedelta(days=1)),
             assignee=str(member.id))
    gamma = db.scalar(select(Task).where(Task.title == "Gamma bug"))
    task_actions.change_task_status(ctx, gamma.id, parse(StatusChange, {"status": "review"}))
    db.commit()
    return story


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["Alpha bug", "Beta feature", "Gamma bug"]),
    ("?status=review", ["Gamma bug"]),
    ("?status=todo", ["Alpha bug", "Beta feature"]),
    ("?priority=critical", ["Beta feature"]),
    ("?assignee=none", ["Alpha bug"]),
    ("?q=BUG", ["Alpha bug", "Gamma bug"]),
    ("?q=%25", []),
    ("?sort=priority", ["Beta feature", "Gamma bug", "Alpha bug"]),
    ("?sort=due_date", ["Gamma bug", "Alpha bug", "Beta feature"]),
    ("?sort=number", ["Alpha bug", "Beta feature", "Gamma bug"]),
    ("?status=bogus&sort=bogus", ["Alpha bug", "Beta feature", "Gamma bug"]),
])
def test_list_filters_and_sorts(as_owner, project, varied, query, expected):
    r = as_owner.get(f"/projects/{project.id}{query}")
    assert r.status_code == 200
    assert listed(r.text) == expected


def test_list_filters_by_assignee_and_story(as_owner, project, member, varied):
    by_member = as_owner.get(f"/projects/{project.id}?assignee={member.id}").text
    assert listed(by_member) == ["Beta feature", "Gamma bug"]
    by_story = as_owner.get(f"/projects/{project.id}?story={varied.id}").text
    assert listed(by_story) == ["Beta feature"]


def test_list_with_htmx_is_the_list_fragment(as_owner, project, varied):
    r = as_owner.get(f"/projects/{project.id}?status=review", headers=HX)
    assert r.status_code == 200 and "HX-Request" in r.headers["vary"]
    assert r.text.lstrip().startswith('<div id="task-list">') and "<html" not in r.text
    assert listed(r.text) == ["Gamma bug"]


def test_list_says_when_nothing_matches(as_owner, project, varied):
    assert "No task matches." in as_owner.get(f"/projects/{project.id}?q=zzz").text


def test_list_paginates_50_a_page(as_owner, db, org, project):
    bulk_tasks(db, org, project, 120)
    first = as_owner.get(f"/projects/{project.id}").text
    assert len(listed(first)) == 50 and listed(first)[0] == "Task 001"
    assert "Page 1 of 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    third = as_owner.get(f"/projects/{project.id}?page=3").text
    assert listed(third) == [f"Task {n:03d}" for n in range(101, 121)]
    assert 'rel="prev"' in third and 'rel="next"' not in third
    assert "(120)" in first


def test_list_page_links_keep_the_filters(as_owner, db, org, project):
    bulk_tasks(db, org, project, 60, status="review")
    page = as_owner.get(f"/projects/{project.id}?status=review").text
    assert 'href="?status=review&amp;page=2"' in page


def test_task_numbers_show_as_project_dot_task(as_owner, project, task):
    page = as_owner.get(f"/projects/{project.id}").text
    assert ">1.1</td>" in page


def test_list_of_a_hidden_project_is_404(browser, db, org, project):
    outsider = make_user(db, org, role="team_member")
    db.commit()
    assert browser.login_as(outsider).get(f"/projects/{project.id}").status_code == 404


# --- task page and edit ---------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_task_page_shows_the_task(as_owner, task, htmx):
    r = as_owner.get(f"/tasks/{task.id}", headers=HX if htmx else {})
    assert r.status_code == 200 and "Write docs" in r.text and "1.1" in r.text
    assert pressed(r.text, task.id) == ["todo"]
    assert r.text.startswith(FULL_PAGE) is (not htmx)


def test_task_page_of_hidden_or_foreign_task_is_404(browser, db, org, task):
    outsider = make_user(db, org, role="team_member")
    stranger = make_user(db, make_org(db), role="owner")
    db.commit()
    for user in (outsider, stranger):
        browser.login_as(user)
        assert browser.get(f"/tasks/{task.id}").status_code == 404
        assert browser.get(f"/tasks/{task.id}/edit").status_code == 404


@pytest.mark.parametrize("htmx", [False, True])
def test_edit_form_is_filled_with_the_task(as_owner, task, htmx):
    r = as_owner.get(f"/tasks/{task.id}/edit", headers=HX if htmx else {})
    assert r.status_code == 200
    assert value_of(r.text, "title") == "Write docs"
    assert 'name="version" value="1"' in r.text
    assert r.text.startswith(FULL_PAGE) is (not htmx)


def test_edit_form_is_403_for_a_viewer(browser, db, org, project, task):
    viewer = add_member(db, org, project, make_user(db, org, role="viewer"))
    db.commit()
    assert browser.login_as(viewer).get(f"/tasks/{task.id}/edit").status_code == 403


def edit_data(**changes) -> dict[str, str]:
    data = {"title": "Write docs", "description": "", "priority": "medium", "status": "todo",
            "version": "1"}
    data.update(changes)
    return data


@pytest.mark.parametrize("htmx", [False, True])
def test_update_saves_and_redirects(as_owner, db, member, task, htmx):
    r = as_owner.post(f"/tasks/{task.id}", edit_data(title="Write the docs", assignees=str(member.id),
                                                     story_points="5"), htmx=htmx)
    if htmx:
        assert r.status_code == 200 and r.headers["hx-location"] == f"/tasks/{task.id}"
    else:
        assert (r.status_code, r.headers["location"]) == (303, f"/tasks/{task.id}")
    reload(db, task)
    assert (task.title, assignee_ids(db, task.id), task.story_points, task.version) == (
        "Write the docs", [member.id], 5, 2)
    [entry] = audit_rows(db, "task.updated")
    assert entry.changes["title"] == ["Write docs", "Write the docs"]
    assert entry.changes["story_points"] == [None, 5]


@pytest.mark.parametrize("htmx", [False, True])
def test_update_with_a_stale_version_is_409_with_both_values(as_owner, db, ctx, task, htmx):
    task_actions.update_task(ctx, task.id, parse(TaskEdit, edit_data(title="Their title")))
    db.commit()
    r = as_owner.post(f"/tasks/{task.id}", edit_data(title="My title", version="1"), htmx=htmx)
    assert r.status_code == 409
    assert "Someone else changed this task meanwhile" in r.text
    assert "<dd>Their title</dd>" in r.text           # the current values
    assert value_of(r.text, "title") == "My title"    # what the user typed
    assert 'name="version" value="2"' in r.text
    assert "HX-Request" in r.headers["vary"]
    reload(db, task)
    assert (task.title, task.version) == ("Their title", 2)
    assert len(audit_rows(db, "task.updated")) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_update_with_invalid_points_is_422(as_owner, db, task, htmx):
    r = as_owner.post(f"/tasks/{task.id}", edit_data(story_points="101", title="Changed"), htmx=htmx)
    assert r.status_code == 422
    assert "0 to 100" in field_error(r.text, "story_points")
    assert value_of(r.text, "title") == "Changed"
    reload(db, task)
    assert (task.title, task.version) == ("Write docs", 1)


def test_update_to_completed_sets_completed_at(as_owner, db, task):
    as_owner.post(f"/tasks/{task.id}", edit_data(status="completed"))
    reload(db, task)
    assert task.status == "completed" and task.completed_at is not None
    as_owner.post(f"/tasks/{task.id}", edit_data(status="todo", version="2"))
    reload(db, task)
    assert task.status == "todo" and task.completed_at is None


@pytest.mark.parametrize("role", ["client", "viewer"])
def test_update_by_client_or_viewer_is_403(browser, db, org, project, task, role):
    user = add_member(db, org, project, make_user(db, org, role=role))
    db.commit()
    r = browser.login_as(user).post(f"/tasks/{task.id}", edit_data(title="Nope"))
    assert r.status_code == 403
    reload(db, task)
    assert task.title == "Write docs"


# --- delete ---------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_delete_removes_the_task_and_goes_to_the_project(as_owner, db, project, task, htmx):
    r = as_owner.post(f"/tasks/{task.id}/delete", htmx=htmx)
    target = f"/projects/{project.id}"
    assert (r.headers.get("hx-location") if htmx else r.headers["location"]) == target
    assert count(db, Task) == 0 and len(audit_rows(db, "task.deleted")) == 1


def test_delete_by_team_member_is_403(browser, db, member, task):
    assert browser.login_as(member).post(f"/tasks/{task.id}/delete").status_code == 403
    assert count(db, Task) == 1


def test_delete_of_hidden_task_is_404(browser, db, org, task):
    pm = make_user(db, org, role="project_manager")
    db.commit()
    assert browser.login_as(pm).post(f"/tasks/{task.id}/delete").status_code == 404
    assert count(db, Task) == 1


def test_deleting_the_project_deletes_its_tasks_and_stories(as_owner, db, ctx, project, task):
    story_actions.create_story(ctx, project.id, parse(NewStory, {"title": "S"}))
    db.commit()
    r = as_owner.post(f"/projects/{project.id}/delete")
    assert (r.status_code, r.headers["location"]) == (303, "/projects")
    assert count(db, Task) == 0 and count(db, Story) == 0


# --- status changes -------------------------------------------------------------------

def test_status_without_js_goes_back_to_the_same_site_referer(as_owner, db, project, task):
    referer = f"http://testserver/projects/{project.id}?status=todo"
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": "in-progress"}, headers={"Referer": referer})
    assert (r.status_code, r.headers["location"]) == (303, f"/projects/{project.id}?status=todo")
    assert "HX-Request" in r.headers["vary"]
    reload(db, task)
    assert (task.status, task.version) == ("in-progress", 2)
    page = as_owner.get(f"/tasks/{task.id}").text
    assert pressed(page, task.id) == ["in-progress"]


@pytest.mark.parametrize("referer", [
    None, "http://evil.test/projects/1", "http://testserver//evil.test/x", "not a url",
    "http://testserver/\\evil.test",
])
def test_status_without_js_and_a_foreign_referer_goes_to_the_board(as_owner, project, task, referer):
    headers = {"Referer": referer} if referer else {}
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, headers=headers)
    assert (r.status_code, r.headers["location"]) == (303, f"/projects/{project.id}/board")


def test_status_with_htmx_answers_the_control_and_oob_counts(as_owner, db, project, task, new_task):
    new_task(title="Other")
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    assert r.status_code == 200 and "HX-Request" in r.headers["vary"]
    assert r.text.lstrip().startswith(f'<form method="post" action="/tasks/{task.id}/status"')
    assert pressed(r.text, task.id) == ["review"]
    assert 'data-badge>Review</span>' in r.text
    counts = dict(re.findall(r'<span id="count-([a-z-]+)" class="count" hx-swap-oob="true">(\d+)</span>', r.text))
    assert counts == {"todo": "1", "in-progress": "0", "review": "1", "testing": "0", "completed": "0"}
    reload(db, task)
    assert (task.status, task.version) == ("review", 2)


def test_status_change_writes_exactly_one_audit_entry(as_owner, db, task):
    as_owner.post(f"/tasks/{task.id}/status", {"status": "testing"}, htmx=True)
    [entry] = audit_rows(db, "task.status_changed")
    assert entry.changes == {"status": ["todo", "testing"]}
    assert entry.entity_id == task.id


@pytest.mark.parametrize("htmx", [False, True])
def test_entering_completed_sets_completed_at_and_leaving_clears_it(as_owner, db, task, htmx):
    as_owner.post(f"/tasks/{task.id}/status", {"status": "completed"}, htmx=htmx)
    reload(db, task)
    assert task.status == "completed" and task.completed_at is not None
    as_owner.post(f"/tasks/{task.id}/status", {"status": "in-progress"}, htmx=htmx)
    reload(db, task)
    assert task.status == "in-progress" and task.completed_at is None and task.version == 3


def test_status_needs_no_version(as_owner, db, ctx, task):
    task_actions.update_task(ctx, task.id, parse(TaskEdit, edit_data(title="Edited meanwhile")))
    db.commit()
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    assert r.status_code == 200
    reload(db, task)
    assert (task.status, task.version) == ("review", 3)


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("status", ["", "done"])
def test_invalid_status_is_422_and_writes_nothing(as_owner, db, task, htmx, status):
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": status}, htmx=htmx)
    assert r.status_code == 422 and "HX-Request" in r.headers["vary"]
    if htmx:
        assert pressed(r.text, task.id) == ["todo"]
    reload(db, task)
    assert (task.status, task.version) == ("todo", 1)
    assert audit_rows(db, "task.status_changed") == []


@pytest.mark.parametrize("htmx", [False, True])
def test_status_by_other_org_or_non_member_is_404(browser, db, org, task, htmx):
    outsider = make_user(db, org, role="team_member")
    stranger = make_user(db, make_org(db), role="owner")
    db.commit()
    for user in (outsider, stranger):
        r = browser.login_as(user).post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=htmx)
        assert r.status_code == 404
    reload(db, task)
    assert (task.status, task.version) == ("todo", 1)
    assert audit_rows(db, "task.status_changed") == []


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("role", ["client", "viewer"])
def test_status_by_client_or_viewer_is_403(browser, db, org, project, task, role, htmx):
    user = add_member(db, org, project, make_user(db, org, role=role))
    db.commit()
    r = browser.login_as(user).post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=htmx)
    assert r.status_code == 403
    reload(db, task)
    assert (task.status, task.version) == ("todo", 1)
    assert audit_rows(db, "task.status_changed") == []


def test_status_by_team_member_of_the_project_works(browser, db, member, task):
    r = browser.login_as(member).post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    assert r.status_code == 200 and pressed(r.text, task.id) == ["review"]


def test_status_without_csrf_is_403(as_owner, db, task):
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, csrf=False)
    assert r.status_code == 403
    reload(db, task)
    assert task.status == "todo"


def test_status_when_logged_out_redirects_to_login(browser, db, task):
    r = browser.post(f"/tasks/{task.id}/status", {"status": "review"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = browser.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/login"
    reload(db, task)
    assert task.status == "todo"


def test_status_change_costs_at_most_seven_sql_statements(as_owner, engine, task):
    # Six until issue 12; the seventh tells the task's watchers (one INSERT ... SELECT, in the
    # change's transaction, as SPEC §8 asks), whether or not there are any.
    with count_sql(engine) as sql:
        r = as_owner.post(f"/tasks/{task.id}/status", {"status": "in-progress"}, htmx=True)
    assert r.status_code == 200
    print(f"\nSQL statements for one status change (HX-Request): {sql.count}\n{sql}")
    assert sql.count == 7, str(sql)


def test_boosted_status_change_is_a_navigation(as_owner, db, project, task):
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": "review"},
                      headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert (r.status_code, r.headers["location"]) == (303, f"/projects/{project.id}/board")
    assert reload(db, task).status == "review"
