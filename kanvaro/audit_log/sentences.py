"""The audit log in sentences: "Ann moved 3.14 Fix login from Review to Testing".

`describe(entry, known, url)` turns one audit entry into parts of plain text, the parts naming
an entity carrying the link to its page while it exists and the reader may open it, and its
raw changes by label. Nothing here builds markup: the template escapes every part.
"""

from __future__ import annotations

from collections.abc import Callable

from kanvaro.audit_log.parts import KINDS, Line, Parts, is_id
from kanvaro.audit_log.say import Entry, Known, Say, Url

THEME_WORDS = {"light": "the light theme", "dark": "the dark theme", "system": "the device's theme"}


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


def _on_task(*words: str, named: str | None = None) -> Callable[[Say], Parts]:
    """"Ann commented on 3.14 Fix login", "Ann attached plan.pdf to 3.14 Fix login"."""
    def say(s: Say) -> Parts:
        task = s.entity("task", getattr(s.e, "task_id", None))
        name = s.recorded(named) if named else None
        if named:
            return s.says(s.actor(), words[0], name or "a file", words[1], task)
        return s.says(s.actor(), words[0], task)
    return say


def _handle(s: Say) -> Parts:
    was, now = s.pair("handle")
    return s.says(s.actor(), f" changed their handle from @{was} to @{now}" if was else
                  f" took the handle @{now}")


def _read(s: Say) -> Parts:
    count = s.pair("read")[1]
    if not is_id(count):
        return s.says(s.actor(), " marked notifications read")
    return s.says(s.actor(), f" marked {count} notification{'' if count == 1 else 's'} read")


def _import_finished(s: Say) -> Parts:
    made, failed = s.pair("created")[1], s.pair("error")[1]
    said = f" import #{s.e.entity_id} stopped" if failed else f" import #{s.e.entity_id} finished"
    count = f": {made} task{'' if made == 1 else 's'} created" if is_id(made) else ""
    return s.says(s.actor(), "'s", said, count)


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
    "comment.created": _on_task(" commented on "),
    "comment.updated": _on_task(" edited a comment on "),
    "comment.deleted": _on_task(" deleted a comment on "),
    "attachment.added": _on_task(" attached ", " to ", named="filename"),
    "attachment.deleted": _on_task(" removed ", " from ", named="filename"),
    "task.watched": lambda s: s.says(s.actor(), " started watching ", s.entity("task")),
    "task.unwatched": lambda s: s.says(s.actor(), " stopped watching ", s.entity("task")),
    "user.handle_changed": _handle,
    "user.notifications_changed": lambda s: s.says(s.actor(), " changed their notification settings"),
    "notification.read": _read,
    "import.created": lambda s: s.says(s.actor(), " uploaded ", s.recorded("filename") or "a file",
                                       f" to import (import #{s.e.entity_id})"),
    "import.updated": lambda s: s.says(s.actor(), f" changed the columns of import #{s.e.entity_id}"),
    "import.started": lambda s: s.says(s.actor(), f" started import #{s.e.entity_id}"),
    "import.finished": _import_finished,
    "token.created": lambda s: s.says(s.actor(), " made the API token ",
                                      s.recorded("name") or f"#{s.e.entity_id}"),
    "token.revoked": lambda s: s.says(s.actor(), " revoked the API token ",
                                      s.recorded("name") or f"#{s.e.entity_id}"),
    "calendar.token_created": lambda s: s.says(s.actor(), " made a new calendar link" if s.pair(
        "replaced")[1] else " made a calendar link"),
    "calendar.token_revoked": lambda s: s.says(s.actor(), " turned off their calendar link"),
    "webhook.created": lambda s: s.says(s.actor(), " added a webhook to ",
                                        s.recorded("url") or f"#{s.e.entity_id}"),
    "webhook.deleted": lambda s: s.says(s.actor(), " deleted the webhook to ",
                                        s.recorded("url") or f"#{s.e.entity_id}"),
    "webhook.redelivered": lambda s: s.says(s.actor(), f" redelivered a delivery of webhook #{s.e.entity_id}"),
}


def sentence(s: Say) -> Parts:
    say = SENTENCES.get(s.e.action)
    if say is not None:
        return say(s)
    # An action without a sentence yet: "Ann archived task 3.14 Fix login"
    verb, kind = s.e.action.rpartition(".")[2].replace("_", " "), s.e.entity_type
    if kind in KINDS:
        return s.says(s.actor(), f" {verb} ", s.entity(kind))
    return s.says(s.actor(), f" {verb} {kind} #{s.e.entity_id}")


def describe(entry: Entry, known: Known, url: Url) -> Line:
    """The entry as a sentence with its links, and its changes by label."""
    say = Say(entry, known, url)
    actor = known.users.get(entry.actor_id) if entry.actor_id is not None else None
    return Line(actor, tuple(p for p in sentence(say) if p.text), say.details())
