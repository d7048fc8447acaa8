"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL with --db=postgres)."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
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


# Empties the tables a test wrote to and starts every id sequence again, in one round trip.
# DELETE, not TRUNCATE: a TRUNCATE makes new files for each table and cost about 70 ms a test,
# the DELETE of a test's few rows well under one.
_EMPTY = """
DO $$
DECLARE
  name text;
  written text[] := '{}';
  found boolean;
BEGIN
  FOREACH name IN ARRAY string_to_array(:names, ',') LOOP
    EXECUTE 'SELECT EXISTS (SELECT FROM ' || quote_ident(name) || ')' INTO found;
    IF found THEN written := written || quote_ident(name); END IF;
  END LOOP;
  IF cardinality(written) > 0 THEN
    SET LOCAL session_replication_role = replica;  -- no foreign key checks: all of them go
    FOREACH name IN ARRAY written LOOP
      EXECUTE 'DELETE FROM ' || name;
    END LOOP;
  END IF;
  PERFORM setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S';
END $$
"""


def _empty(engine: Engine) -> None:
    names = ",".join(t.name for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(_EMPTY.replace(":names", "'" + names + "'"))


@pytest.fixture(scope="session")
def pg_cleaner(pg_url: str | None) -> Iterator[Engine | None]:
    if pg_url is None:
        yield None
        return
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


# One engine per database URL for the worker's life: an app made for each test keeps using it,
# and with it SQLAlchemy's cache of compiled statements (per engine: compiling them again for
# each test's new engine was about a quarter of a web test's time). Between tests the engine is
# only disposed of (its connections closed); the cache stays.
_ENGINES: dict[str, Engine] = {}


def shared_engine(url: str) -> Engine:
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = make_engine(url)
    return engine


def _empty_sqlite(engine: Engine) -> None:
    """Deletes the rows of every table that holds any: rowids then start at 1 again, as in a
    new database. In place, so that a connection some earlier test left open sees an empty
    database too, rather than a file replaced under it."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            names = [n for (n,) in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            written = [n for n in names if raw.execute(f'SELECT EXISTS (SELECT 1 FROM "{n}")').fetchone()[0]]
            if written:
                raw.execute("BEGIN IMMEDIATE")
                for name in written:
                    raw.execute(f'DELETE FROM "{name}"')
                raw.execute("COMMIT")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


_sqlite_files = itertools.count(1)


@pytest.fixture(scope="session")
def sqlite_url() -> list[str]:
    """The worker's current SQLite database (one box, so a test that wrecked it can move on)."""
    return [""]


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with every table, made once per worker: the worker's database file
    starts as a copy of it, and so does a new one after a test wrecked it (`database_url`)."""
    path = tmp_path_factory.mktemp("schema") / "kanvaro.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_url: str | None,
                 pg_cleaner: Engine | None) -> str:
    if pg_url is not None:
        assert pg_cleaner is not None
        _empty(pg_cleaner)
        return pg_url
    current = request.getfixturevalue("sqlite_url")
    if current[0]:
        try:
            _empty_sqlite(shared_engine(current[0]))
            return current[0]
        except Exception:  # noqa: BLE001 (the last test wrecked the file: take a new one)
            wrecked = _ENGINES.pop(current[0], None)
            if wrecked is not None:
                wrecked.dispose()
    schema = request.getfixturevalue("sqlite_schema")
    path = schema.parent / f"kanvaro-{next(_sqlite_files)}.db"
    shutil.copyfile(schema, path)
    current[0] = f"sqlite:///{path}"
    return current[0]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, secret_key="test-secret-key",
                    base_url="http://kanvaro.test", outbox_dir=tmp_path / "outbox",
                    run_mail_sender=False)


@pytest.fixture
def app(settings: Settings, database_url: str) -> Iterator[Any]:
    shared = settings.database_url == database_url
    application = create_app(settings, shared_engine(database_url) if shared else None)
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
