"""`kanvaro backup FILE` and `kanvaro restore FILE`: a consistent copy while the app serves.

SQLite: the online backup API copies every page inside one read transaction, so the copy
is the database as of one commit, whatever writers do meanwhile. PostgreSQL: `pg_dump -Fc`
reads everything in one snapshot; `pg_restore` loads it into an empty database.
Attached files are rows too (`blob`, SPEC §8): a backup carries them with the rest, and there
is no file store to copy beside it.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import URL, inspect, make_url

from kanvaro.db import make_engine
from kanvaro.settings import Settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: from PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                       key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not installed:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return installed[-1]


def libpq_args(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without the password, and an environment that carries it."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def backup(settings: Settings, target: Path) -> Path:
    """Write a consistent copy of the database to target; returns target."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if is_sqlite(settings.database_url):
            _backup_sqlite(sqlite_path(settings.database_url), partial)
        else:
            _backup_postgres(settings.database_url, partial)
        os.replace(partial, target)  # never a half-written file under the final name
    finally:
        partial.unlink(missing_ok=True)
    return target


def _backup_sqlite(source: Path, partial: Path) -> None:
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # pages=-1: all pages in one step, under one read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the copy failed its integrity check")
    finally:
        dst.close()
        src.close()


def _backup_postgres(url: str, partial: Path) -> None:
    conninfo, env = libpq_args(url)
    done = subprocess.run(
        [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
         f"--file={partial}", f"--dbname={conninfo}"],
        check=False, env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


def backup_kind(source: Path) -> str:
    """'sqlite' or 'postgres', from the file's first bytes."""
    if not source.is_file():
        raise BackupError(f"there is no backup file at {source}")
    with open(source, "rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgres"
    raise BackupError(f"{source} is neither a SQLite database nor a pg_dump custom-format file")


def restore(settings: Settings, source: Path) -> None:
    """Load a backup into an empty data directory (SQLite) or an empty database."""
    source = Path(source)
    kind = backup_kind(source)
    sqlite = is_sqlite(settings.database_url)
    if kind != ("sqlite" if sqlite else "postgres"):
        where = "SQLite" if sqlite else "PostgreSQL"
        raise BackupError(f"{source} is a {kind} backup; the configured database is {where}")
    if sqlite:
        _restore_sqlite(settings, source)
    else:
        _restore_postgres(settings.database_url, source)


def _restore_sqlite(settings: Settings, source: Path) -> None:
    path = sqlite_path(settings.database_url)
    data_dir = Path(settings.data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"the data directory {data_dir} is not empty; restore into an empty one")
    if path.exists() and path.stat().st_size and _tables(settings.database_url):
        raise BackupError(f"the database {path} already has tables; restore into an empty one")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{source} failed its integrity check")
        path.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(path)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")  # as the app runs it
        finally:
            dst.close()
    finally:
        src.close()


def _restore_postgres(url: str, source: Path) -> None:
    existing = _tables(url)
    if existing:
        raise BackupError(
            f"the database already has {len(existing)} table(s); restore into an empty one")
    conninfo, env = libpq_args(url)
    done = subprocess.run(
        [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
         "--single-transaction", f"--dbname={conninfo}", str(source)],
        check=False, env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
