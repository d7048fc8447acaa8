"""After a soak run: every acknowledged write is stored with its audit entry, nothing is half-written."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from soak_client import Result
from sqlalchemy import func, select

from kanvaro.db import make_engine
from kanvaro.models import (
    AuditEntry,
    EmailOutbox,
    Invitation,
    OrgRevision,
    Project,
    Task,
)


@dataclass
class Check:
    acked: int = 0  # writes the clients saw succeed
    found: int = 0  # of those, stored as the client asked
    audit_found: int = 0  # of those, with exactly one audit entry of the request
    unacked_committed: int = 0  # writes that failed for the client but did commit, whole
    audit_total: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)
        elif len(self.problems) == 20:
            self.problems.append("… more")


def check(url: str, org_id: int, results: list[Result]) -> Check:
    engine = make_engine(url)
    out = Check()
    try:
        with engine.connect() as db:
            tasks = {t.id: t for t in db.execute(select(Task.id, Task.project_id, Task.number,
                                                        Task.title, Task.status, Task.version))}
            entries = db.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.entity_id,
                                        AuditEntry.request_id, AuditEntry.changes)
                                 .order_by(AuditEntry.id)).all()
            projects = db.execute(select(Project.id, Project.task_seq)).all()
            revision = db.scalar(select(func.coalesce(func.sum(OrgRevision.value), 0))
                                 .where(OrgRevision.organization_id == org_id))
            attempts = db.scalar(select(func.coalesce(func.sum(EmailOutbox.attempts), 0)))
            invitations = {e: i for i, e in db.execute(select(Invitation.id, Invitation.email))}
            outbox = Counter(db.scalars(select(EmailOutbox.to)))
    finally:
        engine.dispose()
    out.audit_total = len(entries)
    by_rid: dict[str, list[tuple[int, str, int | None, dict]]] = defaultdict(list)
    for entry_id, action, entity_id, rid, changes in entries:
        by_rid[rid].append((entry_id, action, entity_id, changes))
    by_title: dict[str, list[int]] = defaultdict(list)
    for t in tasks.values():
        by_title[t.title].append(t.id)

    # 1. Every acknowledged write is there, with exactly one audit entry of its request.
    for r in results:
        if r.kind not in {"status", "create", "invite"}:
            continue
        mine = by_rid.get(r.request_id, []) if r.request_id else []
        if not r.acked:
            out.unacked_committed += bool(mine)
            continue
        out.acked += 1
        if r.kind == "create":
            ids = by_title.get(r.write["title"], [])
            stored = len(ids) == 1
            audit_ok = stored and [(a, e) for _, a, e, _ in mine] == [("task.created", ids[0])]
        elif r.kind == "status":
            stored = r.write["task_id"] in tasks
            audit_ok = [(a, e, c.get("status", [None, None])[1]) for _, a, e, c in mine] == [
                ("task.status_changed", r.write["task_id"], r.write["status"])]
        else:
            inv = invitations.get(r.write["email"])
            stored = inv is not None and outbox[r.write["email"]] == 1
            audit_ok = stored and [(a, e) for _, a, e, _ in mine] == [("invitation.created", inv)]
        out.found += stored
        out.audit_found += audit_ok
        if not (stored and audit_ok):
            out.problem(f"acknowledged {r.kind} {r.write} (request {r.request_id}): "
                        f"stored={stored}, audit entries={[(a, e) for _, a, e, _ in mine]}")

    # 2. Nothing half-written, acknowledged or not.
    created = Counter(e for _, a, e, _, _ in entries if a == "task.created")
    for task_id in tasks:
        if created[task_id] != 1:
            out.problem(f"task {task_id} has {created[task_id]} task.created entries")
    for task_id in created:
        if task_id not in tasks:
            out.problem(f"task.created entry for task {task_id}, which does not exist")
    changes: dict[int, list[str]] = defaultdict(list)
    for _, action, entity_id, _, ch in entries:
        if action == "task.status_changed":
            changes[entity_id].append(ch["status"][1])
    for t in tasks.values():
        last = changes[t.id][-1] if changes[t.id] else "todo"
        if t.status != last or t.version != 1 + len(changes[t.id]):
            out.problem(f"task {t.id}: status {t.status} v{t.version}, but its audit log says "
                        f"{last} after {len(changes[t.id])} change(s)")
    for project_id, seq in projects:
        numbers = sorted(t.number for t in tasks.values() if t.project_id == project_id)
        if numbers != list(range(1, seq + 1)):
            out.problem(f"project {project_id}: task_seq {seq}, but {len(numbers)} task numbers")
    invited = Counter(e for _, a, e, _, _ in entries if a == "invitation.created")
    for email, inv_id in invitations.items():
        if invited[inv_id] != 1 or outbox[email] != 1:
            out.problem(f"invitation {inv_id} to {email}: {invited[inv_id]} entries, "
                        f"{outbox[email]} mails")
    writes_per_request = Counter(rid for _, _, _, rid, _ in entries if rid != "seed")
    for rid, count in writes_per_request.items():
        if count != 1:
            out.problem(f"request {rid} wrote {count} audit entries (applied twice?)")
    # The revision moves with every audit entry and every mail delivery attempt.
    if revision != len(entries) + attempts:
        out.problem(f"organization revision {revision} != {len(entries)} audit entries "
                    f"+ {attempts} mail attempts")
    return out
