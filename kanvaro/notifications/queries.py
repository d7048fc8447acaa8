"""The read side of watching and notifications."""

from __future__ import annotations

from kanvaro.context import Ctx
from kanvaro.tasks.models import Task


def watching(ctx: Ctx, task: Task) -> bool:
    """Whether ctx's actor watches the task (task from a scoped loader)."""
    return False
