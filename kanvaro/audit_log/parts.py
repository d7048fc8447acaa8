"""What the audit log's sentences are made of: plain values for the template to escape, and
the labels that stand for stored codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kanvaro.accounts.forms import THEMES
from kanvaro.enums import PRIORITIES, PROJECT_STATUSES, STORY_STATUSES, TASK_STATUSES
from kanvaro.permissions import BY_CODE, ROLES


@dataclass(frozen=True)
class Part:
    """A piece of a sentence, and the page of what it names while that exists."""

    text: str
    href: str | None = None


Parts = list[Part]


@dataclass(frozen=True)
class Value:
    """A value in the details: its label, and the stored code when the label differs."""

    text: str
    code: str | None = None


@dataclass(frozen=True)
class Change:
    label: str
    before: Value | None
    after: Value | None


@dataclass(frozen=True)
class Line:
    """One entry as the page shows it."""

    actor_name: str | None
    parts: tuple[Part, ...]
    changes: tuple[Change, ...]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts)


@dataclass(frozen=True)
class Found:
    """An entity as it is now: its name, and whether the reader may open its page."""

    name: str
    visible: bool = True


@dataclass(frozen=True)
class Known:
    """What a page's entries name, as it is now (one query per kind of entity, queries.py)."""

    users: Mapping[int, str] = field(default_factory=dict)
    tasks: Mapping[int, Found] = field(default_factory=dict)
    projects: Mapping[int, Found] = field(default_factory=dict)
    stories: Mapping[int, Found] = field(default_factory=dict)
    roles: Mapping[int, Found] = field(default_factory=dict)
    invitations: Mapping[int, str] = field(default_factory=dict)  # id -> email
    gone: Mapping[tuple[str, int], str] = field(default_factory=dict)  # as its deletion recorded


STATUSES: dict[str, dict[str, str]] = {
    "task": TASK_STATUSES, "project": PROJECT_STATUSES, "story": STORY_STATUSES,
    "invitation": {"pending": "Pending", "revoked": "Revoked"},
}
# Field -> the labels of its stored codes (status depends on the kind of entity: STATUSES).
CODES: dict[str, Mapping[str, str]] = {"priority": PRIORITIES, "role": ROLES, "theme": THEMES}
FIELD_LABELS: dict[str, str] = {
    "story_id": "Story", "assignee_id": "Assignee", "user_id": "Person", "story_points": "Story points",
    "due_date": "Due date", "start_date": "Start date", "end_date": "End date",
    "custom_role": "Custom role", "is_active": "Active", "position": "Rank",
    "other_sessions_ended": "Other sessions ended", "sessions_ended": "Sessions ended",
}
# Kinds of entity with a page: (their table in Known, how a sentence introduces one).
KINDS: dict[str, tuple[str, str]] = {
    "task": ("tasks", ""), "project": ("projects", "project "), "story": ("stories", "story "),
    "role": ("roles", "the custom role "),
}


def label(key: str) -> str:
    return FIELD_LABELS.get(key) or key.replace("_", " ").capitalize()


def code_label(kind: str, key: str, raw: Any) -> str | None:
    """The label of a stored code (a status of this kind of entity, a role...), if it has one."""
    labels = STATUSES.get(kind, {}) if key == "status" else CODES.get(key, {})
    return labels.get(str(raw))


def permission_label(code: Any) -> str:
    row = BY_CODE.get(str(code))
    return row.name if row else str(code)


def pair(changes: Mapping[str, Any], key: str) -> tuple[Any, Any]:
    """(before, after) of a field as the entry recorded it; (None, None) when it did not."""
    value = changes.get(key)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return value[0], value[1]
    return None, None


def is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def joined(items: list[Parts]) -> Parts:
    """a; a and b; a, b and c."""
    out: Parts = []
    for i, item in enumerate(items):
        if i:
            out.append(Part(" and " if i == len(items) - 1 else ", "))
        out.extend(item)
    return out
