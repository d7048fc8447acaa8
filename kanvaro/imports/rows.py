"""From a mapped row to the task form's input: the mapping's fields, guessing it from the
header, and resolving people, stories, statuses, dates and labels (docs/import.md).

`Resolver.input(cells)` gives the data `inputs.parse(NewTask, ...)` reads, or the reasons the
row is refused before it reaches the action; the preview and the job use the same one, so the
preview shows the errors the import will report.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.enums import PRIORITIES, TASK_STATUSES
from kanvaro.projects.models import ProjectMember
from kanvaro.stories.queries import project_stories

FIELDS: dict[str, str] = {
    "ignore": "Ignore this column", "title": "Title", "description": "Description",
    "status": "Status", "priority": "Priority", "assignee": "Assignee", "story": "Story",
    "points": "Points", "due_date": "Due date", "labels": "Labels",
}
# Header names (lower case, spaces for `_` and `-`) -> the field each guesses.
GUESSES: dict[str, tuple[str, ...]] = {
    "title": ("title", "name", "summary", "subject", "task", "task name", "card name", "card"),
    "description": ("description", "desc", "details", "body", "notes", "text"),
    "status": ("status", "state", "list", "column", "stage"),
    "priority": ("priority", "prio", "importance", "severity"),
    "assignee": ("assignee", "assignees", "owner", "owners", "assigned to", "members", "member",
                 "responsible", "assigned"),
    "story": ("story", "user story", "epic", "parent"),
    "points": ("points", "story points", "estimate", "sp", "effort"),
    "due_date": ("due date", "due", "deadline", "due on", "due by", "due at"),
    "labels": ("labels", "label", "tags", "tag", "categories", "category"),
}
_GUESS = {name: f for f, names in GUESSES.items() for name in names}
# Words a status is often called elsewhere (Trello lists, Jira, spreadsheets).
STATUS_WORDS: dict[str, str] = {
    **{v: v for v in TASK_STATUSES}, **{label.lower(): v for v, label in TASK_STATUSES.items()},
    "todo": "todo", "to-do": "todo", "backlog": "todo", "open": "todo", "new": "todo",
    "next": "todo", "ideas": "todo", "planned": "todo",
    "doing": "in-progress", "in progress": "in-progress", "in-progress": "in-progress",
    "started": "in-progress", "wip": "in-progress", "active": "in-progress", "ongoing": "in-progress",
    "in review": "review", "code review": "review", "reviewing": "review",
    "test": "testing", "qa": "testing", "in testing": "testing", "verify": "testing",
    "done": "completed", "complete": "completed", "closed": "completed", "finished": "completed",
    "resolved": "completed", "shipped": "completed",
}
PRIORITY_WORDS = {**{v: v for v in PRIORITIES}, **{label.lower(): v for v, label in PRIORITIES.items()},
                  "urgent": "critical", "blocker": "critical", "highest": "critical",
                  "normal": "medium", "lowest": "low", "minor": "low", "major": "high"}
# The task form's fields as the report names them.
LABELS = {"title": "Title", "description": "Description", "story": "Story",
          "assignees": "Assignee", "assignee": "Assignee", "priority": "Priority",
          "story_points": "Points", "due_date": "Due date", "status": "Status"}
_SPLIT = re.compile(r"[;,]")
_DMY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")


def words(text: str) -> str:
    """A name as compared: lower case, `_` and `-` as spaces, spaces collapsed."""
    return " ".join(text.replace("_", " ").replace("-", " ").lower().split())


def guess(header: list[str]) -> dict[str, str]:
    """Column index (as text) -> field, from the header names; each field once, first wins."""
    taken: set[str] = set()
    out = {}
    for i, name in enumerate(header):
        found = _GUESS.get(words(name)) or _GUESS.get(name.strip().lower())
        if found and found not in taken:
            taken.add(found)
            out[str(i)] = found
        else:
            out[str(i)] = "ignore"
    return out


def status_of(text: str) -> str | None:
    """The task status a name stands for (a value, a label, or a usual word), or None."""
    return STATUS_WORDS.get(text.strip().lower()) or STATUS_WORDS.get(words(text))


def due_date_of(text: str) -> str:
    """An ISO date from 2026-12-31, 2026-12-31T10:00:00Z, or day first 31/12/2026 (31.12.2026);
    anything else as sent, for the form to refuse."""
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ].*", value):
        value = value[:10]
    found = _DMY.fullmatch(value)
    if found:
        day, month, year = (int(g) for g in found.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return value
    return value


def points_of(text: str) -> str:
    value = text.strip()
    if re.fullmatch(r"\d+\.0*", value):
        return value.split(".")[0]
    return value


def said(errors: dict[str, list[str]]) -> list[str]:
    """The task form's errors as the report shows them: "Status: Not a valid choice."."""
    return [f"{LABELS.get(name, name)}: {' '.join(messages)}" for name, messages in errors.items()]


def fingerprint(values: dict[str, str]) -> str:
    """SHA-256 of the row's mapped values, each trimmed and its spaces collapsed."""
    normal = {k: " ".join(v.split()) for k, v in sorted(values.items()) if k != "ignore"}
    return hashlib.sha256(json.dumps(normal, sort_keys=True).encode()).hexdigest()


@dataclass
class Resolved:
    """A row as the task form's data, or the reasons it is refused; and its fingerprint."""

    data: dict[str, Any]
    reasons: list[str]
    fingerprint: str


@dataclass
class Resolver:
    """What a project's rows are resolved against, read once per chunk of rows."""

    mapping: dict[int, str]
    people: dict[str, int]  # lower-case email, handle, @handle and unique name -> user id
    stories: dict[str, int]  # lower-case title -> story id (the first of equal titles)
    strict_people: bool = True  # a CSV's unknown person refuses the row; Trello's is noted
    names: dict[str, str] = field(default_factory=dict)  # Trello username -> full name
    key: int | None = None  # a column that tells rows apart although ignored (Trello's card id)

    @classmethod
    def load(cls, ctx: Ctx, project_id: int, mapping: dict[str, str], *, kind: str = "csv",
             names: dict[str, str] | None = None) -> Resolver:
        rows = ctx.db.execute(
            select(User.id, User.email, User.handle, User.name)
            .join(ProjectMember, ProjectMember.user_id == User.id)
            .where(ProjectMember.project_id == project_id, User.organization_id == ctx.org_id,
                   User.is_active.is_(True))  # type: ignore[attr-defined]
            .order_by(User.id))
        people: dict[str, int] = {}
        by_name: dict[str, list[int]] = {}
        for uid, email, handle, name in rows:
            people[email.lower()] = uid
            if handle:
                people.setdefault(handle.lower(), uid)
                people.setdefault("@" + handle.lower(), uid)
            by_name.setdefault(" ".join(name.lower().split()), []).append(uid)
        for name, ids in by_name.items():
            if len(ids) == 1:
                people.setdefault(name, ids[0])
        stories: dict[str, int] = {}
        for story in project_stories(ctx, project_id):
            assert story.id is not None
            stories.setdefault(" ".join(story.title.lower().split()), story.id)
        return cls({int(k): v for k, v in mapping.items() if v != "ignore"}, people, stories,
                   strict_people=kind == "csv", names=dict(names or {}),
                   key=0 if kind == "trello" else None)

    def _person(self, token: str) -> int | None:
        key = " ".join(token.lower().split())
        found = self.people.get(key)
        if found is None and key in self.names:
            found = self.people.get(" ".join(self.names[key].lower().split()))
        return found

    def input(self, cells: list[str]) -> Resolved:
        """The task form's data for one row's cells (without its line number)."""
        values = {f: cells[i] for i, f in self.mapping.items() if i < len(cells)}
        data: dict[str, Any] = {}
        reasons: list[str] = []
        notes: list[str] = []
        for name, raw in values.items():
            text = raw.strip()
            if not text:
                continue
            if name == "title":
                data["title"] = text
            elif name == "description":
                data["description"] = raw.strip()
            elif name == "status":
                data["status"] = status_of(text) or text
            elif name == "priority":
                data["priority"] = PRIORITY_WORDS.get(text.lower(), text)
            elif name == "points":
                data["story_points"] = points_of(text)
            elif name == "due_date":
                data["due_date"] = due_date_of(text)
            elif name == "story":
                story = self.stories.get(" ".join(text.lower().split()))
                if story is None:
                    reasons.append(f"No story of this project is titled “{text}”.")
                else:
                    data["story"] = story
            elif name == "assignee":
                ids, unknown = [], []
                for token in (t.strip() for t in _SPLIT.split(text)):
                    if token:
                        uid = self._person(token)
                        (unknown.append(token) if uid is None else ids.append(uid))
                if unknown and self.strict_people:
                    reasons.append("No member of this project has the email, handle or name "
                                   + ", ".join(f"“{u}”" for u in unknown) + ".")
                elif unknown:
                    notes.append("Members: " + ", ".join(self.names.get(u.lower(), u) for u in unknown))
                data["assignees"] = sorted(set(ids))
            elif name == "labels":
                labels = [t.strip() for t in _SPLIT.split(text) if t.strip()]
                if labels:
                    notes.append("Labels: " + ", ".join(labels))
        if notes:
            # Kanvaro has no labels yet: they stay readable (and searchable) in the description.
            data["description"] = "\n\n".join(x for x in (data.get("description", ""), *notes) if x)
        keyed = values if self.key is None else {**values, "key": cells[self.key]}
        return Resolved(data, reasons, fingerprint(keyed))
