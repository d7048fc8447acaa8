"""Count the SQL statements an engine executes, leaving out transaction control."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

IGNORED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{i}. {s}" for i, s in enumerate(self.statements, 1))


@contextmanager
def count_sql(engine: Engine) -> Iterator[Counted]:
    """`with count_sql(engine) as sql: ...` then `sql.count` (and `sql.statements`)."""
    counted = Counted()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        text = " ".join(statement.split())
        if not text.upper().startswith(IGNORED):
            counted.statements.append(text)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", before)
