"""Webhook rows straight into the database, for the generated suites and these tests."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.orm import Session

from kanvaro.webhooks import outbox
from kanvaro.webhooks.models import Webhook, WebhookDelivery
from tests.factories import now


def make_webhook(db: Session, org: Any, user: Any, *, url: str = "https://93.184.216.34/hook",
                 events: list[str] | None = None) -> tuple[Webhook, WebhookDelivery]:
    """An active hook of `org` made by `user`, with one pending delivery; the revision flag
    set as creating it through its action would (kanvaro.webhooks.outbox)."""
    hook = Webhook(organization_id=org.id, url=url, events=events or ["task.status_changed"],
                   secret="walked-secret", created_by_id=user.id, created_at=now())
    db.add(hook)
    db.flush()
    delivery = WebhookDelivery(
        organization_id=org.id, webhook_id=hook.id, event="task.status_changed",
        uuid=str(uuid.uuid4()), payload=json.dumps({"event": "task.status_changed"}),
        created_at=now(), next_attempt_at=now())
    db.add(delivery)
    db.flush()
    outbox.set_flag(db.connection(), org.id)
    return hook, delivery
