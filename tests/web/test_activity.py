"""The task's timeline and the project's activity page, over HTTP."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kanvaro.comments import actions as comment_actions
from kanvaro.comments.forms import NewComment
from kanvaro.comments.models import Comment
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, ProjectMember
from kanvaro.tasks import actions as task_actions
from kanvaro.tasks.forms import NewTask, StatusChange, TaskEdit
from tests.factories import make_ctx, make_org, make_user
from tests.sqlcount import count_sql
from tests.web.markup import FULL_PAGE

HX = {"HX-Request": "true"}


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.fixture
def act(db, settings, owner):
    """act(fn, *args, user=owner): an action as that user, committed."""
    def run(fn, *args, user=None):
        result = fn(make_ctx(db, user or owner, settings), *args)
        db.commit()
        return result
    return run


@pytest.fixture
def task(act, project):
    return act(task_actions.create_task, project.id, parse(NewTask, {"title": "Fix login"}))


def comment(act, task, body, user=None):
    return act(comment_actions.add_comment, task.id, parse(NewComment, {"body": body}), user=user).comment


def timeline(page: str) -> list[str]:
    """The timeline's items as text, in order."""
    block = re.search(r'<ol class="timeline" id="timeline-list">(.*?)</ol>\s*(?:<p|<form|</section)', page, re.DOTALL)
    assert block, "no timeline"
    return [text_of(li) for li in re.findall(r"<li\b.*?</li>", block.group(1), re.DOTALL)]


# --- the task's timeline ---------------------------------------------------------------

def test_the_timeline_merges_comments_and_changes_oldest_first(as_owner, act, db, owner, member, task):
    comment(act, task, "First thoughts")
    act(task_actions.change_task_status, task.id, parse(StatusChange, {"status": "in-progress"}))
    comment(act, task, "Second thoughts", user=member)
    items = timeline(as_owner.get(f"/tasks/{task.id}").text)
    assert len(items) == 4, items
    assert items[0].startswith("Olive Owner created task 1.1 Fix login")
    assert "Olive Owner" in items[1] and "First thoughts" in items[1]
    assert items[2].startswith("Olive Owner moved 1.1 Fix login from To Do to In Progress")
    assert "Mia Member" in items[3] and "Second thoughts" in items[3]


def test_a_comment_is_shown_once_not_also_as_its_audit_entry(as_owner, act, db, task):
    comment(act, task, "Only once")
    page = as_owner.get(f"/tasks/{task.id}").text
    assert page.count("Only once") == 1 and "commented on" not in page


def test_edits_are_said_in_words_with_the_fields_that_changed(as_owner, act, db, member, task):
    act(task_actions.update_task, task.id, parse(TaskEdit, {
        "title": "Fix the login", "priority": "high", "description": "Long text", "status": "todo"}))
    act(task_actions.update_task, task.id, parse(TaskEdit, {
        "title": "Fix the login", "priority": "low", "description": "Long text", "status": "todo"}))
    items = timeline(as_owner.get(f"/tasks/{task.id}").text)
    assert items[1].startswith("Olive Owner edited 1.1 Fix the login: title, description and priority")
    assert "Title Fix login → Fix the login" in items[1] and "Priority Medium → High" in items[1]
    assert "Long text" not in items[1]  # long text is named, not shown
    assert items[2].startswith("Olive Owner changed the priority of 1.1 Fix the login from High to Low")


def test_the_task_is_named_without_a_link_to_its_own_page(as_owner, act, task):
    page = as_owner.get(f"/tasks/{task.id}").text
    section = page.split('id="timeline"')[1]
    assert f'href="/tasks/{task.id}"' not in section.split("</ol>")[0]


def test_the_timeline_says_what_the_audit_log_says(as_owner, act, task):
    act(task_actions.change_task_status, task.id, parse(StatusChange, {"status": "review"}))
    on_task = timeline(as_owner.get(f"/tasks/{task.id}").text)[1]
    audit = text_of(as_owner.get("/audit").text)
    sentence = re.sub(r" \d{4}-\d{2}-\d{2}\b.*$", "", on_task)  # without the date and time
    assert sentence == "Olive Owner moved 1.1 Fix login from To Do to Review" and sentence in audit


def test_a_deleted_comment_is_said_and_not_shown(as_owner, act, db, member, task):
    c = comment(act, task, "Regrettable", user=member)
    act(comment_actions.delete_comment, c.id)
    page = as_owner.get(f"/tasks/{task.id}").text
    assert "Regrettable" not in page
    assert timeline(page)[-1].startswith("Olive Owner deleted a comment on 1.1 Fix login")


def test_rank_moves_are_left_out(as_owner, act, db, task, project):
    from kanvaro.tasks.forms import Move

    act(task_actions.create_task, project.id, parse(NewTask, {"title": "Other"}))
    act(task_actions.move_task, task.id, parse(Move, {"to": "bottom", "view": "board"}))
    assert len(timeline(as_owner.get(f"/tasks/{task.id}").text)) == 1


def test_the_comment_form_is_under_the_timeline_only_for_commenters(browser, db, org, project, task):
    viewer = make_user(db, org, role="viewer")
    client = make_user(db, org, role="client")
    for u in (viewer, client):
        db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=u.id))
    db.commit()
    page = browser.login_as(client).get(f"/tasks/{task.id}").text
    assert page.index('id="timeline-list"') < page.index('id="comment-form"')
    assert 'id="comment-form"' not in browser.login_as(viewer).get(f"/tasks/{task.id}").text


def test_a_comment_has_an_anchor_permalink_avatar_time_and_edited_marker(as_owner, act, db, owner, task):
    c = comment(act, task, "Anchored")
    act(comment_actions.edit_comment, c.id, parse(comment_actions.CommentEdit, {"body": "Anchored, edited"}))
    page = as_owner.get(f"/tasks/{task.id}").text
    item = re.search(rf'<li class="comment" id="comment-{c.id}">.*?</li>', page, re.DOTALL).group(0)
    assert f'href="#comment-{c.id}"' in item and 'class="avatar' in item
    assert "<time datetime=" in item and "edited" in text_of(item)


def _thread(db, org, owner, task, n):
    from tests.factories import now

    db.add_all([Comment(organization_id=org.id, task_id=task.id, author_id=owner.id,
                        body=f"Comment {i} with #1.1 and @{owner.handle}",
                        body_html=f'<p>Comment {i} <a href="/tasks/{task.id}" class="task-ref" data-project="{task.project_id}">#1.1</a></p>',
                        created_at=now()) for i in range(n)])
    db.commit()


def test_the_task_page_costs_the_same_statements_for_2_and_40_comments(
        browser, db, org, owner, member, engine, act, task):
    browser.login_as(member)  # not view_all: the page also checks which task links they may see
    act(task_actions.change_task_status, task.id, parse(StatusChange, {"status": "review"}))
    _thread(db, org, owner, task, 2)
    with count_sql(engine) as few:
        assert browser.get(f"/tasks/{task.id}").status_code == 200
    _thread(db, org, owner, task, 38)
    with count_sql(engine) as many:
        page = browser.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and page.text.count('class="comment"') == 40
    print(f"\nSQL statements of the task page: {few.count} for 2 comments, {many.count} for 40\n{many}")
    assert few.count == many.count, f"2 comments:\n{few}\n40 comments:\n{many}"


# --- a project's activity ----------------------------------------------------------------

def test_project_activity_is_newest_first_with_links(as_owner, act, db, task, project):
    comment(act, task, "Said")
    act(task_actions.change_task_status, task.id, parse(StatusChange, {"status": "testing"}))
    r = as_owner.get(f"/projects/{project.id}/activity")
    assert r.status_code == 200 and FULL_PAGE in r.text
    entries = [text_of(li) for li in re.findall(r'<li id="entry-\d+">.*?</li>', r.text, re.DOTALL)]
    assert entries[0].startswith("OO Olive Owner moved 1.1 Fix login from To Do to Testing")
    assert entries[1].startswith("OO Olive Owner commented on 1.1 Fix login")
    assert entries[2].startswith("OO Olive Owner created task 1.1 Fix login")
    assert f'<a href="/tasks/{task.id}">1.1 Fix login</a>' in r.text
    said = re.search(r"commented on <a href=\"([^\"]+)\"", r.text)
    assert said and said.group(1) == f"/tasks/{task.id}#comment-{db.scalar(select(Comment.id))}"
    assert "127.0.0.1" not in r.text  # addresses are the audit log's, for admins


def test_project_activity_is_reachable_from_the_project_tabs(as_owner, project):
    for url in (f"/projects/{project.id}", f"/projects/{project.id}/board"):
        assert f'href="/projects/{project.id}/activity"' in as_owner.get(url).text
    page = as_owner.get(f"/projects/{project.id}/activity").text
    assert re.search(rf'href="/projects/{project.id}/activity" aria-current="page"', page)


def test_project_activity_pages_by_fifty(as_owner, db, org, owner, project, task):
    from tests.factories import now

    db.add_all([AuditEntry(organization_id=org.id, actor_id=owner.id, action="task.status_changed",
                           entity_type="task", entity_id=task.id, project_id=project.id,
                           task_id=task.id, changes={"status": ["todo", "review"]},
                           created_at=now() + timedelta(seconds=i)) for i in range(60)])
    db.commit()
    first = as_owner.get(f"/projects/{project.id}/activity").text
    assert first.count('<li id="entry-') == 50 and 'rel="next"' in first and 'rel="prev"' not in first
    second = as_owner.get(f"/projects/{project.id}/activity?page=2").text
    assert second.count('<li id="entry-') == 11 and 'rel="prev"' in second  # and the task's creation


def test_project_activity_shows_only_this_projects_entries(as_owner, act, db, org, owner, project, task):
    from tests.factories import make_project

    elsewhere = make_project(db, org, members=[owner], name="Elsewhere")
    db.commit()
    act(task_actions.create_task, elsewhere.id, parse(NewTask, {"title": "Not here"}))
    page = as_owner.get(f"/projects/{project.id}/activity").text
    assert "Not here" not in page and "Fix login" in page


def test_project_activity_is_404_for_outsiders_and_other_organizations(browser, db, org, project):
    outsider = make_user(db, org, role="team_member")
    intruder = make_user(db, make_org(db), role="owner")
    db.commit()
    for who in (outsider, intruder):
        assert browser.login_as(who).get(f"/projects/{project.id}/activity").status_code == 404


def test_a_viewer_of_the_project_sees_its_activity(browser, db, org, project, task):
    viewer = make_user(db, org, role="viewer")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=viewer.id))
    db.commit()
    r = browser.login_as(viewer).get(f"/projects/{project.id}/activity")
    assert r.status_code == 200 and "created task" in r.text


def test_project_activity_with_htmx_is_the_results_block(as_owner, project, task):
    r = as_owner.get(f"/projects/{project.id}/activity", headers=HX)
    assert r.status_code == 200 and FULL_PAGE not in r.text and r.text.lstrip().startswith('<section id="results"')


def test_project_activity_of_an_empty_project_says_so(as_owner, db, org, owner):
    from tests.factories import make_project

    empty = make_project(db, org, members=[owner])
    db.commit()
    assert "Nothing has happened in this project yet." in as_owner.get(f"/projects/{empty.id}/activity").text


def test_assignment_is_said_in_words(as_owner, db, org, owner, member, project, task):
    from tests.factories import now

    db.add(AuditEntry(organization_id=org.id, actor_id=owner.id, action="task.updated",
                      entity_type="task", entity_id=task.id, project_id=project.id, task_id=task.id,
                      changes={"assignees": [[], [member.id, owner.id]]}, created_at=now()))
    db.commit()
    items = timeline(as_owner.get(f"/tasks/{task.id}").text)
    assert items[-1].startswith("Olive Owner assigned 1.1 Fix login to Mia Member and Olive Owner")
    db.execute(update(AuditEntry).where(AuditEntry.action == "task.updated").values(
        changes={"assignees": [[member.id, owner.id], [owner.id]]}))
    db.commit()
    assert timeline(as_owner.get(f"/tasks/{task.id}").text)[-1].startswith(
        "Olive Owner unassigned Mia Member from 1.1 Fix login")
