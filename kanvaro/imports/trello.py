"""A Trello board's JSON export as the rows of an import (docs/import.md).

Each open card is a row: its list becomes the status where the list's name is one
(`rows.status_of`: "To do", "Doing", "Done"...; else To Do, and the list's name a label), its
checklists go into the description as Markdown task lists, its labels and members come as
those columns (members by username, matched to handles, else by full name). Archived cards and
the cards of archived lists are left out, and counted.
"""

from __future__ import annotations

from typing import Any

from kanvaro.imports.reading import MAX_ROWS, NOT_TRELLO, TOO_MANY_ROWS, Table, Unreadable
from kanvaro.imports.rows import status_of

HEADER = ["Trello card", "Title", "Description", "Status", "Members", "Due date", "Labels"]
MAPPING = {"0": "ignore", "1": "title", "2": "description", "3": "status", "4": "assignee",
           "5": "due_date", "6": "labels"}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    """A list as the export has it, or none: a hostile file may put anything there."""
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _checklists(board: dict[str, Any]) -> dict[str, list[str]]:
    """Card id -> its checklists as Markdown."""
    out: dict[str, list[str]] = {}
    for checklist in _dicts(board.get("checklists")):
        items = [f"- [{'x' if item.get('state') == 'complete' else ' '}] {_text(item.get('name')).strip()}"
                 for item in sorted(_dicts(checklist.get("checkItems")),
                                    key=lambda i: i.get("pos") if isinstance(i.get("pos"), (int, float)) else 0)]
        name = _text(checklist.get("name")).strip() or "Checklist"
        out.setdefault(_text(checklist.get("idCard")), []).append("\n".join([f"**{name}**", "", *items]))
    return out


def read_trello(board: Any) -> Table:
    if not isinstance(board, dict) or not isinstance(board.get("cards"), list) \
            or not isinstance(board.get("lists"), list):
        raise Unreadable(NOT_TRELLO)
    lists = {_text(x.get("id")): x for x in _dicts(board["lists"])}
    labels = {_text(x.get("id")): _text(x.get("name")).strip() or _text(x.get("color"))
              for x in _dicts(board.get("labels"))}
    members = {_text(m.get("id")): m for m in _dicts(board.get("members"))}
    checklists = _checklists(board)
    table = Table("trello", list(HEADER))
    skipped = 0
    for n, card in enumerate(_dicts(board["cards"]), start=1):
        where = lists.get(_text(card.get("idList")), {})
        if card.get("closed") is True or where.get("closed") is True:
            skipped += 1
            continue
        if len(table.rows) >= MAX_ROWS:
            raise Unreadable(TOO_MANY_ROWS)
        list_name = _text(where.get("name")).strip()
        status = status_of(list_name) if list_name else None
        names = [labels[i] for i in _list(card.get("idLabels")) if isinstance(i, str) and labels.get(i)]
        if list_name and status is None:
            names.append(list_name)  # no status of that name: the list is kept as a label
        people = [_text(members[i].get("username")) or _text(members[i].get("fullName"))
                  for i in _list(card.get("idMembers")) if isinstance(i, str) and i in members]
        description = "\n\n".join(x for x in (_text(card.get("desc")).strip(),
                                             *checklists.get(_text(card.get("id")), [])) if x)
        table.rows.append([n, _text(card.get("id")) or str(n), _text(card.get("name")), description,
                           status or "todo", ", ".join(p for p in people if p),
                           _text(card.get("due")), ", ".join(names)])
    table.extra = {"skipped": skipped, "names": {
        _text(m.get("username")).lower(): _text(m.get("fullName"))
        for m in members.values() if _text(m.get("username")) and _text(m.get("fullName"))}}
    if not table.rows:
        raise Unreadable("The Trello export has no open cards to import.")
    return table
