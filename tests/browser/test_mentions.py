"""The `@` listbox and the Markdown preview of a Markdown textarea (SPEC §8), in real Chromium:
by keyboard and mouse with JavaScript, as a plain form and a page without it; axe-clean in
light and dark, open and previewing, within 390 px."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kanvaro.models import Task
from tests.browser.conftest import LiveServer, assert_no_axe_violations, tab_to
from tests.factories import make_org, make_project, make_user


@dataclass
class World:
    owner: Any
    task_id: int
    project_id: int


def make_world(live: LiveServer) -> World:
    """Olive's project has Ana Lee, Ana Lima and Tom in it; Bob Away is of the organization
    but not of the project, so `@` never offers him."""
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        people = [make_user(db, org, name=n, email=f"{n.split()[0].lower()}{i}@acme.test")
                  for i, n in enumerate(["Ana Lee", "Ana Lima", "Tom Member"])]
        make_user(db, org, name="Anakin Away", email="away@acme.test")
        project = make_project(db, org, name="Moonshot", creator=owner, members=people)
        project.task_seq = 1
        task = Task(organization_id=org.id, project_id=project.id, number=1, position=1,
                    title="Fuel the rocket", created_by_id=owner.id)
        db.add(task)
        db.commit()
        return World(owner, task.id, project.id)


def open_edit(page: Page, live: LiveServer, world: World) -> Any:
    live.login(page.context, world.owner)
    page.goto(f"/tasks/{world.task_id}/edit")
    return page.get_by_role("textbox", name="Description")


def listbox(page: Page) -> Any:
    return page.get_by_role("listbox", name="People to mention")


def settled(page: Page) -> None:
    """Until the answer to the last keystroke is in (the listbox is `aria-busy` meanwhile): an
    earlier answer may show the same options, and the last one would then pick again."""
    expect(page.locator("[role=listbox][aria-busy]")).to_have_count(0)


def test_at_offers_the_people_of_the_project_and_the_keyboard_picks_one(
        page: Page, live: LiveServer) -> None:
    world = make_world(live)
    text = open_edit(page, live, world)
    text.focus()
    page.keyboard.type("Ready? @an")
    settled(page)
    options = listbox(page).get_by_role("option")
    expect(options).to_have_count(2)  # Ana Lee and Ana Lima; never Anakin, who is not in it
    expect(options.nth(0)).to_contain_text("@ana.lee")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    first = options.nth(0).get_attribute("id")
    expect(text).to_have_attribute("aria-activedescendant", first or "")
    expect(text).to_have_attribute("aria-controls", "description-people")
    page.keyboard.press("ArrowDown")
    second = options.nth(1).get_attribute("id")
    assert second and second != first
    expect(text).to_have_attribute("aria-activedescendant", second)
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")  # round to the first again
    expect(text).to_have_attribute("aria-activedescendant", first or "")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(text).to_have_value("Ready? @ana.lima ")
    expect(listbox(page)).to_be_hidden()
    expect(text).to_be_focused()
    page.keyboard.type("and @to")
    settled(page)
    expect(listbox(page).get_by_role("option")).to_have_count(1)
    page.keyboard.press("Tab")  # Tab inserts too, and the focus stays
    expect(text).to_have_value("Ready? @ana.lima and @tom.member ")
    expect(text).to_be_focused()


def test_escape_or_moving_the_caret_closes_the_list_and_enter_then_types_a_new_line(page: Page, live: LiveServer) -> None:
    world = make_world(live)
    text = open_edit(page, live, world)
    text.focus()
    page.keyboard.type("@")
    settled(page)
    expect(listbox(page).get_by_role("option")).to_have_count(3)
    page.keyboard.press("Escape")
    expect(listbox(page)).to_be_hidden()
    expect(text).not_to_have_attribute("aria-activedescendant", "x")
    assert text.get_attribute("aria-activedescendant") is None
    page.keyboard.press("Enter")
    expect(text).to_have_value("@\n")
    page.keyboard.type("mail ana@example.com")  # an email is no mention: nothing is offered
    page.wait_for_timeout(300)
    expect(listbox(page)).to_be_hidden()
    page.keyboard.type(" @t")
    settled(page)
    expect(listbox(page).get_by_role("option")).to_have_count(1)
    page.keyboard.press("ArrowLeft")  # the caret left the @word: the list goes
    expect(listbox(page)).to_be_hidden()


def test_a_click_on_an_option_inserts_its_handle(page: Page, live: LiveServer) -> None:
    world = make_world(live)
    text = open_edit(page, live, world)
    text.fill("")
    text.press_sequentially("cc @li")
    settled(page)
    listbox(page).get_by_role("option", name="Ana Lima").click()
    expect(text).to_have_value("cc @ana.lima ")
    expect(listbox(page)).to_be_hidden()


def test_a_lookup_answered_after_the_pick_leaves_the_list_closed(
        page: Page, live: LiveServer) -> None:
    """The list of `@l` is up, `i` asks again, and the person clicks before that answer
    comes: the late answer must not open the list over the inserted handle."""
    world = make_world(live)
    text = open_edit(page, live, world)
    text.fill("")
    text.press_sequentially("cc @l")
    settled(page)
    expect(listbox(page).get_by_role("option", name="Ana Lima")).to_be_visible()
    late = live.faults.hold(f"/projects/{world.project_id}/people", method="GET")
    page.keyboard.type("i")
    late.wait_arrived()
    listbox(page).get_by_role("option", name="Ana Lima").click()
    expect(text).to_have_value("cc @ana.lima ")
    with page.expect_response(lambda r: "q=li" in r.url) as answer:
        late.release()
    answer.value.finished()
    page.wait_for_timeout(200)  # the answer's handler runs after the body is in
    expect(listbox(page)).to_be_hidden()
    expect(text).to_have_value("cc @ana.lima ")


def test_preview_with_javascript_shows_the_rendering_in_place_and_goes_back(
        page: Page, live: LiveServer) -> None:
    world = make_world(live)
    text = open_edit(page, live, world)
    text.fill("**Fuel** first, ask @ana.lee\n\n<script>alert(1)</script>")
    button = page.get_by_role("button", name="Preview description")
    button.focus()
    page.keyboard.press("Enter")
    preview = page.locator("#description-preview")
    expect(preview.locator("strong")).to_have_text("Fuel")
    expect(preview.get_by_role("link", name="@ana.lee")).to_be_visible()
    expect(preview.locator("script")).to_have_count(0)
    expect(text).to_be_hidden()
    expect(page.get_by_role("button", name="Edit description")).to_be_focused()
    expect(page.locator("#announcer")).to_contain_text("Preview shown")
    assert page.url.endswith(f"/tasks/{world.task_id}/edit")  # it stayed on the form
    page.keyboard.press("Enter")  # Edit: back to the text, as it was
    expect(text).to_be_visible()
    expect(text).to_be_focused()
    expect(text).to_have_value("**Fuel** first, ask @ana.lee\n\n<script>alert(1)</script>")
    expect(preview).to_be_empty()
    page.get_by_role("button", name="Preview description").click()
    page.get_by_role("button", name="Save task").click()  # saving from the preview keeps the text
    expect(page.get_by_role("status").filter(has_text="Task saved.")).to_be_visible()
    with live.db() as db:
        saved = db.scalar(select(Task.description).where(Task.id == world.task_id))
    assert saved == "**Fuel** first, ask @ana.lee\n\n<script>alert(1)</script>"


def test_preview_of_a_text_too_long_says_so_and_keeps_the_text(page: Page, live: LiveServer) -> None:
    world = make_world(live)
    text = open_edit(page, live, world)
    text.evaluate("(t) => { t.removeAttribute('maxlength'); t.value = 'x'.repeat(20001); }")
    page.get_by_role("button", name="Preview description").click()
    expect(page.get_by_role("alert")).to_contain_text("at most 20,000 characters")
    expect(text).to_be_visible()


def test_preview_without_javascript_is_a_page_with_the_text_again(nojs_page: Page, live: LiveServer) -> None:
    world = make_world(live)
    text = open_edit(nojs_page, live, world)
    text.fill("# Plan\n\n- fuel\n- count down, with @ana.lee")
    nojs_page.get_by_role("button", name="Preview description").click()
    expect(nojs_page.get_by_role("heading", level=1)).to_have_text("Preview")  # `# Plan` is an h2
    shown = nojs_page.locator("section.md-preview")
    expect(shown.get_by_role("heading", name="Plan")).to_be_visible()
    expect(shown.get_by_role("listitem")).to_have_count(2)
    expect(shown.get_by_role("link", name="@ana.lee")).to_be_visible()
    expect(nojs_page.get_by_role("textbox", name="Text")).to_have_value(
        "# Plan\n\n- fuel\n- count down, with @ana.lee")
    expect(nojs_page.get_by_text("Go back to your form")).to_be_visible()
    nojs_page.get_by_role("textbox", name="Text").fill("Now **bolder**")
    nojs_page.get_by_role("button", name="Preview text").click()  # previewing again
    expect(nojs_page.locator("section.md-preview strong")).to_have_text("bolder")
    with live.db() as db:  # nothing saved
        assert db.scalar(select(Task.description).where(Task.id == world.task_id)) == ""


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_enter_in_a_one_line_field_still_saves_the_form_not_the_preview(
        js: bool, new_page: Any, live: LiveServer) -> None:
    world = make_world(live)
    page = new_page(java_script_enabled=js)
    open_edit(page, live, world)
    title = page.get_by_role("textbox", name="Title")
    title.fill("Fuel the rocket now")
    title.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Task saved.")).to_be_visible()
    assert page.url.endswith(f"/tasks/{world.task_id}")


def test_the_field_is_reached_by_tab_and_the_preview_button_after_it(page: Page, live: LiveServer) -> None:
    world = make_world(live)
    open_edit(page, live, world)
    tab_to(page, "#description")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Preview description")).to_be_focused()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_clean_with_the_list_open_and_previewing_within_390px(
        new_page: Any, live: LiveServer, scheme: str) -> None:
    world = make_world(live)
    page = new_page(color_scheme=scheme, viewport={"width": 390, "height": 844})
    text = open_edit(page, live, world)
    text.focus()
    page.keyboard.type("@a")
    settled(page)
    expect(listbox(page).get_by_role("option")).to_have_count(2)
    assert_no_axe_violations(page)
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > 390)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''))""")
    assert wide == [], f"past 390 px: {wide}"
    page.keyboard.press("Escape")
    text.fill("| a | b |\n|---|---|\n| `code` | ~~gone~~ |\n\n> quoted @ana.lee, thanks")
    page.get_by_role("button", name="Preview description").click()
    expect(page.locator("#description-preview table")).to_be_visible()
    assert_no_axe_violations(page)


def test_a_comment_mentions_by_keyboard_and_links_the_person(page: Page, live: LiveServer) -> None:
    """The comment form on the task page: `@`, Enter, then posting it; the mention links."""
    world = make_world(live)
    live.login(page.context, world.owner)
    page.goto(f"/tasks/{world.task_id}")
    body = page.get_by_role("textbox", name="Comment")
    body.focus()
    page.keyboard.type("Fuel check, @ana.li")
    settled(page)
    expect(listbox(page).get_by_role("option")).to_have_count(1)
    page.keyboard.press("Enter")
    page.keyboard.type("please")
    expect(body).to_have_value("Fuel check, @ana.lima please")
    page.get_by_role("button", name="Add comment").click()
    mention = page.locator(".comment .markdown").get_by_role("link", name="@ana.lima")
    expect(mention).to_be_visible()
    assert (mention.get_attribute("href") or "").startswith("/team#member-")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_people_page_without_javascript_lists_handles_and_is_axe_clean(
        new_page: Any, live: LiveServer, scheme: str) -> None:
    world = make_world(live)
    page = new_page(color_scheme=scheme, viewport={"width": 390, "height": 844})
    live.login(page.context, world.owner)
    page.goto(f"/projects/{world.project_id}/people")
    page.get_by_role("searchbox", name="Name or handle").fill("ana")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("ul.people li")).to_have_count(2)
    expect(page.get_by_text("@ana.lima")).to_be_visible()
    assert_no_axe_violations(page)
