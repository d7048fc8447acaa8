"""The project list's rows, drawn in Python: a Jinja loop over 50 projects with their progress
and people cost more than the rest of the page (issue 11), as the task list's did."""

from __future__ import annotations

from functools import cache
from typing import Any

from markupsafe import Markup, escape

from kanvaro.enums import PRIORITIES, PROJECT_STATUSES
from kanvaro.tasks.controls import path_format
from kanvaro.templating import avatar_stack


@cache
def _project_href() -> tuple[str, str]:
    before, found, after = path_format("project").partition("{project_id}")
    if not found or "{" in before + after:
        raise LookupError("the project route's path has other parameters than project_id")
    return before, after


def progress_html(name: str, done: int, total: int) -> str:
    """"7/12" beside a meter; the meter's name says whose it is."""
    if not total:
        return '<span class="muted">No tasks</span>'
    return (f'<span class="progress"><meter min="0" max="{total}" value="{done}" '
            f'aria-label="Completed tasks of {name}">{done} of {total}</meter> {done}/{total}'
            '<span class="visually-hidden"> tasks completed</span></span>')


def project_rows(rows: list[Any], progress: dict[int, tuple[int, int]],
                 members: dict[int, tuple[tuple[int, str], ...]]) -> Markup:
    """One `<tr>` per project (projects.queries.LIST_COLUMNS): number, name, status, priority,
    progress, people, dates."""
    href, href_end = _project_href()
    out = []
    for p in rows:
        pid = int(p.id)
        name = escape(p.name)
        done, total = progress.get(pid, (0, 0))
        dates = p.start_date.isoformat() if p.start_date else ""
        if p.end_date:
            dates += f" – {p.end_date.isoformat()}"
        out.append(
            "<tr>\n"
            f'<td data-label="#">{int(p.number)}</td>\n'
            f'<td data-label="Name"><a href="{href}{pid}{href_end}">{name}</a></td>\n'
            f'<td data-label="Status"><span class="badge status-{p.status}">'
            f'{PROJECT_STATUSES.get(p.status, "")}</span></td>\n'
            f'<td data-label="Priority"><span class="badge priority-{p.priority}">'
            f'{PRIORITIES.get(p.priority, "")}</span></td>\n'
            f'<td data-label="Progress">{progress_html(name, done, total)}</td>\n'
            f'<td data-label="People">{avatar_stack(members.get(pid, ()))}</td>\n'
            f'<td data-label="Dates">{dates}</td>\n'
            "</tr>\n"
        )
    return Markup("".join(out))


TEMPLATE_GLOBALS = {"project_rows": project_rows}
