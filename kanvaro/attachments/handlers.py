"""What follows from other areas' events, in their transaction: blobs nobody uses any more go.

Deleting a task (or a project with its tasks) deletes its attachments by the foreign key's
ON DELETE CASCADE; their blobs are swept here. Every unused blob of the organization goes, not
only the task's: their digests are no longer known here, and there are no others to find
(each change that leaves a blob unused sweeps it in its own transaction).
"""

from __future__ import annotations

from typing import Any

from kanvaro import audit
from kanvaro.attachments import blobs


@audit.on("task.deleted", "project.deleted")
def sweep_blobs(ctx: Any, event: Any) -> None:
    blobs.sweep(ctx)
