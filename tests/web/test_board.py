"""The board over HTTP: columns, counts, cards, the per-column limit, and a fixed query count."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from kanvaro.enums import TASK_STATUSES
from kanvaro.inputs import parse
from kanvaro.models import ProjectMember, Task
from kanvaro.tasks import actions as task_actions
from kanvaro.tasks.forms import NewTask, StatusChange
from kanvaro.tasks.models import TaskAssignee
from tests.factories import make_org, make_project, make_user
from tests.sqlcount import count_sql
from tests.web.markup import FULL_PAGE

HX = {"HX-Request": "true"}


def bulk_tasks(db, org, project, n, *, start=1, **values):
    """n tasks in one Core INSERT, numbered from start; statuses cycle unless given."""
    now = datetime.now(UTC)
    statuses = list(TASK_STATUSES)
    rows = []
    for i in range(start, start + n):
        row = {"organization_id": org.id, "project_id": project.id, "number": i,
               "title": f"Task {i:03d}", "position": i, "status": statuses[i % len(statuses)],
               "created_at": now, "updated_at": now}
        row.update(values)
        rows.append(row)
    db.execute(insert(Task), rows)
    db.commit()


def assign_all(db, projects, people) -> None:
    """Every task of the projects assigned to each of `people`, in one Core INSERT."""
    tasks = db.execute(select(Task.id, Task.organization_id).where(
        Task.project_id.in_([p.id for p in projects]))).all()
    db.execute(insert(TaskAssignee), [{"task_id": tid, "user_id": u.id, "organization_id": org_id}
                                      for tid, org_id in tasks for u in people])
    db.commit()


def column(html: str, status: str) -> str:
    match = re.search(rf'<section class="column" id="column-{status}".*?</section>', html, re.DOTALL)
    assert match, f"no column {status}"
    return match.group(0)


def header_count(html: str, status: str) -> int:
    match = re.search(rf'<span id="count-{status}" class="count">(\d+)</span>', html)
    assert match, f"no count for {status}"
    return int(match.group(1))


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="card" id="task-(\d+)"', html)


@pytest.mark.parametrize("htmx", [False, True])
def test_board_has_one_column_per_status_with_counts(as_owner, db, ctx, project, member, htmx):
    first = task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Plan", "assignee": str(member.id),
                                                       "story_points": "3", "priority": "high"}))
    second = task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Build"}))
    task_actions.change_task_status(ctx, second.id, parse(StatusChange, {"status": "review"}))
    db.commit()
    r = as_owner.get(f"/projects/{project.id}/board", headers=HX if htmx else {})
    assert r.status_code == 200 and "HX-Request" in r.headers["vary"]
    assert r.text.startswith(FULL_PAGE) is (not htmx)
    for status, label in TASK_STATUSES.items():
        assert label in column(r.text, status)
    assert [header_count(r.text, s) for s in TASK_STATUSES] == [1, 0, 1, 0, 0]
    todo = column(r.text, "todo")
    assert cards(todo) == [str(first.id)]
    assert "1.1" in todo and "Plan" in todo and "Mia Member" in todo and "3 pts" in todo
    assert "High" in todo
    assert cards(column(r.text, "review")) == [str(second.id)]
    assert 'value="review" aria-pressed="true"' in column(r.text, "review")


def test_cards_are_keyboard_focusable_links(as_owner, db, ctx, project):
    task = task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Plan"}))
    db.commit()
    page = as_owner.get(f"/projects/{project.id}/board").text
    assert f'<a href="/tasks/{task.id}">' in column(page, "todo")
    assert '<button name="status" value="completed"' in column(page, "todo")


def test_overdue_tasks_are_marked_and_completed_ones_are_not(as_owner, db, ctx, project):
    yesterday = str(date.today() - timedelta(days=2))
    late = task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Late", "due_date": yesterday}))
    done = task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Done late", "due_date": yesterday}))
    task_actions.change_task_status(ctx, done.id, parse(StatusChange, {"status": "completed"}))
    task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Future",
                                               "due_date": str(date.today() + timedelta(days=5))}))
    db.commit()
    page = as_owner.get(f"/projects/{project.id}/board").text
    todo, completed = column(page, "todo"), column(page, "completed")
    assert todo.count("overdue by 2 days") == 1 and 'class="due overdue"' in todo
    assert "due in 5 days</time>" in todo  # the date in full is its title
    assert f'datetime="{date.today() + timedelta(days=5)}" title="' in todo
    assert f'id="task-{late.id}"' in todo
    assert "overdue" not in completed


def test_empty_board_shows_zero_counts(as_owner, project):
    page = as_owner.get(f"/projects/{project.id}/board").text
    assert [header_count(page, s) for s in TASK_STATUSES] == [0] * 5
    assert cards(page) == []


def test_a_column_shows_100_cards_then_a_show_all_link(as_owner, db, org, project):
    bulk_tasks(db, org, project, 101, status="testing")
    bulk_tasks(db, org, project, 3, start=102, status="todo")
    page = as_owner.get(f"/projects/{project.id}/board").text
    testing = column(page, "testing")
    assert len(cards(testing)) == 100 and header_count(page, "testing") == 101
    assert f'href="/projects/{project.id}?status=testing"' in testing
    assert "Show all 101" in testing
    todo = column(page, "todo")
    assert len(cards(todo)) == 3 and "Show all" not in todo


def test_board_of_hidden_or_foreign_project_is_404(browser, db, org, project):
    outsider = make_user(db, org, role="team_member")
    stranger = make_user(db, make_org(db), role="owner")
    db.commit()
    for user in (outsider, stranger):
        assert browser.login_as(user).get(f"/projects/{project.id}/board").status_code == 404


def test_board_is_visible_to_a_viewer_member(browser, db, org, owner):
    viewer = make_user(db, org, role="viewer")
    p = make_project(db, org, members=[viewer], creator=owner)
    db.commit()
    assert browser.login_as(viewer).get(f"/projects/{p.id}/board").status_code == 200


def test_board_when_logged_out_redirects_to_login(browser, project):
    r = browser.get(f"/projects/{project.id}/board")
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next=%2Fprojects%2F{project.id}%2Fboard"


def test_status_change_from_the_board_returns_to_the_board(as_owner, db, ctx, project):
    task = task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Plan"}))
    db.commit()
    board = f"/projects/{project.id}/board"
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": "testing"},
                      headers={"Referer": f"http://testserver{board}"})
    # Back to the card: the page comes back where it was, not at the top (issue 11).
    assert (r.status_code, r.headers["location"]) == (303, f"{board}#task-{task.id}")
    page = as_owner.get(board).text
    assert cards(column(page, "testing")) == [str(task.id)]
    assert header_count(page, "testing") == 1 and header_count(page, "todo") == 0


# --- query counts ---------------------------------------------------------------------

def measure(browser, engine, url: str, headers=None) -> int:
    with count_sql(engine) as sql:
        r = browser.get(url, headers=headers or {})
    assert r.status_code == 200
    return sql.count


@pytest.mark.parametrize("page", ["/projects/{id}/board", "/projects/{id}", "/projects/{id}?sort=priority",
                                  "/projects", "/projects/{id}/board?assignee=none",
                                  "/projects/{id}?assignee=none"])
def test_page_costs_the_same_queries_for_5_and_200_tasks(browser, db, org, engine, page):
    member = make_user(db, org, role="team_member")
    mate = make_user(db, org, role="team_member")
    small = make_project(db, org, members=[member, mate])
    large = make_project(db, org, members=[member, mate])
    db.commit()
    bulk_tasks(db, org, small, 5, comment_count=1)
    bulk_tasks(db, org, large, 200, comment_count=3)
    assign_all(db, [small, large], [member, mate])  # two assignees on every card
    browser.login_as(member)
    measure(browser, engine, page.format(id=small.id))  # warm up: session touch, caches
    few = measure(browser, engine, page.format(id=small.id))
    many = measure(browser, engine, page.format(id=large.id))
    print(f"\nSQL statements for GET {page}: {few} with 5 tasks, {many} with 200 tasks")
    assert few == many


def test_board_and_list_query_counts(browser, db, org, engine, owner):
    """The figures quoted in docs/tasks.md (owner, no filters)."""
    project = make_project(db, org, members=[owner], creator=owner)
    db.commit()
    bulk_tasks(db, org, project, 200)
    browser.login_as(owner)
    board = measure(browser, engine, f"/projects/{project.id}/board")
    listing = measure(browser, engine, f"/projects/{project.id}")
    board_hx = measure(browser, engine, f"/projects/{project.id}/board", HX)
    listing_hx = measure(browser, engine, f"/projects/{project.id}", HX)
    print(f"\nboard: {board} (htmx {board_hx}); project task list: {listing} (htmx {listing_hx})")
    # The board: actor, project, its people (the assignee filter, and the cards' assignees'
    # names), the cards with their assignees' ids, counts. The list: actor, project, stories,
    # people, total, rows, their assignees.
    assert board <= 5 and listing <= 7


@pytest.mark.parametrize("days, text", [(-3, "overdue by 3 days"), (-1, "overdue by 1 day"),
                                        (0, "due today"), (1, "due tomorrow"),
                                        (2, "due in 2 days"), (40, "due in 40 days")])
def test_due_dates_read_as_relative_days_with_the_date_in_full(days, text):
    from kanvaro.templating import relative_due

    today = date(2026, 12, 1)
    shown = str(relative_due(today + timedelta(days=days), today))
    assert f">{text}</time>" in shown
    assert f'datetime="{today + timedelta(days=days)}"' in shown
    assert ("overdue" in shown.split(">")[0]) == (days < 0)
    assert 'title="Tuesday 1 December 2026"' in str(relative_due(today, today))
    done = str(relative_due(today - timedelta(days=5), today, done=True))
    assert "overdue" not in done and ">due 26 Nov</time>" in done


def test_kept_cards_follow_their_task_and_carry_each_pages_own_token(as_owner, db, ctx, org,
                                                                      project, client, settings,
                                                                      engine):
    """Cards are drawn once and kept (tasks.controls._CARDS): an edit shows at once, each
    page's forms carry that page's masked token, and one who may not change statuses never
    gets a card drawn with controls."""
    from tests.factories import Browser

    task = task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Original"}))
    db.commit()
    url = f"/projects/{project.id}/board"

    def tokens(page: str) -> set[str]:
        return set(re.findall(r'name="csrf_token" value="([^"]+)"', column(page, "todo")))

    first, second = as_owner.get(url).text, as_owner.get(url).text
    assert "Original" in column(second, "todo")
    assert len(tokens(first)) == 1 and len(tokens(second)) == 1 and tokens(first) != tokens(second)
    assert tokens(second) == set(re.findall(r'name="csrf_token" value="([^"]+)"', second))
    assert as_owner.post(f"/tasks/{task.id}", {"title": "Renamed", "priority": "high",
                                                     "version": "1"}).status_code == 303
    page = as_owner.get(url).text
    assert "Renamed" in column(page, "todo") and "Original" not in page
    viewer = make_user(db, org, role="viewer")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=viewer.id))
    db.commit()
    seen = Browser(client, settings, engine).login_as(viewer).get(url).text
    assert "Renamed" in column(seen, "todo") and 'name="status"' not in seen
