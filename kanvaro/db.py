"""The engine, and one unit of work per request: commit, or roll back and maybe retry."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger("kanvaro.db")
T = TypeVar("T")
MAX_ATTEMPTS = 3


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Leave transaction control to SQLAlchemy's BEGIN below, not pysqlite's guesses.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # IMMEDIATE takes the write lock up front, so a busy database waits at BEGIN
            # instead of failing a read-to-write upgrade half way through.
            write = conn.get_execution_options().get("kanvaro_write")
            # Straight to the driver: through exec_driver_sql this cost a tenth of a 304.
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def is_transient(exc: BaseException) -> bool:
    """Busy SQLite, PostgreSQL serialization failures and dropped connections."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, (OperationalError, DBAPIError)):
        return False
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in {"40001", "40P01"} or (sqlstate or "").startswith("08"):
        return True
    # The server shutting down, crashed or still starting up (57P01/02/03).
    if sqlstate in {"57P01", "57P02", "57P03"}:
        return True
    # psycopg reports a refused or lost connection as an OperationalError without a sqlstate.
    if isinstance(exc, OperationalError) and hasattr(orig, "sqlstate") and sqlstate is None:
        return True
    text = str(orig or exc).lower()
    return "database is locked" in text or "database is busy" in text


def refused_commit(exc: BaseException) -> bool:
    """The database said no to the COMMIT itself (so nothing was written): safe to re-run."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in {"40001", "40P01"}:
        return True
    text = str(orig or exc).lower()
    return "database is locked" in text or "database is busy" in text


def run_in_transaction(
    engine: Engine, work: Callable[[Session], T], *, write: bool = True
) -> T:
    """Run work in one transaction; re-run it on a transient error before commit."""
    # SQLite takes one writer at a time anyway: queueing this process's writers on a lock
    # instead of in SQLite's busy-wait (sleep and poll) keeps the slowest writes short.
    gate = _sqlite_write_lock(engine) if write else None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        session = Session(engine, expire_on_commit=False)
        committing = False
        if gate is not None:
            gate.acquire()
        try:
            session.connection(execution_options={"kanvaro_write": write})
            result = work(session)
            committing = True
            session.commit()
            return result
        except Exception as exc:
            session.rollback()
            # A connection lost during COMMIT leaves the outcome unknown: never run it twice.
            if committing and not refused_commit(exc):
                raise
            if attempt == MAX_ATTEMPTS or not is_transient(exc):
                raise
            log.warning("transient database error, retry %d: %s", attempt, exc)
        finally:
            session.close()
            if gate is not None:
                gate.release()
        time.sleep(0.05 * (2 ** (attempt - 1)) * (1 + random.random()))  # backoff, lock released
    raise AssertionError("unreachable")


_WRITE_LOCKS: dict[str, threading.Lock] = {}


def _sqlite_write_lock(engine: Engine) -> threading.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    key = str(engine.url)
    lock = _WRITE_LOCKS.get(key)
    if lock is None:
        lock = _WRITE_LOCKS.setdefault(key, threading.Lock())
    return lock
