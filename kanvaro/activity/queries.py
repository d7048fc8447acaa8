"""A task's timeline and a project's activity."""

from __future__ import annotations

from typing import Any

from kanvaro.context import Ctx
from kanvaro.tasks.models import Task


def task_timeline(ctx: Ctx, task: Task) -> list[Any]:
    """The task's comments and audit entries, oldest first (task from a scoped loader)."""
    return []
