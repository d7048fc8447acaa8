"""The context every action runs in: database, actor, clock, request id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from kanvaro.errors import NotFound
from kanvaro.permissions import Actor
from kanvaro.settings import Settings


@dataclass
class Ctx:
    db: Session
    actor: Actor | None
    now: datetime
    settings: Settings
    request_id: str = ""
    client_addr: str = ""
    user_agent: str = ""
    # Set by actions that log someone in or out; the web layer turns it into a cookie.
    new_session_token: str | None = None
    ended_session: bool = False
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def user(self) -> Actor:
        """The actor, for actions that need someone logged in."""
        if self.actor is None:
            raise NotFound("no actor")
        return self.actor

    @property
    def org_id(self) -> int:
        return self.user.organization_id
