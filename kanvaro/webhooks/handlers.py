"""What the events make for webhooks, in the change's transaction: their deliveries."""

from __future__ import annotations

from typing import Any

from kanvaro import audit
from kanvaro.events import Event
from kanvaro.webhooks.outbox import EVENTS, enqueue


@audit.on(*EVENTS)
def delivered_later(ctx: Any, event: Event) -> None:
    enqueue(ctx, event)
