"""Stored XSS in a real browser (issue 6, suite 4): injected markup never runs.

Hostile titles, names and descriptions are stored, then every page that shows them is opened
(and the board's htmx swaps are exercised): no injected script or handler runs, and the
hostile text is visible as text. Separately, markup injected into the HTML on its way to the
browser (as if the escaping had failed) is stopped by the Content-Security-Policy.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, Route, expect

from kanvaro.models import CustomRole, Story, Task
from tests.browser.conftest import LiveServer, PageProblems
from tests.factories import assign, make_org, make_project, make_user

IMG = '<img src=x onerror="window.__xss=(window.__xss||[]).concat(\'img\')">'
SCRIPT = "<script>window.__xss=(window.__xss||[]).concat('script')</script>"
SVG = "<svg onload=\"window.__xss=(window.__xss||[]).concat('svg')\"></svg>"
HOSTILE = f'{IMG}"><b>{SCRIPT}{SVG}'


def hostile_org(live: LiveServer) -> dict[str, Any]:
    with live.db() as db:
        org = make_org(db, "Evil " + HOSTILE[:150])
        owner = make_user(db, org, role="owner", name="Owner " + IMG, email="owner@evil.test")
        mate = make_user(db, org, role="team_member", name="Mate " + SCRIPT, email="mate@evil.test")
        project = make_project(db, org, members=[owner, mate], creator=owner, name="P " + HOSTILE[:150],
                               description=HOSTILE + " javascript:alert(1)")
        story = Story(organization_id=org.id, project_id=project.id, title="S " + HOSTILE[:150],
                      description=HOSTILE)
        db.add(story)
        db.flush()
        project.task_seq = 1
        task = Task(organization_id=org.id, project_id=project.id, number=1, title="T " + HOSTILE[:150],
                    description=HOSTILE, story_id=story.id, position=1)
        db.add(task)
        db.flush()
        assign(db, task, mate, owner)
        db.add(CustomRole(organization_id=org.id, name="R " + IMG[:80], description=HOSTILE,
                          permissions=["audit:read"]))
        db.commit()
        return {"owner": owner, "project": project.id, "task": task.id, "story": story.id}


def assert_nothing_ran(page: Page, stray: list[str]) -> None:
    assert page.evaluate("window.__xss === undefined"), page.evaluate("window.__xss")
    assert stray == [], stray  # not even the <img src=x> was requested


def test_hostile_text_is_shown_as_text_and_never_runs(page: Page, live: LiveServer):
    made = hostile_org(live)
    live.login(page.context, made["owner"])
    stray: list[str] = []
    page.on("request", lambda request: stray.append(request.url) if request.url.endswith("/x") else None)
    pages = ["/projects", f"/projects/{made['project']}", f"/projects/{made['project']}/board",
             f"/projects/{made['project']}/edit", f"/tasks/{made['task']}", f"/tasks/{made['task']}/edit",
             f"/stories/{made['story']}", f"/stories/{made['story']}/edit", "/team", "/audit",
             "/my/tasks"]
    for path in pages:
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
        assert_nothing_ran(page, stray)
    page.goto(f"/tasks/{made['task']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("T <img src=x onerror=")


def test_htmx_swaps_of_hostile_content_do_not_run_it(page: Page, live: LiveServer):
    made = hostile_org(live)
    live.login(page.context, made["owner"])
    page.goto(f"/projects/{made['project']}/board")
    stray: list[str] = []
    page.on("request", lambda request: stray.append(request.url) if request.url.endswith("/x") else None)
    # A boosted navigation (body swap) and a status change (fragment swap), both with hostile text.
    page.get_by_role("button", name="Review").first.click()
    expect(page.get_by_role("button", name="Review").first).to_have_attribute("aria-pressed", "true")
    page.get_by_role("link", name="Team").click()
    expect(page).to_have_url(f"{live.url}/team")
    page.go_back()
    assert_nothing_ran(page, stray)


def test_the_csp_blocks_markup_that_slipped_through(page: Page, live: LiveServer,
                                                   page_problems: PageProblems):
    """As if escaping failed: inline script and handlers are injected into a real response."""
    made = hostile_org(live)
    live.login(page.context, made["owner"])

    def inject(route: Route) -> None:
        response = route.fetch()
        assert "script-src 'self'" in response.headers["content-security-policy"]
        body = response.text().replace(
            "<main", "<script>window.__xss=['inline']</script>"
                     "<img src=\"/static/none.png\" onerror=\"window.__xss=['handler']\">"
                     "<a id=\"jslink\" href=\"javascript:window.__xss=['link']\">x</a><main", 1)
        route.fulfill(response=response, body=body)

    page.route("**/projects", inject)
    page.goto("/projects")
    expect(page.get_by_role("heading", level=1)).to_have_text("Projects")
    page.locator("#jslink").click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss === undefined"), page.evaluate("window.__xss")
    blocked = [p for p in page_problems.items if "Content Security Policy" in p]
    assert blocked, "the browser reported no CSP violation"
    page_problems.items.clear()  # these violations were the point of this test
