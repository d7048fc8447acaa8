"""The board: one column per status, its cards with their assignees, in a fixed number of
statements whatever the size, optionally narrowed to one assignee or to the unassigned
(`?assignee=`).

The board is the page most looked at: each card's assignees come with it, as ids in the
cards' own statement, and their names from the project's people the page reads anyway for
its filter (only someone assigned who is no longer an active member is looked up apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import String, bindparam, cast, func, select, union_all

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.enums import TASK_STATUSES
from kanvaro.projects.models import Project
from kanvaro.tasks.assignees import People, assigned, assignee_condition, unassigned
from kanvaro.tasks.models import Task, TaskAssignee

COLUMN_LIMIT = 100
# A card's assignees' ids, "3,7": one short string per card, not one row per assignee.
_ASSIGNEE_IDS = (
    select(func.aggregate_strings(cast(TaskAssignee.user_id, String), ","))
    .where(TaskAssignee.task_id == Task.id).scalar_subquery()
)
BOARD_COLUMNS = (Task.id, Task.number, Task.title, Task.priority, Task.status, Task.due_date,
                 Task.story_points, Task.comment_count, _ASSIGNEE_IDS.label("assignee_ids"))


class Card(NamedTuple):
    """What a card shows (tasks.controls.board_cards); all of it is the key of its drawing."""

    id: int
    number: int
    title: str
    priority: str
    status: str
    due_date: date | None
    story_points: int | None
    comment_count: int
    assignees: People


def pick_assignee(value: str | None, people: list[tuple[int, str]]) -> str:
    """The `?assignee=` filter when it names one of `people` or "none"; else no filter."""
    value = (value or "").strip()
    return value if value == "none" or value in {str(uid) for uid, _ in people} else ""


def _narrowed(kind: str) -> list[Any]:
    """The filter's condition on a task, `kind` "" (none), "user" or "none"."""
    if kind == "user":
        return [assigned(Task.id, bindparam("assignee"))]
    return [unassigned(Task.id)] if kind == "none" else []


def _board_query(kind: str):  # type: ignore[no-untyped-def]
    # Each column walks the (project, status, position) index and stops at its limit.
    firsts = [
        select(Task.id).where(Task.project_id == bindparam("project_id"), Task.status == status,
                              *_narrowed(kind))
        .order_by(Task.position, Task.number).limit(COLUMN_LIMIT).subquery()
        for status in TASK_STATUSES
    ]
    # Joined from the chosen ids, so the database looks each card up by its key. Written as
    # `Task.id IN (...) AND organization_id = ...`, SQLite walked the organization's index
    # instead: every task of the organization, 10 ms at 100,000 tasks.
    shown = union_all(*[select(first.c.id) for first in firsts]).subquery("shown")
    return (
        select(*BOARD_COLUMNS).select_from(shown).join(Task, Task.id == shown.c.id)
        .where(Task.organization_id == bindparam("org_id"))
        .order_by(Task.position, Task.number)
    )


def _counts_query(kind: str):  # type: ignore[no-untyped-def]
    return (select(Task.status, func.count())
            .where(Task.project_id == bindparam("project_id"), *_narrowed(kind))
            .group_by(Task.status))


# Built once per kind of filter: building a statement cost as much as running it.
_BOARD = {kind: _board_query(kind) for kind in ("", "user", "none")}
_COUNTS = {kind: _counts_query(kind) for kind in ("", "user", "none")}


def _params(project_id: int, assignee: str) -> tuple[str, dict[str, Any]]:
    kind = "" if not assignee else "none" if assignee == "none" else "user"
    params: dict[str, Any] = {"project_id": project_id}
    if kind == "user":
        params["assignee"] = int(assignee)
    return kind, params


def column_counts(ctx: Ctx, project_id: int, assignee: str = "") -> dict[str, int]:
    """Tasks per status (of the assignee filter's); project_id must come from a scoped
    loader (it is not re-checked, so the count is answered from the (project, status,
    position) index alone)."""
    kind, params = _params(project_id, assignee)
    rows = ctx.db.connection().execute(_COUNTS[kind], params)
    return {status: count for status, count in rows}


@dataclass(frozen=True)
class Board:
    project: Project
    columns: dict[str, list[Card]]
    counts: dict[str, int]
    assignee: str  # the filter, "" for everyone's


@dataclass(frozen=True)
class Column:
    project: Project
    cards: list[Card]


def cards(ctx: Ctx, rows: list[Any], people: list[tuple[int, str]]) -> list[Card]:
    """Board rows as cards, each assignee named from `people` (the project's) or, for those
    no longer among them, by one more statement."""
    sets = {row[8] for row in rows} - {None}  # most cards share a few sets: each named once
    ids = {s: [int(u) for u in s.split(",")] for s in sets}
    names = dict(people)
    missing = {u for found in ids.values() for u in found} - names.keys()
    if missing:
        names.update(ctx.db.execute(select(User.id, User.name).where(
            User.id.in_(missing), User.organization_id == ctx.org_id)).all())  # type: ignore[attr-defined]
    named: dict[str | None, People] = {None: ()}
    for s, found in ids.items():
        named[s] = tuple(sorted(((u, names.get(u, "Someone")) for u in found), key=_by_name))
    make = Card._make
    return [make((*row[:8], named[row[8]])) for row in rows]


def _by_name(person: tuple[int, str]) -> tuple[str, int]:
    return person[1], person[0]


def column(ctx: Ctx, project: Project, status: str, people: list[tuple[int, str]],
           assignee: str = "") -> Column:
    """One column's cards, as the board shows them (after a move)."""
    stmt = (select(*BOARD_COLUMNS)
            .where(Task.project_id == project.id, Task.organization_id == ctx.org_id,
                   Task.status == status)
            .order_by(Task.position, Task.number).limit(COLUMN_LIMIT))
    if assignee:
        stmt = stmt.where(assignee_condition(Task.id, assignee))
    return Column(project, cards(ctx, ctx.db.execute(stmt).all(), people))


def board(ctx: Ctx, project: Project, people: list[tuple[int, str]], assignee: str = "") -> Board:
    """One column per status, at most COLUMN_LIMIT cards each: two statements whatever the
    size (the cards with their assignees, the counts). `people`: the project's
    (projects.queries.project_people); `assignee` from pick_assignee."""
    kind, params = _params(project.id, assignee)  # type: ignore[arg-type]
    rows = ctx.db.connection().execute(_BOARD[kind], params | {"org_id": ctx.org_id}).all()
    columns: dict[str, list[Card]] = {s: [] for s in TASK_STATUSES}
    for card in cards(ctx, rows, people):
        columns[card.status].append(card)
    return Board(project, columns, column_counts(ctx, project.id, assignee), assignee)  # type: ignore[arg-type]
