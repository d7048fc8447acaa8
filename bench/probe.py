"""In-process measurements: SQL statements and template renders per request.

create_app(settings) + Starlette's TestClient + a `before_cursor_execute` counter on the
app's own engine; transaction control (BEGIN/COMMIT/ROLLBACK/SAVEPOINT) and PRAGMA are
left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from starlette.testclient import TestClient

from kanvaro.app import create_app
from kanvaro.settings import Settings

IGNORED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@dataclass
class Probe:
    status: int
    statements: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)

    @property
    def sql(self) -> int:
        return len(self.statements)


class InProcess:
    """The app in this process, on the benchmark's database."""

    def __init__(self, database_url: str, secret_key: str, data_dir: Path) -> None:
        settings = Settings(data_dir=data_dir, database_url=database_url, secret_key=secret_key,
                            run_mail_sender=False)
        self.app = create_app(settings)
        self.state = self.app.state.kanvaro
        self.client = TestClient(self.app, base_url="http://127.0.0.1")
        self._statements: list[str] | None = None
        self._templates: list[str] | None = None
        event.listen(self.state.engine, "before_cursor_execute", self._on_sql)
        env = self.state.env
        original = env.get_template

        def counting_get_template(name: Any, *args: Any, **kwargs: Any) -> Any:
            if self._templates is not None:
                self._templates.append(str(name))
            return original(name, *args, **kwargs)

        env.get_template = counting_get_template  # type: ignore[method-assign]

    def _on_sql(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        text = " ".join(statement.split())
        if self._statements is not None and not text.upper().startswith(IGNORED):
            self._statements.append(text)

    @contextmanager
    def _counting(self) -> Iterator[tuple[list[str], list[str]]]:
        self._statements, self._templates = [], []
        try:
            yield self._statements, self._templates
        finally:
            self._statements = self._templates = None

    def probe(self, method: str, path: str, body: str = "",
              headers: dict[str, str] | None = None) -> Probe:
        hdrs = dict(headers or {})
        if body:
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        with self._counting() as (statements, templates):
            resp = self.client.request(method, path, content=body or None, headers=hdrs,
                                       follow_redirects=False)
        return Probe(resp.status_code, list(statements), list(templates))

    def close(self) -> None:
        self.client.close()
        self.state.engine.dispose()
