"""Comment actions without HTTP: who may post, edit and delete, validation, versions, the
task's count, the events and whom they mention."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kanvaro.comments import actions
from kanvaro.comments.forms import CommentEdit, NewComment
from kanvaro.comments.models import Comment
from kanvaro.errors import Conflict, Forbidden, Invalid, NotFound
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, ProjectMember, Task
from tests.factories import make_org, make_project, make_user


def post(ctx, task_id, body="Looks good"):
    return actions.add_comment(ctx, task_id, parse(NewComment, {"body": body}))


def edit(ctx, comment_id, body, version=None):
    data = {"body": body} if version is None else {"body": body, "version": str(version)}
    return actions.edit_comment(ctx, comment_id, parse(CommentEdit, data))


@pytest.fixture
def task(db, org, project):
    t = Task(organization_id=org.id, project_id=project.id, number=1, title="Fix login", position=1)
    db.add(t)
    db.flush()
    return t


def count_of(db, task) -> int:
    db.expire_all()
    return db.get(Task, task.id).comment_count


def audit_rows(db, action):
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- post -------------------------------------------------------------------------------

def test_a_comment_is_stored_rendered_counted_and_audited(db, ctx, owner, task):
    made = post(ctx, task.id, "  **Ship** it  ")
    stored = db.get(Comment, made.comment.id)
    assert (stored.body, stored.author_id, stored.task_id, stored.version) == ("**Ship** it", owner.id, task.id, 1)
    assert stored.body_html == "<p><strong>Ship</strong> it</p>\n"
    assert stored.edited_at is None
    assert count_of(db, task) == 1
    [entry] = audit_rows(db, "comment.created")
    assert (entry.entity_id, entry.task_id, entry.project_id) == (stored.id, task.id, task.project_id)
    assert entry.changes == {"body": [None, "**Ship** it"]}


def test_posting_does_not_make_a_new_version_of_the_task(db, ctx, task):
    post(ctx, task.id)
    db.expire_all()
    assert db.get(Task, task.id).version == 1


def test_a_client_may_comment_and_a_viewer_may_not(db, org, ctx_for, project, task):
    client, viewer = make_user(db, org, role="client"), make_user(db, org, role="viewer")
    for u in (client, viewer):
        db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=u.id))
    db.flush()
    post(ctx_for(client), task.id)
    with pytest.raises(Forbidden):
        post(ctx_for(viewer), task.id)
    assert count_of(db, task) == 1


@pytest.mark.parametrize("body, message", [
    ("", "Write a comment."), ("   \n  ", "Use 1 to 10,000 characters."),
    ("x" * 10_001, "Use 1 to 10,000 characters."), ("bell\x07", "Contains characters that are not allowed."),
])
def test_an_invalid_body_is_refused_with_its_message(db, ctx, task, body, message):
    with pytest.raises(Invalid) as caught:
        post(ctx, task.id, body)
    assert caught.value.errors == {"body": [message]}
    assert db.scalars(select(Comment)).all() == [] and count_of(db, task) == 0


def test_ten_thousand_characters_with_browser_line_breaks_are_accepted(db, ctx, task):
    body = ("y" * 98 + "\r\n") * 100  # 10,000 characters as typed, 10,099 as sent
    made = post(ctx, task.id, body[:-2])
    assert "\r" not in made.comment.body and len(made.comment.body) <= 10_000


def test_a_task_of_a_project_one_is_not_in_is_not_found(db, org, ctx_for, task):
    outsider = make_user(db, org, role="team_member")
    with pytest.raises(NotFound):
        post(ctx_for(outsider), task.id)


def test_a_task_of_another_organization_is_not_found(db, ctx_for, task):
    other = make_org(db)
    intruder = make_user(db, other, role="owner")
    with pytest.raises(NotFound):
        post(ctx_for(intruder), task.id)


def test_the_event_names_the_task_project_and_the_mentioned(db, ctx, owner, member, task):
    made = post(ctx, task.id, f"@{member.handle} have a look, and @nobody-here too")
    [event] = ctx.events
    assert (event.action, event.entity_id, event.task_id, event.project_id) == (
        "comment.created", made.comment.id, task.id, task.project_id)
    assert event.mentioned == frozenset({member.id})
    assert f'href="/team#member-{member.id}"' in made.comment.body_html


def test_someone_who_cannot_see_the_project_is_not_mentioned(db, org, ctx, task):
    outsider = make_user(db, org, role="team_member")
    made = post(ctx, task.id, f"@{outsider.handle} ping")
    assert ctx.events[0].mentioned == frozenset()
    assert "/team#member-" not in made.comment.body_html


def test_a_long_body_is_excerpted_in_the_audit_row(db, ctx, task):
    post(ctx, task.id, "z" * 5000)
    [entry] = audit_rows(db, "comment.created")
    kept = entry.changes["body"][1]
    assert len(kept) == actions.EXCERPT and kept.endswith("\u2026")


# --- edit -------------------------------------------------------------------------------

def test_the_author_edits_with_a_new_version_and_an_edited_time(db, ctx, task):
    made = post(ctx, task.id, "first")
    edited = edit(ctx, made.comment.id, "second _take_", version=1)
    db.expire_all()
    stored = db.get(Comment, edited.comment.id)
    assert (stored.body, stored.version) == ("second _take_", 2)
    assert stored.body_html == "<p>second <em>take</em></p>\n" and stored.edited_at is not None
    [entry] = audit_rows(db, "comment.updated")
    assert entry.changes == {"body": ["first", "second _take_"]} and entry.task_id == task.id
    assert count_of(db, task) == 1


def test_someone_else_may_not_edit_even_a_moderator(db, ctx, ctx_for, member, task):
    made = post(ctx_for(member), task.id, "mine")
    with pytest.raises(Forbidden):
        edit(ctx, made.comment.id, "the owner's words")  # the owner moderates, yet edits nothing
    assert db.get(Comment, made.comment.id).body == "mine"


def test_a_stale_version_is_a_conflict_with_the_comment_as_it_is(db, ctx, task):
    made = post(ctx, task.id, "first")
    edit(ctx, made.comment.id, "second", version=1)
    with pytest.raises(Conflict) as caught:
        edit(ctx, made.comment.id, "third", version=1)
    assert caught.value.current.body == "second" and caught.value.current.version == 2


def test_an_edit_is_validated_after_the_permission(db, ctx, ctx_for, member, task):
    made = post(ctx_for(member), task.id, "mine")
    with pytest.raises(Forbidden):
        edit(ctx, made.comment.id, "", version=1)
    with pytest.raises(Invalid):
        edit(ctx_for(member), made.comment.id, "", version=1)


def test_an_edit_mentions_only_those_not_mentioned_before(db, org, ctx, member, project, task):
    third = make_user(db, org, role="team_member", name="Tia Third")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=third.id))
    db.flush()
    made = post(ctx, task.id, f"@{member.handle} first")
    edit(ctx, made.comment.id, f"@{member.handle} and now @{third.handle}")
    assert ctx.events[-1].mentioned == frozenset({third.id})


def test_an_unchanged_edit_writes_nothing(db, ctx, task):
    made = post(ctx, task.id, "same")
    edit(ctx, made.comment.id, "same", version=1)
    assert audit_rows(db, "comment.updated") == []
    assert db.get(Comment, made.comment.id).version == 1


def test_a_foreign_comment_is_not_found_for_edit_and_delete(db, ctx, ctx_for, task):
    made = post(ctx, task.id)
    intruder = make_user(db, make_org(db), role="owner")
    with pytest.raises(NotFound):
        edit(ctx_for(intruder), made.comment.id, "taken over")
    with pytest.raises(NotFound):
        actions.delete_comment(ctx_for(intruder), made.comment.id)


# --- delete -----------------------------------------------------------------------------

def test_the_author_deletes_their_comment_and_the_count_follows(db, ctx_for, member, task):
    made = post(ctx_for(member), task.id, "oops")
    post(ctx_for(member), task.id, "keep")
    actions.delete_comment(ctx_for(member), made.comment.id)
    assert db.get(Comment, made.comment.id) is None
    assert count_of(db, task) == 1
    [entry] = audit_rows(db, "comment.deleted")
    assert entry.changes == {"body": ["oops", None]} and entry.task_id == task.id


def test_a_moderator_deletes_anyones_comment(db, ctx, ctx_for, member, task):
    made = post(ctx_for(member), task.id)
    actions.delete_comment(ctx, made.comment.id)
    assert db.get(Comment, made.comment.id) is None


def test_a_member_may_not_delete_someone_elses_comment(db, org, ctx, ctx_for, project, task):
    made = post(ctx, task.id)
    other = make_user(db, org, role="team_member")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=other.id))
    db.flush()
    with pytest.raises(Forbidden):
        actions.delete_comment(ctx_for(other), made.comment.id)
    assert db.get(Comment, made.comment.id) is not None and count_of(db, task) == 1


def test_an_admin_sees_every_project_and_so_deletes_there(db, org, ctx, ctx_for, task):
    made = post(ctx, task.id)
    admin = make_user(db, org, role="admin")  # not a member, but project:view_all
    assert actions.delete_comment(ctx_for(admin), made.comment.id).comment.id == made.comment.id


def test_a_moderator_outside_the_project_does_not_find_its_comments(db, org, ctx, ctx_for, task):
    made = post(ctx, task.id)
    lonely = make_user(db, org, role="project_manager")
    make_project(db, org, members=[lonely])
    with pytest.raises(NotFound):
        actions.delete_comment(ctx_for(lonely), made.comment.id)
    assert count_of(db, task) == 1
