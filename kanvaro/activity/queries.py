"""A task's timeline and a project's activity, said in the audit log's own words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import select

from kanvaro.accounts.models import User
from kanvaro.audit_log.parts import Known, Line, Part, is_id, pair
from kanvaro.audit_log.queries import known
from kanvaro.audit_log.say import UNVALUED, Url
from kanvaro.audit_log.sentences import describe
from kanvaro.comments.forms import CommentForm, comment_form
from kanvaro.comments.queries import Shown, task_comments
from kanvaro.context import Ctx
from kanvaro.projects.models import Project
from kanvaro.projects.queries import get_project
from kanvaro.records import AuditEntry
from kanvaro.tasks.models import Task

PAGE_SIZE = 50
# Not on a task's timeline: a comment's own rows (the comment itself is shown; a deleted
# one is said), a rank on the board, and who watches (personal, not the task's story).
HIDDEN_ON_TIMELINE = ("comment.created", "comment.updated", "task.moved", "task.watched",
                      "task.unwatched")
# Fields whose changes name people (their names are read with the rest).
PEOPLE_FIELDS = ("assignee_id", "assignees", "members", "user_id")


def _naive(value: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware: one order for both."""
    return value.replace(tzinfo=None)


def user_names(ctx: Ctx, ids: Iterable[Any]) -> dict[int, str]:
    """Names of the organization's people among `ids`, in one query."""
    wanted = {i for i in ids if is_id(i)}
    if not wanted:
        return {}
    return {uid: name for uid, name in ctx.db.execute(
        select(User.id, User.name).where(User.organization_id == ctx.org_id,
                                         User.id.in_(wanted)))}  # type: ignore[union-attr]


def people_in(entries: Iterable[AuditEntry]) -> set[Any]:
    """Everyone the entries name: their actors and the people their changes name."""
    ids: set[Any] = set()
    for e in entries:
        ids.add(e.actor_id)
        changes = e.changes if isinstance(e.changes, dict) else {}
        for key in PEOPLE_FIELDS:
            for value in pair(changes, key):
                ids.update(value if isinstance(value, list) else [value])
        if e.entity_type == "user":
            ids.add(e.entity_id)
    return ids


@dataclass(frozen=True)
class Said:
    """An audit entry on a timeline; `line(url)` says it (templates hold the `url`)."""

    kind: ClassVar[str] = "entry"
    entry: AuditEntry
    known: Known
    # The page it is shown on: a link to it is said as plain text.
    here: tuple[str, int] | None = None

    @property
    def at(self) -> datetime:
        return self.entry.created_at

    def line(self, url: Url) -> Line:
        said = describe(self.entry, self.known, url)
        own = url(self.here[0], **{f"{self.here[0]}_id": self.here[1]}) if self.here else None
        parts = tuple(Part(p.text) if own and p.href == own else p for p in said.parts)
        if self.entry.action in ("comment.created", "comment.updated") and self.entry.task_id:
            task = url("task", task_id=self.entry.task_id)  # to the comment, not the page's top
            parts = tuple(Part(p.text, f"{task}#comment-{self.entry.entity_id}")
                          if p.href == task else p for p in parts)
        keys = list(self.entry.changes) if isinstance(self.entry.changes, dict) else []
        # A single change is in the sentence; several are listed (long text only named).
        shown = tuple(c for k, c in zip(keys, said.changes) if k not in UNVALUED) \
            if self.entry.action.endswith(".updated") and len(keys) > 1 else ()
        return Line(said.actor_name, parts, shown)


@dataclass(frozen=True)
class Timeline:
    """A task's comments and audit entries, oldest first, and the form to add a comment
    (None for those who may not)."""

    items: list[Any]
    form: CommentForm | None


def _ordered(item: Any) -> tuple[datetime, int, int]:
    if item.kind == "entry":
        return _naive(item.entry.created_at), 0, item.entry.id
    return _naive(item.created_at), 1, item.id


def task_timeline(ctx: Ctx, task: Task, form: CommentForm | None = None) -> Timeline:
    """The task's comments and audit entries, oldest first (task from a scoped loader), in
    a fixed number of queries whatever the length of the thread."""
    actor = ctx.user
    comments = task_comments(ctx, task)
    entries = list(ctx.db.scalars(
        select(AuditEntry).where(AuditEntry.organization_id == ctx.org_id,
                                 AuditEntry.task_id == task.id,
                                 AuditEntry.action.not_in(HIDDEN_ON_TIMELINE))  # type: ignore[attr-defined]
        .order_by(AuditEntry.id)))  # type: ignore[arg-type]
    names = user_names(ctx, people_in(entries) | {c.author_id for c in comments})
    found = known(ctx, entries, names)
    here = ("task", task.id) if task.id is not None else None
    items: list[Any] = [Said(e, found, here) for e in entries]
    items += [Shown.of(actor, c, names.get(c.author_id)) for c in comments]
    if form is None and actor.can("comment:create"):
        form = comment_form()
    return Timeline(sorted(items, key=_ordered), form)


@dataclass(frozen=True)
class ActivityPage:
    project: Project
    items: list[Said]
    page: int
    has_next: bool


def page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100_000))
    except ValueError:
        return 1


def project_activity(ctx: Ctx, project_id: int, params: Any) -> ActivityPage:
    """A page of the project's audit entries, newest first, for whoever may see the project."""
    project = get_project(ctx, project_id)
    page = page_number(params.get("page"))
    # One row more than a page tells whether there is a next page, without counting.
    rows = list(ctx.db.scalars(
        select(AuditEntry).where(AuditEntry.organization_id == ctx.org_id,
                                 AuditEntry.project_id == project.id)
        .order_by(AuditEntry.id.desc())  # type: ignore[union-attr]
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    entries = rows[:PAGE_SIZE]
    found = known(ctx, entries, user_names(ctx, people_in(entries)))
    return ActivityPage(project, [Said(e, found) for e in entries], page, len(rows) > PAGE_SIZE)
