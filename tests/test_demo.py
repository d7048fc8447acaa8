"""`kanvaro demo` (kanvaro.demo): demo data worth looking at, in one transaction."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from kanvaro import demo
from kanvaro.enums import TASK_STATUSES
from kanvaro.models import AuditEntry, Organization, Project, ProjectMember, Story, Task, User
from kanvaro.tasks.models import TaskAssignee
from kanvaro.tasks.queries import GAP


@pytest.fixture
def login(settings):  # type: ignore[no-untyped-def]
    return demo.demo(settings)


def _org(db, login) -> Organization:  # type: ignore[no-untyped-def]
    owner = db.scalar(select(User).where(User.email == login.email))
    return db.get(Organization, owner.organization_id)


def _tasks(db, org) -> list[Task]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(Task).where(Task.organization_id == org.id)))


def test_demo_has_four_projects_and_about_150_tasks_in_every_status(db, login):
    org = _org(db, login)
    projects = list(db.scalars(select(Project).where(Project.organization_id == org.id)))
    assert len(projects) == 4 and org.project_seq == 4
    assert len({p.status for p in projects}) >= 3
    tasks = _tasks(db, org)
    assert 140 <= len(tasks) <= 160
    assert set(Counter(t.status for t in tasks)) == set(TASK_STATUSES)
    assert len({t.priority for t in tasks}) == 4
    for p in projects:
        mine = [t for t in tasks if t.project_id == p.id]
        assert sorted(t.number for t in mine) == list(range(1, len(mine) + 1)) == list(
            range(1, p.task_seq + 1))
    assert not any(t.title.lower().startswith("task ") for t in tasks)
    assert len({t.title for t in tasks}) == len(tasks)


def test_demo_has_six_people_in_different_roles_who_work_on_the_projects(db, login):
    org = _org(db, login)
    people = list(db.scalars(select(User).where(User.organization_id == org.id)))
    assert len(people) == 6 and len({u.role for u in people}) >= 5
    assert [u.email for u in people if u.role == "owner"] == [login.email]
    assert sorted(email for _, _, email in login.people) == sorted(u.email for u in people)
    members = {(m.project_id, m.user_id) for m in db.scalars(
        select(ProjectMember).where(ProjectMember.organization_id == org.id))}
    tasks = {t.id: t for t in _tasks(db, org)}
    rows = list(db.scalars(select(TaskAssignee).where(TaskAssignee.organization_id == org.id)))
    per_task = Counter(r.task_id for r in rows)
    assert len({r.user_id for r in rows}) >= 4 and len(per_task) < len(tasks)  # some unassigned
    assert 10 <= sum(1 for n in per_task.values() if n == 2) < len(per_task) / 2
    assert max(per_task.values()) == 2
    assert all((tasks[r.task_id].project_id, r.user_id) in members for r in rows)


def test_demo_due_dates_fall_on_both_sides_of_today(db, login):
    today = datetime.now(UTC).date()
    open_tasks = [t for t in _tasks(db, _org(db, login)) if t.status != "completed"]
    dues = [t.due_date for t in open_tasks]
    assert any(d is None for d in dues)
    assert sum(1 for d in dues if d and d < today) >= 5  # overdue
    assert any(d == today for d in dues)
    assert sum(1 for d in dues if d and 0 < (d - today).days <= 7) >= 10
    assert any(d and (d - today).days > 14 for d in dues)


def test_demo_ranks_each_board_column_with_gaps_and_completes_what_is_completed(db, login):
    tasks = _tasks(db, _org(db, login))
    columns: dict[tuple[int, str], list[int]] = {}
    for t in tasks:
        columns.setdefault((t.project_id, t.status), []).append(t.position)
        assert (t.completed_at is not None) == (t.status == "completed")
    for positions in columns.values():
        assert sorted(positions) == [GAP * (i + 1) for i in range(len(positions))]


def test_demo_stories_hold_tasks_of_their_project(db, login):
    org = _org(db, login)
    tasks = _tasks(db, org)
    stories = list(db.scalars(select(Story).where(Story.organization_id == org.id)))
    assert len({s.project_id for s in stories}) == 4
    for story in stories:
        held = [t for t in tasks if t.story_id == story.id]
        assert held and all(t.project_id == story.project_id for t in held)
    assert any(t.story_id is None for t in tasks)


def test_demo_history_is_in_the_audit_log_oldest_first(db, login):
    org = _org(db, login)
    entries = list(db.scalars(select(AuditEntry).where(AuditEntry.organization_id == org.id)
                              .order_by(AuditEntry.id)))
    actions = Counter(e.action for e in entries)
    assert actions["task.created"] == len(_tasks(db, org))
    assert actions["task.status_changed"] > 100 and actions["project.created"] == 4
    times = [e.created_at.replace(tzinfo=None) for e in entries]
    assert times == sorted(times)
    assert times[-1] <= datetime.now(UTC).replace(tzinfo=None)
    assert len({e.actor_id for e in entries}) == 6


def test_demo_descriptions_are_markdown_with_task_links_and_mentions(db, login):
    org = _org(db, login)
    tasks = _tasks(db, org)
    described = [t for t in tasks if t.description]
    assert described and all(t.description_html for t in described)
    assert not any("#[" in t.description for t in tasks)  # every `#[title]` became a number
    linked = [t for t in described if 'class="task-ref"' in t.description_html]
    assert len(linked) >= 2
    assert any('class="mention"' in t.description_html for t in described)
    assert any("<li>" in t.description_html for t in described)
    projects = list(db.scalars(select(Project).where(Project.organization_id == org.id)))
    assert any("<strong>" in p.description_html for p in projects)
    assigned = [e for e in db.scalars(select(AuditEntry).where(
        AuditEntry.organization_id == org.id, AuditEntry.action == "task.created"))
        if "assignees" in e.changes]
    assert len(assigned) > 100


def test_demo_twice_makes_two_organizations(db, settings, login):
    again = demo.demo(settings)
    assert again.email != login.email
    orgs = list(db.scalars(select(Organization)))
    assert len(orgs) == 2
    for org in orgs:
        assert len(_tasks(db, org)) == len(_tasks(db, orgs[0]))


def test_demo_is_one_transaction(db, settings, monkeypatch):
    build_project = demo._Demo.project

    def fail_at_the_last(self, number, spec):  # type: ignore[no-untyped-def]
        if number == 4:
            raise RuntimeError("disk full")
        build_project(self, number, spec)

    monkeypatch.setattr(demo._Demo, "project", fail_at_the_last)
    with pytest.raises(RuntimeError):
        demo.demo(settings)
    for table in (Organization, User, Project, Task, AuditEntry):
        assert db.scalar(select(func.count()).select_from(table)) == 0
