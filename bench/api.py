"""Issue 13's bench pieces: the JSON API's task list and status PATCH, and the import time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from bench.harness import Req
from bench.seed import Org, target_status
from kanvaro.security import token_hash
from kanvaro.tokens.auth import new_token
from kanvaro.tokens.models import ApiToken

GZ = {"Accept-Encoding": "gzip, deflate, br"}


def api_token(engine: Engine, org: Org) -> str:
    """A write token of the organization's owner, straight into api_token."""
    raw, now = new_token(), datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(ApiToken), {
            "organization_id": org.id, "user_id": org.owner_id, "name": "bench", "scope": "write",
            "token_hash": token_hash(raw), "created_at": now, "expires_at": now + timedelta(days=1),
            "revoked_at": None})
    return raw


def task_list(org: Org, token: str) -> Req:
    """`GET /api/v1/projects/{id}/tasks?limit=100`: the first 100 of the 200 tasks."""
    return ("GET", f"/api/v1/projects/{org.big_project}/tasks?limit=100", "",
            {"Authorization": f"Bearer {token}", **GZ})


def status_patch(org: Org, token: str, task_index: int, round_: int) -> Req:
    """`PATCH /api/v1/tasks/{id}` with only `status`: the same action as the htmx control."""
    body = json.dumps({"status": target_status(org, task_index, round_)})
    return ("PATCH", f"/api/v1/tasks/{org.big_tasks[task_index]}", body,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **GZ})


def status_patches(org: Org, token: str, rounds: int = 5) -> list[Req]:
    return [status_patch(org, token, i, r) for r in range(rounds) for i in range(len(org.big_tasks))]
