"""The audit log in sentences: "Ann moved 3.14 Fix login from Review to Testing".

`describe(entry, known, url)` turns one audit entry into parts of plain text, the parts naming
an entity carrying the link to its page while it exists and the reader may open it, and its
raw changes by label. Nothing here builds markup: the template escapes every part.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kanvaro.audit_log.parts import (
    KINDS,
    Change,
    Known,
    Line,
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
THEME_WORDS = {"light": "the light theme", "dark": "the dark theme", "system": "the device's theme"}


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
            if key == "members":
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

    def sentence(self) -> Parts:
        say = SENTENCES.get(self.e.action)
        if say is not None:
            return say(self)
        # An action without a sentence yet: "Ann archived task 3.14 Fix login"
        verb, kind = self.e.action.rpartition(".")[2].replace("_", " "), self.e.entity_type
        if kind in KINDS:
            return self.says(self.actor(), f" {verb} ", self.entity(kind))
        return self.says(self.actor(), f" {verb} {kind} #{self.e.entity_id}")


# -- one sentence per audit action (kanvaro.audit.ACTIONS) -------------------------------

def _created(kind: str) -> Callable[[Say], Parts]:
    def say(s: Say) -> Parts:
        status = s.pair("status")[1] if kind == "task" else None
        return s.says(s.actor(), " created task " if kind == "task" else " created ", s.entity(kind),
                      *([" in ", s.value("status", status)] if status else []))
    return say


def _deleted(kind: str) -> Callable[[Say], Parts]:
    return lambda s: s.says(s.actor(), " deleted task " if kind == "task" else " deleted ",
                            s.entity(kind, deleting=True))


def _edited(kind: str) -> Callable[[Say], Parts]:
    return lambda s: s.edited(s.entity(kind))


def _user(*words: str) -> Callable[[Say], Parts]:
    """"Ann logged in", "Ann deactivated Jo": the actor, then the person the entry is about."""
    if len(words) == 1:
        return lambda s: s.says(s.member(s.e.entity_id), words[0])
    return lambda s: s.says(words[0], s.member(s.e.entity_id), words[1])


def _ranked(s: Say) -> Parts:
    before, after = s.pair("position")
    if is_id(before) and is_id(after) and before != after:
        return s.says(s.actor(), " ranked ", s.entity("task"), " higher" if after < before else " lower")
    return s.says(s.actor(), " reordered ", s.entity("task"))


def _role_changed(s: Say) -> Parts:
    who = s.member(s.e.entity_id)
    (role_was, role), (custom_was, custom) = s.pair("role"), s.pair("custom_role")
    if role_was or role:
        said = s.says(s.actor(), " changed the role of ", who, " from ", s.value("role", role_was),
                      " to ", s.value("role", role))
        if custom_was or custom:
            said += s.says(f", and the custom role from {custom_was or 'none'} to {custom or 'none'}")
        return said
    if custom_was and custom:
        return s.says(s.actor(), " changed the custom role of ", who, f" from {custom_was} to {custom}")
    if custom:
        return s.says(s.actor(), " gave ", who, f" the custom role {custom}")
    return s.says(s.actor(), f" took the custom role {custom_was or ''} from ", who)


def _invited(s: Say) -> Parts:
    custom = s.recorded("custom_role")
    return s.says(s.actor(), " invited ", s.recorded("email") or "someone", " as ",
                  s.value("role", s.pair("role")[1]), f" with the custom role {custom}" if custom else "")


def _revoked(s: Say) -> Parts:
    entity_id = s.e.entity_id
    email = s.k.invitations.get(entity_id) if is_id(entity_id) else None
    if email is None:
        return s.says(s.actor(), f" revoked invitation #{entity_id}")
    return s.says(s.actor(), " revoked the invitation for ", email)


def _accepted(s: Say) -> Parts:
    return s.says(s.member(s.pair("user_id")[1] or s.e.actor_id), " accepted the invitation and joined as ",
                  s.value("role", s.pair("role")[1]))


def _sessions(key: str, did: str) -> Callable[[Say], Parts]:
    def say(s: Say) -> Parts:
        ended = s.pair(key)[1]
        if not is_id(ended) or ended <= 0:
            return s.says(s.actor(), did)
        return s.says(s.actor(), did, f" ({ended} other session{'' if ended == 1 else 's'} ended)")
    return say


def _theme(s: Say) -> Parts:
    theme = s.pair("theme")[1]
    return s.says(s.actor(), " switched to ", THEME_WORDS.get(str(theme), f"the theme {theme}"))


SENTENCES: dict[str, Callable[[Say], Parts]] = {
    "organization.created": lambda s: s.says(s.actor(), " created the organization ",
                                             s.recorded("name") or f"#{s.e.entity_id}"),
    "user.logged_in": _user(" logged in"),
    "user.login_failed": _user("A login as ", " failed"),
    "user.logged_out": _user(" logged out"),
    "user.password_changed": _sessions("other_sessions_ended", " changed their password"),
    "user.sessions_ended": _sessions("sessions_ended", " logged out everywhere else"),
    "user.theme_changed": _theme,
    "user.role_changed": _role_changed,
    "user.deactivated": lambda s: s.says(s.actor(), " deactivated ", s.member(s.e.entity_id)),
    "project.created": _created("project"),
    "project.updated": _edited("project"),
    "project.deleted": _deleted("project"),
    "story.created": _created("story"),
    "story.updated": _edited("story"),
    "story.deleted": _deleted("story"),
    "task.created": _created("task"),
    "task.updated": _edited("task"),
    "task.status_changed": lambda s: s.moved(s.entity("task")),
    "task.moved": _ranked,
    "task.deleted": _deleted("task"),
    "invitation.created": _invited,
    "invitation.revoked": _revoked,
    "invitation.accepted": _accepted,
    "role.created": _created("role"),
    "role.updated": _edited("role"),
    "role.deleted": _deleted("role"),
}


def describe(entry: Entry, known: Known, url: Url) -> Line:
    """The entry as a sentence with its links, and its changes by label."""
    say = Say(entry, known, url)
    actor = known.users.get(entry.actor_id) if entry.actor_id is not None else None
    return Line(actor, tuple(p for p in say.sentence() if p.text), say.details())
