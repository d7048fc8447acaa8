"""A database that is down answers a 503 page, and the app recovers once it is back."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from kanvaro.app import create_app
from kanvaro.db import is_transient, make_engine
from kanvaro.settings import Settings
from tests.pg import PostgresServer, _bin, free_port


def _error_of(url: str) -> OperationalError:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM no_such_table"))
    except OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("no error")


def test_refused_postgres_connection_is_transient() -> None:
    exc = _error_of(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/kanvaro")
    assert "refused" in str(exc).lower()
    assert is_transient(exc)


def test_sqlite_schema_error_is_not_transient(tmp_path: Any) -> None:
    assert not is_transient(_error_of(f"sqlite:///{tmp_path / 'x.db'}"))


def _settings(tmp_path: Any, url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=url, secret_key="test-secret-key",
                    base_url="http://kanvaro.test", run_mail_sender=False)


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.text
    assert "Traceback" not in response.text and "psycopg" not in response.text


def test_unreachable_database_answers_503_page(tmp_path: Any) -> None:
    app = create_app(_settings(tmp_path, f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/k"))
    with TestClient(app) as client:
        _assert_unavailable(client.get("/login"))
        _assert_unavailable(client.get("/projects"))
    app.state.kanvaro.engine.dispose()


def _pg_ctl(server: PostgresServer, *args: str) -> None:
    server._run(_bin("pg_ctl"), "-D", str(server.data), *args)


@pytest.mark.postgres_only
def test_postgres_restart_503_then_recovers(tmp_path: Any, db_kind: str) -> None:
    server = PostgresServer().start()
    try:
        url = server.create_database("kanvaro_restart")
        app = create_app(_settings(tmp_path, url))
        with TestClient(app) as client:
            assert client.get("/login").status_code == 200  # the pool now holds a connection
            _pg_ctl(server, "-m", "fast", "-w", "stop")
            _assert_unavailable(client.get("/login"))
            opts = (f"-p {server.port} -k {server.dir} -c listen_addresses=127.0.0.1 -c fsync=off")
            _pg_ctl(server, "-o", opts, "-l", str(server.dir / "log"), "-w", "start")
            back = time.monotonic()
            while client.get("/login").status_code != 200:
                assert time.monotonic() - back < 5, "no recovery within 5 s"
                time.sleep(0.1)
        app.state.kanvaro.engine.dispose()
    finally:
        server.stop()
