"""iCalendar (RFC 5545) documents of the feeds, built with the `icalendar` package.

Each dated task is an all-day VEVENT on its due date (DTEND the day after, as RFC 5545 has
all-day events end), transparent so it never marks a day busy. Its UID is stable
(`task-<id>@<host>`) and its DTSTAMP and LAST-MODIFIED are the task's last change, so the
same data gives the same document byte for byte (the feed's ETag) and a calendar app updates
an event in place instead of adding a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from kanvaro.calendar.queries import Dated, ProjectFeed
from kanvaro.columns import aware
from kanvaro.context import Ctx
from kanvaro.enums import TASK_STATUSES
from kanvaro.projects.models import Project

PRODID = "-//Kanvaro//Calendar feed//EN"
DAY = timedelta(days=1)
Url = Callable[..., str]  # a route name and its parameters -> the path


def _host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "kanvaro"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def _all_day(uid: str, day: date, summary: str, stamp: datetime, url: str,
             description: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("last-modified", stamp.astimezone(UTC))
    event.add("dtstart", day)
    event.add("dtend", day + DAY)
    event.add("summary", summary)
    event.add("url", url)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    return event


def task_events(ctx: Ctx, tasks: Iterable[Dated], url: Url) -> list[Event]:
    base, host = ctx.settings.base_url, _host(ctx.settings.base_url)
    events = []
    for t in tasks:
        link = base + url("task", task_id=t.id)
        status = TASK_STATUSES.get(t.status, t.status)
        events.append(_all_day(
            f"task-{t.id}@{host}", t.due_date, f"{t.label} {t.title}", t.updated_at, link,
            f"Status: {status}\nProject: {t.project_number} {t.project_name}\n{link}"))
    return events


def project_events(ctx: Ctx, project: Project, url: Url) -> list[Event]:
    """The project's start and end dates, each an all-day event."""
    base, host = ctx.settings.base_url, _host(ctx.settings.base_url)
    link = base + url("project", project_id=project.id)
    stamp = aware(project.updated_at) or ctx.now
    found = []
    for kind, day, words in (("start", project.start_date, "starts"),
                             ("end", project.end_date, "ends")):
        if day is not None:
            found.append(_all_day(f"project-{project.id}-{kind}@{host}", day,
                                  f"{project.number} {project.name} {words}", stamp, link, link))
    return found


def sprint_events(ctx: Ctx, project_ids: list[int], url: Url) -> list[Event]:
    """The sprints of these projects (SPEC §13 feeds them too). Sprints do not exist yet: the
    sprints area adds its start and end dates here, as project_events does for projects."""
    return []


def my_feed(ctx: Ctx, tasks: list[Dated], url: Url) -> bytes:
    cal = _calendar(f"Kanvaro: {ctx.user.name}")
    for event in task_events(ctx, tasks, url):
        cal.add_component(event)
    return cal.to_ical()


def project_feed(ctx: Ctx, found: ProjectFeed, url: Url) -> bytes:
    project = found.project
    assert project.id is not None
    cal = _calendar(f"Kanvaro: {project.number} {project.name}")
    for event in [*project_events(ctx, project, url), *sprint_events(ctx, [project.id], url),
                  *task_events(ctx, found.tasks, url)]:
        cal.add_component(event)
    return cal.to_ical()
