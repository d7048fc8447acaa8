"""Issue 11's flows over HTTP: moving cards (SPEC §10, view=board), the quick-add of a
column, flash messages across the 303, the invitation link without SMTP, error pages that keep
the signed-in header, and the base URL that follows `kanvaro serve`."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from kanvaro.cli import listen_url
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, Task
from kanvaro.tasks import actions as task_actions
from kanvaro.tasks.forms import NewTask
from tests.factories import Browser
from tests.web.test_board import cards, column

HX = {"HX-Request": "true"}


def flash(html: str) -> str:
    match = re.search(r'<div class="flash" id="flash" role="status"[^>]*>(.*?)</div>', html, re.DOTALL)
    assert match, "no flash region"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.fixture
def todo(db, ctx, project) -> list[Task]:
    made = [task_actions.create_task(ctx, project.id, parse(NewTask, {"title": f"T{i}"}))
            for i in range(1, 5)]
    db.commit()
    return made


def board_order(browser: Browser, project, status: str = "todo") -> list[int]:
    return [int(i) for i in cards(column(browser.get(f"/projects/{project.id}/board").text, status))]


# --- moving cards ---------------------------------------------------------------------

@pytest.mark.parametrize(("to", "expected"), [
    ("top", [2, 0, 1, 3]), ("bottom", [0, 1, 3, 2]), ("up", [0, 2, 1, 3]), ("down", [0, 1, 3, 2]),
])
def test_move_without_js_reorders_and_returns_to_the_card(as_owner, db, project, todo, to, expected):
    moved = todo[2]
    r = as_owner.post(f"/tasks/{moved.id}/move", {"to": to, "view": "board"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/projects/{project.id}/board#task-{moved.id}"
    assert board_order(as_owner, project) == [todo[i].id for i in expected]
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "task.moved")).all()
    assert entry.entity_id == moved.id and list(entry.changes) == ["position"]


def test_move_before_another_task_and_it_survives_a_reload(as_owner, project, todo):
    r = as_owner.post(f"/tasks/{todo[3].id}/move", {"before": str(todo[1].id), "view": "board"})
    assert r.status_code == 303
    expected = [todo[0].id, todo[3].id, todo[1].id, todo[2].id]
    assert board_order(as_owner, project) == expected
    assert board_order(as_owner, project) == expected


def test_move_with_htmx_answers_the_cards_of_the_column_in_their_new_order(as_owner, project, todo):
    r = as_owner.post(f"/tasks/{todo[0].id}/move", {"to": "bottom", "view": "board"}, htmx=True)
    assert r.status_code == 200 and "<html" not in r.text
    assert [int(i) for i in cards(r.text)] == [t.id for t in (*todo[1:], todo[0])]


def test_a_move_to_where_the_task_is_writes_nothing(as_owner, db, todo):
    r = as_owner.post(f"/tasks/{todo[0].id}/move", {"to": "top", "view": "board"})
    assert r.status_code == 303
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "task.moved")).all() == []


def test_moves_into_a_closed_gap_renumber_the_group_once(as_owner, db, project, todo):
    # Ranks 1024 apart: ten moves between the same two neighbours close the gap.
    for _ in range(12):
        assert as_owner.post(f"/tasks/{todo[3].id}/move",
                             {"before": str(todo[1].id), "view": "board"}).status_code == 303
        assert as_owner.post(f"/tasks/{todo[2].id}/move",
                             {"before": str(todo[3].id), "view": "board"}).status_code == 303
    db.expire_all()
    positions = [db.get(Task, t.id).position for t in todo]
    assert len(set(positions)) == 4
    assert board_order(as_owner, project) == [todo[0].id, todo[2].id, todo[3].id, todo[1].id]


@pytest.mark.parametrize("body", [
    {"to": "sideways", "view": "board"}, {"to": "top", "view": "gallery"},
    {"before": "999999", "view": "board"}, {"view": "board"},
])
def test_a_bad_move_is_422_and_writes_nothing(as_owner, db, project, todo, body):
    before = [db.get(Task, t.id).position for t in todo]
    assert as_owner.post(f"/tasks/{todo[1].id}/move", body).status_code == 422
    db.expire_all()
    assert [db.get(Task, t.id).position for t in todo] == before


def test_a_task_of_another_column_is_not_a_place_to_move_before(as_owner, db, project, todo, ctx):
    from kanvaro.tasks.forms import StatusChange
    task_actions.change_task_status(ctx, todo[0].id, parse(StatusChange, {"status": "review"}))
    db.commit()
    r = as_owner.post(f"/tasks/{todo[1].id}/move", {"before": str(todo[0].id), "view": "board"})
    assert r.status_code == 422


def test_new_tasks_go_to_the_bottom_after_moves(as_owner, project, todo):
    as_owner.post(f"/tasks/{todo[3].id}/move", {"to": "top", "view": "board"})
    r = as_owner.post(f"/projects/{project.id}/tasks", {"title": "Latest"})
    assert r.status_code == 303 and r.headers["location"] == f"/projects/{project.id}"
    order = board_order(as_owner, project)
    assert order[0] == todo[3].id and len(order) == 5 and order[-1] not in [t.id for t in todo]


def test_the_board_offers_move_buttons_with_full_names_to_those_who_may(as_owner, project, todo):
    page = as_owner.get(f"/projects/{project.id}/board").text
    assert page.count('aria-label="Move to the top"') == 4
    assert f'role="toolbar" aria-label="Move task {project.number}.1"' in page


# --- quick add, flash -----------------------------------------------------------------

def test_quick_add_creates_the_task_in_its_column_and_the_field_is_ready_again(as_owner, db, project):
    r = as_owner.post(f"/projects/{project.id}/tasks",
                      {"title": "Check the logs", "status": "review", "next": "board"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/projects/{project.id}/board#quick-review"
    task = db.scalar(select(Task).where(Task.title == "Check the logs"))
    assert task.status == "review"
    page = as_owner.get(f"/projects/{project.id}/board").text
    assert flash(page) == "Task “Check the logs” added."
    assert re.search(r'<input id="quick-review"[^>]*autofocus', page)
    assert not re.search(r'<input id="quick-todo"[^>]*autofocus', page)


def test_add_a_task_stays_open_with_its_title_focused(as_owner, project):
    as_owner.post(f"/projects/{project.id}/tasks", {"title": "First"})
    page = as_owner.get(f"/projects/{project.id}").text
    assert flash(page) == "Task “First” added."
    assert re.search(r'<details open>\s*<summary>Add a task</summary>', page)
    assert re.search(r'<input[^>]*autofocus[^>]*id="title"|<input[^>]*id="title"[^>]*autofocus', page)


def test_a_flash_shows_once_and_is_never_cached(as_owner):
    assert as_owner.post("/projects", {"name": "Apollo"}).status_code == 303
    first = as_owner.get("/projects")
    assert flash(first.text) == "Project “Apollo” created."
    assert first.headers["cache-control"] == "no-store" and "etag" not in first.headers
    again = as_owner.get("/projects")
    assert flash(again.text) == "" and "etag" in again.headers


def test_a_forged_flash_cookie_shows_nothing(as_owner):
    as_owner.client.cookies.set("kanvaro_flash", "forged-text")
    assert flash(as_owner.get("/projects").text) == ""


def test_deleting_a_project_says_so(as_owner, project):
    as_owner.post(f"/projects/{project.id}/delete")
    assert flash(as_owner.get("/projects").text) == \
        "Project “Launch” deleted, with its tasks and stories."


def test_an_invitation_without_smtp_gives_the_inviter_the_link(as_owner, db):
    assert as_owner.post("/team/invitations", {"email": "new@example.com",
                                               "role": "viewer"}).status_code == 303
    page = as_owner.get("/team").text
    assert flash(page).startswith("Invitation to new@example.com created.")
    link = re.search(r'<input id="invite-link" readonly value="([^"]+)"', page).group(1)
    token = link.rsplit("/", 1)[1]
    assert link.startswith("http://kanvaro.test/invitations/")
    as_owner.client.cookies.clear()
    assert Browser(as_owner.client, as_owner.settings, as_owner.engine).get(
        f"/invitations/{token}").status_code == 200


def test_an_invitation_with_smtp_says_it_was_sent(settings, owner):
    from starlette.testclient import TestClient

    from kanvaro.app import create_app

    app = create_app(dataclasses.replace(settings, smtp_url="smtp://127.0.0.1:2525"))
    with TestClient(app, base_url="http://testserver") as client:
        browser = Browser(client, settings, app.state.kanvaro.engine).login_as(owner)
        assert browser.post("/team/invitations", {"email": "new@example.com",
                                                  "role": "viewer"}).status_code == 303
        page = browser.get("/team").text
    app.state.kanvaro.engine.dispose()
    assert flash(page) == "Invitation sent to new@example.com."
    assert "invite-link" not in page


# --- error pages, base URL ------------------------------------------------------------

def test_a_404_keeps_the_signed_in_header(as_owner, owner):
    r = as_owner.get("/no/such/page")
    assert r.status_code == 404
    assert owner.name in r.text and "Log out" in r.text and "Register" not in r.text


def test_a_404_for_someone_signed_out_offers_login(browser):
    r = browser.get("/no/such/page")
    assert r.status_code == 404 and "Log in" in r.text and "Log out" not in r.text


def test_a_405_keeps_the_signed_in_header(as_owner, owner, todo):
    r = as_owner.get(f"/tasks/{todo[0].id}/status")
    assert r.status_code == 405 and owner.name in r.text


def test_deleting_a_project_asks_first_and_says_what_goes(as_owner, db, project, todo):
    page = as_owner.get(f"/projects/{project.id}").text
    assert f'href="/projects/{project.id}/delete"' in page
    assert f'action="/projects/{project.id}/delete"' not in page  # no one-click delete
    question = as_owner.get(f"/projects/{project.id}/delete")
    assert question.status_code == 200
    assert "with\n    <strong>4 tasks</strong> and\n    <strong>0 stories</strong>" in question.text
    assert 'name="confirm" value="1"' in question.text
    assert db.get(type(project), project.id) is not None


@pytest.mark.parametrize("role", ["team_member", "viewer"])
def test_the_delete_question_is_only_for_those_who_may(browser, db, org, project, role):
    from kanvaro.models import ProjectMember
    from tests.factories import make_user
    user = make_user(db, org, role=role)
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=user.id))
    db.commit()
    assert browser.login_as(user).get(f"/projects/{project.id}/delete").status_code == 403


@pytest.mark.parametrize(("host", "port", "url"), [
    ("127.0.0.1", 8200, "http://127.0.0.1:8200"), ("0.0.0.0", 80, "http://localhost:80"),
    ("::1", 8000, "http://[::1]:8000"), ("kanvaro.example", 443, "http://kanvaro.example:443"),
])
def test_the_base_url_follows_the_address_served(host, port, url):
    assert listen_url(host, port) == url


def test_a_status_change_or_move_without_js_says_so_on_the_page_it_returns_to(as_owner, project, todo):
    board = f"http://testserver/projects/{project.id}/board"
    r = as_owner.post(f"/tasks/{todo[0].id}/status", {"status": "review"}, headers={"Referer": board})
    assert r.status_code == 303 and r.headers["location"] == f"/projects/{project.id}/board#task-{todo[0].id}"
    assert flash(as_owner.get(r.headers["location"]).text) == "Status set to Review."
    r = as_owner.post(f"/tasks/{todo[1].id}/move", {"to": "top", "view": "board"})
    assert flash(as_owner.get(r.headers["location"]).text) == "Task moved."
    # with htmx the control itself answers: no message is left for a later page
    as_owner.post(f"/tasks/{todo[2].id}/status", {"status": "review"}, headers=HX)
    assert flash(as_owner.get(f"/projects/{project.id}").text) == ""
