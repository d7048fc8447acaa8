"""What a route function is handed: one request, its unit of work, and the answers it gives.

`Web` is to a route what `Ctx` is to an action; the view wrapper (kanvaro.web.view) builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from kanvaro.context import Ctx
from kanvaro.errors import KanvaroError
from kanvaro.forms import FormInput
from kanvaro.htmx import HtmxDetails, hx_location, see_other
from kanvaro.inputs import Parsed, T, parse
from kanvaro.permissions import Actor
from kanvaro.templating import render_html
from kanvaro.web.errors import error_page
from kanvaro.web.flash import FLASH_COOKIE, Flash, pending, read_flash, set_flash
from kanvaro.web.state import App


@dataclass
class Web:
    """One request as a route sees it."""

    request: Request
    app: App
    ctx: Ctx
    hx: HtmxDetails
    form: FormInput | None
    csrf_token: str
    session_token: str | None
    extra_headers: dict[str, str] = field(default_factory=dict)
    files: tuple[tuple[str, UploadFile], ...] = ()

    @property
    def actor(self) -> Actor | None:
        return self.ctx.actor

    @property
    def db(self) -> Session:
        return self.ctx.db

    def data(self) -> FormInput:
        return self.form if self.form is not None else FormInput(self.request.query_params)

    def sent(self, schema: type[T]) -> Parsed[T]:
        """The body as the input of an action (kanvaro.inputs)."""
        return parse(schema, self.data())

    def file(self, name: str) -> UploadFile | None:
        """The file an upload route received in the field `name`, spooled (kanvaro.web.reading)."""
        return next((f for k, f in self.files if k == name), None)

    def url(self, name: str, **params: Any) -> str:
        """The path of the named route (STYLE habit 12)."""
        return self.app.url(name, **params)

    def render(
        self, template: str, *, block: str | None = None, http_status: int = 200, **context: Any
    ) -> Response:
        """The whole page, or the named block of it for a non-boosted htmx request. A whole
        page shows the flash message the request carries, once."""
        flash = None
        if not self.hx.partial and pending(self.request):
            flash = read_flash(self.app, self.request)
        context.update(web=self, actor=self.ctx.actor, csrf_token=self.csrf_token,
                       request=self.request, hx=self.hx, flash=flash)
        chosen = block if self.hx.partial else None
        if chosen and "#" in chosen:  # a block of an included template: "file.html#block"
            template, chosen = chosen.split("#", 1)
        response = render_html(self.app.env, template, context, block=chosen, status=http_status)
        if not self.hx.partial and pending(self.request):
            response.delete_cookie(FLASH_COOKIE, path="/")
            response.headers["Cache-Control"] = "no-store"
        return response

    def done(self, url: str, flash: Flash | str | None = None) -> Response:
        """After a successful POST: 303 to a page, or HX-Location for htmx; `flash`, what the
        next page says of it."""
        response = hx_location(url) if self.hx.partial else see_other(url)
        if flash is not None:
            set_flash(self.app, response, flash if isinstance(flash, Flash) else Flash(flash))
        return response

    def error(self, exc: KanvaroError) -> Response:
        return error_page(self.app, self.request, exc.status_code, actor=self.ctx.actor,
                          csrf_token=self.csrf_token, web=self)

    def current_path(self) -> str:
        """The path of the page an htmx request came from (`HX-Current-URL`), or ""."""
        return urlsplit(self.hx.current_url or "").path


__all__ = ["Web"]
