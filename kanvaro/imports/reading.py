"""An uploaded file as rows: a CSV (`,` `;` or tab, sniffed), or a Trello board's JSON export.

What comes out is what the job stores (`ImportJob.rows`): the header, each data row with the
file line it starts on, and the rows refused already here (a wrong number of cells). A file
that is not one of the two kinds, empty, or too large is refused whole, with the message
shown next to the upload field (docs/import.md).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

MAX_ROWS = 50_000
MAX_COLUMNS = 50
CELL_LIMIT = 100_000  # characters; a description holds 20,000, so this is only a bound

NO_FILE = "Choose a CSV file or a Trello JSON export."
EMPTY = "The file is empty; choose one with a header line and rows."
NOT_TEXT = "This is not a CSV file or a Trello JSON export (it holds binary data)."
NOT_TRELLO = "This JSON file is not a Trello board export (it has no lists and cards)."
NO_ROWS = "The file has a header line but no rows to import."
TOO_MANY_ROWS = f"The file has more than {MAX_ROWS:,} rows; split it into smaller files."
TOO_MANY_COLUMNS = f"The file has more than {MAX_COLUMNS} columns."
MALFORMED = "The file could not be read as CSV: {problem}."


class Unreadable(Exception):
    """The file as a whole is refused; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """A file as rows: `rows` are [line, cell, cell...]; `broken` refused already here."""

    kind: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    broken: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # Trello: skipped cards, member names

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.broken)

    def stored(self) -> dict[str, Any]:
        return {"header": self.header, "rows": self.rows, "broken": self.broken, **self.extra}


def decode(data: bytes) -> str:
    """UTF-8 (its BOM dropped), else Windows-1252: what spreadsheets save CSV as."""
    if b"\x00" in data:
        raise Unreadable(NOT_TEXT)  # binary, or UTF-16 (Excel's "Unicode text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.removeprefix("\ufeff")


def read(data: bytes) -> Table:
    """The file's rows, or Unreadable."""
    text = decode(data)
    if not text.strip():
        raise Unreadable(EMPTY)
    if text.lstrip().startswith(("{", "[")):
        from kanvaro.imports.trello import read_trello

        try:
            board = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: JSON nested past Python's stack
            board = None
        return read_trello(board)
    return read_csv(text)


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    # A bounded sample: the sniffer's time grows with the square of what it is given, and a
    # file without line breaks would otherwise be given whole.
    sample = "\n".join(text[:8192].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_csv(text: str) -> Table:
    dialect = _dialect(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter,
                        quotechar='"', doublequote=True, skipinitialspace=False, strict=False)
    header: list[str] | None = None
    table = Table("csv", [])
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if header is None:
                if len(cells) > MAX_COLUMNS:
                    raise Unreadable(TOO_MANY_COLUMNS)
                header = [c.strip() or f"Column {i + 1}" for i, c in enumerate(cells)]
                table.header = header
                continue
            if table.total >= MAX_ROWS:
                raise Unreadable(TOO_MANY_ROWS)
            if len(cells) != len(header):
                table.broken.append({"row": start, "reason": (
                    f"Has {len(cells)} cell{'' if len(cells) == 1 else 's'}; the header has "
                    f"{len(header)}.")})
            elif any(len(c) > CELL_LIMIT for c in cells):
                table.broken.append({"row": start, "reason": "A cell is too long."})
            else:
                table.rows.append([start, *cells])
    except csv.Error as exc:
        raise Unreadable(MALFORMED.format(problem=str(exc).rstrip("."))) from None
    if header is None:
        raise Unreadable(EMPTY)
    if not table.total:
        raise Unreadable(NO_ROWS)
    return table
