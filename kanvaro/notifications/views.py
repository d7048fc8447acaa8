"""Watch and unwatch, the notification list, mark read, and the mail settings page."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from kanvaro.notifications import actions
from kanvaro.notifications import queries as notes
from kanvaro.notifications.forms import MailSettings, MailSettingsForm
from kanvaro.web.paging import page_href
from kanvaro.web.view import Web, view


def _watch_answer(web: Web, task: Any, watching: bool) -> Response:
    """Back to the task page; with htmx the button itself (tasks/_watch.html), its new state
    said in the live region."""
    said = "You are watching this task." if watching else "You no longer watch this task."
    if not web.hx.partial:
        return web.done(web.url("task", task_id=task.id), said)
    return web.render("tasks/_watch.html", task=task, watching=watching, said=said)


@view()
def task_watch(web: Web, task_id: int) -> Response:
    return _watch_answer(web, actions.watch(web.ctx, task_id), True)


@view()
def task_unwatch(web: Web, task_id: int) -> Response:
    return _watch_answer(web, actions.unwatch(web.ctx, task_id), False)


@view()
def notification_list(web: Web) -> Response:
    page = notes.notification_page(web.ctx, web.request.query_params)
    return web.render("notifications/list.html", block="list", page=page, nav_unread=page.unread,
                      page_href=page_href({}))


@view()
def notification_read(web: Web, notification_id: int) -> Response:
    count = actions.mark_read(web.ctx, notification_id)
    if not web.hx.partial:
        return web.done(web.url("notifications"), "Marked read.")
    return web.render("notifications/list.html", block="item_answer",
                      item=notes.item(web.ctx, notification_id),
                      nav_unread=max(web.ctx.user.unread - count, 0), said="Marked read.")


@view()
def notifications_read_all(web: Web) -> Response:
    count = actions.mark_all_read(web.ctx)
    said = f"Marked {count} notification{'' if count == 1 else 's'} read."
    if not web.hx.partial:
        return web.done(web.url("notifications"), said)
    page = notes.notification_page(web.ctx, {})
    return web.render("notifications/list.html", block="list_answer", page=page, nav_unread=0,
                      page_href=page_href({}), said=said)


def _settings_page(web: Web, form: MailSettingsForm) -> Response:
    return web.render("notifications/settings.html", block="form", form=form)


@view()
def mail_settings(web: Web) -> Response:
    return _settings_page(web, MailSettingsForm(data={"mail": notes.mail_kinds(web.ctx)}))


@view()
def mail_settings_save(web: Web) -> Response:
    actions.change_mail_settings(web.ctx, web.sent(MailSettings))
    if not web.hx.partial:
        return web.done(web.url("notification_settings"), "Notification settings saved.")
    form = MailSettingsForm(data={"mail": notes.mail_kinds(web.ctx)})
    return web.render("notifications/settings.html", block="form", form=form,
                      said="Notification settings saved.")
