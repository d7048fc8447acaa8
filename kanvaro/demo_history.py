"""The demo's timeline (kanvaro/demo.py): moments in working hours counted back from now, due
dates around today, and each task's plan of when it was made and moved on."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from kanvaro.stories.models import Story
from kanvaro.tasks.models import Task


class Clock:
    """Moments in working hours (09:00-18:00 UTC, Monday to Friday), counted back from now."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.days: list[tuple[datetime, datetime]] = []  # newest first
        day = now.date()
        while len(self.days) < 90:
            start = datetime.combine(day, time(9), UTC)
            end = min(datetime.combine(day, time(18), UTC), now)
            if day.weekday() < 5 and end > start:
                self.days.append((start, end))
            day -= timedelta(days=1)

    def ago(self, days: float) -> datetime:
        """The moment `days` working days of 9 hours before now."""
        left = timedelta(hours=9 * days)
        for start, end in self.days:
            if left <= end - start:
                return (end - left).replace(microsecond=0)
            left -= end - start
        return self.days[-1][0]


def due(rng: random.Random, today: date, completed: date | None) -> date | None:
    """A due date around today: some overdue, some today, most in the coming weeks."""
    r = rng.random()
    if completed is not None:
        return None if r < 0.3 else completed + timedelta(days=rng.randint(-2, 6))
    if r < 0.15:
        return None
    days = (rng.randint(-9, -1) if r < 0.32 else 0 if r < 0.4 else rng.randint(1, 7)
            if r < 0.65 else rng.randint(8, 35))
    return today + timedelta(days=days)


def status_after(statuses: list[str]) -> str:
    """A story's status from its tasks'."""
    if statuses and all(s == "completed" for s in statuses):
        return "completed"
    return "todo" if all(s == "todo" for s in statuses) else "in-progress"


@dataclass
class Plan:
    task: Task
    story: Story | None
    born: float  # working days ago
    moments: list[float]  # when it moved on to each next status, oldest first
    creator: str
    by: str  # who moved it on
    first_due: date | None = None
    postponed: float | None = None
    assignees: list[str] = field(default_factory=list)  # people's keys, the first the main one
