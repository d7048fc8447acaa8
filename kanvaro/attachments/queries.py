"""The read side of attachments."""

from __future__ import annotations

from typing import Any

from kanvaro.context import Ctx
from kanvaro.tasks.models import Task


def task_attachments(ctx: Ctx, task: Task) -> list[Any]:
    """The task's attachments, oldest first (task from a scoped loader)."""
    return []
