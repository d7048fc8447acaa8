"""Typed domain events: what an action changed, as values.

An action emits them (`ctx.emit(TaskStatusChanged(...))`); one dispatcher turns each into its
audit row in the action's own transaction (and, as later features arrive, into outbox rows,
notifications, the live-update event log, the search index and webhook deliveries). After the
unit of work commits, each event is handed to the in-process subscribers (`subscribe`).
Tests assert on `ctx.events`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

EVENT_TYPES: dict[str, type[Event]] = {}  # audit action name -> event class


@dataclass(frozen=True)
class Event:
    """One change: which entity, and field -> [before, after] for what changed."""

    action: ClassVar[str] = ""
    entity_type: ClassVar[str] = ""

    entity_id: int | None
    changes: dict[str, Any] = field(default_factory=dict)
    project_id: int | None = None
    # The task a change of a comment or attachment is on (a task's own events: its id).
    task_id: int | None = None
    # Set only when they are not the actor's (registration, login, accepting an invitation).
    organization_id: int | None = None
    actor_id: int | None = None
    # Who the change mentions (`@handle` that resolved to someone who can see it): for the
    # notifications, not the audit row.
    mentioned: frozenset[int] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        EVENT_TYPES[cls.action] = cls  # one class per audit action name


class OrganizationCreated(Event):
    action, entity_type = "organization.created", "organization"


class UserLoggedIn(Event):
    action, entity_type = "user.logged_in", "user"


class UserLoginFailed(Event):
    action, entity_type = "user.login_failed", "user"


class UserLoggedOut(Event):
    action, entity_type = "user.logged_out", "user"


class PasswordChanged(Event):
    action, entity_type = "user.password_changed", "user"


class SessionsEnded(Event):
    action, entity_type = "user.sessions_ended", "user"


class ThemeChanged(Event):
    action, entity_type = "user.theme_changed", "user"


class RoleChanged(Event):
    action, entity_type = "user.role_changed", "user"


class UserDeactivated(Event):
    action, entity_type = "user.deactivated", "user"


class ProjectCreated(Event):
    action, entity_type = "project.created", "project"


class ProjectUpdated(Event):
    action, entity_type = "project.updated", "project"


class ProjectDeleted(Event):
    action, entity_type = "project.deleted", "project"


class StoryCreated(Event):
    action, entity_type = "story.created", "story"


class StoryUpdated(Event):
    action, entity_type = "story.updated", "story"


class StoryDeleted(Event):
    action, entity_type = "story.deleted", "story"


class TaskCreated(Event):
    action, entity_type = "task.created", "task"


class TaskUpdated(Event):
    action, entity_type = "task.updated", "task"


class TaskDeleted(Event):
    action, entity_type = "task.deleted", "task"


class TaskMoved(Event):
    """A new rank (SPEC §10): `changes` is {"position": [before, after]}."""

    action, entity_type = "task.moved", "task"


class HandleChanged(Event):
    action, entity_type = "user.handle_changed", "user"


class NotificationSettingsChanged(Event):
    action, entity_type = "user.notifications_changed", "user"


class NotificationsRead(Event):
    """`changes` is {"read": [None, how many]}."""

    action, entity_type = "notification.read", "user"


class CommentCreated(Event):
    """entity_id is the comment's; `task_id` says which task it is on."""

    action, entity_type = "comment.created", "comment"


class CommentUpdated(Event):
    action, entity_type = "comment.updated", "comment"


class CommentDeleted(Event):
    action, entity_type = "comment.deleted", "comment"


class AttachmentAdded(Event):
    action, entity_type = "attachment.added", "attachment"


class AttachmentDeleted(Event):
    action, entity_type = "attachment.deleted", "attachment"


class TaskWatched(Event):
    action, entity_type = "task.watched", "task"


class TaskUnwatched(Event):
    action, entity_type = "task.unwatched", "task"


class InvitationCreated(Event):
    action, entity_type = "invitation.created", "invitation"


class InvitationRevoked(Event):
    action, entity_type = "invitation.revoked", "invitation"


class InvitationAccepted(Event):
    action, entity_type = "invitation.accepted", "invitation"


class CustomRoleCreated(Event):
    action, entity_type = "role.created", "role"


class CustomRoleUpdated(Event):
    action, entity_type = "role.updated", "role"


class CustomRoleDeleted(Event):
    action, entity_type = "role.deleted", "role"


class ApiTokenCreated(Event):
    """A personal access token made (SPEC §13): its name, scope and expiry, never the secret."""

    action, entity_type = "token.created", "api_token"


class ApiTokenRevoked(Event):
    action, entity_type = "token.revoked", "api_token"


class CalendarTokenCreated(Event):
    """A person's calendar links made or remade (SPEC §13); never the secret itself."""

    action, entity_type = "calendar.token_created", "calendar_token"


class CalendarTokenRevoked(Event):
    action, entity_type = "calendar.token_revoked", "calendar_token"


class ImportCreated(Event):
    """A file uploaded to import into a project (SPEC §13): its name, kind and row count."""

    action, entity_type = "import.created", "import"


class ImportUpdated(Event):
    action, entity_type = "import.updated", "import"


class ImportStarted(Event):
    action, entity_type = "import.started", "import"


class ImportFinished(Event):
    """The job's end: how many tasks it created, rows already imported, rows refused."""

    action, entity_type = "import.finished", "import"


class WebhookCreated(Event):
    """A webhook added (SPEC §13): its URL and events, never its secret."""

    action, entity_type = "webhook.created", "webhook"


class WebhookDeleted(Event):
    action, entity_type = "webhook.deleted", "webhook"


class WebhookRedelivered(Event):
    """`changes` is {"delivery": [the delivery's id, the new one's], "event": ...}."""

    action, entity_type = "webhook.redelivered", "webhook"


class TaskStatusChanged(Event):
    """The hot path's event; `before` and `after` are the two statuses."""

    action, entity_type = "task.status_changed", "task"

    @classmethod
    def of(cls, task_id: int, project_id: int, before: str, after: str) -> TaskStatusChanged:
        return cls(task_id, {"status": [before, after]}, project_id=project_id)

    @property
    def before(self) -> str:
        return str(self.changes["status"][0])

    @property
    def after(self) -> str:
        return str(self.changes["status"][1])


# -- after commit ---------------------------------------------------------------------

Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []


def subscribe(fn: Subscriber) -> Subscriber:
    """Call fn with every event after its transaction committed (in-process signals)."""
    _subscribers.append(fn)
    return fn


def unsubscribe(fn: Subscriber) -> None:
    if fn in _subscribers:
        _subscribers.remove(fn)


def committed(events: list[Event]) -> None:
    """Hand the committed events to the subscribers; one failing subscriber stops no other."""
    import logging

    for event in events:
        for fn in _subscribers:
            try:
                fn(event)
            except Exception:
                logging.getLogger("kanvaro.events").exception("subscriber %r failed", fn)
