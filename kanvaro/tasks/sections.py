"""What the task page shows of the other areas: its timeline, files and whether I watch it.

Each area answers for its own section with a query that checks nothing more (the task came
from the scoped loader); the task page asks them here, in one place.
"""

from __future__ import annotations

from typing import Any

from kanvaro.activity.queries import task_timeline
from kanvaro.attachments.queries import task_attachments
from kanvaro.context import Ctx
from kanvaro.notifications.queries import watching
from kanvaro.tasks.models import Task


def task_sections(ctx: Ctx, task: Task) -> dict[str, Any]:
    return {"timeline": task_timeline(ctx, task), "attachments": task_attachments(ctx, task),
            "watching": watching(ctx, task)}
