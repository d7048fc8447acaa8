"""Comment routes over HTTP, each without and with htmx: post, edit page, save, delete."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kanvaro.comments import actions
from kanvaro.comments.forms import NewComment
from kanvaro.comments.models import Comment
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, ProjectMember, Task
from tests.factories import make_ctx, make_org, make_project, make_user
from tests.web.markup import FULL_PAGE, field_error, value_of

HX = {"HX-Request": "true"}


@pytest.fixture
def task(db, org, project):
    t = Task(organization_id=org.id, project_id=project.id, number=1, title="Fix login", position=1)
    db.add(t)
    db.commit()
    return t


@pytest.fixture
def comment_by(db, settings, task):
    def make(user, body="A first remark"):
        found = actions.add_comment(make_ctx(db, user, settings), task.id, parse(NewComment, {"body": body}))
        db.commit()
        return found.comment
    return make


def comments(db) -> list[Comment]:
    db.commit()
    return list(db.scalars(select(Comment).order_by(Comment.id)))


def rows(db, action: str) -> int:
    db.commit()
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


def count_on(db, task) -> int:
    db.commit()
    db.expire_all()
    return db.get(Task, task.id).comment_count


# --- post -------------------------------------------------------------------------------

def test_posting_without_js_goes_back_to_the_comment(as_owner, db, task):
    r = as_owner.post(f"/tasks/{task.id}/comments", {"body": "Ship *it*"})
    [c] = comments(db)
    assert r.status_code == 303 and r.headers["location"] == f"/tasks/{task.id}#comment-{c.id}"
    page = as_owner.get(f"/tasks/{task.id}").text
    assert f'id="comment-{c.id}"' in page and "Ship <em>it</em>" in page
    assert "Comment added." in page  # the flash, once
    assert count_on(db, task) == 1


def test_posting_with_htmx_answers_the_comment_out_of_band_and_an_empty_form(as_owner, db, owner, task):
    r = as_owner.post(f"/tasks/{task.id}/comments", {"body": "Looks **fine**"}, htmx=True)
    [c] = comments(db)
    assert r.status_code == 200 and FULL_PAGE not in r.text
    assert r.text.lstrip().startswith('<form method="post" action="/tasks/')
    assert value_of(r.text, "comment-body") == "" and "autofocus" in r.text
    oob = re.search(r'<ol hx-swap-oob="beforeend:#timeline-list">(.*?)</ol>', r.text, re.DOTALL)
    assert oob and f'<li class="comment" id="comment-{c.id}">' in oob.group(1)
    assert "Looks <strong>fine</strong>" in oob.group(1) and owner.name in oob.group(1)
    assert 'id="announcer" hx-swap-oob="innerHTML">Comment added.' in r.text
    assert r.headers["vary"].lower().count("hx-request") == 1


def test_the_emptied_form_carries_a_fresh_working_csrf_token_and_its_own_task(as_owner, db, org, project, task):
    # The empty form is drawn once per task and the request's token put in (comments.views).
    other = Task(organization_id=org.id, project_id=project.id, number=99, title="Other")
    db.add(other)
    db.commit()
    tokens = []
    for target in (task, task, other):
        r = as_owner.post(f"/tasks/{target.id}/comments", {"body": "again"}, htmx=True)
        assert r.status_code == 200
        form = r.text.split("</form>")[0]
        assert f'action="/tasks/{target.id}/comments"' in form
        tokens.append(re.search(r'name="csrf_token" value="([^"]*)"', form).group(1))
    assert len(set(tokens)) == 3 and all(tokens) and "kanvaro-csrf-token-here" not in "".join(tokens)
    again = as_owner.post(f"/tasks/{task.id}/comments", {"body": "with the form's token",
                                                        "csrf_token": tokens[0]}, csrf=False)
    assert again.status_code == 303
    assert len(comments(db)) == 4


def test_a_boosted_post_is_a_navigation(as_owner, db, task):
    r = as_owner.post(f"/tasks/{task.id}/comments", {"body": "boosted"},
                      headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/tasks/{task.id}#comment-")


def test_an_empty_comment_without_js_is_a_whole_page_with_the_error(as_owner, db, task):
    r = as_owner.post(f"/tasks/{task.id}/comments", {"body": "   "})
    assert r.status_code == 422 and FULL_PAGE in r.text
    assert field_error(r.text, "comment-body") == "Use 1 to 10,000 characters."
    assert 'class="error-summary"' in r.text and "Fix login" in r.text
    assert comments(db) == [] and rows(db, "comment.created") == 0


def test_a_too_long_comment_with_htmx_is_the_form_with_the_error_and_the_text(as_owner, db, task):
    r = as_owner.post(f"/tasks/{task.id}/comments", {"body": "w" * 10_001}, htmx=True)
    assert r.status_code == 422 and FULL_PAGE not in r.text
    assert r.text.lstrip().startswith("<form")
    assert field_error(r.text, "comment-body") == "Use 1 to 10,000 characters."
    assert value_of(r.text, "comment-body") == "w" * 10_001
    assert comments(db) == [] and count_on(db, task) == 0


def test_a_viewer_may_not_post(browser, db, org, project, task):
    viewer = make_user(db, org, role="viewer")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=viewer.id))
    db.commit()
    browser.login_as(viewer)
    page = browser.get(f"/tasks/{task.id}").text
    assert 'id="comment-form"' not in page
    assert browser.post(f"/tasks/{task.id}/comments", {"body": "hi"}).status_code == 403
    assert browser.post(f"/tasks/{task.id}/comments", {"body": "hi"}, htmx=True).status_code == 403
    assert comments(db) == []


def test_a_hidden_or_foreign_task_is_404(browser, db, org, task):
    outsider = make_user(db, org, role="team_member")
    intruder = make_user(db, make_org(db), role="owner")
    db.commit()
    for who in (outsider, intruder):
        browser.login_as(who)
        assert browser.post(f"/tasks/{task.id}/comments", {"body": "hi"}).status_code == 404
    assert comments(db) == []


def test_logged_out_posting_goes_to_login(browser, db, task):
    r = browser.post(f"/tasks/{task.id}/comments", {"body": "hi"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert browser.post(f"/tasks/{task.id}/comments", {"body": "hi"}, htmx=True).status_code == 401


def test_a_post_without_the_csrf_token_is_403(as_owner, db, task):
    assert as_owner.post(f"/tasks/{task.id}/comments", {"body": "hi"}, csrf=False).status_code == 403
    assert comments(db) == []


def test_hostile_markdown_is_stored_without_script(as_owner, db, task):
    body = '<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>'
    as_owner.post(f"/tasks/{task.id}/comments", {"body": body})
    page = as_owner.get(f"/tasks/{task.id}").text
    assert "<script>alert" not in page and 'href="javascript' not in page.lower()
    stored = comments(db)[0].body_html
    assert "<script" not in stored and "<img" not in stored and 'href="javascript' not in stored


# --- the edit page and its save -------------------------------------------------------

def test_the_author_gets_an_edit_page_and_saves_without_js(as_owner, db, owner, task, comment_by):
    c = comment_by(owner, "before")
    page = as_owner.get(f"/comments/{c.id}/edit")
    assert page.status_code == 200 and FULL_PAGE in page.text
    assert value_of(page.text, f"comment-{c.id}-body") == "before"
    r = as_owner.post(f"/comments/{c.id}", {"body": "after", "version": "1"})
    assert r.status_code == 303 and r.headers["location"] == f"/tasks/{task.id}#comment-{c.id}"
    [stored] = comments(db)
    assert (stored.body, stored.version) == ("after", 2)
    assert "edited" in as_owner.get(f"/tasks/{task.id}").text


def test_the_edit_form_with_htmx_is_the_comment_in_place(as_owner, db, owner, task, comment_by):
    c = comment_by(owner)
    r = as_owner.get(f"/comments/{c.id}/edit", headers=HX)
    assert r.status_code == 200 and FULL_PAGE not in r.text
    assert r.text.lstrip().startswith(f'<li class="comment editing" id="comment-{c.id}">')
    r = as_owner.post(f"/comments/{c.id}", {"body": "better", "version": "1"}, htmx=True)
    assert r.status_code == 200 and r.text.lstrip().startswith(f'<li class="comment" id="comment-{c.id}">')
    assert "<p>better</p>" in r.text and "Comment saved." in r.text


def test_a_stale_version_is_409_with_the_current_text_and_mine(as_owner, db, owner, task, comment_by):
    c = comment_by(owner, "one")
    as_owner.post(f"/comments/{c.id}", {"body": "two", "version": "1"})
    for htmx in (False, True):
        r = as_owner.post(f"/comments/{c.id}", {"body": "three", "version": "1"}, htmx=htmx)
        assert r.status_code == 409 and (FULL_PAGE in r.text) is not htmx
        assert "changed meanwhile" in r.text and "<p>two</p>" in r.text
        assert value_of(r.text, f"comment-{c.id}-body") == "three"
        assert 'name="version" value="2"' in r.text
    assert comments(db)[0].body == "two"
    r = as_owner.post(f"/comments/{c.id}", {"body": "three", "version": "2"})
    assert r.status_code == 303 and comments(db)[0].body == "three"


def test_an_empty_edit_is_422_next_to_the_field(as_owner, db, owner, task, comment_by):
    c = comment_by(owner, "keep me")
    for htmx in (False, True):
        r = as_owner.post(f"/comments/{c.id}", {"body": "", "version": "1"}, htmx=htmx)
        assert r.status_code == 422 and (FULL_PAGE in r.text) is not htmx
        assert field_error(r.text, f"comment-{c.id}-body") == "Write a comment."
    assert comments(db)[0].body == "keep me"


def test_someone_elses_comment_may_not_be_edited(browser, db, owner, member, task, comment_by):
    c = comment_by(owner, "the owner's")
    browser.login_as(member)
    assert browser.get(f"/comments/{c.id}/edit").status_code == 403
    assert browser.post(f"/comments/{c.id}", {"body": "mine now", "version": "1"}).status_code == 403
    assert comments(db)[0].body == "the owner's"
    assert f"/comments/{c.id}/edit" not in browser.get(f"/tasks/{task.id}").text


def test_a_hidden_comment_is_404_to_edit_save_and_delete(browser, db, org, owner, task, comment_by):
    c = comment_by(owner)
    outsider = make_user(db, org, role="team_member")
    db.commit()
    browser.login_as(outsider)
    assert browser.get(f"/comments/{c.id}/edit").status_code == 404
    assert browser.post(f"/comments/{c.id}", {"body": "x"}).status_code == 404
    assert browser.post(f"/comments/{c.id}/delete").status_code == 404
    assert browser.post("/comments/999999/delete").status_code == 404
    assert len(comments(db)) == 1


# --- delete -----------------------------------------------------------------------------

def test_deleting_without_js_goes_back_to_the_timeline(as_owner, db, owner, task, comment_by):
    c = comment_by(owner)
    r = as_owner.post(f"/comments/{c.id}/delete")
    assert r.status_code == 303 and r.headers["location"] == f"/tasks/{task.id}#timeline"
    assert comments(db) == [] and count_on(db, task) == 0
    assert rows(db, "comment.deleted") == 1


def test_deleting_with_htmx_answers_nothing_in_its_place_and_an_announcement(as_owner, db, owner, task, comment_by):
    c = comment_by(owner)
    r = as_owner.post(f"/comments/{c.id}/delete", htmx=True)
    assert r.status_code == 200 and "<li" not in r.text and "Comment deleted." in r.text
    assert comments(db) == []


def test_a_moderator_deletes_a_members_comment_and_a_member_not_the_owners(
        browser, db, owner, member, task, comment_by):
    mine, theirs = comment_by(member, "member's"), comment_by(owner, "owner's")
    browser.login_as(member)
    assert browser.post(f"/comments/{theirs.id}/delete").status_code == 403
    browser.login_as(owner)
    assert browser.post(f"/comments/{mine.id}/delete").status_code == 303
    assert [c.body for c in comments(db)] == ["owner's"]
    assert count_on(db, task) == 1


def test_the_page_shows_delete_to_a_moderator_and_edit_only_to_the_author(
        as_owner, db, owner, member, task, comment_by):
    c = comment_by(member, "from the member")
    page = as_owner.get(f"/tasks/{task.id}").text
    assert f"/comments/{c.id}/delete" in page and f"/comments/{c.id}/edit" not in page


def test_a_card_count_is_kept_by_post_and_delete(as_owner, db, owner, task, comment_by):
    comment_by(owner)
    c = comment_by(owner)
    assert count_on(db, task) == 2
    as_owner.post(f"/comments/{c.id}/delete")
    assert count_on(db, task) == 1


def test_another_organizations_project_never_shows_our_comment(browser, db, owner, task, comment_by):
    comment_by(owner, "secret plan")
    other = make_org(db)
    intruder = make_user(db, other, role="owner")
    make_project(db, other, members=[intruder])
    db.commit()
    browser.login_as(intruder)
    assert browser.get(f"/tasks/{task.id}").status_code == 404


def test_an_htmx_post_is_lean_in_statements(as_owner, engine, db, task):
    """A bench row (>= 4% of the floor): the actor, the task, the insert, the count, the audit
    row and the revision; then what notifications add (kanvaro/notifications/handlers.py)."""
    from tests.sqlcount import count_sql

    with count_sql(engine) as sql:
        r = as_owner.post(f"/tasks/{task.id}/comments", {"body": "Quick one"}, htmx=True)
    assert r.status_code == 200
    print(f"\nSQL statements for one comment (HX-Request): {sql.count}\n{sql}")
    ours = ("SELECT task.id", "INSERT INTO comment", "UPDATE task SET comment_count",
            "INSERT INTO audit_entry", "INSERT INTO org_revision")
    assert [s.startswith(o) for s, o in zip(sql.statements[1:6], ours)] == [True] * 5, str(sql)
    assert sql.count <= 10, str(sql)
