"""The JSON adapter around the unit of work: bearer token, JSON body, problem details.

An `Operation` is one method and path with its handler `fn(call, **path_params) -> Answer`,
its body model (kanvaro.api.bodies) and its answer's schema; the routes and the OpenAPI
document are both made from the list of them. The wrapper checks the token's form and reads
the body on the event loop, then runs the handler on a request thread inside `uow.run`: the
actor comes from the token in the request's own transaction (kanvaro.tokens.auth), every
refusal is problem details and rolls the whole request back, and a refused request still
counts against the token's rate limit. No cookie is read and no CSRF token asked: a browser
never sends a bearer token on its own.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kanvaro import uow
from kanvaro.api.problems import problem, problem_for
from kanvaro.context import Ctx
from kanvaro.db import is_transient
from kanvaro.errors import Conflict, KanvaroError, Unauthorized
from kanvaro.tokens.auth import BearerToken, count_use
from kanvaro.web.convertors import MAX_ID
from kanvaro.web.errors import request_id
from kanvaro.web.state import App
from kanvaro.web.view import client_addr

log = logging.getLogger("kanvaro.api")
JSON_TYPES = ("application/json", "application/merge-patch+json")


@dataclass(frozen=True)
class Query:
    """One query parameter an operation takes (documented; the handler reads it)."""

    name: str
    schema: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # under /api/v1, Starlette's form: /tasks/{task_id:id}
    fn: Callable[..., Answer]
    summary: str
    answer: type[BaseModel] | None  # None: 204
    body: type[BaseModel] | None = None
    status: int = 200
    query: tuple[Query, ...] = ()
    tag: str = ""
    name: str = ""

    @property
    def write(self) -> bool:
        return self.method not in {"GET", "HEAD"}


@dataclass(frozen=True)
class Answer:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """What a handler gets: the context, the body as sent, the query, and URLs."""

    ctx: Ctx
    request: Request
    body: BaseModel | None
    app: App

    @property
    def params(self) -> Any:
        return self.request.query_params

    def sent(self) -> dict[str, Any]:
        return self.body.sent() if self.body is not None else {}  # type: ignore[attr-defined]

    def location(self, name: str, **params: Any) -> str:
        return str(self.request.url_for(name, **params).path)


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _error_fields(exc: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "body"
        errors.setdefault(name, []).append(error["msg"])
    return errors


async def _read_body(request: Request, op: Operation) -> BaseModel | Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in JSON_TYPES:
        return problem(415, "Send the body as application/json.")
    raw = await request.body()  # the Guard caps it at KANVARO_MAX_BODY_BYTES (413)
    try:
        return op.body.model_validate_json(raw)  # type: ignore[union-attr]
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            return problem(400, "The body is not valid JSON.")
        if any(e["type"] == "model_type" for e in exc.errors()):
            return problem(422, "The body must be a JSON object.", errors={"body": ["Expected an object."]})
        return problem(422, errors=_error_fields(exc))


def endpoint(op: Operation) -> Callable[[Request], Any]:
    async def run(request: Request) -> Response:
        app: App = request.app.state.kanvaro
        for value in request.path_params.values():
            if isinstance(value, int) and value > MAX_ID:
                return problem(404)
        if any("\x00" in k + v for k, v in request.query_params.multi_items()):
            return problem(400, "A query parameter holds a NUL character.")
        unknown = sorted(set(request.query_params) - {q.name for q in op.query})
        if unknown:  # a misspelt filter would otherwise list everything, silently
            return problem(422, errors={name: ["Not a parameter of this operation."]
                                        for name in unknown})
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return problem_for(Unauthorized())
        body = None
        if op.body is not None:
            read = await _read_body(request, op)
            if isinstance(read, Response):
                return read
            body = read
        work = functools.partial(_handle, app, request, op, token.strip(), body)
        return await anyio.to_thread.run_sync(work, limiter=app.limiter(False))

    run.__name__ = op.name or op.fn.__name__
    return run


def _handle(app: App, request: Request, op: Operation, token: str, body: BaseModel | None) -> Response:
    auth = BearerToken(token, write=op.write, limit=app.settings.api_rate_per_minute)
    caller = uow.Caller(auth, request_id(request), client_addr(request),
                        request.headers.get("user-agent", ""))

    def work(ctx: Ctx) -> Answer:
        if ctx.actor is None:
            raise _Refused(problem_for(Unauthorized()))
        try:
            return op.fn(Call(ctx, request, body, app), **request.path_params)
        except KanvaroError as exc:
            # Rolled back with the rest; the request still counts against the rate limit.
            ctx.keep(lambda kept: count_use(kept.db, token, kept.now))
            current = exc.current if isinstance(exc, Conflict) else None
            raise _Refused(problem_for(exc, _shown(current))) from None

    try:
        answer = uow.run(app, caller, work, write=True)
    except _Refused as refused:
        return refused.response
    except KanvaroError as exc:  # from the authenticator: rate limit, a read token's write
        return problem_for(exc)
    except Exception as exc:  # logged here; nothing internal reaches the caller
        if is_transient(exc):
            log.warning("api request %s: database unavailable: %s", request_id(request), exc)
            return problem(503)
        log.exception("api request %s failed", request_id(request))
        return problem(500, request_id=request_id(request))
    if answer.body is None:
        return Response(status_code=answer.status if answer.status != 200 else 204,
                        headers=answer.headers)
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


def _shown(current: Any) -> Any:
    """A conflict's current row, as the API shows it (handlers raise it already shaped)."""
    return current if isinstance(current, (dict, type(None))) else None
