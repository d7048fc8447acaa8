"""Issue 11 in a real Chromium: every page fits a 390 px phone, dark mode, the board's one-line
status toolbar, sticky column headings, moving cards by button, keyboard and without JS, the
flash after an invitation, the 404 that keeps the signed-in header, "Add a task" staying open."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import insert, select, update

from kanvaro.models import AuditEntry, Task, User
from tests.browser.conftest import LiveServer, assert_no_axe_violations
from tests.browser.test_tasks import make_world
from tests.factories import now

PHONE = {"width": 390, "height": 844}


def pages_of(w: Any) -> list[str]:
    first = w.tasks[0]
    return ["/projects", "/projects/new", f"/projects/{w.project_id}", f"/projects/{w.project_id}/board",
            f"/projects/{w.project_id}/edit", f"/tasks/{first}", f"/tasks/{first}/edit",
            f"/stories/{w.story_id}", f"/stories/{w.story_id}/edit", "/team", "/audit", "/account",
            f"/projects/{w.project_id}/delete", "/no/such/page"]


def order(live: LiveServer, project_id: int, status: str = "todo") -> list[int]:
    with live.db() as db:
        return list(db.scalars(select(Task.id).where(Task.project_id == project_id, Task.status == status)
                               .order_by(Task.position, Task.number)))


def settled_order(live: LiveServer, project_id: int, expected: list[int],
                  status: str = "todo") -> list[int]:
    """The column's order in the database once the drop's requests are done (up to 5 s)."""
    for _ in range(50):
        found = order(live, project_id, status)
        if found == expected:
            break
        time.sleep(0.1)
    return found


def owner_on_the_project_page(new_page: Any, live: LiveServer, js: bool) -> tuple[Any, Page]:
    w = make_world(live)
    page = new_page(java_script_enabled=js)
    live.login(page.context, w.owner)
    page.goto(f"/projects/{w.project_id}")
    return w, page


def shown_order(page: Page, status: str = "todo") -> list[int]:
    return [int(i) for i in page.eval_on_selector_all(
        f"#column-{status} [data-card]", "els => els.map(e => e.dataset.task)")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_fits_a_phone_without_sideways_scrolling(new_page: Any, live: LiveServer,
                                                            scheme: str) -> None:
    w = make_world(live)
    with live.db() as db:  # a long name must not squeeze the header links apart
        db.execute(update(User).where(User.id == w.owner.id).values(name="Maya Lindqvist"))
        db.commit()
    page = new_page(viewport=PHONE, color_scheme=scheme)
    live.login(page.context, w.owner)
    for url in pages_of(w):
        page.goto(url)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{url} is {width} px wide at 390 ({scheme})"
        broken = page.evaluate("""() => [...document.querySelectorAll('.site-header ul a')]
            .filter(a => [...a.childNodes].some(n => { if (n.nodeType !== 3 || !n.data.trim()) return false;
                           const r = document.createRange(); r.selectNodeContents(n);
                           return r.getClientRects().length > 1; }))
            .map(a => a.textContent.trim())""")
        assert broken == [], f"{url}: header links broken over lines at 390: {broken}"
    anonymous = new_page(viewport=PHONE, color_scheme=scheme)
    for url in ("/login", "/register"):
        anonymous.goto(url)
        assert anonymous.evaluate("() => document.documentElement.scrollWidth") <= 390, url


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_main_pages_are_axe_clean_in_both_themes(new_page: Any, live: LiveServer, scheme: str) -> None:
    w = make_world(live, statuses=("todo", "in-progress", "review", "testing", "completed", "todo"))
    page = new_page(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    live.login(page.context, w.owner)
    for url in pages_of(w):
        page.goto(url)
        assert_no_axe_violations(page)
    page.set_viewport_size(PHONE)  # the phone layout of the two busiest pages
    for url in (f"/projects/{w.project_id}", f"/projects/{w.project_id}/board"):
        page.goto(url)
        assert_no_axe_violations(page)
    page.locator("summary", has_text="your menu").click()  # the header menu, open
    assert_no_axe_violations(page)


def test_dark_mode_changes_the_page(new_page: Any, live: LiveServer) -> None:
    w = make_world(live)
    colours = {}
    for scheme in ("light", "dark"):
        page = new_page(color_scheme=scheme)
        live.login(page.context, w.owner)
        page.goto(f"/projects/{w.project_id}/board")
        colours[scheme] = page.evaluate(
            "() => [getComputedStyle(document.documentElement).backgroundColor,"
            " getComputedStyle(document.querySelector('.card')).backgroundColor,"
            " getComputedStyle(document.body).color]")
    assert colours["light"][0] == "rgb(255, 255, 255)"
    assert all(a != b for a, b in zip(colours["light"], colours["dark"], strict=True))


def test_a_cards_status_buttons_share_one_line_at_1280(new_page: Any, live: LiveServer) -> None:
    w = make_world(live)
    page = new_page(viewport={"width": 1280, "height": 900})
    live.login(page.context, w.member)
    page.goto(f"/projects/{w.project_id}/board")
    for task_id in w.tasks:
        tops = page.eval_on_selector_all(f"#status-{task_id} button",
                                         "bs => bs.map(b => Math.round(b.getBoundingClientRect().top))")
        assert len(tops) == 5 and len(set(tops)) == 1, (task_id, tops)
        sizes = page.eval_on_selector_all(f"#status-{task_id} button",
                                          "bs => bs.map(b => [b.offsetWidth, b.offsetHeight])")
        assert all(wd >= 24 and ht >= 24 for wd, ht in sizes), sizes
    # each keeps its full name, for those who do not see the icons
    expect(page.locator(f"#status-{w.tasks[0]}").get_by_role("button", name="In Progress")).to_have_count(1)


def test_the_column_heading_stays_in_view_on_a_scrolled_board(new_page: Any, live: LiveServer) -> None:
    w = make_world(live)
    with live.db() as db:
        db.execute(insert(Task), [{"organization_id": w.org_id, "project_id": w.project_id,
                                   "number": 100 + i, "title": f"Bulk {i}", "position": 100 + i,
                                   "status": "todo", "created_at": now(), "updated_at": now()}
                                  for i in range(60)])
        db.commit()
    page = new_page(viewport={"width": 1280, "height": 800})
    live.login(page.context, w.member)
    page.goto(f"/projects/{w.project_id}/board")
    page.locator("#column-todo [data-card]").last.scroll_into_view_if_needed()
    page.mouse.wheel(0, 5000)
    heading = page.locator("#column-todo-title").bounding_box()
    assert heading is not None and 0 <= heading["y"] < 800
    assert page.locator("#column-todo [data-card]").last.is_visible()


def test_a_move_without_js_returns_to_the_card_and_survives_a_reload(nojs_page: Page,
                                                                    live: LiveServer) -> None:
    w = make_world(live)
    page = nojs_page
    live.login(page.context, w.member)
    board = f"/projects/{w.project_id}/board"
    page.goto(board)
    first, second = w.tasks[0], w.tasks[1]
    page.locator(f"#task-{first}").get_by_role("button", name="Move down").click()
    page.wait_for_load_state()
    expect(page).to_have_url(f"{live.url}{board}#task-{first}")
    assert shown_order(page) == [second, first] == order(live, w.project_id)
    page.reload()
    assert shown_order(page) == [second, first]


def test_move_buttons_with_js_reorder_in_place_and_keep_the_focus(page: Page, live: LiveServer) -> None:
    w = make_world(live, statuses=("todo", "todo", "todo"))
    live.login(page.context, w.member)
    page.goto(f"/projects/{w.project_id}/board")
    a, b, c = w.tasks
    page.locator(f"#task-{c}").get_by_role("button", name="Move to the top").click()
    expect(page.locator("#column-todo [data-card]").first).to_have_id(f"task-{c}")
    assert page.url.endswith("/board")  # no navigation: htmx swapped the column's cards
    assert order(live, w.project_id) == [c, a, b]
    page.reload()
    assert shown_order(page) == [c, a, b]


def test_moving_a_card_by_keyboard_takes_at_most_four_keys(page: Page, live: LiveServer) -> None:
    """The issue's journey: the last To Do card to Review. Once the card's status control has
    the focus: ArrowRight, ArrowRight, Enter."""
    w = make_world(live, statuses=("todo",) * 25)
    live.login(page.context, w.member)
    page.goto(f"/projects/{w.project_id}/board")
    last = w.tasks[-1]
    page.locator(f"#status-{last} button[aria-pressed=true]").focus()
    keys = ["ArrowRight", "ArrowRight", "Enter"]
    for key in keys:
        page.keyboard.press(key)
    expect(page.locator(f"#column-review #task-{last}")).to_have_count(1)
    assert len(keys) <= 4
    with live.db() as db:
        assert db.get(Task, last).status == "review"
    expect(page.locator(f"#status-{last} button[value=review]")).to_be_focused()


def test_moving_a_card_within_its_column_by_keyboard(page: Page, live: LiveServer) -> None:
    w = make_world(live, statuses=("todo", "todo", "todo"))
    live.login(page.context, w.member)
    page.goto(f"/projects/{w.project_id}/board")
    a, b, c = w.tasks
    page.locator(f"#task-{c} [data-move] button[value=top]").focus()
    page.keyboard.press("ArrowRight")  # top -> up
    page.keyboard.press("Enter")
    expect(page.locator("#column-todo [data-card]").nth(1)).to_have_id(f"task-{c}")
    expect(page.locator(f"#task-{c} [data-move] button[value=up]")).to_be_focused()  # stays
    assert order(live, w.project_id) == [a, c, b]
    with live.db() as db:
        assert db.scalar(select(AuditEntry.entity_id).where(AuditEntry.action == "task.moved")) == c


def test_the_flash_appears_after_an_invitation_and_offers_the_link(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.owner)
    page.goto("/team")
    page.locator("#invite-email").fill("newcomer@example.com")
    page.locator("#invite-form button[type=submit]").click()
    flash = page.locator("#flash")
    expect(flash).to_contain_text("Invitation to newcomer@example.com created.")
    expect(flash).to_be_focused()
    expect(page.locator("#invite-link")).to_have_value(
        re.compile(r"/invitations/[A-Za-z0-9_-]{20,}$"))


def test_the_404_keeps_the_signed_in_header(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.owner)
    response = page.goto("/no/such/page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects")).to_be_visible()
    page.locator("summary", has_text="your menu").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("link", name="Register")).to_have_count(0)


def test_the_header_menu_works_without_js_and_logs_out(nojs_page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(nojs_page.context, w.owner)
    nojs_page.goto("/projects")
    expect(nojs_page.get_by_role("button", name="Log out")).to_be_hidden()
    nojs_page.locator("summary", has_text="your menu").click()
    nojs_page.get_by_role("button", name="Log out").click()
    expect(nojs_page).to_have_url(re.compile(r"/login$"))


@pytest.mark.parametrize("js", [True, False])
def test_adding_a_task_keeps_the_title_field_focused(new_page: Any, live: LiveServer, js: bool) -> None:
    _, page = owner_on_the_project_page(new_page, live, js)
    page.get_by_text("Add a task").click()
    page.locator("#title").fill("First of many")
    page.locator("#title").press("Enter")
    expect(page.locator("#flash")).to_have_text("Task “First of many” added.")
    expect(page.locator("#title")).to_be_focused()
    page.keyboard.type("Second of many")
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_have_text("Task “Second of many” added.")
    expect(page.locator("#title")).to_be_focused()
    with live.db() as db:
        assert {"First of many", "Second of many"} <= set(db.scalars(select(Task.title)))


def test_quick_add_puts_the_task_in_that_column(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    live.login(page.context, w.member)
    page.goto(f"/projects/{w.project_id}/board")
    page.locator("#quick-testing").fill("Try it on a phone")
    page.locator("#quick-testing").press("Enter")
    expect(page.locator("#column-testing [data-card]", has_text="Try it on a phone")).to_have_count(1)
    expect(page.locator("#quick-testing")).to_be_focused()


def member_on_the_board(page: Page, live: LiveServer, statuses: tuple[str, ...]) -> Any:
    """A member on the board of a project with tasks in these statuses."""
    w = make_world(live, statuses=statuses)
    live.login(page.context, w.member)
    page.goto(f"/projects/{w.project_id}/board")
    return w


def _drag(page: Page, source: str, target: str, *, above: bool = True) -> None:
    """Press on `source`, move in steps to `target` (its upper or lower part), release."""
    a = page.locator(source).bounding_box()
    b = page.locator(target).bounding_box()
    assert a and b
    page.mouse.move(a["x"] + 10, a["y"] + 10)
    page.mouse.down()
    y = b["y"] + (b["height"] * 0.25 if above else b["height"] - 4)
    page.mouse.move(b["x"] + 20, y, steps=20)
    page.mouse.move(b["x"] + 22, y + 1, steps=3)
    page.mouse.up()


def test_drag_and_drop_reorders_within_a_column_and_survives_a_reload(page: Page,
                                                                     live: LiveServer) -> None:
    w = member_on_the_board(page, live, ("todo", "todo", "todo"))
    a, b, c = w.tasks
    _drag(page, f"#task-{c} .meta", f"#task-{a}")
    expect(page.locator("#column-todo [data-card]").first).to_have_id(f"task-{c}")
    page.wait_for_function(f"() => !document.querySelector('#task-{c}.sortable-chosen')")
    assert settled_order(live, w.project_id, [c, a, b]) == [c, a, b]
    page.reload()
    assert shown_order(page) == [c, a, b]


def test_drag_and_drop_into_another_column_changes_the_status_there(page: Page,
                                                                  live: LiveServer) -> None:
    w = member_on_the_board(page, live, ("todo", "review", "review"))
    a, b, c = w.tasks
    _drag(page, f"#task-{a} .meta", f"#task-{c}")  # onto the upper part of c: between b and c
    expect(page.locator(f"#column-review #task-{a}")).to_have_count(1)
    expect(page.locator("#count-review")).to_have_text("3")
    expect(page.locator("#count-todo")).to_have_text("0")
    assert settled_order(live, w.project_id, [b, a, c], "review") == [b, a, c]
    page.reload()
    assert shown_order(page, "review") == [b, a, c]
    with live.db() as db:
        assert db.get(Task, a).status == "review"


@pytest.mark.parametrize("js", [True, False])
def test_a_project_is_not_deleted_by_one_click(new_page: Any, live: LiveServer, js: bool) -> None:
    w, page = owner_on_the_project_page(new_page, live, js)
    link = page.get_by_role("link", name="Delete project…")
    link.click()
    if js:  # the question opens in a dialog over the page, the safe answer focused
        expect(page).to_have_url(f"{live.url}/projects/{w.project_id}")
        asking = page.get_by_role("dialog", name=re.compile("Delete project"))
        expect(asking).to_contain_text("with 3 tasks and 1 story")
        expect(asking.get_by_role("link", name="Keep it")).to_be_focused()
        assert_no_axe_violations(page)
        page.keyboard.press("Escape")
        expect(asking).to_be_hidden()
        expect(link).to_be_focused()
        link.click()
        page.get_by_role("dialog").get_by_role("link", name="Keep it").click()
        expect(page.get_by_role("dialog")).to_be_hidden()
        link.click()
    else:
        expect(page).to_have_url(f"{live.url}/projects/{w.project_id}/delete")
        expect(page.locator("main")).to_contain_text("with 3 tasks and 1 story")
    with live.db() as db:
        assert db.scalar(select(Task.id).where(Task.project_id == w.project_id)) is not None
    page.get_by_role("button", name="Delete the project and its 3 tasks").click()
    expect(page).to_have_url(f"{live.url}/projects")
    expect(page.locator("#flash")).to_have_text("Project “Moonshot” deleted, with its tasks and stories.")
    with live.db() as db:
        assert db.scalar(select(Task.id).where(Task.project_id == w.project_id)) is None
