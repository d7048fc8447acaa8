"""Import rows straight into the database (the generated suites' worlds), and files to upload."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kanvaro.imports.models import ImportJob
from kanvaro.imports.rows import guess
from tests.factories import now


def make_import(db: Session, org: Any, project: Any, user: Any, *,
                header: tuple[str, ...] = ("Notes", "Title"),
                rows: tuple[tuple[str, ...], ...] = (("Fuel first", "Fuel the rocket"),),
                mapping: dict[str, str] | None = None, status: str = "mapping") -> ImportJob:
    """An import waiting for its mapping (by default: Notes -> description, Title -> title)."""
    job = ImportJob(organization_id=org.id, project_id=project.id, created_by_id=user.id,
                    kind="csv", filename="tasks.csv", status=status,
                    rows={"header": list(header),
                          "rows": [[i + 2, *cells] for i, cells in enumerate(rows)], "broken": []},
                    mapping=mapping or guess(list(header)), total=len(rows), created_at=now())
    db.add(job)
    db.flush()
    return job


def csv_bytes(header: list[str], rows: list[list[str]], *, sep: str = ",", bom: bool = False) -> bytes:
    """A CSV file as a spreadsheet writes it (quoted where needed, CRLF line ends)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()
