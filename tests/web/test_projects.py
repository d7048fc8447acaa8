"""Project routes over HTTP, each without and with htmx."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from kanvaro.models import AuditEntry, Project, ProjectMember
from tests.factories import make_org, make_project, make_user
from tests.web.markup import FULL_PAGE, field_error, has_no_error, value_of

HX = {"HX-Request": "true"}


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def listed_names(page: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<td[^>]*><a href="/projects/\d+">([^<]*)</a></td>', page)]


@pytest.fixture
def me(browser, owner):
    return browser.login_as(owner)


@pytest.fixture
def project(db, org, owner):
    p = make_project(db, org, name="Apollo", creator=owner, status="active", priority="high",
                     description="To the moon")
    db.commit()
    return p


@pytest.fixture
def foreign(db):
    other = make_org(db, "Other Inc")
    p = make_project(db, other, name="Their secret", creator=make_user(db, other, role="owner"))
    db.commit()
    return p


def as_role(browser, db, org, role, *, member_of=None):
    user = make_user(db, org, role=role, name=f"A {role}")
    if member_of is not None:
        db.add(ProjectMember(organization_id=org.id, project_id=member_of.id, user_id=user.id))
    db.commit()
    return browser.login_as(user)


# --- anonymous ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/projects", "/projects/new", "/projects/1", "/projects/1/edit"])
def test_anonymous_get_goes_to_login_with_next(browser, path):
    r = browser.get(path + "?q=a")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=" + (path + "?q=a").replace("/", "%2F").replace(
        "?", "%3F").replace("=", "%3D")


@pytest.mark.parametrize("path", ["/projects", "/projects/new", "/projects/1", "/projects/1/edit"])
def test_anonymous_htmx_get_is_401_with_hx_redirect(browser, path):
    r = browser.get(path, headers=HX)
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/login"


@pytest.mark.parametrize("path", ["/projects", "/projects/1", "/projects/1/delete"])
@pytest.mark.parametrize("htmx", [False, True])
def test_anonymous_post_is_refused_and_writes_nothing(browser, db, org, owner, path, htmx):
    make_project(db, org, creator=owner)
    db.commit()
    r = browser.post(path, {"name": "Anon"}, htmx=htmx)
    if htmx:
        assert r.status_code == 401 and r.headers["hx-redirect"] == "/login"
    else:
        assert (r.status_code, r.headers["location"]) == (303, "/login?next=%2Fprojects")
    assert count(db, Project) == 1 and count(db, AuditEntry) == 0


# --- list -----------------------------------------------------------------------------

def test_list_shows_projects_newest_first(me, db, org, owner):
    for name in ("First", "Second", "Third"):
        make_project(db, org, name=name, creator=owner)
    db.commit()
    r = me.get("/projects")
    assert r.status_code == 200 and r.text.startswith(FULL_PAGE)
    assert listed_names(r.text) == ["Third", "Second", "First"]
    assert 'href="/projects/new"' in r.text


def test_list_with_htmx_is_the_results_fragment(me, project):
    r = me.get("/projects", headers=HX)
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<section id="results"')
    assert listed_names(r.text) == ["Apollo"]
    assert "HX-Request" in r.headers["vary"]


def test_list_when_empty_says_so(me):
    assert "No projects yet." in me.get("/projects").text


def test_list_filters_by_status(me, db, org, owner):
    make_project(db, org, name="Running", creator=owner, status="active")
    make_project(db, org, name="Paused", creator=owner, status="on_hold")
    db.commit()
    r = me.get("/projects?status=on_hold")
    assert listed_names(r.text) == ["Paused"]
    assert '<option value="on_hold" selected>' in r.text
    assert listed_names(me.get("/projects?status=bogus").text) == ["Paused", "Running"]


def test_list_searches_by_name_case_insensitively(me, db, org, owner):
    for name in ("Website relaunch", "Mobile app", "Web shop", "100% done", "under_score"):
        make_project(db, org, name=name, creator=owner)
    db.commit()
    assert sorted(listed_names(me.get("/projects?q=WEB").text)) == ["Web shop", "Website relaunch"]
    assert listed_names(me.get("/projects?q=%25").text) == ["100% done"]
    assert listed_names(me.get("/projects?q=_").text) == ["under_score"]
    r = me.get("/projects?q=zzz")
    assert listed_names(r.text) == [] and "No project matches." in r.text
    assert value_of(r.text, "q") == "zzz"


def test_list_combines_search_and_status_with_htmx(me, db, org, owner):
    make_project(db, org, name="Web A", creator=owner, status="active")
    make_project(db, org, name="Web B", creator=owner, status="planning")
    db.commit()
    r = me.get("/projects?q=web&status=planning", headers=HX)
    assert listed_names(r.text) == ["Web B"] and "<html" not in r.text


def test_list_shows_only_the_members_projects_to_a_team_member(browser, db, org, owner):
    mine = make_project(db, org, name="Mine", creator=owner)
    make_project(db, org, name="Not mine", creator=owner)
    as_role(browser, db, org, "team_member", member_of=mine)
    r = browser.get("/projects")
    assert listed_names(r.text) == ["Mine"]
    assert 'href="/projects/new"' not in r.text


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_list_shows_every_project_of_the_org_to_owners_and_admins(browser, db, org, role, foreign):
    make_project(db, org, name="Somebody's", members=[make_user(db, org)])
    as_role(browser, db, org, role)
    assert listed_names(browser.get("/projects").text) == ["Somebody's"]


def test_list_is_paginated(me, db, org, owner):
    for i in range(52):
        make_project(db, org, name=f"P{i:02d}", creator=owner)
    db.commit()
    first = me.get("/projects")
    assert len(listed_names(first.text)) == 50 and "Page 1 of 2" in first.text
    second = me.get("/projects?page=2")
    assert listed_names(second.text) == ["P01", "P00"]
    assert me.get("/projects?page=abc").status_code == 200
    # The pager keeps the filters: page 2 of a search is page 2 of the same search.
    found = me.get("/projects?q=P&status=planning").text
    assert "Page 1 of 2" in found and 'href="?q=P&amp;status=planning&amp;page=2" rel="next"' in found


# --- new and create -------------------------------------------------------------------

def test_new_project_page_offers_the_orgs_people_as_members(me, db, org, foreign):
    make_user(db, org, name="Cal Colleague")
    db.commit()
    r = me.get("/projects/new")
    assert r.status_code == 200 and r.text.startswith(FULL_PAGE)
    assert "Cal Colleague" in r.text and "Olive Owner" in r.text
    assert "Their secret" not in r.text and "Other Inc" not in r.text
    assert value_of(r.text, "status") == "planning" and value_of(r.text, "priority") == "medium"


def test_new_project_page_with_htmx_is_the_form_fragment(me):
    r = me.get("/projects/new", headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<form method="post" action="/projects"')


@pytest.mark.parametrize("htmx", [False, True])
def test_new_project_page_is_403_for_a_team_member(browser, db, org, htmx):
    as_role(browser, db, org, "team_member")
    r = browser.get("/projects/new", headers=HX if htmx else {})
    assert r.status_code == 403 and "Not allowed" in r.text
    assert r.text.startswith(FULL_PAGE) is (not htmx)


def test_create_redirects_to_the_new_project(me, db, org, owner):
    colleague = make_user(db, org, name="Cal Colleague")
    db.commit()
    r = me.post("/projects", {"name": "Launch", "description": "Ship it", "status": "active",
                              "priority": "critical", "start_date": "2030-01-01",
                              "end_date": "2030-03-01", "members": [str(colleague.id)]})
    assert r.status_code == 303
    project = db.scalar(select(Project))
    assert r.headers["location"] == f"/projects/{project.id}"
    assert (project.name, project.status, project.priority) == ("Launch", "active", "critical")
    assert count(db, ProjectMember) == 2
    assert db.scalar(select(AuditEntry.action)) == "project.created"
    page = me.get(r.headers["location"])
    assert page.status_code == 200 and "Launch" in page.text and "Cal Colleague" in page.text


def test_create_with_htmx_answers_hx_location(me, db):
    r = me.post("/projects", {"name": "Launch"}, htmx=True)
    project = db.scalar(select(Project))
    assert r.status_code == 200 and r.headers["hx-location"] == f"/projects/{project.id}"
    assert "location" not in r.headers


def test_a_boosted_create_is_a_navigation(me, db):
    r = me.post("/projects", {"name": "Boosted"}, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert r.status_code == 303 and r.headers["location"].startswith("/projects/")


INVALID = [
    ({"name": ""}, "name", "Enter a project name."),
    ({"name": "   "}, "name", "Enter a project name."),
    ({"name": "n" * 201}, "name", "Use 1 to 200 characters."),
    ({"start_date": "2030-02-30"}, "start_date", "Not a valid date value."),
    ({"start_date": "2030-02-02", "end_date": "2030-02-01"}, "end_date",
     "The end date cannot be before the start date."),
    ({"status": "finished"}, "status", "Not a valid choice."),
    ({"priority": "urgent"}, "priority", "Not a valid choice."),
]
TYPED = {"name": "Typed name", "description": "Typed description", "start_date": "2030-01-01",
         "end_date": "2030-01-31", "status": "active", "priority": "high"}


@pytest.mark.parametrize(("change", "field", "message"), INVALID)
@pytest.mark.parametrize("htmx", [False, True])
def test_create_with_an_invalid_field_is_422_with_error_and_typed_values(me, db, change, field,
                                                                        message, htmx):
    sent = {**TYPED, **change}
    r = me.post("/projects", sent, htmx=htmx)
    assert r.status_code == 422
    assert r.text.startswith(FULL_PAGE) is (not htmx)
    if htmx:
        assert r.text.lstrip().startswith("<form")
    assert field_error(r.text, field) == message
    assert f'<a href="#{field}">' in r.text  # the summary at the top links to the field
    for other, typed in sent.items():
        if other in ("status", "priority") and other == field:
            continue
        assert value_of(r.text, other) == typed.strip() if other == "name" and not typed.strip() \
            else value_of(r.text, other) == typed, other
        if other != field and not (field == "end_date" and other == "start_date"):
            assert has_no_error(r.text, other), other
    assert count(db, Project) == 0 and count(db, AuditEntry) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_create_with_a_member_of_another_org_is_422(me, db, foreign, htmx):
    stranger = db.scalar(select(ProjectMember.user_id).where(ProjectMember.project_id == foreign.id))
    r = me.post("/projects", {"name": "Mixed", "members": [str(stranger)]}, htmx=htmx)
    assert r.status_code == 422
    assert field_error(r.text, "members") == "Choose members from the people of your organization."
    assert value_of(r.text, "name") == "Mixed"
    assert count(db, Project) == 1


def test_create_keeps_the_checked_members_on_a_422(me, db, org):
    colleague = make_user(db, org, name="Cal Colleague")
    db.commit()
    r = me.post("/projects", {"name": "", "members": [str(colleague.id)]})
    assert r.status_code == 422
    assert f'value="{colleague.id}" checked' in r.text


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("role", ["team_member", "client", "viewer"])
def test_create_is_403_without_permission_and_writes_nothing(browser, db, org, role, htmx):
    as_role(browser, db, org, role)
    r = browser.post("/projects", {"name": "Nope"}, htmx=htmx)
    assert r.status_code == 403 and "Not allowed" in r.text
    assert r.text.startswith(FULL_PAGE) is (not htmx)
    assert count(db, Project) == 0


# --- detail ---------------------------------------------------------------------------

def test_detail_shows_the_project(me, project):
    r = me.get(f"/projects/{project.id}")
    assert r.status_code == 200 and r.text.startswith(FULL_PAGE)
    for text in ("Apollo", "Active", "High", "To the moon", "Olive Owner"):
        assert text in r.text
    assert f'href="/projects/{project.id}/edit"' in r.text
    assert f'href="/projects/{project.id}/delete"' in r.text  # the question first (issue 11)


def test_detail_with_htmx_is_a_fragment(me, project):
    r = me.get(f"/projects/{project.id}", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and "HX-Request" in r.headers["vary"]


@pytest.mark.parametrize("htmx", [False, True])
def test_detail_of_a_foreign_project_is_404(me, foreign, htmx):
    r = me.get(f"/projects/{foreign.id}", headers=HX if htmx else {})
    assert r.status_code == 404 and "Their secret" not in r.text
    assert r.text.startswith(FULL_PAGE) is (not htmx)


@pytest.mark.parametrize("path", ["/projects/999999", "/projects/99999999999999999999999"])
def test_detail_of_an_unknown_project_is_404(me, path):
    assert me.get(path).status_code == 404


def test_detail_of_a_project_one_is_not_member_of_is_404_for_non_admins(browser, db, org, project):
    as_role(browser, db, org, "project_manager")
    assert browser.get(f"/projects/{project.id}").status_code == 404


def test_a_member_without_rights_sees_no_edit_or_delete(browser, db, org, project):
    as_role(browser, db, org, "client", member_of=project)
    r = browser.get(f"/projects/{project.id}")
    assert r.status_code == 200 and "Apollo" in r.text
    assert "/edit" not in r.text and "/delete" not in r.text


# --- edit and update ------------------------------------------------------------------

def test_edit_page_is_filled_with_the_current_values(me, db, org, project):
    r = me.get(f"/projects/{project.id}/edit")
    assert r.status_code == 200 and r.text.startswith(FULL_PAGE)
    assert value_of(r.text, "name") == "Apollo"
    assert value_of(r.text, "status") == "active" and value_of(r.text, "priority") == "high"
    assert value_of(r.text, "description") == "To the moon"
    assert 'name="version" value="1"' in r.text
    assert f'action="/projects/{project.id}"' in r.text


def test_edit_page_with_htmx_is_the_form_fragment(me, project):
    r = me.get(f"/projects/{project.id}/edit", headers=HX)
    assert r.status_code == 200
    assert r.text.lstrip().startswith(f'<form method="post" action="/projects/{project.id}"')


@pytest.mark.parametrize("htmx", [False, True])
def test_edit_page_is_403_for_a_member_without_update(browser, db, org, project, htmx):
    as_role(browser, db, org, "team_member", member_of=project)
    r = browser.get(f"/projects/{project.id}/edit", headers=HX if htmx else {})
    assert r.status_code == 403


def test_edit_page_of_a_foreign_project_is_404(me, foreign):
    assert me.get(f"/projects/{foreign.id}/edit").status_code == 404


def _update(browser, project, htmx=False, **values):
    data = {"name": project.name, "status": project.status, "priority": project.priority,
            "version": str(project.version), **values}
    return browser.post(f"/projects/{project.id}", data, htmx=htmx)


def test_update_redirects_to_the_project_and_audits(me, db, project):
    r = _update(me, project, name="Apollo 11", status="completed")
    assert (r.status_code, r.headers["location"]) == (303, f"/projects/{project.id}")
    db.refresh(project)
    assert (project.name, project.status, project.version) == ("Apollo 11", "completed", 2)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "project.updated"))
    assert entry.changes["name"] == ["Apollo", "Apollo 11"]
    assert "Apollo 11" in me.get(f"/projects/{project.id}").text


def test_update_with_htmx_answers_hx_location(me, db, project):
    r = _update(me, project, htmx=True, name="Apollo 12")
    assert r.status_code == 200 and r.headers["hx-location"] == f"/projects/{project.id}"
    db.refresh(project)
    assert project.name == "Apollo 12"


@pytest.mark.parametrize(("change", "field", "message"), INVALID)
@pytest.mark.parametrize("htmx", [False, True])
def test_update_with_an_invalid_field_is_422_and_changes_nothing(me, db, project, change, field,
                                                                message, htmx):
    r = _update(me, project, htmx=htmx, **{**TYPED, **change})
    assert r.status_code == 422
    assert r.text.startswith(FULL_PAGE) is (not htmx)
    assert field_error(r.text, field) == message
    if field != "description":
        assert value_of(r.text, "description") == "Typed description"
    db.refresh(project)
    assert (project.name, project.version) == ("Apollo", 1)
    assert count(db, AuditEntry) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_update_with_a_stale_version_is_409_with_current_values(me, db, project, htmx):
    assert _update(me, project, name="First edit").status_code == 303
    r = _update(me, project, htmx=htmx, name="Second edit", version="1")
    assert r.status_code == 409
    assert "First edit" in r.text and value_of(r.text, "name") == "Second edit"
    assert 'name="version" value="2"' in r.text
    db.refresh(project)
    assert project.name == "First edit"


@pytest.mark.parametrize("htmx", [False, True])
def test_update_is_403_for_a_member_without_permission(browser, db, org, project, htmx):
    as_role(browser, db, org, "team_member", member_of=project)
    r = _update(browser, project, htmx=htmx, name="Hijacked")
    assert r.status_code == 403
    db.refresh(project)
    assert project.name == "Apollo"


@pytest.mark.parametrize("htmx", [False, True])
def test_update_of_a_foreign_project_is_404(me, db, foreign, htmx):
    r = _update(me, foreign, htmx=htmx, name="Mine now")
    assert r.status_code == 404
    db.refresh(foreign)
    assert foreign.name == "Their secret"


def test_update_by_a_project_manager_outside_the_project_is_404(browser, db, org, project):
    as_role(browser, db, org, "project_manager")
    assert _update(browser, project, name="Sneaky").status_code == 404


# --- delete ---------------------------------------------------------------------------

def test_delete_redirects_to_the_list(me, db, project):
    r = me.post(f"/projects/{project.id}/delete")
    assert (r.status_code, r.headers["location"]) == (303, "/projects")
    assert count(db, Project) == 0
    assert db.scalar(select(AuditEntry.action)) == "project.deleted"
    assert me.get(f"/projects/{project.id}").status_code == 404


def test_delete_with_htmx_answers_hx_location(me, db, project):
    r = me.post(f"/projects/{project.id}/delete", htmx=True)
    assert r.status_code == 200 and r.headers["hx-location"] == "/projects"
    assert count(db, Project) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_a_project_manager_may_not_delete(browser, db, org, project, htmx):
    as_role(browser, db, org, "project_manager", member_of=project)
    r = browser.post(f"/projects/{project.id}/delete", htmx=htmx)
    assert r.status_code == 403 and r.text.startswith(FULL_PAGE) is (not htmx)
    assert count(db, Project) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_delete_of_a_foreign_project_is_404(me, db, foreign, htmx):
    r = me.post(f"/projects/{foreign.id}/delete", htmx=htmx)
    assert r.status_code == 404
    assert count(db, Project) == 1


def test_get_on_the_delete_url_asks_and_deletes_nothing(me, db, project):
    # Was 405; issue 11 made it the question before the POST (docs/decisions.md).
    r = me.get(f"/projects/{project.id}/delete")
    assert r.status_code == 200 and "cannot be undone" in r.text
    db.expire_all()
    assert db.get(type(project), project.id) is not None


# --- issue 11: the list shows progress and people --------------------------------------

def test_the_list_shows_each_projects_progress_and_people_in_a_fixed_number_of_queries(
        me, db, org, owner, engine):
    from kanvaro.models import Task
    from tests.sqlcount import count_sql

    ann = make_user(db, org, name="Ann Archer")
    bob = make_user(db, org, name="Bob Brown")
    done = make_project(db, org, name="Half done", members=[ann, bob], creator=owner)
    make_project(db, org, name="Empty", creator=owner)
    for number, status in enumerate(["completed", "todo", "completed", "review"], start=1):
        db.add(Task(organization_id=org.id, project_id=done.id, number=number, title=f"T{number}",
                    status=status, created_by_id=owner.id))
    db.commit()
    page = me.get("/projects").text
    row = page[page.index("Half done"):].split("</tr>", 1)[0]
    assert "2/4" in row and 'value="2"' in row and 'max="4"' in row
    assert f"Ann Archer, Bob Brown, {owner.name}" in row and row.count('class="avatar hue') == 3
    empty = page[page.index(">Empty<"):].split("</tr>", 1)[0]
    assert "No tasks" in empty and "<meter" not in empty
    with count_sql(engine) as few:
        me.get("/projects")
    for i in range(5):
        extra = make_project(db, org, name=f"More {i}", members=[ann], creator=owner)
        db.add(Task(organization_id=org.id, project_id=extra.id, number=1, title="x",
                    created_by_id=owner.id))
    db.commit()
    with count_sql(engine) as many:
        me.get("/projects")
    assert many.count == few.count, many


def test_the_kept_add_a_task_form_follows_the_projects_stories_and_people(me, db, org, owner,
                                                                          project):
    """The fresh form is rendered once and kept (templating.Fragments) by what it shows: a new
    story, a new member or another session's token gives a new one."""
    def task_form(page: str) -> str:
        return page[page.index('id="task-form"'):].split("</form>", 1)[0]

    def tokens(page: str) -> set[str]:
        return set(re.findall(r'name="csrf_token" value="([^"]+)"', page))

    first_page, second_page = (me.get(f"/projects/{project.id}").text for _ in range(2))
    first = task_form(first_page)
    assert "Moon landing" not in first
    # the kept form carries each page's own masked token, the same as the page's others
    assert len(tokens(first_page)) == 1 and len(tokens(second_page)) == 1
    assert tokens(first_page) != tokens(second_page)
    assert tokens(task_form(second_page)) == tokens(second_page)
    assert me.post(f"/projects/{project.id}/stories", {"title": "Moon landing",
                                                        "priority": "high"}).status_code == 303
    again = task_form(me.get(f"/projects/{project.id}").text)
    assert ">Moon landing</option>" in again
    zed = make_user(db, org, name="Zed Zimmer")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=zed.id))
    db.commit()
    assert f'name="assignees" value="{zed.id}"> Zed Zimmer</label>' in task_form(
        me.get(f"/projects/{project.id}").text)
