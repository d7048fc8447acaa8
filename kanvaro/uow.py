"""The unit of work: one transaction around one piece of work, and nothing of HTTP.

`run(runtime, caller, fn)` opens the transaction, resolves who is asking (inside it, so the
permissions are the database's current ones), builds the `Ctx`, calls `fn(ctx)`, and commits;
a transient error before COMMIT re-runs the whole work (never after a COMMIT that may have
happened: kanvaro.db.run_in_transaction). The HTML views are one adapter around it; the JSON
API, CSV import, the CLI and the background loops are others.

What a refused request keeps (a failed login's attempt row, so throttling works although the
answer is a 422) is not written in the refused transaction: the action hands it to
`ctx.keep(...)`, and it is written in a transaction of its own once the work's transaction
has ended, whether that committed or rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kanvaro import events
from kanvaro.auth import Authenticator, Nobody
from kanvaro.context import Ctx
from kanvaro.db import run_in_transaction
from kanvaro.settings import Settings

T = TypeVar("T")


class Runtime(Protocol):
    """What a unit of work needs of the running app."""

    engine: Engine
    settings: Settings


@dataclass(frozen=True)
class Caller:
    """Who is asking, and from where."""

    authenticator: Authenticator = field(default_factory=Nobody)
    request_id: str = ""
    client_addr: str = ""
    user_agent: str = ""


def context(db: Session, settings: Settings, caller: Caller, now: datetime | None = None) -> Ctx:
    """The Ctx of one attempt at the work: the actor read in this transaction."""
    now = now or datetime.now(UTC)
    actor, revision = caller.authenticator.actor(db, now)
    return Ctx(db=db, actor=actor, now=now, settings=settings, request_id=caller.request_id,
               client_addr=caller.client_addr, user_agent=caller.user_agent, revision=revision)


def run(runtime: Runtime, caller: Caller, fn: Callable[[Ctx], T], *, write: bool = True) -> T:
    """fn(ctx) in one transaction; after commit, its events go to the in-process subscribers."""
    attempts: list[Ctx] = []

    def work(db: Session) -> T:
        ctx = context(db, runtime.settings, caller)
        attempts.append(ctx)
        return fn(ctx)

    try:
        result = run_in_transaction(runtime.engine, work, write=write)
    finally:
        if attempts and attempts[-1].kept:
            _write_kept(runtime, attempts[-1])
    events.committed(attempts[-1].events)
    return result


def _write_kept(runtime: Runtime, refused: Ctx) -> None:
    """What the refused work asked to keep, in its own transaction (the work's has ended)."""

    def work(db: Session) -> None:
        ctx = Ctx(db=db, actor=refused.actor, now=refused.now, settings=refused.settings,
                  request_id=refused.request_id, client_addr=refused.client_addr,
                  user_agent=refused.user_agent)
        for keep in refused.kept:
            keep(ctx)

    run_in_transaction(runtime.engine, work, write=True)
