"""Webhooks: add one, delete one, deliver one of its deliveries again."""

from __future__ import annotations

from sqlalchemy import delete

from kanvaro import events
from kanvaro.context import Ctx
from kanvaro.inputs import Parsed
from kanvaro.permissions import require
from kanvaro.webhooks import outbox, targets
from kanvaro.webhooks.forms import NewWebhook
from kanvaro.webhooks.models import Webhook, WebhookDelivery
from kanvaro.webhooks.queries import get_delivery, get_webhook


def create_webhook(ctx: Ctx, sent: Parsed[NewWebhook]) -> Webhook:
    require(ctx.user, "webhook:manage")
    url = sent.data.get("url") or ""
    # The address check resolves the host name: only for an address that passed the rules.
    refused = (targets.refusal(url, allow_private=ctx.settings.webhook_allow_private)
               if url and "url" not in sent.errors else None)
    value = sent.valid(url=refused)
    chosen = [e for e in outbox.EVENTS if e in value.events]  # the form's order, once each
    hook = Webhook(organization_id=ctx.org_id, url=value.url, events=chosen, secret=value.secret,
                   created_by_id=ctx.user.id, created_at=ctx.now, active=True)
    ctx.db.add(hook)
    ctx.db.flush()
    assert hook.id is not None
    outbox.set_flag(ctx.db.connection(), ctx.org_id)
    # The secret stays out of the audit log: it signs, whoever reads the log must not.
    ctx.emit(events.WebhookCreated(hook.id, {"url": [None, hook.url], "events": [None, chosen]}))
    return hook


def delete_webhook(ctx: Ctx, webhook_id: int) -> Webhook:
    """The hook and every delivery of it, sent or not."""
    hook = get_webhook(ctx, webhook_id, for_update=True)
    require(ctx.user, "webhook:manage")
    conn = ctx.db.connection()
    outbox.hold_flag(conn, ctx.org_id)
    conn.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id,
                                               WebhookDelivery.organization_id == ctx.org_id))
    conn.execute(delete(Webhook).where(Webhook.id == hook.id,
                                       Webhook.organization_id == ctx.org_id))
    outbox.set_flag(conn, ctx.org_id)
    ctx.emit(events.WebhookDeleted(webhook_id, {"url": [hook.url, None],
                                                "events": [list(hook.events), None]}))
    return hook


def redeliver(ctx: Ctx, webhook_id: int, delivery_id: int) -> str:
    """A new delivery of the same payload, under a new delivery id, due now; that id."""
    hook = get_webhook(ctx, webhook_id, for_update=True)  # not deleted under the new row
    assert hook.id is not None
    delivery = get_delivery(ctx, hook.id, delivery_id)
    require(ctx.user, "webhook:manage")
    new = outbox.again(ctx.db, delivery, ctx.now)
    ctx.emit(events.WebhookRedelivered(hook.id, {"delivery": [delivery.uuid, new],
                                                 "event": [None, delivery.event]}))
    return new
