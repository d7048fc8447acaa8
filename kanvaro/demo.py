"""`kanvaro demo`: an organization worth looking at, with a history, in one transaction.

The content is kanvaro.demo_data; this module turns it into rows, with dates around today,
ranks on the board, and the audit entries of how it came about (working hours, oldest first).
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from kanvaro import events
from kanvaro.accounts.forms import RegisterForm
from kanvaro.accounts.models import Organization, User
from kanvaro.context import Ctx
from kanvaro.db import make_engine, run_in_transaction
from kanvaro.demo_data import CUSTOM_ROLE, PEOPLE, PROJECTS, DemoProject, Person
from kanvaro.demo_history import Clock, Plan, due, status_after
from kanvaro.enums import TASK_STATUSES
from kanvaro.markdown import render
from kanvaro.permissions import ROLES, Actor
from kanvaro.projects.models import Project, ProjectMember
from kanvaro.security import hash_password
from kanvaro.seed import add_owner, registration
from kanvaro.settings import Settings
from kanvaro.stories.models import Story
from kanvaro.tasks.models import Task, TaskAssignee
from kanvaro.tasks.queries import GAP
from kanvaro.team.models import CustomRole, Invitation


@dataclass(frozen=True)
class DemoLogin:
    """How to log in to a new demo organization: every person in it has the same password."""

    email: str  # the owner's
    password: str
    people: list[tuple[str, str, str]]  # (name, role label, email)


def demo(settings: Settings) -> DemoLogin:
    """A demo organization with six people, four projects and ~150 tasks, in one transaction."""
    suffix = secrets.token_hex(3)
    password = secrets.token_urlsafe(9)
    emails = {p.key: f"{p.name.lower().replace(' ', '.')}+{suffix}@example.com" for p in PEOPLE}
    owner = PEOPLE[0]
    form = registration("Demo Company", owner.name, emails[owner.key], password)
    password_hash = hash_password(password)  # one hash for all: argon2 is slow on purpose
    engine = make_engine(settings.database_url)
    try:
        run_in_transaction(engine, lambda db: _Demo(db, settings, form, password_hash,
                                                    emails).build())
    finally:
        engine.dispose()
    return DemoLogin(emails[owner.key], password,
                     [(p.name, ROLES[p.role], emails[p.key]) for p in PEOPLE])


PRIORITY_WEIGHTS = {"low": 2, "medium": 5, "high": 3, "critical": 1}
PRIORITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
REF = re.compile(r"#\[([^\]]+)\]")  # `#[title]` in demo_data: that task's `#3.14`


class _Demo:
    """The demo's rows, then its history as audit entries in the order it happened."""

    def __init__(self, db: Session, settings: Settings, form: RegisterForm, password_hash: str,
                 emails: dict[str, str]) -> None:
        self.db, self.settings, self.form = db, settings, form
        self.password_hash, self.emails = password_hash, emails
        self.rng = random.Random(11)  # the same demo every time, apart from today's date
        self.clock = Clock(datetime.now(UTC).replace(microsecond=0))
        self.today = self.clock.now.date()
        self.history: list[tuple[datetime, int, events.Event]] = []
        self.ids: dict[str, int] = {}

    def at(self, ago: float, event: events.Event) -> datetime:
        when = self.clock.ago(ago)
        self.history.append((when, len(self.history), event))
        return when

    def event(self, cls: type[events.Event], entity_id: int | None, changes: dict[str, Any],
              actor: str, **kwargs: Any) -> events.Event:
        return cls(entity_id, changes, organization_id=self.org_id, actor_id=self.ids[actor],
                   **kwargs)

    def build(self) -> None:
        founded = max(p.started_days_ago for p in PROJECTS) * 5 / 7 + 3
        self.org_id, self.ids[PEOPLE[0].key] = add_owner(
            self.db, self.settings, self.form, self.password_hash, self.clock.ago(founded))
        owner = PEOPLE[0]
        # Who the Markdown is rendered for: the owner sees every project, so every link is made.
        self.writer = Ctx(db=self.db, now=self.clock.now, settings=self.settings, request_id="demo",
                          actor=Actor.build(id=self.ids[owner.key], organization_id=self.org_id,
                                            name=owner.name, email=self.emails[owner.key],
                                            role=owner.role))
        self.people(founded)
        for number, project in enumerate(PROJECTS, start=1):
            self.project(number, project)
        org = self.db.get(Organization, self.org_id)
        assert org is not None
        org.project_seq = len(PROJECTS)
        self.db.flush()
        ctx = Ctx(db=self.db, actor=None, now=self.clock.now, settings=self.settings,
                  request_id="demo")
        for when, _, event in sorted(self.history, key=lambda h: (h[0], h[1])):
            ctx.now = when
            ctx.emit(event)

    def people(self, founded: float) -> None:
        owner = PEOPLE[0].key
        name, description, permissions = CUSTOM_ROLE
        custom = CustomRole(organization_id=self.org_id, name=name, description=description,
                            permissions=permissions, created_at=self.clock.ago(founded - 1))
        self.db.add(custom)
        for i, person in enumerate(PEOPLE[1:], start=1):
            inviter = "priya" if person.role == "client" else owner
            sent = founded - 0.1 * i
            joined = sent - 0.05 - 0.2 * self.rng.random()
            invitation = Invitation(
                organization_id=self.org_id, email=self.emails[person.key], role=person.role,
                token_hash=secrets.token_hex(32), invited_by_id=self.ids.get(inviter),
                created_at=self.clock.ago(sent), expires_at=self.clock.ago(sent) + timedelta(days=7),
                accepted_at=self.clock.ago(joined))
            user = User(organization_id=self.org_id, name=person.name, role=person.role,
                        email=self.emails[person.key], password_hash=self.password_hash,
                        created_at=self.clock.ago(joined))
            self.db.add_all([invitation, user])
            self.db.flush()
            assert user.id is not None and invitation.id is not None
            self.ids[person.key] = user.id
            self.at(sent, self.event(events.InvitationCreated, invitation.id, {
                "email": [None, user.email], "role": [None, person.role]}, inviter))
            self.at(joined, self.event(events.InvitationAccepted, invitation.id, {
                "email": [None, user.email], "user_id": [None, user.id],
                "role": [None, person.role]}, person.key))
        self.db.flush()
        assert custom.id is not None
        self.at(founded - 1, self.event(events.CustomRoleCreated, custom.id, {
            "name": [None, name], "description": [None, description],
            "permissions": [None, permissions]}, "tom"))
        for person in PEOPLE:
            if person.custom_role == name:
                self.grant(person, custom, founded - 1.1)

    def grant(self, person: Person, custom: CustomRole, ago: float) -> None:
        user = self.db.get(User, self.ids[person.key])
        assert user is not None
        user.custom_role_id = custom.id
        self.at(ago, self.event(events.RoleChanged, user.id, {"custom_role": [None, custom.name]},
                                "tom"))

    def project(self, number: int, spec: DemoProject) -> None:
        started = spec.started_days_ago * 5 / 7
        members = sorted(self.ids[k] for k in spec.members)
        row = Project(organization_id=self.org_id, number=number, name=spec.name,
                      description=spec.description, status=spec.status, priority=spec.priority,
                      start_date=self.today - timedelta(days=spec.started_days_ago),
                      end_date=self.today + timedelta(days=spec.ends_in_days),
                      created_by_id=self.ids[spec.creator], created_at=self.clock.ago(started),
                      updated_at=self.clock.ago(started), version=2 if spec.was else 1)
        self.db.add(row)
        self.db.flush()
        assert row.id is not None
        self.db.add_all(ProjectMember(organization_id=self.org_id, project_id=row.id, user_id=uid)
                        for uid in members)
        self.db.flush()
        row.description_html = render(self.writer, spec.description, project_id=row.id).html
        created = {"name": spec.name, "description": spec.description,
                   "status": spec.was or spec.status, "priority": spec.priority,
                   "start_date": row.start_date, "end_date": row.end_date}
        self.at(started, self.event(events.ProjectCreated, row.id, {
            k: [None, v] for k, v in created.items()} | {"members": [None, members]}, spec.creator))
        if spec.was:
            row.updated_at = self.at(4.3, self.event(
                events.ProjectUpdated, row.id, {"status": [spec.was, spec.status]}, spec.creator))
        plans: list[Plan] = []
        stories: list[tuple[Story, float]] = []
        for i, (title, (priority, items)) in enumerate(spec.stories.items()):
            story = Story(organization_id=self.org_id, project_id=row.id, title=title,
                          priority=priority, created_by_id=self.ids[spec.creator])
            stories.append((story, started - 0.1 - 0.2 * i))
            plans += [self.plan(spec, stories[-1][1], item, story) for item in items]
        self.db.add_all(s for s, _ in stories)
        self.db.flush()
        plans += [self.plan(spec, started - 0.1, item, None) for item in spec.loose]
        self.tasks(row, plans)
        for story, ago in stories:
            self.story(row, spec, story, ago, [p for p in plans if p.story is story])

    def plan(self, spec: DemoProject, since: float, item: tuple[str, ...],
             story: Story | None) -> Plan:
        """One task as it is now, and when it was created and moved on (working days ago)."""
        rng = self.rng
        status, title, *more = item
        steps = list(TASK_STATUSES).index(status)
        share = rng.uniform(0.4, 0.95) if status == "completed" else rng.uniform(0.02, 0.9)
        born = since * share
        moments = sorted((rng.uniform(0.01, born - 0.01) for _ in range(steps)), reverse=True)
        done = status == "completed"
        assignee = None if not done and rng.random() < 0.08 else rng.choice(spec.assignees)
        by = assignee or spec.creator
        people = [assignee] if assignee else []
        if assignee and rng.random() < 0.25:  # a second person on a quarter of them
            people.append(rng.choice([p for p in spec.assignees if p != assignee]))
        task = Task(
            organization_id=self.org_id, project_id=0, number=0, title=title,
            description=more[0] if more else "",
            priority=rng.choices(list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values()))[0],
            story_points=rng.choice([1, 2, 3, 3, 5, 5, 8, None]), status=status,
            created_by_id=None, version=1 + steps,
            created_at=self.clock.ago(born),
            updated_at=self.clock.ago(moments[-1] if moments else born),
            completed_at=self.clock.ago(moments[-1]) if done else None)
        task.due_date = due(self.rng, self.today, task.completed_at.date() if task.completed_at else None)
        creator = spec.creator if rng.random() < 0.6 else by
        plan = Plan(task, story, born, moments, creator, by, assignees=people)
        if task.due_date and not done and rng.random() < 0.15:  # postponed once
            plan.first_due = task.due_date - timedelta(days=rng.choice([3, 7, 14]))
            plan.postponed = rng.uniform(0.01, born - 0.01)
            task.version += 1
        return plan

    def tasks(self, project: Project, plans: list[Plan]) -> None:
        """Numbered in the order they were created, ranked in each column, with their history."""
        plans.sort(key=lambda p: -p.born)
        for number, plan in enumerate(plans, start=1):
            plan.task.number, plan.task.project_id = number, project.id  # type: ignore[assignment]
            plan.task.story_id = plan.story.id if plan.story else None
            plan.task.created_by_id = self.ids[plan.creator]
        for status in TASK_STATUSES:
            column = [p.task for p in plans if p.task.status == status]
            if status == "completed":
                column.sort(key=lambda t: t.completed_at, reverse=True)  # type: ignore[arg-type, return-value]
            else:
                column.sort(key=lambda t: (PRIORITY_RANK[t.priority], t.due_date or date.max, t.number))
            for rank, task in enumerate(column, start=1):
                task.position = rank * GAP
        labels = {p.task.title: f"#{project.number}.{p.task.number}" for p in plans}
        for plan in plans:
            plan.task.description = REF.sub(lambda m: labels[m[1]], plan.task.description)
        self.db.add_all(p.task for p in plans)
        self.db.flush()
        self.db.add_all(TaskAssignee(task_id=p.task.id, user_id=self.ids[key],
                                     organization_id=self.org_id)
                        for p in plans for key in p.assignees)
        project.task_seq = len(plans)
        for plan in plans:
            t = plan.task
            assert t.id is not None and project.id is not None
            rendered = render(self.writer, t.description, project_id=project.id)
            t.description_html = rendered.html
            values = {"title": t.title, "description": t.description, "story_id": t.story_id,
                      "priority": t.priority, "story_points": t.story_points,
                      "due_date": plan.first_due or t.due_date,
                      "assignees": sorted(self.ids[k] for k in plan.assignees)}
            changes = {k: [None, v] for k, v in values.items() if v not in (None, "", [])}
            self.at(plan.born, self.event(
                events.TaskCreated, t.id, changes | {"number": [None, f"{project.number}.{t.number}"]}, plan.creator,
                project_id=project.id, mentioned=rendered.mentioned))
            statuses = list(TASK_STATUSES)
            for step, ago in enumerate(plan.moments):
                self.at(ago, self.event(
                    events.TaskStatusChanged, t.id, {"status": statuses[step:step + 2]},
                    plan.by, project_id=project.id))
            if plan.postponed is not None:
                self.at(plan.postponed, self.event(
                    events.TaskUpdated, t.id, {"due_date": [plan.first_due, t.due_date]},
                    plan.by, project_id=project.id))

    def story(self, project: Project, spec: DemoProject, story: Story, ago: float,
              plans: list[Plan]) -> None:
        story.story_points = sum(p.task.story_points or 0 for p in plans) or None
        story.created_at = story.updated_at = self.clock.ago(ago)
        created = {"title": story.title, "priority": story.priority, "status": "todo",
                   "story_points": story.story_points}
        self.at(ago, self.event(events.StoryCreated, story.id, {
            k: [None, v] for k, v in created.items() if v is not None}, spec.creator,
            project_id=project.id))
        status = status_after([p.task.status for p in plans])
        steps = []
        if status != "todo":  # when its first task started, and when its last one was done
            steps.append(("todo", "in-progress", max(p.moments[0] for p in plans if p.moments)))
        if status == "completed":
            steps.append(("in-progress", "completed", min(p.moments[-1] for p in plans)))
        for before, after, when in steps:
            story.status, story.version = after, story.version + 1
            story.updated_at = self.at(when, self.event(
                events.StoryUpdated, story.id, {"status": [before, after]}, spec.creator,
                project_id=project.id))
