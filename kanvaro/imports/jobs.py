"""The import job: queued imports claimed with a lease and worked through in chunks.

Each chunk is one transaction acting as the person who started the import, with their
permissions as the database holds them now (`Starter`); each row is a SAVEPOINT around
`tasks.actions.create_task`, so a refused row rolls back alone and the others go on. The job's
counts move with each chunk's commit, which is what the page's progress bar shows; a worker
that dies leaves the job to the next once its lease runs out, and it resumes after the last
committed chunk (the fingerprints would keep a row from being imported twice anyway).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kanvaro import uow
from kanvaro.accounts.models import User
from kanvaro.audit import bump_revision
from kanvaro.context import Ctx
from kanvaro.db import run_in_transaction
from kanvaro.errors import Forbidden, Invalid, NotFound
from kanvaro.imports.actions import REFUSED_KEPT, finish_import
from kanvaro.imports.models import ImportFingerprint, ImportJob
from kanvaro.imports.queries import get_import
from kanvaro.imports.rows import Resolved, Resolver, said
from kanvaro.inputs import parse
from kanvaro.notifications.handlers import QUIET
from kanvaro.permissions import Actor, permission_name
from kanvaro.records import OrgRevision
from kanvaro.settings import Settings
from kanvaro.tasks.actions import create_task
from kanvaro.tasks.batch import BATCH as TASKS_BATCH
from kanvaro.tasks.forms import NewTask
from kanvaro.team.models import CustomRole

log = logging.getLogger("kanvaro.imports")

CHUNK_ROWS = 200
BATCH = 25
CHUNK_SECONDS = 1.0  # a chunk holds SQLite's one write lock: never for long
LEASE = timedelta(minutes=2)
POLL_SECONDS = 1.0
GONE = "The person who started it can no longer add tasks to this project."


@dataclass(frozen=True)
class Starter:
    """The person who started an import, read afresh in each chunk's transaction: a job
    acts with their permissions as they are now, and not at all once deactivated."""

    user_id: int
    csrf: bool = False

    def actor(self, db: Session, now: datetime) -> tuple[Actor | None, int]:
        # The revision too, as every authenticator reads it: handlers rely on it (webhooks).
        revision = (select(func.coalesce(func.sum(OrgRevision.value), 0))
                    .where(OrgRevision.organization_id == User.organization_id).scalar_subquery())
        row = db.execute(
            select(User.id, User.organization_id, User.name, User.email, User.role,
                   CustomRole.permissions, User.handle, revision)
            .outerjoin(CustomRole, CustomRole.id == User.custom_role_id)
            .where(User.id == self.user_id, User.is_active.is_(True))  # type: ignore[attr-defined]
        ).first()
        if row is None:
            return None, 0
        uid, org_id, name, email, role, custom, handle, revision = row
        return Actor.build(id=uid, organization_id=org_id, name=name, email=email, role=role,
                           custom_permissions=custom or (), handle=handle or ""), int(revision or 0)


@dataclass(frozen=True)
class Runtime:
    engine: Engine
    settings: Settings


def _due(now: datetime) -> Any:
    return or_(ImportJob.status == "queued",
               and_(ImportJob.status == "running", ImportJob.claimed_until < now))  # type: ignore[operator]


def claim(engine: Engine, now: datetime) -> tuple[int, int | None] | None:
    """(job id, its starter) of one due job, now leased to this worker; None if none is due."""

    def work(db: Session) -> tuple[int, int | None] | None:
        for job_id in db.scalars(select(ImportJob.id).where(_due(now)).order_by(ImportJob.id).limit(5)):
            row = db.execute(update(ImportJob).where(ImportJob.id == job_id, _due(now))
                             .values(status="running", claimed_until=now + LEASE)
                             .returning(ImportJob.id, ImportJob.created_by_id)).first()
            if row is not None:
                return int(row[0]), row[1]
        return None

    return run_in_transaction(engine, work, write=True)


def _reason(exc: Exception) -> str:
    if isinstance(exc, Invalid):
        return " ".join(said(exc.errors))
    if isinstance(exc, Forbidden):
        return f"Not allowed: {permission_name(str(exc))}."
    return "Already imported."


def _row(ctx: Ctx, job: ImportJob, found: Resolved, known: set[str]) -> str | None:
    """Import one row: None when a task was made, "dup" when imported before, else the reason."""
    if found.reasons:  # and what the form would say besides, as the preview shows
        return " ".join([*found.reasons, *said(parse(NewTask, found.data).errors)])
    if found.fingerprint in known:
        return "dup"
    emitted = len(ctx.events)
    try:
        with ctx.db.begin_nested():
            task = create_task(ctx, job.project_id, parse(NewTask, found.data))
            ctx.db.execute(_REMEMBER, {"organization_id": job.organization_id,
                                       "project_id": job.project_id,
                                       "fingerprint": found.fingerprint, "task_id": task.id})
    except (Invalid, Forbidden, IntegrityError) as exc:
        del ctx.events[emitted:]  # rolled back with the savepoint
        return "dup" if isinstance(exc, IntegrityError) else _reason(exc)
    known.add(found.fingerprint)
    return None


_REMEMBER = insert(ImportFingerprint.__table__)  # type: ignore[attr-defined]


def chunk(ctx: Ctx, job_id: int, parsed: dict[str, Any], rows: int = CHUNK_ROWS) -> bool:
    """Work through the next rows of the job (`parsed`: its file, read once per claim, as
    it never changes); True once it is finished."""
    job = get_import(ctx, job_id, for_update=True, rows=False)
    if not ctx.user.can("task:create"):
        finish_import(ctx, job_id, error=GONE)
        return True
    start = job.done - len(parsed.get("broken", []))
    todo = parsed["rows"][start:start + rows]
    resolver = Resolver.load(ctx, job.project_id, job.mapping, kind=job.kind,
                             names=parsed.get("names"))
    refused = list(job.refused)
    ctx.memo[TASKS_BATCH] = True  # one view of the project for the whole chunk
    ctx.memo[QUIET] = True  # 10,000 rows are not 10,000 notifications (docs/import.md)
    counts = {"done": job.done, "created": job.created, "duplicates": job.duplicates,
              "refused_count": job.refused_count}
    began = time.monotonic()
    # Resolved a batch at a time: a chunk cut short by the clock resolves little it skips.
    for at in range(0, len(todo), BATCH):
        resolved = [(r[0], resolver.input([str(c) for c in r[1:]])) for r in todo[at:at + BATCH]]
        known = set(ctx.db.scalars(select(ImportFingerprint.fingerprint).where(
            ImportFingerprint.project_id == job.project_id,
            ImportFingerprint.fingerprint.in_([f.fingerprint for _, f in resolved]))))  # type: ignore[attr-defined]
        for line, found in resolved:
            outcome = _row(ctx, job, found, known)
            counts["done"] += 1
            if outcome is None:
                counts["created"] += 1
            elif outcome == "dup":
                counts["duplicates"] += 1
            else:
                counts["refused_count"] += 1
                if len(refused) < REFUSED_KEPT:
                    refused.append({"row": line, "reason": outcome})
        if time.monotonic() - began > CHUNK_SECONDS:
            break
    for name, value in counts.items():
        setattr(job, name, value)
    job.refused, job.claimed_until = refused, ctx.now + LEASE
    ctx.db.flush()
    bump_revision(ctx.db.connection(), job.organization_id, job.id)  # the progress page's ETag
    if job.done >= job.total:
        finish_import(ctx, job_id)
        return True
    return False


def _stop(engine: Engine, job_id: int, error: str, now: datetime) -> None:
    """End a job nobody can act for any more (its starter deactivated, its project gone)."""

    def work(db: Session) -> None:
        org = db.execute(update(ImportJob).where(ImportJob.id == job_id).values(
            status="failed", error=error, claimed_until=None, finished_at=now)
            .returning(ImportJob.organization_id)).scalar()
        if org is not None:
            bump_revision(db.connection(), org, job_id)

    run_in_transaction(engine, work, write=True)


def work_through(settings: Settings, engine: Engine, job_id: int, user_id: int | None,
                 rows: int = CHUNK_ROWS) -> None:
    """The claimed job, chunk after chunk, to its end."""
    runtime = Runtime(engine, settings)
    parsed = run_in_transaction(engine, lambda db: db.scalar(
        select(ImportJob.rows).where(ImportJob.id == job_id)), write=False) or {"rows": []}
    caller = uow.Caller(Starter(user_id or 0), request_id=f"import-{job_id}")
    while True:
        try:
            if uow.run(runtime, caller, lambda ctx: chunk(ctx, job_id, parsed, rows)):
                return
        except NotFound:  # no actor any more, or the project out of their sight
            _stop(engine, job_id, GONE, datetime.now(UTC))
            return


def run_once(settings: Settings, engine: Engine, now: datetime | None = None) -> int:
    """Claim each due job in turn and work it through; returns how many were finished."""
    finished = 0
    while (claimed := claim(engine, now or datetime.now(UTC))) is not None:
        job_id, user_id = claimed
        try:
            work_through(settings, engine, job_id, user_id)
        except Exception:
            log.exception("import %s failed", job_id)
            _stop(engine, job_id, "The import stopped on an error; the rows so far are kept.",
                  datetime.now(UTC))
        finished += 1
    return finished


async def run_loop(settings: Settings, engine: Engine) -> None:
    """The background loop (kanvaro.background.LOOPS)."""
    while True:
        try:
            await asyncio.to_thread(run_once, settings, engine)
        except Exception:
            log.exception("import loop")
        await asyncio.sleep(POLL_SECONDS)
