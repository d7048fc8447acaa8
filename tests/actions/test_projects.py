"""Project actions without HTTP: permission, scoping, validation, the write and its audit row."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kanvaro.enums import PRIORITIES, PROJECT_STATUSES
from kanvaro.errors import Conflict, Forbidden, Invalid, NotFound
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, Project, ProjectMember, Story, Task
from kanvaro.projects import actions
from kanvaro.projects.forms import NewProject, ProjectEdit
from tests.factories import make_ctx, make_org, make_project, make_user


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def members_of(db, project) -> list[int]:
    return sorted(db.scalars(select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)))


def audit_rows(db, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# --- create ---------------------------------------------------------------------------

def test_create_writes_the_project_with_the_creator_as_member_and_audits(db, ctx, org, owner):
    colleague = make_user(db, org, name="Cal Colleague")
    project = actions.create_project(ctx, parse(NewProject, {
        "name": "  Launch  ", "description": "Go live", "status": "active", "priority": "high",
        "start_date": "2030-01-01", "end_date": "2030-02-01", "members": [str(colleague.id)],
    }))
    assert (project.name, project.status, project.priority) == ("Launch", "active", "high")
    assert (project.start_date, project.end_date) == (date(2030, 1, 1), date(2030, 2, 1))
    assert project.organization_id == org.id and project.created_by_id == owner.id
    assert project.number == 1 and project.version == 1
    assert members_of(db, project) == sorted([owner.id, colleague.id])
    [entry] = audit_rows(db, "project.created")
    assert (entry.entity_type, entry.entity_id, entry.actor_id, entry.organization_id) == (
        "project", project.id, owner.id, org.id)
    assert entry.changes["name"] == [None, "Launch"]
    assert entry.changes["start_date"] == [None, "2030-01-01"]
    assert entry.changes["members"] == [None, sorted([owner.id, colleague.id])]


def test_create_uses_defaults_for_status_and_priority(ctx):
    project = actions.create_project(ctx, parse(NewProject, {"name": "Plain"}))
    assert (project.status, project.priority) == ("planning", "medium")
    assert project.start_date is None and project.description == ""


def test_project_numbers_are_sequential_per_organization(db, ctx, ctx_for):
    other_org = make_org(db)
    stranger = make_user(db, other_org, role="owner")
    first = actions.create_project(ctx, parse(NewProject, {"name": "One"}))
    second = actions.create_project(ctx, parse(NewProject, {"name": "Two"}))
    foreign = actions.create_project(ctx_for(stranger), parse(NewProject, {"name": "Elsewhere"}))
    assert (first.number, second.number, foreign.number) == (1, 2, 1)


@pytest.mark.parametrize("role", ["owner", "admin", "project_manager"])
def test_managers_may_create(db, org, ctx_for, role):
    user = make_user(db, org, role=role)
    assert actions.create_project(ctx_for(user), parse(NewProject, {"name": "Mine"})).id is not None


@pytest.mark.parametrize("role", ["team_member", "client", "viewer"])
def test_others_may_not_create(db, org, ctx_for, role):
    user = make_user(db, org, role=role)
    with pytest.raises(Forbidden):
        actions.create_project(ctx_for(user), parse(NewProject, {"name": "Nope"}))
    assert count(db, Project) == 0 and count(db, AuditEntry) == 0


def test_a_custom_role_can_grant_project_create(db, org, settings):
    from kanvaro.context import Ctx
    from tests.factories import actor_of, now

    user = make_user(db, org, role="team_member")
    ctx = Ctx(db=db, actor=actor_of(user, ["project:create"]), now=now(), settings=settings)
    assert actions.create_project(ctx, parse(NewProject, {"name": "Granted"})).id is not None


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok\x00bad"}, "name"),
        ({"name": "ok", "status": "finished"}, "status"),
        ({"name": "ok", "priority": "urgent"}, "priority"),
        ({"name": "ok", "start_date": "2030-13-01"}, "start_date"),
        ({"name": "ok", "start_date": "01/02/2030"}, "start_date"),
        ({"name": "ok", "start_date": "2030-02-02", "end_date": "2030-02-01"}, "end_date"),
        ({"name": "ok", "members": ["not-a-number"]}, "members"),
    ],
)
def test_create_rejects_invalid_input_keyed_by_field(db, ctx, values, field):
    with pytest.raises(Invalid) as info:
        actions.create_project(ctx, parse(NewProject, values))
    assert field in info.value.errors
    assert count(db, Project) == 0 and count(db, AuditEntry) == 0


def test_create_accepts_the_boundaries(ctx):
    project = actions.create_project(ctx, parse(NewProject, {"name": "x" * 200, "start_date": "2030-02-02",
                                           "end_date": "2030-02-02"}))
    assert len(project.name) == 200 and project.start_date == project.end_date


@pytest.mark.parametrize("status", list(PROJECT_STATUSES))
def test_every_project_status_is_accepted(ctx, status):
    assert actions.create_project(ctx, parse(NewProject, {"name": "S", "status": status})).status == status


@pytest.mark.parametrize("priority", list(PRIORITIES))
def test_every_priority_is_accepted(ctx, priority):
    assert actions.create_project(ctx, parse(NewProject, {"name": "P", "priority": priority})).priority == priority


def test_members_from_another_organization_are_refused(db, ctx):
    stranger = make_user(db, make_org(db))
    with pytest.raises(Invalid) as info:
        actions.create_project(ctx, parse(NewProject, {"name": "Mixed", "members": [str(stranger.id)]}))
    assert info.value.errors["members"] == [
        "Choose members from the people of your organization."]
    assert count(db, Project) == 0


def test_deactivated_users_cannot_be_made_members(db, ctx, org):
    gone = make_user(db, org, active=False)
    with pytest.raises(Invalid):
        actions.create_project(ctx, parse(NewProject, {"name": "Ghosts", "members": [str(gone.id)]}))


# --- update ---------------------------------------------------------------------------

def test_update_changes_fields_bumps_version_and_audits_before_after(db, ctx, org, owner):
    project = make_project(db, org, name="Old", creator=owner, status="planning")
    updated = actions.update_project(ctx, project.id, parse(ProjectEdit, {
        "name": "New", "status": "active", "priority": "medium", "version": "1",
        "members": [str(owner.id)],
    }))
    assert (updated.name, updated.status, updated.version) == ("New", "active", 2)
    [entry] = audit_rows(db, "project.updated")
    assert entry.entity_id == project.id
    assert entry.changes == {"name": ["Old", "New"], "status": ["planning", "active"]}


def test_update_can_change_members_and_keeps_the_creator(db, ctx, org, owner):
    pm = make_user(db, org, role="project_manager")
    dev = make_user(db, org)
    project = make_project(db, org, creator=pm, members=[owner])
    actions.update_project(ctx, project.id, parse(ProjectEdit, {"name": project.name, "members": [str(dev.id)]}))
    assert members_of(db, project) == sorted([pm.id, dev.id])
    [entry] = audit_rows(db, "project.updated")
    assert entry.changes["members"] == [sorted([owner.id, pm.id]), sorted([pm.id, dev.id])]


def test_update_with_invalid_input_changes_nothing(db, ctx, org, owner):
    project = make_project(db, org, name="Keep", creator=owner)
    with pytest.raises(Invalid) as info:
        actions.update_project(ctx, project.id, parse(ProjectEdit, {"name": "", "end_date": "2030-01-01",
                                                 "start_date": "2030-02-01"}))
    assert set(info.value.errors) == {"name", "end_date"}
    db.refresh(project)
    assert (project.name, project.version) == ("Keep", 1)
    assert audit_rows(db, "project.updated") == []


def test_update_with_a_stale_version_is_a_conflict(db, ctx, org, owner):
    project = make_project(db, org, name="Current", creator=owner)
    project.version = 3
    db.flush()
    with pytest.raises(Conflict) as info:
        actions.update_project(ctx, project.id, parse(ProjectEdit, {"name": "Mine", "version": "2"}))
    assert info.value.current.name == "Current"
    assert audit_rows(db, "project.updated") == []


@pytest.mark.parametrize("role", ["team_member", "client", "viewer"])
def test_members_without_project_update_may_not_edit(db, org, ctx_for, role):
    user = make_user(db, org, role=role)
    project = make_project(db, org, name="Theirs", members=[user])
    with pytest.raises(Forbidden):
        actions.update_project(ctx_for(user), project.id, parse(ProjectEdit, {"name": "Hijacked"}))
    db.refresh(project)
    assert project.name == "Theirs"


def test_changing_members_needs_manage_team(db, org, settings):
    from kanvaro.context import Ctx
    from tests.factories import actor_of, now

    editor = make_user(db, org, role="team_member")
    other = make_user(db, org)
    project = make_project(db, org, name="Team", members=[editor])
    ctx = Ctx(db=db, actor=actor_of(editor, ["project:update"]), now=now(), settings=settings)
    with pytest.raises(Forbidden):
        actions.update_project(ctx, project.id, parse(ProjectEdit, {"name": "Team",
                                                 "members": [str(editor.id), str(other.id)]}))
    assert members_of(db, project) == [editor.id]
    # The same editor may still change fields when the members stay as they are.
    actions.update_project(ctx, project.id, parse(ProjectEdit, {"name": "Team 2", "members": [str(editor.id)]}))
    assert db.get(Project, project.id).name == "Team 2"


# --- delete ---------------------------------------------------------------------------

def test_delete_removes_project_tasks_stories_members_and_audits(db, ctx, org, owner):
    project = make_project(db, org, name="Doomed", creator=owner)
    story = Story(organization_id=org.id, project_id=project.id, title="S")
    db.add(story)
    db.flush()
    db.add(Task(organization_id=org.id, project_id=project.id, number=1, title="T", story_id=story.id))
    db.flush()
    number = project.number
    actions.delete_project(ctx, project.id)
    assert count(db, Project) == count(db, Task) == count(db, Story) == count(db, ProjectMember) == 0
    [entry] = audit_rows(db, "project.deleted")
    assert entry.entity_id == project.id
    assert entry.changes == {"name": ["Doomed", None], "number": [number, None]}


def test_admin_may_delete(db, org, ctx_for):
    admin = make_user(db, org, role="admin")
    project = make_project(db, org)
    actions.delete_project(ctx_for(admin), project.id)
    assert count(db, Project) == 0


@pytest.mark.parametrize("role", ["project_manager", "team_member", "client", "viewer"])
def test_non_admins_may_not_delete(db, org, ctx_for, role):
    user = make_user(db, org, role=role)
    project = make_project(db, org, members=[user])
    with pytest.raises(Forbidden):
        actions.delete_project(ctx_for(user), project.id)
    assert count(db, Project) == 1 and count(db, AuditEntry) == 0


# --- scoping: foreign and hidden ids are NotFound -------------------------------------

@pytest.fixture
def foreign_project(db):
    other = make_org(db, "Other")
    return make_project(db, other, name="Secret", creator=make_user(db, other, role="owner"))


@pytest.mark.parametrize("call", [
    lambda ctx, pid: actions.update_project(ctx, pid, parse(ProjectEdit, {"name": "Mine now"})),
    lambda ctx, pid: actions.delete_project(ctx, pid),
])
def test_foreign_organization_ids_are_not_found_even_for_owners(db, ctx, foreign_project, call):
    with pytest.raises(NotFound):
        call(ctx, foreign_project.id)
    db.refresh(foreign_project)
    assert foreign_project.name == "Secret" and count(db, AuditEntry) == 0


def test_unknown_ids_are_not_found(ctx):
    with pytest.raises(NotFound):
        actions.update_project(ctx, 999_999, parse(ProjectEdit, {"name": "X"}))


def test_a_project_manager_outside_the_project_gets_not_found(db, org, ctx_for):
    pm = make_user(db, org, role="project_manager")
    project = make_project(db, org, name="Private", members=[make_user(db, org)])
    with pytest.raises(NotFound):
        actions.update_project(ctx_for(pm), project.id, parse(ProjectEdit, {"name": "Mine"}))
    admin = make_user(db, org, role="admin")
    with pytest.raises(NotFound):
        # A team member may not even learn it exists through delete.
        actions.delete_project(ctx_for(make_user(db, org)), project.id)
    actions.update_project(ctx_for(admin), project.id, parse(ProjectEdit, {"name": "Seen by admin"}))
    assert db.get(Project, project.id).name == "Seen by admin"


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_see_projects_they_are_not_members_of(db, org, ctx_for, role):
    from kanvaro.projects.queries import get_project

    boss = make_user(db, org, role=role)
    project = make_project(db, org, members=[make_user(db, org)])
    assert get_project(ctx_for(boss), project.id).id == project.id


def test_anonymous_context_cannot_create(db, settings):
    with pytest.raises(NotFound):
        actions.create_project(make_ctx(db, None, settings), parse(NewProject, {"name": "Anon"}))
