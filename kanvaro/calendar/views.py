"""The calendar links page (one's account) and the two feeds."""

from __future__ import annotations

from starlette.responses import Response

from kanvaro.calendar import actions, feeds, queries
from kanvaro.calendar.endpoint import feed_view
from kanvaro.context import Ctx
from kanvaro.web.view import Web, view


def webcal(link: str) -> str:
    """The link with the scheme that makes a browser hand it to the calendar app."""
    return "webcal://" + link.split("://", 1)[1] if "://" in link else link


def _page(web: Web, token: str | None = None) -> Response:
    """The page; with `token` (just made) it shows the links, which no later visit can."""
    base = web.app.settings.base_url
    mine = projects = None
    if token is not None:
        mine = base + web.url("calendar_feed", feed_token=token)
        projects = [(number, name, base + web.url("project_calendar_feed", project_id=pid,
                                                   feed_token=token))
                    for pid, number, name in queries.feed_projects(web.ctx)]
    response = web.render("calendar/page.html", block="links", made_at=queries.token_made_at(web.ctx),
                          mine=mine, projects=projects, webcal=webcal)
    if token is not None:  # the secret is in this answer only: no cache may keep it
        response.headers["Cache-Control"] = "no-store"
    return response


@view()
def calendar_page(web: Web) -> Response:
    return _page(web)


@view()
def calendar_make(web: Web) -> Response:
    return _page(web, actions.make_token(web.ctx))


@view()
def calendar_revoke(web: Web) -> Response:
    said = ("Calendar links turned off: calendars subscribed to them get nothing more."
            if actions.revoke_token(web.ctx) else "There were no calendar links to turn off.")
    return web.done(web.url("calendar"), said)


@feed_view
def my_feed(ctx: Ctx, url: feeds.Url) -> bytes:
    return feeds.my_feed(ctx, queries.my_dated_tasks(ctx), url)


@feed_view
def project_feed(ctx: Ctx, url: feeds.Url, project_id: int) -> bytes:
    return feeds.project_feed(ctx, queries.project_dated_tasks(ctx, project_id), url)
