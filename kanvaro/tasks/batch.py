"""Many tasks made in one unit of work, from one view of their project.

A caller creating many tasks in one transaction (an import's chunk: kanvaro.imports.jobs)
sets `BATCH` in `ctx.memo`; the task actions then read the project, its people and its
stories once, not once per task. Any other caller reads them every time, so a change made
earlier in the same unit of work is always seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kanvaro.context import Ctx

T = TypeVar("T")
BATCH = "tasks.batch"


def once(ctx: Ctx, key: str, read: Callable[[], T]) -> T:
    """`read()`, remembered under `key` for the rest of a batch's unit of work."""
    if not ctx.memo.get(BATCH):
        return read()
    if key not in ctx.memo:
        ctx.memo[key] = read()
    return ctx.memo[key]  # type: ignore[return-value]
