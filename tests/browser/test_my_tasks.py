"""Issue 12 in a real browser: /my/tasks (its status controls with JavaScript on, off and by
keyboard alone) and the task form's assignees (checkboxes, JS on and off, keyboard); axe in
light and dark, within a 390 px screen."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kanvaro.models import ProjectMember, Task, User
from kanvaro.tasks.models import TaskAssignee
from tests.browser.conftest import LiveServer, assert_no_axe_violations, key_to, tab_to
from tests.factories import PASSWORD, assign, make_org, make_project, make_user, now


@dataclass
class World:
    owner: User
    tom: User
    sam: User
    project_id: int
    tasks: dict[str, int]  # title -> id


def make_world(live: LiveServer) -> World:
    today = date.today()
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        tom = make_user(db, org, role="team_member", name="Tom Member", email="tom@acme.test")
        sam = make_user(db, org, role="team_member", name="Sam Second", email="sam@acme.test")
        project = make_project(db, org, name="Moonshot", creator=owner, members=[tom, sam])
        made = {}
        for n, (title, due, people) in enumerate([
            ("Fix the overdue thing", today - timedelta(days=2), [tom]),
            ("Ship it today", today, [tom, sam]),
            ("Write this week's notes", today + timedelta(days=3), [tom]),
            ("Plan next quarter", today + timedelta(days=30), [tom]),
            ("Whenever", None, [tom]),
            ("Sam's own", today, [sam]),
        ], start=1):
            task = Task(organization_id=org.id, project_id=project.id, number=n, position=n,
                        title=title, due_date=due, created_by_id=owner.id)
            db.add(task)
            db.flush()
            assign(db, task, *people)
            made[title] = task.id
        project.task_seq = len(made)
        db.commit()
        return World(owner, tom, sam, project.id, made)  # type: ignore[arg-type]


def status_of(live: LiveServer, task_id: int) -> str:
    with live.db() as db:
        task = db.get(Task, task_id)
        assert task is not None
        return task.status


def assignees(live: LiveServer, task_id: int) -> set[int]:
    with live.db() as db:
        return set(db.scalars(select(TaskAssignee.user_id).where(TaskAssignee.task_id == task_id)))


def fits(page: Page, width: int = 390) -> None:
    wide = page.evaluate("""(w) => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > w + 0.5)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className)""", width)
    assert wide == [], f"past {width} px: {wide[:8]}"


def test_my_tasks_by_keyboard_with_javascript(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.tom)
    page.goto("/projects")
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "My tasks")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/my/tasks$"))
    for heading in ("Overdue", "Due today", "This week", "Later", "No due date"):
        expect(page.get_by_role("heading", name=re.compile(f"^{heading}"))).to_be_visible()
    expect(page.get_by_text("Sam's own")).to_have_count(0)
    task_id = w.tasks["Ship it today"]
    key_to(page, f"#status-{task_id} button[value='in-progress']")
    page.keyboard.press("Enter")
    expect(page.locator(f"#status-{task_id} button[value='in-progress']")).to_have_attribute(
        "aria-pressed", "true")
    page.wait_for_function("() => !document.querySelector('[data-status-control] button:disabled')")
    assert status_of(live, task_id) == "in-progress"
    assert page.url.endswith("/my/tasks")  # no navigation: the control was swapped in place


def test_my_tasks_without_javascript(nojs_page: Page, live: LiveServer) -> None:
    w = make_world(live)
    page = nojs_page
    live.login(page.context, w.tom)
    page.goto("/my/tasks")
    task_id = w.tasks["Fix the overdue thing"]
    page.locator(f"#status-{task_id} button[value='completed']").click()
    expect(page).to_have_url(re.compile(rf"/my/tasks#task-{task_id}$"))
    expect(page.get_by_role("status").filter(has_text="Status set to Completed.")).to_be_visible()
    assert status_of(live, task_id) == "completed"
    # Back at its row: the browser unfolds the completed group to show it
    done = page.locator("details.my-group")
    expect(done.get_by_text("Fix the overdue thing")).to_be_visible()
    page.goto("/my/tasks")  # otherwise the group stays folded
    expect(done).not_to_have_attribute("open", "")
    expect(done.get_by_text("Fix the overdue thing")).not_to_be_visible()
    done.locator("summary").click()
    expect(done.get_by_text("Fix the overdue thing")).to_be_visible()


def test_a_login_lands_on_my_tasks(nojs_page: Page, live: LiveServer) -> None:
    w = make_world(live)
    page = nojs_page
    page.goto("/login")
    page.get_by_label("Email").fill(w.tom.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/my/tasks$"))
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_my_tasks_is_axe_clean_and_fits_a_phone(new_page: Any, live: LiveServer, scheme: str) -> None:
    w = make_world(live)
    with live.db() as db:  # one completed lately, so the folded group shows too
        task = db.get(Task, w.tasks["Whenever"])
        assert task is not None
        task.status, task.completed_at = "completed", now()
        db.commit()
    page = new_page(color_scheme=scheme, viewport={"width": 390, "height": 844})
    live.login(page.context, w.tom)
    page.goto("/my/tasks")
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    assert_no_axe_violations(page)
    page.locator("details.my-group summary").click()
    assert_no_axe_violations(page)
    fits(page)


# --------------------------------------------------------------------------- the task form


def test_choosing_assignees_by_keyboard_with_javascript(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    task_id = w.tasks["Whenever"]
    live.login(page.context, w.owner)
    page.goto(f"/tasks/{task_id}/edit")
    group = page.get_by_role("group", name="Assignees")
    expect(group.get_by_role("checkbox", name="Tom Member")).to_be_checked()
    tab_to(page, lambda f: f["type"] == "checkbox" and f["label"] == "Sam Second")
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["type"] == "checkbox" and f["label"] == "Tom Member", shift=True)
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Save task")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tasks/{task_id}$"))
    facts = page.locator("dl.facts")
    expect(facts.get_by_text("Sam Second")).to_be_visible()
    expect(facts.get_by_text("Tom Member")).to_have_count(0)
    assert assignees(live, task_id) == {w.sam.id}


def test_choosing_assignees_without_javascript(nojs_page: Page, live: LiveServer) -> None:
    w = make_world(live)
    page = nojs_page
    task_id = w.tasks["Whenever"]
    live.login(page.context, w.owner)
    page.goto(f"/projects/{w.project_id}")
    page.locator("#task-form").evaluate("f => f.closest('details').open = true")
    form = page.locator("#task-form")
    form.get_by_label("Title").fill("Two of us")
    form.get_by_role("checkbox", name="Tom Member").check()
    form.get_by_role("checkbox", name="Sam Second").check()
    form.get_by_role("button", name="Add task").click()
    expect(page.get_by_role("status").filter(has_text="Two of us")).to_be_visible()
    with live.db() as db:
        new = db.scalar(select(Task).where(Task.title == "Two of us"))
        assert new is not None
    assert assignees(live, new.id) == {w.tom.id, w.sam.id}
    row = page.locator(f"#task-{new.id}")
    expect(row.get_by_text("Sam Second, Tom Member")).to_be_visible()
    page.goto(f"/tasks/{task_id}/edit")
    page.get_by_role("checkbox", name="Sam Second").check()
    page.get_by_role("button", name="Save task").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task_id}$"))
    assert assignees(live, task_id) == {w.tom.id, w.sam.id}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_task_form_and_the_board_are_axe_clean_with_assignees(new_page: Any, live: LiveServer,
                                                                  scheme: str) -> None:
    w = make_world(live)
    with live.db() as db:  # a member who left stays assigned, marked as such in the form
        db.execute(ProjectMember.__table__.delete().where(  # type: ignore[attr-defined]
            ProjectMember.user_id == w.sam.id))
        db.commit()
    page = new_page(color_scheme=scheme, viewport={"width": 390, "height": 844})
    live.login(page.context, w.owner)
    page.goto(f"/tasks/{w.tasks['Ship it today']}/edit")
    expect(page.get_by_role("checkbox", name="Sam Second (not a member)")).to_be_checked()
    assert_no_axe_violations(page)
    fits(page)
    page.goto(f"/tasks/{w.tasks['Ship it today']}")
    assert_no_axe_violations(page)
    fits(page)
    page.goto(f"/projects/{w.project_id}/board?assignee={w.tom.id}")
    expect(page.locator("[data-card]")).to_have_count(5)
    card = page.locator(f"#task-{w.tasks['Ship it today']}")
    expect(card.get_by_role("img", name="Assigned to Sam Second, Tom Member")).to_be_visible()
    assert_no_axe_violations(page)
