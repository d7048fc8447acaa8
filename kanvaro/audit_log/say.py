"""How the audit log says things: the actor, an entity (a link while it exists and the reader
may open it, else the name the entry recorded), a value by its label, and an entry's raw
changes as details. `Say` is the vocabulary; kanvaro/audit_log/sentences.py says each action
with it. Nothing here builds markup: the template escapes every part.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kanvaro.audit_log.parts import (
    KINDS,
    Change,
    Known,
    Part,
    Parts,
    Value,
    code_label,
    is_id,
    joined,
    label,
    pair,
    permission_label,
)

Url = Callable[..., str]
# Said without their values, which the details show: long text.
UNVALUED = {"description"}


class Entry(Protocol):
    action: str
    entity_type: str
    entity_id: int | None
    changes: Any
    actor_id: int | None


class Say:
    """The sentence of one entry, from what the entry recorded and what exists now."""

    def __init__(self, entry: Entry, known: Known, url: Url) -> None:
        self.e, self.k, self.url = entry, known, url
        self.changes: Mapping[str, Any] = entry.changes if isinstance(entry.changes, Mapping) else {}

    def pair(self, key: str) -> tuple[Any, Any]:
        return pair(self.changes, key)

    def recorded(self, key: str) -> str | None:
        """The value the entry recorded for a field (after the change, else before it)."""
        for value in reversed(self.pair(key)):
            if (isinstance(value, str) or is_id(value)) and str(value).strip():
                return str(value)
        return None

    def says(self, *items: str | Part | Parts) -> Parts:
        out: Parts = []
        for item in items:
            out.extend([Part(item)] if isinstance(item, str) else [item] if isinstance(item, Part) else item)
        return out

    # -- who and what ------------------------------------------------------------------

    def member(self, user_id: Any) -> Part:
        if is_id(user_id) and user_id in self.k.users:
            return Part(self.k.users[user_id], self.url("team") + f"#member-{user_id}")
        return Part("Someone" if user_id is None else f"user #{user_id} (deleted)")

    def actor(self) -> Part:
        return self.member(self.e.actor_id)

    def members(self, user_ids: list[Any]) -> Parts:
        return joined([[self.member(u)] for u in user_ids])

    def _href(self, kind: str, entity_id: int) -> str:
        if kind == "role":
            return self.url("team") + f"#role-{entity_id}"
        return self.url(kind, **{f"{kind}_id": entity_id})

    def _recorded_name(self, kind: str) -> str | None:
        name = self.recorded("name" if kind in ("project", "role") else "title")
        number = self.recorded("number") if kind in ("task", "project") else None
        return f"{number} {name}" if name and number else name

    def ref(self, kind: str, entity_id: Any = "self", *, deleting: bool = False) -> Part:
        """The entity named: a link while it exists and the reader may open it; once deleted,
        the name the log recorded (the deletion entry itself says so without "(deleted)")."""
        own = entity_id == "self"
        if own:
            entity_id = self.e.entity_id
        recorded = self._recorded_name(kind) if own else None
        found = getattr(self.k, KINDS[kind][0]).get(entity_id) if is_id(entity_id) else None
        fallback = f"#{entity_id}" if kind == "role" else f"{kind} #{entity_id}"
        if found is not None and not deleting:
            if found.visible:
                return Part(found.name, self._href(kind, entity_id))
            return Part(recorded or fallback)  # in a project the reader may not see: no more
        gone = self.k.gone.get((kind, entity_id)) if is_id(entity_id) else None
        name = recorded or gone or fallback
        return Part(name if deleting else f"{name} (deleted)")

    def entity(self, kind: str, entity_id: Any = "self", *, deleting: bool = False) -> Parts:
        return [Part(KINDS[kind][1]), self.ref(kind, entity_id, deleting=deleting)]

    # -- values ------------------------------------------------------------------------

    def value(self, key: str, raw: Any) -> Part:
        """A value inside a sentence: a label, a linked person or story."""
        if raw is None or raw == "":
            return Part("none")
        if key == "assignee_id":
            return self.member(raw)
        if key == "story_id":
            return self.ref("story", raw)
        return Part(self.detail(key, raw).text)

    def detail(self, key: str, raw: Any) -> Value:
        """A value in the details, by its label where it has one, with the code beside."""
        if isinstance(raw, bool):
            return Value("Yes" if raw else "No")
        if isinstance(raw, list):
            if key in ("members", "assignees"):
                return Value(", ".join(self.member(u).text for u in raw) or "none")
            if key == "permissions":
                return Value(", ".join(permission_label(p) for p in raw) or "none",
                             ",".join(str(p) for p in raw) or None)
            return Value(", ".join(str(v) for v in raw) or "none")
        if isinstance(raw, dict):
            return Value(json.dumps(raw, ensure_ascii=False))
        if key in ("assignee_id", "user_id"):
            text = self.member(raw).text
        elif key == "story_id":
            text = self.ref("story", raw).text
        else:
            text = code_label(self.e.entity_type, key, raw) or str(raw)
        return Value(text, None if text == str(raw) else str(raw))

    def details(self) -> tuple[Change, ...]:
        out = []
        for key, raw in self.changes.items():
            before, after = raw if isinstance(raw, (list, tuple)) and len(raw) == 2 else (None, raw)
            out.append(Change(label(key), None if before is None else self.detail(key, before),
                              None if after is None else self.detail(key, after)))
        return tuple(out)

    # -- the shapes of sentence --------------------------------------------------------

    def moved(self, ref: Parts) -> Parts:
        before, after = self.pair("status")
        verb = " moved " if self.e.entity_type == "task" else " changed the status of "
        return self.says(self.actor(), verb, ref, " from ", self.value("status", before),
                         " to ", self.value("status", after))

    def listed(self, key: str, ref: Parts) -> Parts:
        """A change to a list: the members of a project, the permissions of a role."""
        before, after = self.pair(key)
        was, now = list(before or []), list(after or [])
        added, removed = [v for v in now if v not in was], [v for v in was if v not in now]
        said = self.members if key == "members" else (
            lambda values: joined([[Part(permission_label(v))] for v in values]))
        if key == "members" and added and not removed:
            return self.says(self.actor(), " added ", said(added), " to ", ref)
        if key == "members" and removed and not added:
            return self.says(self.actor(), " removed ", said(removed), " from ", ref)
        out = self.says(self.actor(), f" changed the {key} of ", ref)
        clauses = [(word, values) for word, values in (("added ", added), ("removed ", removed)) if values]
        for i, (word, values) in enumerate(clauses):
            out += self.says("; " if i else ": ", word, said(values))
        return out

    def assigned(self, ref: Parts) -> Parts:
        """A change of a task's assignees (SPEC §8: several): who was added, who taken off."""
        before, after = self.pair("assignees")
        was, now = list(before or []), list(after or [])
        added, removed = [u for u in now if u not in was], [u for u in was if u not in now]
        if added and not removed:
            return self.says(self.actor(), " assigned ", ref, " to ", self.members(added))
        if removed and not added:
            return self.says(self.actor(), " unassigned ", self.members(removed), " from ", ref)
        if not added:
            return self.says(self.actor(), " changed the assignees of ", ref)
        return self.says(self.actor(), " reassigned ", ref, " from ", self.members(removed),
                         " to ", self.members(added))

    def edited(self, ref: Parts) -> Parts:
        keys = list(self.changes)
        if len(keys) != 1:
            words = joined([[Part(label(k).lower())] for k in keys])
            return self.says(self.actor(), " edited ", ref, *([": ", words] if words else []))
        key = keys[0]
        before, after = self.pair(key)
        if key == "status":
            return self.moved(ref)
        if key in ("members", "permissions"):
            return self.listed(key, ref)
        if key == "assignees":
            return self.assigned(ref)
        if key in ("title", "name") and before:
            return self.says(self.actor(), " renamed ", ref, f" (was “{before}”)")
        if key == "assignee_id":
            if before is None:
                return self.says(self.actor(), " assigned ", ref, " to ", self.member(after))
            if after is None:
                return self.says(self.actor(), " unassigned ", self.member(before), " from ", ref)
            return self.says(self.actor(), " reassigned ", ref, " from ", self.member(before),
                             " to ", self.member(after))
        what = f" the {label(key).lower()} of "
        if key in UNVALUED:
            return self.says(self.actor(), " changed", what, ref)
        if before in (None, ""):
            return self.says(self.actor(), " set", what, ref, " to ", self.value(key, after))
        if after in (None, ""):
            return self.says(self.actor(), " cleared", what, ref)
        return self.says(self.actor(), " changed", what, ref, " from ", self.value(key, before),
                         " to ", self.value(key, after))
