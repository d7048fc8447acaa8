"""Calendar links made straight into the table, and tasks with due dates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kanvaro.calendar.models import CalendarFeedToken
from kanvaro.models import Task
from kanvaro.security import new_token, token_hash
from tests.factories import assign, now


def feed_token(db: Any, user: Any) -> str:
    """A calendar token of `user`, straight into calendar_token; returns the raw token."""
    raw = new_token()
    db.add(CalendarFeedToken(organization_id=user.organization_id, user_id=user.id,
                             token_hash=token_hash(raw), created_at=now()))
    db.commit()
    return raw


def dated_task(db: Any, project: Any, title: str, due: date | None, *assignees: Any,
               status: str = "todo") -> Task:
    project.task_seq += 1
    task = Task(organization_id=project.organization_id, project_id=project.id,
                number=project.task_seq, title=title, due_date=due, status=status,
                position=project.task_seq)
    db.add(task)
    db.flush()
    assign(db, task, *assignees)
    db.commit()
    return task


@pytest.fixture
def make_feed_token(db: Any) -> Any:
    return lambda user: feed_token(db, user)
