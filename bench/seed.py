"""Seed the benchmark databases through the app's own tables, with Core bulk inserts."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from kanvaro.enums import PRIORITIES, TASK_STATUSES
from kanvaro.models import (
    AuditEntry,
    Organization,
    Project,
    ProjectMember,
    Task,
    TaskAssignee,
    User,
    UserSession,
)
from kanvaro.security import (
    SESSION_COOKIE,
    CookieSigner,
    mask_csrf,
    new_csrf_secret,
    new_token,
    token_hash,
)

STATUSES = list(TASK_STATUSES)
PRIORITY_LIST = list(PRIORITIES)
# Ten words, one in each task title: a search for one of them matches a tenth of the tasks.
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
SEARCH_WORD = "delta"
# Not a real argon2 hash: nobody logs in with a password here, sessions are made directly.
NO_PASSWORD = "!bench"
BATCH = 5_000


@dataclass
class Org:
    """One seeded organization, its owner's logged-in cookie and the ids the scenarios use."""

    id: int
    owner_id: int
    cookie: str = ""
    csrf: str = ""
    projects: list[int] = field(default_factory=list)
    big_project: int = 0  # the project the scenarios look at
    big_tasks: list[int] = field(default_factory=list)  # its task ids, in number order
    big_seed_status: list[int] = field(default_factory=list)  # index into STATUSES, per task
    small_project: int = 0
    small_tasks: list[int] = field(default_factory=list)

    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.cookie}"}


def _now() -> datetime:
    return datetime.now(UTC)


def _seed_status(i: int) -> int:
    return i % len(STATUSES)


def _chunks(rows: list[dict[str, Any]]) -> Any:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _org(conn: Any, name: str, people: int, secret_key: str) -> Org:
    now = _now()
    org_id = conn.execute(
        insert(Organization).values(name=name, project_seq=0, created_at=now)
        .returning(Organization.id)
    ).scalar_one()
    slug = hashlib.sha1(name.encode()).hexdigest()[:8]
    user_rows = [
        {"organization_id": org_id, "name": f"Person {n:02d}", "handle": f"person{n:02d}", "email": f"p{n}-{slug}@bench.test",
         "password_hash": NO_PASSWORD, "role": "owner" if n == 0 else "team_member",
         "custom_role_id": None, "is_active": True, "mail_off": [], "created_at": now}
        for n in range(people)
    ]
    conn.execute(insert(User), user_rows)
    owner_id = conn.scalar(
        select(User.id).where(User.organization_id == org_id, User.role == "owner")
    )
    token = new_token()
    conn.execute(insert(UserSession).values(
        user_id=owner_id, token_hash=token_hash(token), user_agent="wrk",
        created_at=now, last_seen_at=now + timedelta(hours=1),  # no touch during the run
    ))
    csrf_secret = new_csrf_secret()
    cookie = CookieSigner(secret_key).dumps({"s": token, "c": csrf_secret})
    return Org(id=org_id, owner_id=owner_id, cookie=cookie, csrf=mask_csrf(csrf_secret))


def _projects(conn: Any, org: Org, sizes: list[int], people: list[int]) -> list[int]:
    """Projects with `sizes[i]` tasks each; every person a member of every project."""
    now = _now()
    conn.execute(insert(Project), [
        {"organization_id": org.id, "number": n + 1, "name": f"Project {n + 1:03d} {WORDS[n % 10]}",
         "description": "A project seeded for the benchmark.", "status": "active",
         "priority": PRIORITY_LIST[n % 4], "start_date": date(2025, 1, 1), "end_date": None,
         "created_by_id": org.owner_id, "task_seq": size, "created_at": now, "updated_at": now,
         "version": 1}
        for n, size in enumerate(sizes)
    ])
    conn.execute(update(Organization).where(Organization.id == org.id)
                 .values(project_seq=len(sizes)))
    ids = list(conn.scalars(select(Project.id).where(Project.organization_id == org.id)
                            .order_by(Project.number)))
    members = [{"organization_id": org.id, "project_id": p, "user_id": u}
               for p in ids for u in people]
    for chunk in _chunks(members):
        conn.execute(insert(ProjectMember), chunk)
    today = date.today()
    rows: list[dict[str, Any]] = []
    for project_id, size in zip(ids, sizes):
        for i in range(size):
            status = STATUSES[_seed_status(i)]
            rows.append({
                "organization_id": org.id, "project_id": project_id, "number": i + 1,
                "title": f"Task {i + 1}: {WORDS[i % 10]} the {WORDS[(i // 10) % 10]} module",
                "description": "Seeded for the benchmark.", "story_id": None,
                "comment_count": i % 4,
                "priority": PRIORITY_LIST[i % 4], "story_points": (i % 8) or None,
                "due_date": today + timedelta(days=i % 30 - 10) if i % 2 else None,
                "status": status, "completed_at": now if status == "completed" else None,
                "position": i + 1, "created_by_id": org.owner_id, "created_at": now,
                "updated_at": now, "version": 1,
            })
            if len(rows) >= BATCH:
                conn.execute(insert(Task), rows)
                rows = []
    if rows:
        conn.execute(insert(Task), rows)
    _assign(conn, org, people)
    return ids


def _assign(conn: Any, org: Org, people: list[int]) -> None:
    """Two assignees on every task (the board of issue 12 shows each): people i and i + 1."""
    tasks = conn.execute(select(Task.id, Task.number).where(Task.organization_id == org.id))
    rows = [{"task_id": tid, "user_id": people[(number + k) % len(people)],
             "organization_id": org.id} for tid, number in tasks for k in (0, 1)]
    for chunk in _chunks(rows):
        conn.execute(insert(TaskAssignee), chunk)


def _tasks_of(conn: Any, project_id: int) -> list[int]:
    return list(conn.scalars(select(Task.id).where(Task.project_id == project_id)
                             .order_by(Task.number)))


def seed_main(engine: Engine, secret_key: str) -> Org:
    """The everyday organization: 100 projects, one with 200 tasks, one with 5."""
    with engine.begin() as conn:
        org = _org(conn, "Bench Co", people=6, secret_key=secret_key)
        people = list(conn.scalars(select(User.id).where(User.organization_id == org.id)))
        sizes = [200, 5] + [(n % 7) * 3 for n in range(98)]  # the rest: 0 to 18 tasks each
        org.projects = _projects(conn, org, sizes, people)
        org.big_project, org.small_project = org.projects[0], org.projects[1]
        org.big_tasks = _tasks_of(conn, org.big_project)
        org.big_seed_status = [_seed_status(i) for i in range(len(org.big_tasks))]
        org.small_tasks = _tasks_of(conn, org.small_project)
    return org


def seed_scale(engine: Engine, secret_key: str, total: int) -> Org:
    """An organization with `total` tasks in 200 projects.

    The measured project holds 20,000 tasks of 100,000 (a very large board), or 500 of
    1,000; both boards are full (100 cards a column), both lists and searches fill a page,
    so the two runs show the same amount and differ only in how much sits behind it.
    """
    measured = 20_000 if total >= 100_000 else 500
    rest = total - measured
    sizes = [measured] + [rest // 199 + (1 if n < rest % 199 else 0) for n in range(199)]
    assert sum(sizes) == total
    with engine.begin() as conn:
        org = _org(conn, f"Scale {total}", people=8, secret_key=secret_key)
        people = list(conn.scalars(select(User.id).where(User.organization_id == org.id)))
        org.projects = _projects(conn, org, sizes, people)
        org.big_project = org.projects[0]
    return org


def reset_statuses(engine: Engine, org: Org) -> None:
    """Put the rotating tasks back to their seeded status, so every status change writes."""
    now = _now()
    with engine.begin() as conn:
        for index, ids in itertools.groupby(
            sorted(zip(org.big_seed_status, org.big_tasks)), key=lambda pair: pair[0]
        ):
            status = STATUSES[index]
            conn.execute(update(Task).where(Task.id.in_([i for _, i in ids]))  # type: ignore[union-attr]
                         .values(status=status, completed_at=now if status == "completed" else None))


def status_changes(engine: Engine, org_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.organization_id == org_id, AuditEntry.action == "task.status_changed")) or 0)


def target_status(org: Org, task_index: int, round_: int) -> str:
    """The status the n-th visit of a task moves it to: always a change, a 5-round cycle."""
    return STATUSES[(org.big_seed_status[task_index] + round_ % 5 + 1) % len(STATUSES)]
