"""The task status control (SPEC §5), rendered in Python: the board shows hundreds of them,
and a Jinja macro per card cost more than the rest of the page. One markup source for the
board, the list, the task page and the htmx fragment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache, lru_cache
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup, escape

from kanvaro.enums import PRIORITIES, TASK_STATUSES
from kanvaro.tasks.assignees import People
from kanvaro.templating import relative_due_html


def path_format(name: str) -> str:
    """The path of the route `name` as a format string: `/tasks/{task_id}/status`.

    The same path `url_path_for` builds (an `id` parameter is written as the int), found
    in the route table rather than spelled here. The table is imported late: it imports
    every area's views, which must stay free to use this module."""
    from starlette.routing import Route

    from kanvaro.routes import ROUTES

    for route in ROUTES:
        if isinstance(route, Route) and route.name == name:
            return route.path_format
    raise LookupError(f"no route named {name!r}")


@cache
def _form() -> str:
    """The status control's form, a format string over `task_id`, `csrf`, `status`, `text`,
    `label` and `buttons`; built on first use from the `task_status` route."""
    action = path_format("task_status")
    return (
        f'<form method="post" action="{action}" tabindex="-1" class="status-control" '
        f'id="status-{{task_id}}" data-status-control hx-post="{action}" hx-target="this" '
        'hx-swap="outerHTML" hx-sync="this:drop">\n'
        '<input type="hidden" name="csrf_token" value="{csrf}">\n'
        '<span class="badge st-{status}" data-badge>{text}</span>\n'
        '<span class="status-buttons" role="toolbar" aria-label="Status of task {label}">\n'
        "{buttons}</span>\n</form>\n"
    )


@cache
def _move_form() -> str:
    """A card's move buttons (SPEC §10, `view=board`), a format string over `task_id`,
    `csrf` and `label`; with htmx the answer is the column's cards, swapped in place. The
    board draws 200 of them: every byte here is 200 on the page."""
    action = path_format("task_move")
    # ⤒ ↑ ↓ ⤓ as character references: a page of only ASCII is half the bytes in memory and
    # encodes ten times faster, and these were the board's only other characters.
    arrows = {"top": ("&#x2912;", "to the top"), "up": ("&#x2191;", "up"),
              "down": ("&#x2193;", "down"), "bottom": ("&#x2913;", "to the bottom")}
    buttons = "".join(f'<button name="to" value="{to}" aria-label="Move {words}">{arrow}</button>'
                      for to, (arrow, words) in arrows.items())
    # hx-target and hx-swap come from the column's list (templates/projects/board.html).
    return (
        f'<form method="post" action="{action}" class="move" data-move hx-post="{action}">'
        '<input type="hidden" name="csrf_token" value="{csrf}">'
        '<input type="hidden" name="view" value="board">'
        '<span role="toolbar" aria-label="Move task {label}">' + buttons + "</span></form>\n"
    )


@cache
def _task_href() -> tuple[str, str]:
    """The task page's path (the `task` route) around its id: `("/tasks/", "")`, so a card
    writes it in its f-string."""
    before, found, after = path_format("task").partition("{task_id}")
    if not found or "{" in before + after:
        raise LookupError("the task route's path has other parameters than task_id")
    return before, after


_READONLY = (
    '<span class="badge st-{status} status-readonly" id="status-{id}">'
    '<span class="visually-hidden">Status: </span>{text}</span>\n'
)
# The five buttons depend only on which status is pressed: built once per status. Each has
# a status icon (a ring filling up, CSS) and its full name; on a card or a list row only the
# pressed one shows its name (the others' stays their accessible name and their tooltip), so
# the control keeps to one line (docs/design.md, "Status control").
_BUTTONS = {
    pressed: "".join(
        f'<button name="status" value="{value}" '
        f'aria-pressed="{"true" if value == pressed else "false"}" title="{text}">'
        f'<i class="st-icon"></i><span class="lbl">{text}</span></button>'
        for value, text in TASK_STATUSES.items()
    )
    + "\n"
    for pressed in TASK_STATUSES
}


def _control(task_id: int, label: str, status: str, csrf: str, editable: bool,
             form: str | None = None) -> str:
    """The one markup of the status control; `label` and `csrf` already escaped; `form` is
    `_form()`, looked up once by a caller that draws many."""
    text = TASK_STATUSES[status]
    if not editable:
        return _READONLY.format(status=status, id=task_id, text=text)
    return (form or _form()).format(task_id=task_id, csrf=csrf, status=status, text=text,
                                    label=label, buttons=_BUTTONS[status])


def status_control_html(
    task_id: int, label: str, status: str, *, csrf_token: str, editable: bool
) -> Markup:
    if status not in TASK_STATUSES:
        raise ValueError(status)
    return Markup(_control(int(task_id), str(escape(label)), status, str(escape(csrf_token)),
                           editable))


@pass_context
def status_control(context: Any, task_id: int, label: str, status: str) -> Markup:
    """`{{ status_control(task.id, "3.14", task.status) }}` in any template."""
    actor = context.get("actor")
    editable = actor is None or actor.can("task:change_status")
    return status_control_html(task_id, str(label), status,
                               csrf_token=context.get("csrf_token") or "", editable=editable)


def _comments(count: int) -> str:
    """A card's or row's comment count (task.comment_count): a bubble and the number, named
    in full ("3 comments") for screen readers and as a tooltip."""
    if not count:
        return ""
    n = int(count)
    return f' <span class="n-comments" role="img" title="{n} comment{"" if n == 1 else "s"}">{n}</span>'


def _initials(name: str) -> str:
    """As kanvaro.templating.avatar shows a person: the first letters of two words."""
    return "".join(w[0] for w in name.split()[:2]).upper() or "?"


@lru_cache(maxsize=2048)
def _faces(people: People) -> str:
    """Initials of the first three (then "+n"), on each one's own colour (kanvaro.templating.avatar)."""
    faces = "".join(f'<b class="avatar hue-{uid % 12}">{escape(_initials(name))}</b>'
                    for uid, name in people[:3])
    return faces + (f'<b class="avatars-more">+{len(people) - 3}</b>' if len(people) > 3 else "")


@lru_cache(maxsize=2048)
def _card_people(people: People) -> str:
    """A card's assignees: their initials, one image named "Assigned to Ann, Bob" (for screen
    readers and as a tooltip). Short: the board draws 200 of them."""
    if not people:
        return ""
    names = escape(", ".join(name for _, name in people))
    return f' <span class="avatars" role="img" title="Assigned to {names}">{_faces(people)}</span>'


def _row_people(people: People) -> str:
    """A list row's assignees: initials beside the names."""
    if not people:
        return "&mdash;"
    return (f'<span class="assignees"><span class="avatars" aria-hidden="true">{_faces(people)}'
            f'</span> <span>{escape(", ".join(name for _, name in people))}</span></span>')


def _due(task: Any, today: date) -> str:
    if not task.due_date:
        return ""
    return relative_due_html(task.due_date, today, task.status == "completed")


def due_html(task: Any, today: date) -> Markup:
    """"due in 3 days", "overdue by 2 days" (templating.relative_due); empty without a date."""
    return Markup(_due(task, today))


class Kept:
    """Drawings of rows kept by what they show (the row itself and `extra`: the day, the
    project's number, whether it has controls), with a stand-in for the CSRF token, which is
    masked afresh for every page and put in as the drawings are joined. A board of 200 cards
    or a list of 50 rows mostly redraws none (issue 11). At `size` it starts again."""

    STAND_IN = "\x00csrf\x00"

    def __init__(self, draw: Callable[..., list[str]], size: int) -> None:
        self.draw, self.size = draw, size
        self._kept: dict[tuple[Any, ...], str] = {}

    def __call__(self, rows: list[Any], extra: tuple[Any, ...], csrf: str) -> Markup:
        kept, out, missing = self._kept, [], []
        for row in rows:
            key = (tuple(row), *extra)
            drawn = kept.get(key)
            if drawn is None:
                missing.append((len(out), key, row))
            out.append(drawn)
        if missing:
            if len(kept) + len(missing) > self.size:
                kept.clear()
            for (at, key, _), drawn in zip(missing, self.draw([r for _, _, r in missing], *extra)):
                out[at] = kept[key] = drawn
        return Markup("".join(out).replace(self.STAND_IN, csrf))


def _setting(context: Any) -> tuple[bool, str, date]:
    """What is the same for every card or row of a page: may the actor change statuses, the
    escaped CSRF token, the day."""
    actor = context.get("actor")
    editable = actor is None or actor.can("task:change_status")
    return editable, str(escape(context.get("csrf_token") or "")), context["today"]


@pass_context
def board_cards(context: Any, tasks: list[Any], project_number: int) -> Markup:
    """The cards of one column (tasks.board.Card): number, title, priority, assignees,
    points, due date, comment count, status control, move buttons. One call per column."""
    editable, csrf, today = _setting(context)
    return _CARDS(tasks, (project_number, editable, today), csrf)


def _draw_cards(tasks: list[Any], project_number: int, editable: bool, today: date) -> list[str]:
    csrf = Kept.STAND_IN
    form = _form()
    move = _move_form() if editable else ""
    href, href_end = _task_href()
    out = []
    for task in tasks:
        tid = int(task.id)
        label = f"{project_number}.{int(task.number)}"
        status = task.status
        extra = _card_people(task.assignees)
        if task.story_points is not None:
            extra += f" <span>{int(task.story_points)} pts</span>"
        control = _control(tid, label, status, csrf, editable, form)
        moving = move.format(task_id=tid, csrf=csrf, label=label) if move else ""
        out.append(
            f'<li class="card" id="task-{tid}" data-card data-task="{tid}">\n'
            f'<h3><a href="{href}{tid}{href_end}"><span class="num">{label}</span> {escape(task.title)}</a></h3>\n'
            f'<p class="meta"><span class="badge priority-{task.priority}">'
            f'{PRIORITIES.get(task.priority, "")}</span>{extra} {_due(task, today)}'
            f'{_comments(task.comment_count)}</p>\n'
            f'<div class="card-foot">{control}{moving}</div></li>\n'
        )
    return out


@pass_context
def task_rows(context: Any, rows: list[Any], project_number: int) -> Markup:
    """The rows of a project's task list (tasks.queries.ListRow): number, title (and the
    comment count), assignees, priority, due date, points and the status control. In Python
    like the cards: a Jinja loop over 50 rows cost more than the rest of the page (issue 11)."""
    editable, csrf, today = _setting(context)
    return _ROWS(rows, (project_number, editable, today), csrf)


def _draw_rows(rows: list[Any], project_number: int, editable: bool, today: date) -> list[str]:
    csrf = Kept.STAND_IN
    form = _form()
    href, href_end = _task_href()
    out = []
    for task in rows:
        tid = int(task.id)
        label = f"{project_number}.{int(task.number)}"
        points = "" if task.story_points is None else int(task.story_points)
        out.append(
            f'<tr id="task-{tid}">\n'
            f'<td data-label="#">{label}</td>\n'
            f'<td data-label="Title"><a href="{href}{tid}{href_end}">{escape(task.title)}</a>'
            f'{_comments(task.comment_count)}</td>\n'
            f'<td data-label="Assignees">{_row_people(task.assignees)}</td>\n'
            f'<td data-label="Priority"><span class="badge priority-{task.priority}">'
            f'{PRIORITIES.get(task.priority, "")}</span></td>\n'
            f'<td data-label="Due">{_due(task, today)}</td>\n'
            f'<td data-label="Points">{points}</td>\n'
            f'<td data-label="Status">{_control(tid, label, task.status, csrf, editable, form)}</td>\n'
            "</tr>\n"
        )
    return out


_CARDS = Kept(_draw_cards, size=4000)  # about 2 KB a card
_ROWS = Kept(_draw_rows, size=2000)


# What the task area adds to every template.
TEMPLATE_GLOBALS = {"status_control": status_control, "due": due_html, "board_cards": board_cards,
                    "task_rows": task_rows}
