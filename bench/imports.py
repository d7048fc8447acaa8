"""The 10,000-row CSV import, end to end: upload, mapping, the job to its end (SPEC §13).

`measure(database_url)` builds a fresh organization on that database (a SQLite file in a temp
directory when none is given), uploads a generated CSV as its owner through the import's
actions, starts it and runs the job (`kanvaro.imports.jobs.run_once`) as the background loop
does; it prints and returns the seconds from the upload to the report. Every row goes through
`tasks.actions.create_task`, with its audit entry and Markdown rendering.

    .venv/bin/python -m bench.imports               # SQLite
    .venv/bin/python -m bench.imports --postgres    # a throwaway PostgreSQL (tests/pg.py)
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

import kanvaro.models  # noqa: F401 (every table)
from kanvaro import uow
from kanvaro.auth import AsActor
from kanvaro.db import make_engine
from kanvaro.imports import actions, jobs
from kanvaro.imports.forms import MappingChoice, Upload
from kanvaro.models import Organization, Project, ProjectMember, Task, User
from kanvaro.permissions import Actor
from kanvaro.settings import Settings

HEADER = ["Title", "Description", "Status", "Priority", "Assignee", "Points", "Due date", "Labels"]
STATUSES = ["To do", "Doing", "Review", "Testing", "Done"]


def sample_csv(rows: int, emails: list[str]) -> bytes:
    """A CSV like a tracker's export: every field mapped, a few Markdown descriptions."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(rows):
        writer.writerow([
            f"Imported task {n}", f"Line one of task {n}\n\n- a **point**\n- another" if n % 3 == 0 else "",
            STATUSES[n % 5], ["low", "medium", "high", "critical"][n % 4], emails[n % len(emails)],
            str(n % 8), f"2027-{n % 12 + 1:02d}-{n % 28 + 1:02d}", "bench, csv" if n % 2 else "",
        ])
    return out.getvalue().encode()


def measure(database_url: str | None = None, rows: int = 10_000) -> float:
    """Seconds to import `rows` rows end to end on a fresh organization of that database."""
    with tempfile.TemporaryDirectory(prefix="kanvaro-import-bench-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'kanvaro.db'}"
        settings = Settings(data_dir=Path(tmp), database_url=url, secret_key="bench",
                            run_mail_sender=False, max_upload_bytes=50_000_000)
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as db:
            org = Organization(name=f"Import bench {time.time_ns()}")
            db.add(org)
            db.flush()
            owner = User(organization_id=org.id, name="Bench Owner", email=f"owner-{org.id}@bench.test",
                         password_hash="x", role="owner")
            people = [User(organization_id=org.id, name=f"Member {i}", email=f"m{i}-{org.id}@bench.test",
                           password_hash="x", role="team_member") for i in range(5)]
            db.add_all([owner, *people])
            db.flush()
            org.project_seq = 1
            project = Project(organization_id=org.id, number=1, name="Imported", created_by_id=owner.id)
            db.add(project)
            db.flush()
            db.add_all([ProjectMember(organization_id=org.id, project_id=project.id, user_id=u.id)
                        for u in [owner, *people]])
            db.commit()
            actor = Actor.build(id=owner.id, organization_id=org.id, name=owner.name,  # type: ignore[arg-type]
                                email=owner.email, role="owner")
            project_id = project.id
        data = sample_csv(rows, [p.email for p in people])
        runtime = jobs.Runtime(engine, settings)
        caller = uow.Caller(AsActor(actor))
        started = time.perf_counter()
        job = uow.run(runtime, caller, lambda ctx: actions.upload_import(
            ctx, project_id, Upload("bench.csv", io.BytesIO(data), len(data))))  # type: ignore[arg-type]
        uow.run(runtime, caller, lambda ctx: actions.run_import(ctx, job.id, MappingChoice({})))  # type: ignore[arg-type]
        jobs.run_once(settings, engine)
        seconds = time.perf_counter() - started
        with Session(engine) as db:
            made = db.scalar(select(func.count()).select_from(Task).where(Task.project_id == project_id))
        engine.dispose()
        if made != rows:
            raise AssertionError(f"{made} tasks made of {rows} rows")
        print(f"import of {rows:,} rows on {url.split(':')[0]}: {seconds:.1f} s "
              f"({rows / seconds:,.0f} rows/s)")
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL")
    args = parser.parse_args()
    if not args.postgres:
        measure(None, args.rows)
        return
    from tests.pg import PostgresServer

    server = PostgresServer().start()
    try:
        measure(server.create_database("kanvaro_import_bench"), args.rows)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
