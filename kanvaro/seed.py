"""Creating owners and the demo organization from the command line."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kanvaro import events
from kanvaro.accounts.forms import RegisterForm
from kanvaro.accounts.models import Organization, User
from kanvaro.context import Ctx
from kanvaro.db import make_engine, run_in_transaction
from kanvaro.projects.models import Project, ProjectMember
from kanvaro.security import hash_password
from kanvaro.settings import Settings


def create_owner(
    settings: Settings, *, organization: str, name: str, email: str, password: str
) -> tuple[int, int]:
    """An organization and its owner, validated as the registration form would be."""
    form = RegisterForm({"organization_name": organization, "name": name, "email": email,
                         "password": password})
    if not form.validate():
        raise ValueError("; ".join(f"{label.lower()}: {message}"
                                   for _, label, message in form.error_summary()))
    email = form.email.data
    engine = make_engine(settings.database_url)

    def work(db: Session) -> tuple[int, int]:
        if db.scalar(select(func.count()).where(User.email == email)):
            raise ValueError(f"{email} already has an account")
        now = datetime.now(UTC)
        org = Organization(name=form.organization_name.data, created_at=now)
        db.add(org)
        db.flush()
        assert org.id is not None
        user = User(organization_id=org.id, name=form.name.data, email=email,
                    password_hash=hash_password(password), role="owner", created_at=now)
        db.add(user)
        db.flush()
        assert user.id is not None
        ctx = Ctx(db=db, actor=None, now=now, settings=settings, request_id="cli")
        ctx.emit(events.OrganizationCreated(org.id,
                     {"name": [None, org.name], "owner": [None, email]},
                     organization_id=org.id, actor_id=user.id))
        return org.id, user.id

    try:
        return run_in_transaction(engine, work)
    finally:
        engine.dispose()


DEMO_PROJECTS = [
    ("Website relaunch", "active", "high", "New marketing site with the refreshed brand."),
    ("Mobile app", "planning", "medium", "First release of the iOS and Android apps."),
    ("Customer onboarding", "active", "critical", "Make the first week of new customers smooth."),
    ("Office move", "on_hold", "low", "Move to the new office on the third floor."),
]


def demo(settings: Settings) -> tuple[str, str]:
    """A demo organization with people and projects; returns the owner's login."""
    suffix = secrets.token_hex(3)
    email = f"demo-{suffix}@example.com"
    password = secrets.token_urlsafe(9)
    org_id, owner_id = create_owner(settings, organization="Demo Company", name="Dana Demo",
                                    email=email, password=password)
    engine = make_engine(settings.database_url)
    today = datetime.now(UTC).date()

    def work(db: Session) -> None:
        people = [owner_id]
        for i, (name, role) in enumerate([("Sam Rivera", "project_manager"),
                                          ("Alex Kim", "team_member"),
                                          ("Jo Clarke", "client")]):
            user = User(organization_id=org_id, name=name, role=role,
                        email=f"demo-{suffix}-{i}@example.com",
                        password_hash=hash_password(secrets.token_urlsafe(16)))
            db.add(user)
            db.flush()
            assert user.id is not None
            people.append(user.id)
        for number, (name, status, priority, text) in enumerate(DEMO_PROJECTS, start=1):
            project = Project(organization_id=org_id, number=number, name=name, status=status,
                              priority=priority, description=text, created_by_id=owner_id,
                              start_date=today - timedelta(days=7 * number),
                              end_date=today + timedelta(days=30 * number))
            db.add(project)
            db.flush()
            for uid in people[: 2 + number % 3]:
                db.add(ProjectMember(organization_id=org_id, project_id=project.id, user_id=uid))
        org = db.get(Organization, org_id)
        assert org is not None
        org.project_seq = len(DEMO_PROJECTS)
        extend_demo(db, org_id, people, today)

    try:
        run_in_transaction(engine, work)
    finally:
        engine.dispose()
    return email, password


DEMO_TASKS = [
    "Write the brief", "Collect references", "Draft the wireframes", "Review with the team",
    "Fix the navigation", "Prepare the launch checklist", "Test on mobile", "Update the copy",
    "Set up analytics", "Plan the retrospective",
]


def extend_demo(db: Session, org_id: int, people: list[int], today: date) -> None:
    """A story and a handful of tasks in every demo project, spread over the board."""
    from kanvaro.enums import TASK_STATUSES
    from kanvaro.stories.models import Story
    from kanvaro.tasks.models import Task

    statuses = list(TASK_STATUSES)
    projects = db.scalars(select(Project).where(Project.organization_id == org_id)).all()
    for project in projects:
        story = Story(organization_id=org_id, project_id=project.id, title="First milestone",
                      priority="high", story_points=8, created_by_id=people[0])
        db.add(story)
        db.flush()
        for n, title in enumerate(DEMO_TASKS, start=1):
            status = statuses[n % len(statuses)]
            db.add(Task(
                organization_id=org_id, project_id=project.id, number=n, position=n, title=title,
                status=status, priority=["low", "medium", "high", "critical"][n % 4],
                assignee_id=people[n % 2], story_id=story.id if n <= 4 else None,
                story_points=n % 5 + 1, due_date=today + timedelta(days=n * 3 - 8),
                created_by_id=people[0],
                completed_at=datetime.now(UTC) if status == "completed" else None,
            ))
        project.task_seq = len(DEMO_TASKS)
