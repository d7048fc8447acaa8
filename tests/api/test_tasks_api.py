"""Tasks through the JSON API: the same actions as the forms (audit, versions, checks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kanvaro.models import AuditEntry, Task
from tests.factories import assign, make_project


def _task(api: Any, project: Any, **body: Any) -> dict[str, Any]:
    answer = api("POST", f"/projects/{project.id}/tasks", {"title": "Write the docs", **body})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_create_answers_201_with_the_task_and_its_location(api, db, project, member):
    answer = api("POST", f"/projects/{project.id}/tasks",
                 {"title": "Ship it", "priority": "high", "assignees": [member.id],
                  "due_date": "2026-12-24", "description": "See #1.1"})
    assert answer.status_code == 201, answer.text
    task = answer.json()
    assert answer.headers["location"] == f"/api/v1/tasks/{task['id']}"
    assert task["key"] == f"{project.number}.1"
    assert (task["title"], task["priority"], task["status"]) == ("Ship it", "high", "todo")
    assert task["assignees"] == [member.id] and task["due_date"] == "2026-12-24"
    assert task["version"] == 1
    db.commit()
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "task.created")).one()
    assert entry.entity_id == task["id"]
    assert api("GET", f"/tasks/{task['id']}").json() == task


def test_invalid_input_is_422_problem_details_with_the_fields_and_writes_nothing(api, db, project):
    answer = api("POST", f"/projects/{project.id}/tasks", {"title": "", "story_points": 500})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422 and set(problem["errors"]) == {"title", "story_points"}
    db.commit()
    assert db.scalars(select(Task)).all() == []


def test_wrong_types_unknown_fields_and_huge_arrays_are_refused(api, project):
    for body in ({"title": 5}, {"title": "x", "colour": "red"}, {"title": "x", "assignees": list(range(1, 500))},
                 {"title": "x", "due_date": "tomorrow"}, ["not", "an", "object"]):
        answer = api("POST", f"/projects/{project.id}/tasks", body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["errors"]
    broken = api("POST", f"/projects/{project.id}/tasks", content=b"{nope",
                 headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["title"] == "Bad request"
    form = api("POST", f"/projects/{project.id}/tasks", data={"title": "x"})
    assert form.status_code == 415


def test_patch_status_is_the_status_change_with_its_audit_and_version(api, db, project):
    task = _task(api, project)
    answer = api("PATCH", f"/tasks/{task['id']}", {"status": "in-progress", "version": 1})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "in-progress" and answer.json()["version"] == 2
    db.commit()
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == task["id"])).all()
    assert "task.status_changed" in actions


def test_a_stale_version_is_409_with_the_current_task(api, db, project):
    task = _task(api, project)
    assert api("PATCH", f"/tasks/{task['id']}", {"title": "Renamed"}).status_code == 200
    answer = api("PATCH", f"/tasks/{task['id']}", {"title": "Mine", "version": 1})
    assert answer.status_code == 409
    assert answer.json()["current"]["title"] == "Renamed" and answer.json()["current"]["version"] == 2
    stale_status = api("PATCH", f"/tasks/{task['id']}", {"status": "completed", "version": 1})
    assert stale_status.status_code == 409
    db.commit()
    assert db.get(Task, task["id"]).title == "Renamed"


def test_patch_changes_only_what_it_sends(api, project, member):
    task = _task(api, project, priority="high", assignees=[member.id], description="Keep me")
    answer = api("PATCH", f"/tasks/{task['id']}", {"title": "New title"})
    assert answer.status_code == 200, answer.text
    after = answer.json()
    assert after["title"] == "New title"
    assert (after["priority"], after["assignees"], after["description"]) == ("high", [member.id], "Keep me")


def test_list_filters_and_cursor_pages(api, db, project, member):
    made = [_task(api, project, title=f"Task {n}", priority="high" if n % 2 else "low") for n in range(7)]
    assign(db, db.get(Task, made[3]["id"]), member)
    db.commit()
    first = api("GET", f"/projects/{project.id}/tasks?limit=3").json()
    assert [t["id"] for t in first["items"]] == [t["id"] for t in made[:3]]
    second = api("GET", f"/projects/{project.id}/tasks?limit=3&cursor={first['next_cursor']}").json()
    third = api("GET", f"/projects/{project.id}/tasks?limit=3&cursor={second['next_cursor']}").json()
    assert [t["id"] for t in second["items"] + third["items"]] == [t["id"] for t in made[3:]]
    assert third["next_cursor"] is None
    high = api("GET", f"/projects/{project.id}/tasks?priority=high").json()["items"]
    assert {t["title"] for t in high} == {"Task 1", "Task 3", "Task 5"}
    mine = api("GET", f"/projects/{project.id}/tasks?assignee={member.id}").json()["items"]
    assert [t["id"] for t in mine] == [made[3]["id"]]
    nobodys = api("GET", f"/projects/{project.id}/tasks?assignee=none&limit=200").json()["items"]
    assert len(nobodys) == 6 and made[3]["id"] not in [t["id"] for t in nobodys]
    assert api("GET", f"/projects/{project.id}/tasks?q=task 6").json()["items"][0]["title"] == "Task 6"
    assert api("GET", f"/projects/{project.id}/tasks?q=%25").json()["items"] == []  # % is a character
    api("PATCH", f"/tasks/{made[5]['id']}", {"status": "completed"})
    done = api("GET", f"/projects/{project.id}/tasks?status=completed&priority=high").json()["items"]
    assert [t["id"] for t in done] == [made[5]["id"]]
    assert api("GET", f"/projects/{project.id}/tasks?status=completed&priority=low").json()["items"] == []
    for bad in ("limit=0", "limit=201", "limit=x", "cursor=garbage", "status=nope"):
        answer = api("GET", f"/projects/{project.id}/tasks?{bad}")
        assert answer.status_code == 422, bad


def test_delete_answers_204_and_the_task_is_gone(api, db, project):
    task = _task(api, project)
    answer = api("DELETE", f"/tasks/{task['id']}")
    assert answer.status_code == 204 and answer.content == b""
    assert api("GET", f"/tasks/{task['id']}").status_code == 404


def test_the_member_is_refused_what_their_role_may_not_do(api, member_api, project):
    task = _task(api, project)
    answer = member_api("DELETE", f"/tasks/{task['id']}")  # task:delete: project managers up
    assert answer.status_code == 403 and answer.json()["status"] == 403
    assert api("GET", f"/tasks/{task['id']}").status_code == 200


def test_nul_and_control_characters_in_any_text_are_422_not_a_fault(api, project):
    # PostgreSQL refuses NUL in text: the rules must say no before the database is asked.
    task = _task(api, project)
    for method, path, needed, field in (
            ("POST", f"/projects/{project.id}/tasks", "title", "title"),
            ("POST", f"/projects/{project.id}/tasks", "title", "description"),
            ("POST", "/projects", "name", "name"),
            ("POST", "/projects", "name", "description"),
            ("POST", f"/projects/{project.id}/stories", "title", "title"),
            ("POST", f"/tasks/{task['id']}/comments", "body", "body"),
            ("PATCH", f"/tasks/{task['id']}", "title", "title")):
        answer = api(method, path, {needed: "fine", field: "bad\u0000text"})
        assert answer.status_code == 422, (path, field, answer.text)
        assert field in answer.json()["errors"], (path, field)


def test_odd_query_parameters_are_422_not_a_fault(api, project):
    for query in ("limit=%C2%B2", "limit=%D9%A3", "assignee=%C2%B2", "colour=red", "status=",
                  "q=" + "x" * 201):
        answer = api("GET", f"/projects/{project.id}/tasks?{query}")
        assert answer.status_code == 422, (query, answer.text)


def test_a_page_shows_each_task_s_assignees_and_no_other_project_s(api, db, org, owner, project, member):
    other = make_project(db, org, members=[owner], name="Elsewhere")
    db.commit()
    first = _task(api, project, title="First", assignees=[member.id, owner.id])
    between = _task(api, other, title="Between", assignees=[owner.id])
    last = _task(api, project, title="Last")
    listed = api("GET", f"/projects/{project.id}/tasks").json()["items"]
    assert [(t["id"], t["assignees"]) for t in listed] == [
        (first["id"], sorted([member.id, owner.id])), (last["id"], [])]
    assert between["id"] not in [t["id"] for t in listed]
