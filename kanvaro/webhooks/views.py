"""Webhook pages: the list with the form to add one, a hook with its deliveries."""

from __future__ import annotations

from starlette.responses import Response

from kanvaro.inputs import refill
from kanvaro.web.shapes import edit_route
from kanvaro.web.view import Web, view
from kanvaro.webhooks import actions
from kanvaro.webhooks import queries as hooks
from kanvaro.webhooks.forms import NewWebhook, WebhookForm
from kanvaro.webhooks.outbox import EVENTS

Errors = dict[str, list[str]]


def _list_page(web: Web, *, errors: Errors | None = None, http_status: int = 200) -> Response:
    rows = hooks.webhooks_page(web.ctx)
    form = refill(WebhookForm(web.data()), errors) if errors is not None else WebhookForm()
    return web.render("webhooks/index.html", block="new_hook", http_status=http_status,
                      rows=rows, form=form, EVENTS=EVENTS)


@view()
def webhooks_page(web: Web) -> Response:
    return _list_page(web)


@view()
def webhook_create(web: Web) -> Response:
    return edit_route(web, lambda: actions.create_webhook(web.ctx, web.sent(NewWebhook)),
                      lambda _: web.url("webhooks"),
                      lambda exc: _list_page(web, errors=exc.errors, http_status=422),
                      flash=lambda hook: f"Webhook to {hook.url} added.")


@view()
def webhook_page(web: Web, webhook_id: int) -> Response:
    found = hooks.webhook_page(web.ctx, webhook_id)
    return web.render("webhooks/show.html", hook=found.hook, deliveries=found.deliveries,
                      EVENTS=EVENTS, shown=hooks.SHOWN)


@view()
def webhook_delete_page(web: Web, webhook_id: int) -> Response:
    """The question before a hook goes: its deliveries go with it."""
    return web.render("webhooks/delete.html", hook=hooks.webhook_deletion(web.ctx, webhook_id))


@view()
def webhook_delete(web: Web, webhook_id: int) -> Response:
    hook = actions.delete_webhook(web.ctx, webhook_id)
    return web.done(web.url("webhooks"), f"Webhook to {hook.url} deleted.")


@view()
def webhook_redeliver(web: Web, webhook_id: int, delivery_id: int) -> Response:
    new = actions.redeliver(web.ctx, webhook_id, delivery_id)
    return web.done(web.url("webhook", webhook_id=webhook_id),
                    f"Delivery {new} queued; it is sent within seconds.")
