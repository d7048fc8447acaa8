"""The CSV file itself: a header, the rows in chunks, each cell guarded against formulas.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a
carriage return) as a formula, so a task titled `=HYPERLINK(...)` would run on the machine of
whoever opens the export. Such a cell gets a leading `'` (OWASP, "CSV Injection"), which the
spreadsheet shows as text and hides.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from kanvaro.columns import aware
from kanvaro.exports.queries import Export

HEADER = ("key", "title", "status", "priority", "story", "assignees", "story_points", "due_date",
          "created_at", "updated_at", "description")
BOM = "\ufeff"  # Excel reads UTF-8 as such only with it (docs/export.md)
CHUNK = 500  # rows a piece of the stream
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (aware(value) or value).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cells(export: Export, row: Any) -> list[str]:
    number, title, status, priority, story_id, task_id, points, due, created, updated, description = row
    values = (f"{export.project.number}.{number}", title, status, priority,
              export.stories.get(story_id, "") if story_id is not None else "",
              ";".join(export.assignees.get(task_id, ())), points, due, created, updated,
              description)
    return [guard(_text(v)) for v in values]


def chunks(export: Export) -> Iterator[bytes]:
    """The file as UTF-8 pieces: BOM and header first, then CHUNK rows at a time (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(HEADER)
    for start in range(0, len(export.rows), CHUNK):
        writer.writerows(_cells(export, row) for row in export.rows[start:start + CHUNK])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
