"""The JSON API's URLs: /api/v1/..., each an `Operation` (kanvaro.api.endpoint), and the
OpenAPI document made from them. Mounted apart from the HTML routes (kanvaro.routes): no
cookie, no CSRF; the generated suites walk them separately."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from kanvaro.api import comments, projects, stories, tasks, users
from kanvaro.api.endpoint import Operation, endpoint
from kanvaro.api.openapi import document

OPERATIONS: tuple[Operation, ...] = (*projects.OPERATIONS, *tasks.OPERATIONS,
                                     *stories.OPERATIONS, *comments.OPERATIONS, *users.OPERATIONS)


_DOCUMENT: list[bytes] = []  # made on first ask, the same for every caller


def openapi(request: Request) -> Response:
    if not _DOCUMENT:
        _DOCUMENT.append(JSONResponse(document(OPERATIONS)).body)
    return Response(_DOCUMENT[0], media_type="application/json")


def _routes() -> list[Route]:
    found = [Route("/openapi.json", openapi, methods=["GET"], name="api_openapi")]
    for op in OPERATIONS:
        found.append(Route(op.path, endpoint(op), methods=[op.method], name=op.name))
    return found


MOUNT = Mount("/api/v1", routes=_routes())
