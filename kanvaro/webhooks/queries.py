"""Reading webhooks: the loaders (404 for another organization's ids) and the pages' data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.errors import NotFound
from kanvaro.permissions import require
from kanvaro.webhooks.models import Webhook, WebhookDelivery

SHOWN = 50  # deliveries on a hook's page


def get_webhook(ctx: Ctx, webhook_id: int, *, for_update: bool = False) -> Webhook:
    stmt = select(Webhook).where(Webhook.id == webhook_id, Webhook.organization_id == ctx.org_id)
    hook = ctx.db.scalar(stmt.with_for_update() if for_update else stmt)
    if hook is None:
        raise NotFound("webhook")
    return hook


def get_delivery(ctx: Ctx, webhook_id: int, delivery_id: int) -> WebhookDelivery:
    """A delivery of that hook, in the actor's organization."""
    delivery = ctx.db.scalar(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id,
        WebhookDelivery.organization_id == ctx.org_id))
    if delivery is None:
        raise NotFound("webhook delivery")
    return delivery


@dataclass(frozen=True)
class HookRow:
    hook: Webhook
    creator: str | None
    deliveries: int
    failed: int


def webhooks_page(ctx: Ctx) -> list[HookRow]:
    """The organization's hooks, oldest first, with how many deliveries each made and failed."""
    require(ctx.user, "webhook:manage")
    counts = (select(WebhookDelivery.webhook_id, func.count().label("n"),
                     func.count().filter(WebhookDelivery.status == "failed").label("failed"))
              .where(WebhookDelivery.organization_id == ctx.org_id)
              .group_by(WebhookDelivery.webhook_id).subquery())
    rows = ctx.db.execute(
        select(Webhook, User.name, counts.c.n, counts.c.failed)
        .outerjoin(User, User.id == Webhook.created_by_id)
        .outerjoin(counts, counts.c.webhook_id == Webhook.id)
        .where(Webhook.organization_id == ctx.org_id).order_by(Webhook.id)
    ).all()
    return [HookRow(hook, name, n or 0, failed or 0) for hook, name, n, failed in rows]


@dataclass(frozen=True)
class HookPage:
    hook: Webhook
    deliveries: list[WebhookDelivery]


def webhook_page(ctx: Ctx, webhook_id: int) -> HookPage:
    """A hook and its last 50 deliveries, newest first."""
    hook = get_webhook(ctx, webhook_id)
    require(ctx.user, "webhook:manage")
    deliveries = list(ctx.db.scalars(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id,
                                      WebhookDelivery.organization_id == ctx.org_id)
        .order_by(WebhookDelivery.id.desc()).limit(SHOWN)))  # type: ignore[union-attr]
    return HookPage(hook, deliveries)


def webhook_deletion(ctx: Ctx, webhook_id: int) -> Webhook:
    """The hook, for the question before it is deleted."""
    hook = get_webhook(ctx, webhook_id)
    require(ctx.user, "webhook:manage")
    return hook
