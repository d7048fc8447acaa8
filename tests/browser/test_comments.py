"""Comments and the timeline in a real Chromium: post with JavaScript (in place, by keyboard)
and without it, edit and delete in place, and the task page with a long thread axe-clean in
light and dark and within a 390 px phone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kanvaro.comments import actions
from kanvaro.comments.forms import NewComment
from kanvaro.comments.models import Comment
from kanvaro.inputs import parse
from kanvaro.tasks import actions as task_actions
from kanvaro.tasks.forms import NewTask, StatusChange, TaskEdit
from tests.browser.conftest import LiveServer, assert_no_axe_violations, tab_to
from tests.factories import make_ctx, make_org, make_project, make_user

PHONE = {"width": 390, "height": 844}
LONG_WORD = "Supercalifragilisticexpialidocious" * 4


@dataclass
class World:
    owner: Any
    member: Any
    task_id: int


def make_world(live: LiveServer) -> World:
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        member = make_user(db, org, role="team_member", name="Tom Member", email="tom@acme.test")
        project = make_project(db, org, name="Moonshot", creator=owner, members=[member])
        db.commit()
        task = task_actions.create_task(make_ctx(db, owner, live.settings), project.id,
                                        parse(NewTask, {"title": "Fuel the rocket"}))
        db.commit()
        return World(owner, member, task.id)  # type: ignore[arg-type]


def long_thread(live: LiveServer, w: World, n: int = 40) -> None:
    """n comments by two people, with code, a table, a long word, mentions and edits, and the
    task's own changes between them."""
    with live.db() as db:
        for i in range(n):
            user = w.owner if i % 2 else w.member
            ctx = make_ctx(db, user, live.settings)
            body = [f"Comment {i}: @tom.member look", f"```\n{'x' * 200}\n```",
                    "| a | b |\n|---|---|\n| " + "wide cell " * 20 + " | 2 |", LONG_WORD][i % 4]
            found = actions.add_comment(ctx, w.task_id, parse(NewComment, {"body": body}))
            if i % 7 == 0:
                actions.edit_comment(ctx, found.comment.id, parse(actions.CommentEdit, {"body": body + " (fixed)"}))
            if i % 10 == 5:
                task_actions.change_task_status(ctx, w.task_id, parse(StatusChange, {
                    "status": ["in-progress", "review"][i % 2]}))
        task_actions.update_task(make_ctx(db, w.owner, live.settings), w.task_id, parse(TaskEdit, {
            "title": "Fuel the rocket", "priority": "high", "description": "Now", "status": "review"}))
        db.commit()


def stored(live: LiveServer) -> list[str]:
    with live.db() as db:
        return list(db.scalars(select(Comment.body).order_by(Comment.id)))


def test_with_javascript_a_comment_is_posted_in_place_by_keyboard(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.owner)
    page.goto(f"/tasks/{w.task_id}")
    page.evaluate("window.kvStayed = true")  # gone if the page were loaded again
    tab_to(page, "#comment-body")
    page.keyboard.type("Ready for **launch**")
    tab_to(page, lambda f: f["text"] == "Add comment")
    page.keyboard.press("Enter")
    item = page.locator("#timeline-list .comment")
    expect(item).to_have_count(1)
    expect(item.locator("strong").last).to_have_text("launch")
    expect(page.locator("#comment-body")).to_have_value("")
    expect(page.locator("#comment-body")).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("Comment added.")
    assert page.evaluate("window.kvStayed") is True
    assert stored(live) == ["Ready for **launch**"]
    # An empty one is refused in place, the error next to the field.
    page.keyboard.press("Tab")  # leaves the empty textarea, then back by the button
    tab_to(page, lambda f: f["text"] == "Add comment")
    page.keyboard.press("Enter")
    expect(page.locator("#comment-body-error")).to_have_text("Write a comment.")
    expect(page.locator("#comment-body")).to_have_attribute("aria-invalid", "true")
    assert stored(live) == ["Ready for **launch**"] and page.evaluate("window.kvStayed") is True


def test_without_javascript_a_comment_is_posted_and_shown_at_its_anchor(nojs_page: Page, live: LiveServer) -> None:
    w = make_world(live)
    page = nojs_page
    live.login(page.context, w.owner)
    page.goto(f"/tasks/{w.task_id}")
    page.locator("#comment-body").focus()
    page.keyboard.type("Plain _HTML_ works")
    tab_to(page, lambda f: f["text"] == "Add comment")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf".*/tasks/{w.task_id}#comment-\d+$"))
    [cid] = _ids(live)
    expect(page).to_have_url(f"{live.url}/tasks/{w.task_id}#comment-{cid}")
    expect(page.locator(f"#comment-{cid} em")).to_have_text("HTML")
    expect(page.get_by_role("status").filter(has_text="Comment added.")).to_be_visible()
    # Empty: the form again on a page of its own, with the error.
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comment-body-error")).to_have_text("Write a comment.")
    expect(page.locator(".error-summary")).to_be_visible()
    assert stored(live) == ["Plain _HTML_ works"]


def _ids(live: LiveServer) -> list[int]:
    with live.db() as db:
        return list(db.scalars(select(Comment.id).order_by(Comment.id)))


@pytest.mark.parametrize("js", [True, False])
def test_the_author_edits_and_deletes_a_comment(new_page: Any, live: LiveServer, js: bool) -> None:
    w = make_world(live)
    with live.db() as db:
        found = actions.add_comment(make_ctx(db, w.owner, live.settings), w.task_id,
                                    parse(NewComment, {"body": "Frist"}))
        db.commit()
        cid = found.comment.id
    page = new_page(java_script_enabled=js)
    live.login(page.context, w.owner)
    page.goto(f"/tasks/{w.task_id}")
    page.locator(f"#comment-{cid}").get_by_role("link", name="Edit").click()
    box = page.locator(f"#comment-{cid}-body")
    expect(box).to_have_value("Frist")
    expect(box).to_be_focused()
    box.fill("First")
    page.get_by_role("button", name="Save comment").click()
    expect(page.locator(f"#comment-{cid} .markdown")).to_have_text("First")
    expect(page.locator(f"#comment-{cid} .edited")).to_be_visible()
    if js:
        expect(page).to_have_url(f"{live.url}/tasks/{w.task_id}")
        expect(page.locator(f"#comment-{cid}").get_by_role("link", name="Edit")).to_be_focused()
    assert stored(live) == ["First"]
    page.locator(f"#comment-{cid}").get_by_role("button", name="Delete").click()
    expect(page.locator(f"#comment-{cid}")).to_have_count(0)
    expect(page.locator("#timeline-list")).to_contain_text("Olive Owner deleted a comment" if not js
                                                           else "Olive Owner created task")
    assert stored(live) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_long_thread_is_axe_clean_and_fits_a_phone(new_page: Any, live: LiveServer, scheme: str) -> None:
    w = make_world(live)
    long_thread(live, w)
    page = new_page(viewport=PHONE, color_scheme=scheme)
    live.login(page.context, w.member)
    page.goto(f"/tasks/{w.task_id}")
    expect(page.locator("#timeline-list .comment")).to_have_count(40)
    expect(page.locator("#timeline-list .edited")).to_have_count(6)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the task page is {width} px wide at 390 ({scheme})"
    assert_no_axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_no_axe_violations(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_project_activity_page_is_axe_clean_and_fits_a_phone(new_page: Any, live: LiveServer,
                                                                  scheme: str) -> None:
    w = make_world(live)
    long_thread(live, w, 12)
    page = new_page(viewport=PHONE, color_scheme=scheme)
    live.login(page.context, w.member)
    page.goto(f"/tasks/{w.task_id}")
    page.get_by_role("link", name="Moonshot").click()
    page.get_by_role("link", name="Activity").click()
    expect(page.locator(".audit-log > li").first).to_contain_text("Olive Owner edited 1.1 Fuel the rocket")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_no_axe_violations(page)
