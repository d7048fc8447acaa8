"""Import jobs, and the fingerprints that make importing the same rows twice create nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class ImportJob(SQLModel, table=True):
    """One uploaded file and its way through mapping, the queue and the run.

    `rows` holds the file as parsed at upload ({"header": [...], "rows": [[line, cells...]],
    "broken": [{row, reason}], ...}: kanvaro.imports.reading), so the job never parses twice;
    `mapping` is column index (as text) -> field. Progress is `done` of `total` rows."""

    __tablename__ = "import_job"
    __table_args__ = (
        Index("ix_import_job_org_project", "organization_id", "project_id", "id"),
        Index("ix_import_job_status", "status", "claimed_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    kind: str = Field(max_length=10)  # "csv" or "trello"
    filename: str = Field(max_length=255)
    rows: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    mapping: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="mapping", max_length=10)  # mapping queued running done failed
    total: int = 0
    done: int = 0
    created: int = 0
    duplicates: int = 0
    refused_count: int = 0
    # The first refusals, {row, reason} each (the report shows them; the count is all of them).
    refused: list[dict[str, Any]] = Field(default_factory=list,
                                          sa_column=Column(JSON, nullable=False))
    error: str = Field(default="", max_length=500)  # why a failed job stopped
    claimed_until: datetime | None = when(nullable=True)
    created_at: datetime = when()
    finished_at: datetime | None = when(nullable=True)


class ImportFingerprint(SQLModel, table=True):
    """A row imported into a project: the SHA-256 of its mapped values, and the task it made
    (deleting the task forgets it, so the row may be imported again)."""

    __tablename__ = "import_fingerprint"
    __table_args__ = (UniqueConstraint("project_id", "fingerprint", name="uq_import_fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    fingerprint: str = Field(max_length=64)
    task_id: int = Field(foreign_key="task.id", ondelete="CASCADE", index=True)
