"""Issue 3 in a real browser: the optimistic status control (SPEC §5) on the board, the
project's task list and the task page, with JavaScript on and off, by keyboard alone, when the
server fails; axe-core on the task, story and board pages.

Every test asserts what the user sees and the rows written (task status, completed_at, audit).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select, update

from kanvaro.enums import TASK_STATUSES
from kanvaro.models import AuditEntry, Story, Task, User, UserSession
from tests.browser.conftest import LiveServer, assert_no_axe_violations, focused, key_to
from tests.factories import assign, make_org, make_project, make_user, now


@dataclass
class World:
    org_id: int
    owner: User
    member: User
    project_id: int
    story_id: int
    tasks: list[int]  # task ids; task i (from 0) is shown as 1.{i+1}


def make_world(live: LiveServer, statuses: tuple[str, ...] = ("todo", "todo", "in-progress")) -> World:
    """One organization, one project (number 1) with a story and tasks in the given statuses."""
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        member = make_user(db, org, role="team_member", name="Tom Member", email="tom@acme.test")
        project = make_project(db, org, name="Moonshot", creator=owner, members=[member],
                               status="active", description="Reach orbit.")
        story = Story(organization_id=org.id, project_id=project.id, title="Launch pad",
                      description="Somewhere to stand.", priority="high", story_points=8,
                      created_by_id=owner.id)
        db.add(story)
        db.flush()
        ids = []
        for i, status in enumerate(statuses, start=1):
            task = Task(organization_id=org.id, project_id=project.id, number=i, position=i,
                        title=f"Task number {i}", status=status, priority=["low", "high", "critical"][i % 3],
                        story_id=story.id if i % 2 else None, story_points=i,
                        due_date=date.today() + timedelta(days=7 if i % 2 else -3),
                        completed_at=now() if status == "completed" else None,
                        created_by_id=owner.id)
            db.add(task)
            db.flush()
            if i % 2 == 0:
                assign(db, task, member)
            ids.append(task.id)
        project.task_seq = len(statuses)
        db.commit()
        assert project.number == 1
        return World(org.id, owner, member, project.id, story.id, ids)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- helpers


def task_row(live: LiveServer, task_id: int) -> Task:
    with live.db() as db:
        task = db.get(Task, task_id)
        assert task is not None
        return task


def status_audits(live: LiveServer) -> list[tuple[int | None, int | None, dict[str, Any]]]:
    """(actor, task, changes) of every task.status_changed entry, oldest first."""
    with live.db() as db:
        rows = db.execute(select(AuditEntry.actor_id, AuditEntry.entity_id, AuditEntry.changes)
                          .where(AuditEntry.action == "task.status_changed")
                          .order_by(AuditEntry.id)).all()
        return [(a, e, c) for a, e, c in rows]


def control(page: Page, task_id: int) -> Any:
    return page.locator(f"#status-{task_id}")


def button(page: Page, task_id: int, status: str) -> Any:
    return page.locator(f"#status-{task_id} button[value='{status}']")


def assert_control(page: Page, task_id: int, status: str, *, busy: bool) -> None:
    """The control shows `status` (pressed button and badge); buttons disabled iff busy."""
    ctl = control(page, task_id)
    expect(ctl.locator("[data-badge]")).to_have_text(TASK_STATUSES[status])
    expect(ctl.locator("button[aria-pressed=true]")).to_have_count(1)
    for value in TASK_STATUSES:
        b = button(page, task_id, value)
        expect(b).to_have_attribute("aria-pressed", "true" if value == status else "false")
        if busy:
            expect(b).to_be_disabled()
        else:
            expect(b).to_be_enabled()


def assert_counts(page: Page, **counts: int) -> None:
    for status in TASK_STATUSES:
        expected = counts.get(status.replace("-", "_"), 0)
        expect(page.locator(f"#count-{status}")).to_have_text(str(expected))


def assert_in_column(page: Page, task_id: int, status: str) -> None:
    expect(page.locator(f"#column-{status} [data-cards] > #task-{task_id}")).to_have_count(1)
    expect(page.locator(f"[data-card]#task-{task_id}")).to_have_count(1)


def assert_focus_on(page: Page, task_id: int, status: str) -> None:
    """The keyboard focus is on the `status` button of the task's control (after any swap)."""
    target = f"#status-{task_id} button[value='{status}']"
    page.wait_for_function("(s) => document.activeElement && document.activeElement.matches(s)",
                           arg=target, timeout=5000)
    assert page.evaluate("() => document.activeElement.isConnected")


def assert_targets_big_enough(page: Page) -> None:
    """axe-core's WCAG 2.2 target-size rule (not in its default run): 24px status buttons."""
    assert_no_axe_violations(page)  # loads axe
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'rule', values: ['target-size']}})"
        ".then(r => r.violations.flatMap(v => v.nodes.map(n => n.html)))")
    assert result == [], f"targets smaller than 24px: {result[:5]}"


def assert_focused_button_not_covered(page: Page) -> None:
    """The focused status button is on top at its own left and right edges (its outline shows)."""
    covered = page.evaluate(
        "() => { const b = document.activeElement, r = b.getBoundingClientRect(), y = r.top + r.height / 2;"
        " return [r.left + 0.5, r.right - 0.5].filter(x => document.elementFromPoint(x, y) !== b"
        " && !b.contains(document.elementFromPoint(x, y))).length; }")
    assert covered == 0, "a neighbouring button covers the focused one"


def gated_failure(live: LiveServer, path: str, status: int) -> Any:
    """A forced failure that waits for release(): the test sees the optimistic state first."""
    rule = live.faults.fail(path, status=status, times=1)
    rule.gate = threading.Event()
    return rule


PAGES = {
    "board": lambda w: f"/projects/{w.project_id}/board",
    "list": lambda w: f"/projects/{w.project_id}",
    "task": lambda w: f"/tasks/{w.tasks[0]}",
}


# --------------------------------------------------------------------------- (a) JS on: optimistic, then the server's answer


def test_board_shows_the_new_state_before_the_server_answers(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.owner)
    first = w.tasks[0]
    page.goto(f"/projects/{w.project_id}/board")
    assert_in_column(page, first, "todo")
    assert_counts(page, todo=2, in_progress=1)
    assert_control(page, first, "todo", busy=False)

    gate = live.faults.hold(f"/tasks/{first}/status")
    button(page, first, "in-progress").click()
    gate.wait_arrived()
    # the server holds the request: the new state is already shown, the buttons wait
    assert_control(page, first, "in-progress", busy=True)
    expect(control(page, first)).to_have_attribute("aria-busy", "true")
    assert_in_column(page, first, "todo")  # the card moves only when the server confirms
    assert_counts(page, todo=2, in_progress=1)
    row = task_row(live, first)
    assert row.status == "todo" and row.version == 1 and status_audits(live) == []

    gate.release()
    assert_in_column(page, first, "in-progress")
    assert_control(page, first, "in-progress", busy=False)
    expect(control(page, first)).not_to_have_attribute("aria-busy", "true")
    assert_counts(page, todo=1, in_progress=2)
    expect(page.locator("#announcer")).to_have_text("Status of task 1.1 is now In Progress.")
    assert_focus_on(page, first, "in-progress")  # the clicked button keeps the focus
    row = task_row(live, first)
    assert row.status == "in-progress" and row.version == 2 and row.completed_at is None
    assert status_audits(live) == [(w.owner.id, first, {"status": ["todo", "in-progress"]})]

    # completing it (slow server) sets completed_at; the card lands in Completed
    live.faults.slow(f"/tasks/{first}/status", 0.4, times=1)
    button(page, first, "completed").click()
    assert_control(page, first, "completed", busy=True)
    assert_in_column(page, first, "completed")
    assert_control(page, first, "completed", busy=False)
    assert_counts(page, todo=1, in_progress=1, completed=1)
    expect(page.locator("#announcer")).to_have_text("Status of task 1.1 is now Completed.")
    row = task_row(live, first)
    assert row.status == "completed" and row.completed_at is not None and row.version == 3
    assert status_audits(live)[-1] == (w.owner.id, first, {"status": ["in-progress", "completed"]})

    # a reload shows what the server stored
    page.reload()
    assert_in_column(page, first, "completed")
    assert_control(page, first, "completed", busy=False)
    assert_counts(page, todo=1, in_progress=1, completed=1)


@pytest.mark.parametrize("where", ["list", "task"])
def test_list_and_task_page_show_the_new_state_before_the_server_answers(
        where: str, page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.member)
    first = w.tasks[0]
    page.goto(PAGES[where](w))
    assert_control(page, first, "todo", busy=False)

    gate = live.faults.hold(f"/tasks/{first}/status")
    button(page, first, "completed").click()
    gate.wait_arrived()
    assert_control(page, first, "completed", busy=True)
    assert task_row(live, first).status == "todo"
    gate.release()
    assert_control(page, first, "completed", busy=False)
    expect(page.locator("#announcer")).to_have_text("Status of task 1.1 is now Completed.")
    assert_focus_on(page, first, "completed")
    row = task_row(live, first)
    assert row.status == "completed" and row.completed_at is not None
    assert status_audits(live) == [(w.member.id, first, {"status": ["todo", "completed"]})]

    # leaving Completed clears completed_at
    gate = live.faults.hold(f"/tasks/{first}/status")
    button(page, first, "review").click()
    gate.wait_arrived()
    assert_control(page, first, "review", busy=True)
    gate.release()
    assert_control(page, first, "review", busy=False)
    expect(page.locator("#announcer")).to_have_text("Status of task 1.1 is now Review.")
    row = task_row(live, first)
    assert row.status == "review" and row.completed_at is None and row.version == 3
    assert status_audits(live)[-1] == (w.member.id, first, {"status": ["completed", "review"]})
    # the other tasks' controls were not touched
    if where == "list":
        assert_control(page, w.tasks[1], "todo", busy=False)

    page.reload()
    assert_control(page, first, "review", busy=False)
    if where == "task":
        expect(page.locator(".facts")).not_to_contain_text("Completed")


# --------------------------------------------------------------------------- (b) failures revert and are announced


FAILURES = {
    500: "the server answered with an error (500)",
    409: "it was changed by someone else; reload to see the current state",
    403: "you are not allowed to change it",
}


@pytest.mark.parametrize("status", [500, 409, 403])
def test_forced_server_failure_reverts_and_announces(status: int, page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.owner)
    first = w.tasks[0]
    page.goto(f"/projects/{w.project_id}/board")
    rule = gated_failure(live, f"/tasks/{first}/status", status)

    button(page, first, "review").click()
    rule.wait_arrived()
    assert_control(page, first, "review", busy=True)  # optimistic first...
    rule.release()
    # ...then back to the state before the click, buttons usable again
    expect(page.locator("#announcer")).to_have_text(
        f"Status not changed for task 1.1: {FAILURES[status]}.")
    assert_control(page, first, "todo", busy=False)
    expect(control(page, first)).to_have_attribute("aria-busy", "false")
    assert_in_column(page, first, "todo")
    assert_counts(page, todo=2, in_progress=1)
    expect(page.locator("body")).not_to_contain_text("Forced")  # the error page was not swapped in
    assert live.faults.requests("POST", f"/tasks/{first}/status")[0][2] == status
    row = task_row(live, first)
    assert row.status == "todo" and row.version == 1 and status_audits(live) == []

    # the control still works afterwards
    button(page, first, "review").click()
    assert_in_column(page, first, "review")
    assert_control(page, first, "review", busy=False)
    assert task_row(live, first).status == "review"


def test_network_error_reverts_and_announces(page: Page, live: LiveServer) -> None:
    w = make_world(live, statuses=("completed", "todo"))
    live.login(page.context, w.owner)
    first = w.tasks[0]
    page.goto(f"/tasks/{first}")
    assert_control(page, first, "completed", busy=False)
    held: list[Route] = []
    page.route(f"**/tasks/{first}/status", lambda route: held.append(route))

    button(page, first, "in-progress").click()
    assert_control(page, first, "in-progress", busy=True)
    assert len(held) == 1
    held[0].abort()
    expect(page.locator("#announcer")).to_have_text(
        "Status not changed for task 1.1: the server could not be reached.")
    assert_control(page, first, "completed", busy=False)
    assert_focus_on(page, first, "completed")  # focus back on the state that holds
    assert live.faults.requests("POST") == []
    row = task_row(live, first)
    assert row.status == "completed" and row.completed_at is not None and status_audits(live) == []


def test_real_refusals_revert(page: Page, live: LiveServer) -> None:
    """The app itself refuses: the user lost the permission (403), the task was deleted (404)."""
    w = make_world(live)
    live.login(page.context, w.member)
    first, second = w.tasks[0], w.tasks[1]
    page.goto(f"/projects/{w.project_id}")
    with live.db() as db:  # demoted while the page is open
        db.execute(update(User).where(User.id == w.member.id).values(role="viewer"))
        db.commit()
    button(page, first, "testing").click()
    expect(page.locator("#announcer")).to_have_text(
        "Status not changed for task 1.1: you are not allowed to change it.")
    assert_control(page, first, "todo", busy=False)
    assert live.faults.requests("POST", f"/tasks/{first}/status")[0][2] == 403
    assert task_row(live, first).status == "todo"

    with live.db() as db:
        db.execute(update(User).where(User.id == w.member.id).values(role="team_member"))
        db.execute(Task.__table__.delete().where(Task.id == second))  # type: ignore[attr-defined]
        db.commit()
    button(page, second, "review").click()
    expect(page.locator("#announcer")).to_have_text(
        "Status not changed for task 1.2: the task no longer exists.")
    assert_control(page, second, "todo", busy=False)
    assert live.faults.requests("POST", f"/tasks/{second}/status")[0][2] == 404
    assert status_audits(live) == []


def test_expired_session_sends_to_login_and_writes_nothing(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.member)
    first = w.tasks[0]
    page.goto(f"/projects/{w.project_id}/board")
    with live.db() as db:
        db.execute(UserSession.__table__.delete())  # type: ignore[attr-defined]
        db.commit()
    button(page, first, "review").click()
    expect(page).to_have_url(re.compile(r".*/login(\?.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert live.faults.requests("POST", f"/tasks/{first}/status")[0][2] == 401
    assert task_row(live, first).status == "todo" and status_audits(live) == []


# --------------------------------------------------------------------------- (c) JavaScript off: plain forms


@pytest.mark.parametrize("where", ["board", "list", "task"])
def test_without_javascript_the_form_posts_and_comes_back(where: str, nojs_page: Page,
                                                           live: LiveServer) -> None:
    page = nojs_page
    w = make_world(live)
    live.login(page.context, w.member)
    first = w.tasks[0]
    url = PAGES[where](w) + ("?sort=priority" if where == "list" else "")
    page.goto(url)
    statuses: list[tuple[int, str | None]] = []
    page.on("response", lambda r: statuses.append((r.status, r.headers.get("location")))
            if r.request.method == "POST" else None)

    button(page, first, "testing").click()
    page.wait_for_load_state()
    # From the board, back to the card (issue 11): the page does not jump to the top.
    back = url + f"#task-{first}" if where == "board" else url
    assert statuses == [(303, back)]
    expect(page).to_have_url(live.url + back)
    assert_control(page, first, "testing", busy=False)
    if where == "board":
        assert_in_column(page, first, "testing")
        assert_counts(page, todo=1, in_progress=1, testing=1)
    row = task_row(live, first)
    assert row.status == "testing" and row.completed_at is None and row.version == 2
    assert status_audits(live) == [(w.member.id, first, {"status": ["todo", "testing"]})]

    button(page, first, "completed").click()
    page.wait_for_load_state()
    expect(page).to_have_url(live.url + back)
    assert_control(page, first, "completed", busy=False)
    if where == "task":
        expect(page.locator(".facts")).to_contain_text("Completed")
    assert task_row(live, first).completed_at is not None


# --------------------------------------------------------------------------- (d) keyboard only


def test_keyboard_only_on_the_board(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.member)
    first, second = w.tasks[0], w.tasks[1]
    page.goto(f"/projects/{w.project_id}/board")

    key_to(page, f"#status-{first} button[value='in-progress']")
    gate = live.faults.hold(f"/tasks/{first}/status")
    page.keyboard.press("Enter")
    gate.wait_arrived()
    assert_control(page, first, "in-progress", busy=True)
    # while the buttons are disabled the focus waits on the control, not on <body>, visibly
    assert page.evaluate(f"() => document.activeElement.closest('#status-{first}') !== null")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    gate.release()
    assert_in_column(page, first, "in-progress")
    assert_focus_on(page, first, "in-progress")
    assert focused(page)["text"] == "In Progress"
    assert_focused_button_not_covered(page)
    page.keyboard.press("ArrowRight")  # the focus is really there: on to the next button
    assert_focus_on(page, first, "review")
    page.keyboard.press("Tab")  # one tab stop per toolbar: Tab leaves for the card's move buttons
    assert page.evaluate(f"() => document.activeElement.closest('#task-{first} [data-move]') !== null")
    assert task_row(live, first).status == "in-progress"

    key_to(page, f"#status-{second} button[value='completed']")
    page.keyboard.press("Space")
    assert_in_column(page, second, "completed")
    assert_control(page, second, "completed", busy=False)
    assert_focus_on(page, second, "completed")
    assert_counts(page, in_progress=2, completed=1)
    expect(page.locator("#announcer")).to_have_text("Status of task 1.2 is now Completed.")
    row = task_row(live, second)
    assert row.status == "completed" and row.completed_at is not None
    assert [(e, c) for _, e, c in status_audits(live)] == [
        (first, {"status": ["todo", "in-progress"]}), (second, {"status": ["todo", "completed"]})]


@pytest.mark.parametrize("order", ["failure_first", "success_first"])
def test_keyboard_two_controls_in_flight_keep_focus_where_the_user_is(
        order: str, page: Page, live: LiveServer) -> None:
    """A fails while the user already pressed a button of B: the focus stays with B."""
    w = make_world(live)
    live.login(page.context, w.member)
    a, b = w.tasks[0], w.tasks[1]
    page.goto(f"/projects/{w.project_id}/board")
    fail_a = gated_failure(live, f"/tasks/{a}/status", 500)
    hold_b = live.faults.hold(f"/tasks/{b}/status")

    key_to(page, f"#status-{a} button[value='review']")
    page.keyboard.press("Enter")
    fail_a.wait_arrived()
    key_to(page, f"#status-{b} button[value='testing']")
    page.keyboard.press("Enter")
    hold_b.wait_arrived()
    assert_control(page, a, "review", busy=True)
    assert_control(page, b, "testing", busy=True)

    first, second = (fail_a, hold_b) if order == "failure_first" else (hold_b, fail_a)
    first.release()
    page.wait_for_timeout(150)
    second.release()
    expect(page.locator("#announcer")).not_to_be_empty()
    assert_in_column(page, b, "testing")
    assert_control(page, b, "testing", busy=False)
    assert_control(page, a, "todo", busy=False)
    assert_in_column(page, a, "todo")
    assert_focus_on(page, b, "testing")
    page.wait_for_timeout(150)
    assert_focus_on(page, b, "testing")  # and nothing took it away afterwards
    assert task_row(live, a).status == "todo" and task_row(live, b).status == "testing"
    assert [(e, c) for _, e, c in status_audits(live)] == [(b, {"status": ["todo", "testing"]})]


def test_keyboard_only_on_the_task_page_and_a_failure(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.member)
    first = w.tasks[0]
    page.goto(f"/tasks/{first}")
    key_to(page, f"#status-{first} button[value='review']")
    live.faults.fail(f"/tasks/{first}/status", status=500, times=1)
    page.keyboard.press("Enter")
    expect(page.locator("#announcer")).to_contain_text("Status not changed for task 1.1")
    assert_control(page, first, "todo", busy=False)
    assert_focus_on(page, first, "todo")  # focus is not lost on failure either
    assert task_row(live, first).status == "todo"

    key_to(page, f"#status-{first} button[value='review']")
    page.keyboard.press("Space")
    expect(page.locator("#announcer")).to_have_text("Status of task 1.1 is now Review.")
    assert_control(page, first, "review", busy=False)
    assert_focus_on(page, first, "review")
    assert task_row(live, first).status == "review"


# --------------------------------------------------------------------------- axe-core


def test_axe_project_list_and_board(page: Page, live: LiveServer) -> None:
    w = make_world(live, statuses=("todo", "in-progress", "review", "testing", "completed", "todo"))
    live.login(page.context, w.owner)
    page.goto(f"/projects/{w.project_id}")
    expect(page.locator("#task-list tbody tr")).to_have_count(6)
    expect(page.locator(".story-list li")).to_have_count(1)
    assert_no_axe_violations(page)

    # the add-task form, rejected
    page.get_by_text("Add a task").click()
    page.locator("#task-form #story_points").fill("500")
    page.get_by_role("button", name="Add task").click()
    expect(page.locator("#task-form #error-summary")).to_be_visible()
    assert_no_axe_violations(page)

    page.goto(f"/projects/{w.project_id}/board")
    assert_counts(page, todo=2, in_progress=1, review=1, testing=1, completed=1)
    assert_no_axe_violations(page)
    assert_targets_big_enough(page)
    # in flight, and after a change and a failure
    gate = live.faults.hold(f"/tasks/{w.tasks[0]}/status")
    button(page, w.tasks[0], "testing").click()
    gate.wait_arrived()
    assert_control(page, w.tasks[0], "testing", busy=True)
    assert_no_axe_violations(page)
    gate.release()
    assert_in_column(page, w.tasks[0], "testing")
    assert_no_axe_violations(page)


def test_axe_task_and_story_pages(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.owner)
    first = w.tasks[0]
    page.goto(f"/tasks/{first}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1.1 Task number 1")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit task")
    assert_no_axe_violations(page)
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save task").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_no_axe_violations(page)

    # someone else saves meanwhile: 409 with the current and the attempted values
    with live.db() as db:
        db.execute(update(Task).where(Task.id == first).values(title="Changed elsewhere",
                                                               version=Task.version + 1))
        db.commit()
    page.get_by_label("Title").fill("My title")
    page.get_by_role("button", name="Save task").click()
    expect(page.locator("#conflict")).to_contain_text("Changed elsewhere")
    expect(page.get_by_label("Title")).to_have_value("My title")
    assert task_row(live, first).title == "Changed elsewhere"
    assert_no_axe_violations(page)

    page.goto(f"/stories/{w.story_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Story: Launch pad")
    expect(page.locator(".story-tasks li")).to_have_count(2)
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit story")
    assert_no_axe_violations(page)
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save story").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_no_axe_violations(page)
    with live.db() as db:
        db.execute(update(Story).where(Story.id == w.story_id).values(version=Story.version + 1))
        db.commit()
    page.get_by_label("Title").fill("Another pad")
    page.get_by_role("button", name="Save story").click()
    expect(page.locator("#conflict")).to_be_visible()
    assert_no_axe_violations(page)
    with live.db() as db:
        assert db.get(Story, w.story_id).title == "Launch pad"  # type: ignore[union-attr]


def test_axe_empty_project(page: Page, live: LiveServer) -> None:
    w = make_world(live, statuses=())
    live.login(page.context, w.owner)
    page.goto(f"/projects/{w.project_id}")
    expect(page.get_by_text("No tasks yet.")).to_be_visible()
    assert_no_axe_violations(page)
    page.goto(f"/projects/{w.project_id}/board")
    assert_counts(page)
    assert_no_axe_violations(page)
    page.goto(f"/projects/{w.project_id}?q=nothing")
    expect(page.get_by_text("No task matches.")).to_be_visible()
    assert_no_axe_violations(page)

