"""The Markdown preview (POST /markdown/preview) and the people `@` offers
(GET /projects/{id}/people), SPEC §8: the same rendering as saving, only what the asker may
see, 404 for a hidden or foreign project, 422 for a text too long, and nothing written."""

from __future__ import annotations

import html

import pytest

from kanvaro.markdown import render
from kanvaro.models import CustomRole, Task
from tests.factories import make_ctx, make_org, make_project, make_user
from tests.reliability.conftest import dump
from tests.web.markup import FULL_PAGE, field_error, value_of


@pytest.fixture
def people(db, org, owner, member, project):  # type: ignore[no-untyped-def]
    """Around `project` (Olive and Mia in it): Ana, another member; Otto, of the organization
    but not of the project; Ada, an admin (sees every project); Cy, a viewer with a custom
    role that sees every project; Eve, a viewer whose custom role does not; Dee, a member who
    was deactivated; Gus of another org."""
    ana = make_user(db, org, name="Ana Lee")
    otto = make_user(db, org, name="Otto Outsider")
    ada = make_user(db, org, name="Ada Admin", role="admin")
    role = CustomRole(organization_id=org.id, name="Seer", permissions=["project:view_all"])
    db.add(role)
    db.flush()
    cy = make_user(db, org, name="Cy Seer", role="viewer", custom_role_id=role.id)
    auditor = CustomRole(organization_id=org.id, name="Auditor", permissions=["audit:read"])
    db.add(auditor)
    db.flush()
    make_user(db, org, name="Eve Auditor", role="viewer", custom_role_id=auditor.id)
    dee = make_user(db, org, name="Dee Gone", active=False)
    gus = make_user(db, make_org(db, "Globex"), name="Gus Globex")
    from kanvaro.models import ProjectMember
    db.add_all([ProjectMember(organization_id=org.id, project_id=project.id, user_id=u.id)
                for u in (ana, dee)])
    hidden = make_project(db, org, name="Hidden", members=[otto])
    secret = Task(organization_id=org.id, project_id=hidden.id, number=1, title="Secret")
    db.add(secret)
    db.commit()
    return {"ana": ana, "otto": otto, "ada": ada, "cy": cy, "dee": dee, "gus": gus,
            "hidden": hidden, "secret": secret}


def options(browser, project_id: int, q: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    r = browser.get(f"/projects/{project_id}/people", params={"q": q}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and FULL_PAGE not in r.text
    return [h for h in __import__("re").findall(r'data-handle="([^"]+)"', r.text)]


# -- the people `@` offers ----------------------------------------------------------------

def test_at_offers_those_who_can_see_the_project_but_not_the_asker(as_owner, project, people):
    assert options(as_owner, project.id) == ["ada.admin", "ana.lee", "cy.seer", "mia.member"]


@pytest.mark.parametrize(("q", "found"), [
    ("an", ["ana.lee"]), ("@an", ["ana.lee"]), ("AN", ["ana.lee"]), ("mem", ["mia.member"]),
    ("see", ["cy.seer"]), ("otto", []), ("eve", []), ("gus", []), ("dee", []), ("_", []), ("%", []),
    ("a" * 200, []),
])
def test_at_matches_a_handle_prefix_or_part_of_a_name(as_owner, project, people, q, found):
    assert options(as_owner, project.id, q) == found


def test_at_offers_eight_people_at_most(as_owner, db, org, project):
    from kanvaro.models import ProjectMember
    for i in range(12):
        u = make_user(db, org, name=f"Zed {i:02}")
        db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=u.id))
    db.commit()
    assert len(options(as_owner, project.id, "zed")) == 8


def test_a_project_the_asker_cannot_see_is_404(browser, project, people):
    browser.login_as(people["otto"])  # of the organization, not of the project
    assert browser.get(f"/projects/{project.id}/people", headers={"HX-Request": "true"}).status_code == 404
    browser.login_as(people["gus"])  # another organization
    r = browser.get(f"/projects/{project.id}/people?q=a")
    assert r.status_code == 404 and "ana.lee" not in r.text


def test_without_javascript_the_people_are_a_page(as_owner, project, people):
    r = as_owner.get(f"/projects/{project.id}/people?q=an")
    assert r.status_code == 200 and r.text.startswith(FULL_PAGE)
    assert "@ana.lee" in r.text and 'role="option"' not in r.text
    assert value_of(r.text, "people-q") == "an"


# -- the preview ---------------------------------------------------------------------------

def test_with_htmx_the_preview_is_the_rendered_fragment(as_owner, project, people):
    r = as_owner.post("/markdown/preview", {"text": "**Go** @ana.lee", "project_id": str(project.id)},
                      htmx=True)
    assert r.status_code == 200 and FULL_PAGE not in r.text and "<textarea" not in r.text
    assert "<strong>Go</strong>" in r.text
    assert f'href="/team#member-{people["ana"].id}"' in r.text


def test_the_preview_is_what_saving_renders(as_owner, db, owner, project, people):
    text = "# Plan\n\n- [x](https://example.com) @ana.lee @otto.outsider ~~no~~\n\n|a|\n|-|\n|1|"
    r = as_owner.post("/markdown/preview", {"text": text, "project_id": str(project.id)}, htmx=True)
    saved = render(make_ctx(db, owner, as_owner.settings), text, project_id=project.id).html
    assert r.text.strip() == saved.strip()


def test_without_javascript_the_preview_is_a_page_with_the_text_again(as_owner, project, people):
    r = as_owner.post("/markdown/preview", {"text": "Hello _there_", "project_id": str(project.id)})
    assert r.status_code == 200 and r.text.startswith(FULL_PAGE)
    assert "<em>there</em>" in r.text
    assert value_of(r.text, "text") == "Hello _there_"
    assert value_of(r.text, "project_id") == str(project.id)
    assert "Go back to your form" in r.text and "Nothing is saved yet." in r.text


def test_a_forms_preview_button_names_its_field_and_project_in_the_address(as_owner, project, people):
    """Without JS the Preview button posts its whole form (title, description, ...)."""
    r = as_owner.post(f"/markdown/preview?field=description&project_id={project.id}",
                      {"title": "A task", "description": "ask @ana.lee"})
    assert r.status_code == 200 and value_of(r.text, "text") == "ask @ana.lee"
    assert f'href="/team#member-{people["ana"].id}"' in r.text


def test_the_task_form_carries_the_preview_and_mention_hooks(as_owner, db, org, project):
    """The markdown_field macro on a page that uses it (the preview page's own textarea)."""
    r = as_owner.post("/markdown/preview", {"text": "x", "project_id": str(project.id)})
    assert f'data-mention="/projects/{project.id}/people"' in r.text
    assert 'aria-controls="text-people"' in r.text and 'role="listbox"' in r.text
    assert html.escape(f"/markdown/preview?field=text&project_id={project.id}") in r.text
    assert 'data-preview="text"' in r.text and "formnovalidate" in r.text


@pytest.mark.parametrize("htmx", [True, False])
def test_a_text_too_long_is_422(as_owner, project, htmx):
    r = as_owner.post("/markdown/preview", {"text": "x" * 20_001}, htmx=htmx)
    assert r.status_code == 422
    if htmx:
        assert 'role="alert"' in r.text and "Use at most 20,000 characters." in r.text
    else:
        assert field_error(r.text, "text") == "Use at most 20,000 characters."
    assert as_owner.post("/markdown/preview", {"text": "x" * 20_000}, htmx=htmx).status_code == 200


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "9" * 30])
def test_a_project_id_that_is_no_id_is_422(as_owner, bad):
    assert as_owner.post("/markdown/preview", {"text": "x", "project_id": bad}, htmx=True).status_code == 422


def test_a_hidden_or_foreign_project_is_404_and_tells_nothing(browser, db, project, people):
    browser.login_as(people["otto"])
    r = browser.post("/markdown/preview", {"text": "@ana.lee", "project_id": str(project.id)}, htmx=True)
    assert r.status_code == 404 and "ana.lee" not in r.text.replace("@ana.lee", "")
    browser.login_as(people["gus"])
    assert browser.post(f"/markdown/preview?field=d&project_id={project.id}", {"d": "x"}).status_code == 404


def test_mentions_only_link_those_who_can_see_and_only_with_a_project(as_owner, project, people):
    text = "@ana.lee @otto.outsider @gus.globex @dee.gone @ada.admin"
    r = as_owner.post("/markdown/preview", {"text": text, "project_id": str(project.id)}, htmx=True)
    linked = __import__("re").findall(r'class="mention"[^>]*>@([\w.]+)<', r.text)
    assert linked == ["ana.lee", "ada.admin"]
    r = as_owner.post("/markdown/preview", {"text": text}, htmx=True)
    assert "<a" not in r.text


def test_a_ref_into_a_project_the_previewer_cannot_see_stays_text(browser, db, member, project, people):
    n = people["hidden"].number
    browser.login_as(member)
    r = browser.post("/markdown/preview", {"text": f"see #{n}.1"}, htmx=True)
    assert f"#{n}.1" in r.text and "/tasks/" not in r.text
    browser.login_as(people["otto"])  # who can see it gets the link
    r = browser.post("/markdown/preview", {"text": f"see #{n}.1"}, htmx=True)
    assert f'href="/tasks/{people["secret"].id}"' in r.text


def test_the_preview_writes_nothing_and_needs_the_token_and_a_login(browser, as_owner, engine, project):
    before = dump(engine)
    assert as_owner.post("/markdown/preview", {"text": "hi", "project_id": str(project.id)}).status_code == 200
    assert as_owner.post("/markdown/preview", {"text": "hi"}, csrf=False).status_code == 403
    browser.session_token = ""
    browser._set_cookie()
    assert browser.post("/markdown/preview", {"text": "hi"}).headers["location"].startswith("/login")
    assert browser.post("/markdown/preview", {"text": "hi"}, htmx=True).status_code == 401
    assert dump(engine) == before


def test_nothing_to_preview_says_so(as_owner):
    r = as_owner.post("/markdown/preview", {"text": "   "}, htmx=True)
    assert r.status_code == 200 and "Nothing to preview yet." in r.text
