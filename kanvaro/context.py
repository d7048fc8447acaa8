"""The context every action runs in: database, actor, clock, request id, and what it emits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from kanvaro.errors import NotFound
from kanvaro.permissions import Actor
from kanvaro.settings import Settings

if TYPE_CHECKING:
    from kanvaro.events import Event


@dataclass
class Ctx:
    db: Session
    actor: Actor | None
    now: datetime
    settings: Settings
    request_id: str = ""
    client_addr: str = ""
    user_agent: str = ""
    # The organization's data revision as the actor was read (ETags).
    revision: int = 0
    # Set by actions that log someone in or out; the web layer turns it into a cookie.
    new_session_token: str | None = None
    ended_session: bool = False
    # What the action changed, in order (kanvaro.events); dispatched as they are emitted.
    events: list[Event] = field(default_factory=list)
    # Writes a refused request keeps, each run in a transaction of its own (kanvaro.uow).
    kept: list[Callable[[Ctx], None]] = field(default_factory=list)
    # What a request reads once and asks again (the reader's projects, kanvaro.markdown).
    memo: dict[str, object] = field(default_factory=dict)

    @property
    def user(self) -> Actor:
        """The actor, for actions that need someone logged in."""
        if self.actor is None:
            raise NotFound("no actor")
        return self.actor

    @property
    def org_id(self) -> int:
        return self.user.organization_id

    def emit(self, event: Event) -> None:
        """Record a change: its audit row (and what else follows from it) in this transaction."""
        from kanvaro.audit import dispatch

        dispatch(self, event)
        self.events.append(event)

    def keep(self, write: Callable[[Ctx], None]) -> None:
        """A write that stands even though this request is refused (a failed login's record)."""
        self.kept.append(write)
