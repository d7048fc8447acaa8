"""The audit log page: every entry of the organization, newest first, filtered and paginated."""

from __future__ import annotations

from starlette.responses import Response

from kanvaro.audit_log.queries import ENTITY_TYPES, audit_page
from kanvaro.audit_log.sentences import describe
from kanvaro.web.paging import page_href
from kanvaro.web.view import Web, view


@view()
def audit_log(web: Web) -> Response:
    found = audit_page(web.ctx, web.request.query_params)
    entries = [(e, describe(e, found.known, web.url)) for e in found.entries]
    return web.render(
        "audit.html", block="results", entries=entries, entity_type=found.entity_type,
        actor_id=found.actor_id, page=found.page, has_next=found.has_next,
        people=found.people, ENTITY_TYPES=ENTITY_TYPES,
        page_href=page_href({"entity_type": found.entity_type, "actor": found.actor_id}),
    )
