"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL with --db=postgres)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from sqlmodel import SQLModel
from starlette.testclient import TestClient

import kanvaro.models  # noqa: F401
from kanvaro.app import create_app
from kanvaro.db import make_engine
from kanvaro.security import set_hash_cost
from kanvaro.settings import Settings
from tests.factories import Browser, make_ctx, make_org, make_user
from tests.pg import PostgresServer

# Still argon2id, at a cost that keeps hundreds of logins in the suite fast.
set_hash_cost(time_cost=1, memory_cost=1024, parallelism=1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default="sqlite", choices=["sqlite", "postgres"],
                     help="database the suite runs on")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres_only: runs in the --db=postgres pass only")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests belong to the PostgreSQL pass; not skipped, simply not selected."""
    if config.getoption("--db") == "postgres":
        return
    chosen = [i for i in items if i.get_closest_marker("postgres_only") is None]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def pg_server(db_kind: str) -> Iterator[PostgresServer | None]:
    if db_kind != "postgres":
        yield None
        return
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server: PostgresServer | None) -> str | None:
    if pg_server is None:
        return None
    url = pg_server.create_database("kanvaro_test")
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return url


def _truncate(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path, pg_url: str | None) -> str:
    if pg_url is not None:
        _truncate(pg_url)
        return pg_url
    url = f"sqlite:///{tmp_path / 'kanvaro.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, secret_key="test-secret-key",
                    base_url="http://kanvaro.test", outbox_dir=tmp_path / "outbox",
                    run_mail_sender=False)


@pytest.fixture
def app(settings: Settings) -> Iterator[Any]:
    application = create_app(settings)
    yield application
    application.state.kanvaro.engine.dispose()


@pytest.fixture
def engine(app: Any) -> Engine:
    return app.state.kanvaro.engine  # type: ignore[no-any-return]


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session for arranging rows and asserting on them; commit to make rows visible."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def browser(client: TestClient, settings: Settings, engine: Engine) -> Browser:
    return Browser(client, settings, engine)


@pytest.fixture
def org(db: Session) -> Any:
    o = make_org(db, "Acme")
    db.commit()
    return o


@pytest.fixture
def owner(db: Session, org: Any) -> Any:
    u = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
    db.commit()
    return u


@pytest.fixture
def ctx_for(db: Session, settings: Settings) -> Any:
    """ctx_for(user) -> a Ctx over the test session, for action tests without HTTP."""
    return lambda user: make_ctx(db, user, settings)


@pytest.fixture
def member(db: Session, org: Any) -> Any:
    """A team member of the organization (a member of `project`)."""
    u = make_user(db, org, role="team_member", name="Mia Member")
    db.commit()
    return u


@pytest.fixture
def project(db: Session, org: Any, owner: Any, member: Any) -> Any:
    """A project of the organization with the owner (its creator) and `member` in it."""
    from tests.factories import make_project

    p = make_project(db, org, members=[owner, member], name="Launch", creator=owner)
    db.commit()
    return p


@pytest.fixture
def ctx(ctx_for: Any, owner: Any) -> Any:
    """The owner's context, for action tests."""
    return ctx_for(owner)


@pytest.fixture
def as_owner(browser: Browser, owner: Any) -> Browser:
    return browser.login_as(owner)
