"""A project's activity: its audit entries, newest first, said as the audit log says them."""

from __future__ import annotations

from starlette.responses import Response

from kanvaro.activity.queries import project_activity
from kanvaro.web.paging import page_href
from kanvaro.web.view import Web, view


@view()
def activity(web: Web, project_id: int) -> Response:
    found = project_activity(web.ctx, project_id, web.request.query_params)
    return web.render("activity/project.html", block="results", project=found.project,
                      view="activity", items=found.items, page=found.page,
                      has_next=found.has_next, page_href=page_href({}))
