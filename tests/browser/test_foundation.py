"""Issue 2 in a real browser: register, create a project (JS on, JS off, keyboard alone),
rejected forms, axe-core on every page of the foundation, and the harness's own fault hooks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from kanvaro.models import Organization, Project, ProjectMember, User
from tests.browser.conftest import LiveServer, assert_no_axe_violations, focused, tab_to
from tests.factories import make_org, make_project, make_user

PROJECT_URL = re.compile(r".*/projects/(\d+)$")


def register(page: Page, org: str = "Acme Rockets", name: str = "Ada Lovelace",
             email: str = "ada@acme.test", password: str = "analytical-engine") -> None:
    page.goto("/register")
    page.get_by_label("Organization name").fill(org)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create organization").click()
    expect(page).to_have_url(re.compile(r".*/projects$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Projects")


def fill_project(page: Page, name: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Description").fill("Reach orbit, then the Moon.")
    page.get_by_label("Start date").fill("2025-03-01")
    page.get_by_label("End date").fill("2025-09-30")
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Priority").select_option("high")


def project_row(live: LiveServer, name: str) -> Project:
    with live.db() as db:
        project = db.scalar(select(Project).where(Project.name == name))
        assert project is not None, f"no project named {name!r} in the database"
        return project


def assert_on_project_page(page: Page, live: LiveServer, name: str) -> Project:
    expect(page).to_have_url(PROJECT_URL)
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    project = project_row(live, name)
    match = PROJECT_URL.match(page.url)
    assert match and int(match.group(1)) == project.id
    return project


def owner_of_new_org(live: LiveServer, *, projects: int = 0) -> tuple[Any, Any]:
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        colleague = make_user(db, org, role="team_member", name="Tom Member", email="tom@acme.test")
        for i in range(projects):
            make_project(db, org, name=f"Project {i + 1}", creator=owner, members=[colleague],
                         status="active", description="Something to do.")
        db.commit()
        return org, owner


# --------------------------------------------------------------------------- happy paths


def test_register_and_create_project_with_javascript(page: Page, live: LiveServer) -> None:
    posts: list[dict[str, str]] = []
    page.on("request", lambda r: posts.append(r.headers) if r.method == "POST" else None)

    register(page)
    page.get_by_role("link", name="New project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New project")
    fill_project(page, "Moonshot")
    page.get_by_role("button", name="Create project").click()

    project = assert_on_project_page(page, live, "Moonshot")
    expect(page).to_have_title("Moonshot · Kanvaro")  # htmx updated the title on the boosted swap
    expect(page.locator(".facts")).to_contain_text("Active")
    expect(page.locator(".facts")).to_contain_text("Ada Lovelace")
    # htmx really carried the forms (boosted), with the CSRF header from <body hx-headers>
    assert len(posts) == 2 and all(h.get("hx-boosted") == "true" for h in posts)
    assert all(h.get("x-csrf-token") for h in posts)
    with live.db() as db:
        org = db.scalar(select(Organization))
        user = db.scalar(select(User))
        assert org.name == "Acme Rockets" and user.email == "ada@acme.test" and user.role == "owner"
        assert project.organization_id == org.id and project.status == "active"
        assert project.priority == "high" and str(project.end_date) == "2025-09-30"
        members = db.scalars(select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)).all()
        assert members == [user.id]


def test_register_and_create_project_without_javascript(nojs_page: Page, live: LiveServer) -> None:
    page = nojs_page
    posts: list[dict[str, str]] = []
    page.on("request", lambda r: posts.append(r.headers) if r.method == "POST" else None)

    register(page, org="Plain HTML Ltd", email="plain@html.test")
    page.get_by_role("link", name="New project").click()
    fill_project(page, "No script needed")
    page.get_by_role("button", name="Create project").click()

    project = assert_on_project_page(page, live, "No script needed")
    assert posts and not any("hx-request" in h for h in posts)
    with live.db() as db:
        assert db.scalar(select(func.count()).select_from(Project)) == 1
        assert project.description == "Reach orbit, then the Moon."


def test_register_and_create_project_by_keyboard_alone(page: Page, live: LiveServer) -> None:
    page.goto("/register")
    # The first Tab reaches the skip link; Enter moves focus into <main>.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    for field_id, value in [("organization_name", "Keyboard Co"), ("name", "Kay Board"),
                            ("email", "kay@keys.test"), ("password", "type-type-type")]:
        tab_to(page, f"#{field_id}")
        page.keyboard.type(value)
    tab_to(page, "button[type=submit].primary")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r".*/projects$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Projects")

    tab_to(page, "a[href='/projects/new']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("New project")

    tab_to(page, "#name")
    page.keyboard.type("Typed, not clicked")
    tab_to(page, "#description")
    page.keyboard.type("All by keyboard.")
    tab_to(page, "#priority")
    page.keyboard.press("ArrowDown")  # medium -> high
    expect(page.locator("#priority")).to_have_value("high")
    tab_to(page, "input[name=members]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=members]").first).to_be_checked()
    tab_to(page, "button[type=submit].primary")
    page.keyboard.press("Space")

    project = assert_on_project_page(page, live, "Typed, not clicked")
    assert project.priority == "high" and project.description == "All by keyboard."


# --------------------------------------------------------------------------- rejected forms


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_rejected_project_form_shows_errors_and_keeps_values(js: bool, new_page: Any,
                                                              live: LiveServer) -> None:
    _, owner = owner_of_new_org(live)
    page = new_page(java_script_enabled=js)
    live.login(page.context, owner)
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)

    page.goto("/projects/new")
    page.get_by_label("Name").fill("   ")
    page.get_by_label("Description").fill("Keep this text")
    page.get_by_label("Start date").fill("2025-05-10")
    page.get_by_label("End date").fill("2025-05-01")
    page.get_by_label("Status").select_option("on_hold")
    page.get_by_label("Priority").select_option("critical")
    page.get_by_role("button", name="Create project").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There are 2 problems")
    assert statuses == [422]
    expect(page).to_have_url(re.compile(r".*/projects(/new)?$"))

    name = page.locator("#name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_attribute("aria-describedby", "name-error")
    expect(page.locator(".field:has(#name) #name-error")).to_have_text("Enter a project name.")
    end = page.locator("#end_date")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field:has(#end_date) #end_date-error")).to_contain_text(
        "end date cannot be before the start date")
    expect(page.locator("#start_date")).not_to_have_attribute("aria-invalid", "true")
    # every typed value is still there
    expect(end).to_have_value("2025-05-01")
    expect(page.locator("#start_date")).to_have_value("2025-05-10")
    expect(page.locator("#description")).to_have_value("Keep this text")
    expect(page.locator("#status")).to_have_value("on_hold")
    expect(page.locator("#priority")).to_have_value("critical")
    # the summary links lead to the fields
    expect(summary.get_by_role("link", name=re.compile("Name"))).to_have_attribute("href", "#name")
    if js:  # kanvaro.js moves focus to the summary so it is announced
        expect(summary).to_be_focused()
    with live.db() as db:
        assert db.scalar(select(func.count()).select_from(Project)) == 0

    # fixing the input succeeds from the same page
    page.get_by_label("Name").fill("Fixed now")
    page.get_by_label("End date").fill("2025-06-01")
    page.get_by_role("button", name="Create project").click()
    project = assert_on_project_page(page, live, "Fixed now")
    assert project.status == "on_hold" and project.description == "Keep this text"


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_rejected_registration_keeps_values(js: bool, new_page: Any, live: LiveServer) -> None:
    page = new_page(java_script_enabled=js)
    page.goto("/register")
    page.get_by_label("Organization name").fill("Half Done")
    page.get_by_label("Your name").fill("Hal")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create organization").click()

    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-error")).to_contain_text("at least 10 characters")
    expect(page.locator("#password")).to_have_attribute("aria-describedby",
                                                        re.compile(r"\bpassword-error\b"))
    expect(page.locator("#organization_name")).to_have_value("Half Done")
    expect(page.locator("#name")).to_have_value("Hal")
    expect(page.locator("#email")).to_have_value("not-an-email")
    with live.db() as db:
        assert db.scalar(select(func.count()).select_from(Organization)) == 0


# --------------------------------------------------------------------------- axe-core


def test_axe_anonymous_pages(page: Page, live: LiveServer) -> None:
    for path in ["/register", "/login", "/login?next=/projects/1"]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_axe_violations(page)
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    assert_no_axe_violations(page)


def test_axe_rejected_login_and_registration(page: Page, live: LiveServer) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill("nobody@acme.test")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_no_axe_violations(page)

    page.goto("/register")
    page.get_by_role("button", name="Create organization").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_no_axe_violations(page)


def test_axe_project_pages_empty(page: Page, live: LiveServer) -> None:
    _, owner = owner_of_new_org(live)
    live.login(page.context, owner)
    page.goto("/projects")
    expect(page.get_by_text("No projects yet.")).to_be_visible()
    assert_no_axe_violations(page)

    page.goto("/projects/new")
    assert_no_axe_violations(page)
    page.get_by_label("Start date").fill("2025-05-10")
    page.get_by_label("End date").fill("2025-05-01")
    page.get_by_role("button", name="Create project").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_no_axe_violations(page)


def test_axe_project_pages_with_projects(page: Page, live: LiveServer) -> None:
    _, owner = owner_of_new_org(live, projects=3)
    live.login(page.context, owner)
    page.goto("/projects")
    expect(page.locator("#results tbody tr")).to_have_count(3)
    assert_no_axe_violations(page)

    page.get_by_label("Search by name").fill("Project 2")
    expect(page.locator("#results tbody tr")).to_have_count(1)  # htmx live search
    assert_no_axe_violations(page)
    page.goto("/projects?q=zzz")
    expect(page.get_by_text("No project matches.")).to_be_visible()
    assert_no_axe_violations(page)

    page.goto("/projects")
    page.get_by_role("link", name="Project 2").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Project 2")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit project")
    expect(page.locator("#name")).to_have_value("Project 2")
    assert_no_axe_violations(page)
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save project").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_no_axe_violations(page)

    with live.db() as db:
        missing = (db.scalar(select(func.max(Project.id))) or 0) + 1000
    response = page.goto(f"/projects/{missing}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    assert_no_axe_violations(page)


def test_axe_helper_reports_violations(page: Page, live: LiveServer) -> None:
    """The helper can fail: an unlabelled button is a violation axe must report."""
    page.goto("/login")
    page.evaluate("() => document.querySelector('main').append(document.createElement('button'))")
    with pytest.raises(pytest.fail.Exception, match="button-name"):
        assert_no_axe_violations(page)


# --------------------------------------------------------------------------- the harness's fault hooks


def test_server_failure_is_forced_and_writes_nothing(nojs_page: Page, live: LiveServer) -> None:
    _, owner = owner_of_new_org(live)
    live.login(nojs_page.context, owner)
    rule = live.faults.fail("/projects", status=500, times=1)
    nojs_page.goto("/projects/new")
    nojs_page.get_by_label("Name").fill("Never saved")
    nojs_page.get_by_role("button", name="Create project").click()
    expect(nojs_page.locator("body")).to_contain_text("Forced 500")
    assert rule.hits == 1 and live.faults.requests("POST", "/projects")[0][2] == 500
    with live.db() as db:
        assert db.scalar(select(func.count()).select_from(Project)) == 0
    # times=1: the next attempt reaches the real app
    nojs_page.go_back()
    nojs_page.get_by_label("Name").fill("Saved second time")
    nojs_page.get_by_role("button", name="Create project").click()
    assert_on_project_page(nojs_page, live, "Saved second time")


def test_held_request_waits_for_release(page: Page, live: LiveServer) -> None:
    _, owner = owner_of_new_org(live)
    live.login(page.context, owner)
    gate = live.faults.hold("/projects")
    page.goto("/projects/new")
    page.get_by_label("Name").fill("Held back")
    page.get_by_role("button", name="Create project").click()
    gate.wait_arrived()
    page.wait_for_timeout(200)
    expect(page.get_by_role("heading", level=1)).to_have_text("New project")
    with live.db() as db:
        assert db.scalar(select(func.count()).select_from(Project)) == 0
    gate.release()
    assert_on_project_page(page, live, "Held back")
