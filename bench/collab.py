"""Issue 12's bench pieces: the comment post, and the digest run over 1,000 notifications."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, delete, insert, select, update

from bench.harness import Req
from bench.seed import Org
from kanvaro.models import EmailOutbox, Notification, User
from kanvaro.settings import Settings

GZ = {"Accept-Encoding": "gzip, deflate, br"}
PENDING = 1_000


def comment_post(org: Org, task_id: int, n: int) -> Req:
    """`POST /tasks/{id}/comments` as htmx sends it from the task page."""
    body = urlencode({"csrf_token": org.csrf, "body": f"Bench comment {n}: looks **good**."})
    return ("POST", f"/tasks/{task_id}/comments", body, {
        **org.headers(), **GZ, "HX-Request": "true",
        "HX-Current-URL": f"http://127.0.0.1/tasks/{task_id}",
        "X-CSRF-Token": org.csrf, "Content-Type": "application/x-www-form-urlencoded",
    })


def comment_reqs(org: Org) -> list[Req]:
    return [comment_post(org, org.big_tasks[i % len(org.big_tasks)], i) for i in range(400)]


def digest_run(engine: Engine, org: Org, data_dir: Path, secret: str) -> dict[str, Any]:
    """1,000 unread, unmailed notifications spread over the organization's people, then one
    digest run (kanvaro.notifications.digest.run_digests), timed; the outbox rows it wrote."""
    from kanvaro.notifications.digest import run_digests

    now = datetime.now(UTC)
    with engine.begin() as conn:
        people = [u for u in conn.scalars(select(User.id).where(User.organization_id == org.id))
                  if u != org.owner_id]
        conn.execute(update(User).where(User.organization_id == org.id).values(digest_sent_at=None))
        conn.execute(delete(Notification).where(Notification.organization_id == org.id))
        before = conn.scalar(select(EmailOutbox.id).order_by(EmailOutbox.id.desc()).limit(1)) or 0
        conn.execute(insert(Notification), [
            {"organization_id": org.id, "user_id": people[i % len(people)],
             "kind": ("commented", "status_changed", "mentioned", "assigned")[i % 4],
             "task_id": org.big_tasks[i % len(org.big_tasks)], "actor_id": org.owner_id,
             "created_at": now - timedelta(minutes=30), "read_at": None, "mailed_at": None}
            for i in range(PENDING)])
    settings = Settings(data_dir=data_dir, database_url=str(engine.url.render_as_string(False)),
                        secret_key=secret, base_url="http://127.0.0.1", run_mail_sender=False)
    t0 = time.perf_counter()
    run_digests(engine, settings, now)
    seconds = time.perf_counter() - t0
    with engine.begin() as conn:
        mails = len(conn.scalars(select(EmailOutbox.id).where(EmailOutbox.id > before)).all())
        left = len(conn.scalars(select(Notification.id).where(
            Notification.organization_id == org.id, Notification.mailed_at.is_(None))).all())
    return {"seconds": seconds, "notifications": PENDING, "people": len(people), "mails": mails,
            "left_unmailed": left}
