"""The application factory: plain configuration of routes, middleware and handlers."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope, Send

from kanvaro import logs
from kanvaro.api.problems import is_api, problem
from kanvaro.db import make_engine
from kanvaro.mail import sender_lifespan
from kanvaro.middleware import Guard
from kanvaro.projects.rows import TEMPLATE_GLOBALS as PROJECT_GLOBALS
from kanvaro.security import CookieSigner
from kanvaro.settings import Settings
from kanvaro.tasks.controls import TEMPLATE_GLOBALS as TASK_GLOBALS
from kanvaro.templating import TEMPLATE_DIR, make_env
from kanvaro.web.errors import error_page
from kanvaro.web.fallback import routing_error
from kanvaro.web.state import App
from kanvaro.web.urls import url_builder

log = logging.getLogger("kanvaro")
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


class StaticUrls:
    """`static('kanvaro.css')` -> `/static/kanvaro.css?v=<content hash>`, cached per file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        url = self._cache.get(name)
        if url is None:
            path = self.root / name
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "0"
            url = self._cache[name] = f"/static/{name}?v={digest}"
        return url


class CachedStatic(StaticFiles):
    """Static files are addressed by content hash, so they can be cached for a year."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def build_id() -> str:
    """A digest of every template and static file: a deploy changes every ETag."""
    digest = hashlib.blake2b(digest_size=8)
    for root in (TEMPLATE_DIR, STATIC_DIR):
        for path in sorted(root.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def healthz(request: Request) -> Response:
    app: App = request.app.state.kanvaro
    try:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        log.exception("health check failed")
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("ok")


def routes() -> list[Any]:
    from kanvaro.api.routes import MOUNT as API
    from kanvaro.routes import ROUTES

    # The API first: a path under /api/v1 then costs one prefix test, not a try of each of
    # the pages' routes; a page's path pays one failed test for it (bench: the API rows).
    return [
        Route("/healthz", healthz, name="healthz"),
        API,
        *ROUTES,
        Mount("/static", CachedStatic(directory=STATIC_DIR), name="static"),
    ]


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Starlette:
    """`engine`: one already made for `settings.database_url` (the tests keep one per database,
    and with it SQLAlchemy's compiled statements, across the apps they make)."""
    settings = settings or Settings.from_env()
    logs.install()
    engine = engine or make_engine(settings.database_url)
    state = App(
        settings=settings,
        engine=engine,
        env=make_env(StaticUrls(STATIC_DIR), {**TASK_GLOBALS, **PROJECT_GLOBALS}),
        signer=CookieSigner(settings.resolved_secret_key()),
        build=build_id(),
    )

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 500:
            log.error("unhandled error", exc_info=exc)
        if is_api(request.url.path):
            return problem(status, headers=getattr(exc, "headers", None))
        if status == 500:
            return error_page(state, request, status)
        return await routing_error(state, request, status)

    async def guard_error(scope: Scope, send: Send, status: int) -> None:
        request = Request(scope)
        request.scope["app"] = app
        answer = problem(status) if is_api(request.url.path) else error_page(state, request, status)
        await answer(scope, _no_receive, send)

    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(Guard, max_body=settings.max_body_bytes, on_error=guard_error,
                       max_upload=settings.max_upload_bytes),
            # Below one TCP segment (~1,400 bytes) compressing saves no packet and costs a
            # zlib stream: a status change's answer, a PATCH's JSON go as they are.
            Middleware(GZipMiddleware, minimum_size=1400, compresslevel=2),
        ],
        exception_handlers={HTTPException: http_error, Exception: http_error},
        lifespan=sender_lifespan(settings, engine),
    )
    app.state.kanvaro = state
    # Templates name routes, never spell paths (STYLE habit 12): `url('task', task_id=t.id)`.
    state.url = url_builder(app.routes)
    state.env.globals["url"] = state.url
    return app


async def _no_receive() -> dict[str, Any]:
    return {"type": "http.disconnect"}
