"""The personal access tokens page: one's tokens, making one (shown once), revoking one."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from kanvaro.errors import Invalid
from kanvaro.inputs import refill
from kanvaro.tokens import actions
from kanvaro.tokens import queries as tokens
from kanvaro.tokens.forms import MAX_DAYS, NewToken, TokenForm
from kanvaro.web.view import Web, view


def _page(web: Web, form: TokenForm, *, http_status: int = 200, **context: Any) -> Response:
    return web.render("tokens/index.html", block="tokens", http_status=http_status, form=form,
                      tokens=tokens.my_tokens(web.ctx), max_days=MAX_DAYS, **context)


@view(revisioned=False)  # each API request writes the last use, and bumps no revision
def token_list(web: Web) -> Response:
    return _page(web, TokenForm())


@view()
def token_create(web: Web) -> Response:
    """The answer is the page itself, with the secret in it: the one time it is shown. A 303
    would have to carry the secret to the next page (a cookie, a URL), where it would stay."""
    try:
        made, secret = actions.create_token(web.ctx, web.sent(NewToken))
    except Invalid as exc:
        return _page(web, refill(TokenForm(web.data()), exc.errors), http_status=422)
    response = _page(web, TokenForm(), made=made, secret=secret)
    response.headers["Cache-Control"] = "no-store"  # never kept, never shown again from a cache
    return response


@view()
def token_revoke(web: Web, token_id: int) -> Response:
    token, now = actions.revoke_token(web.ctx, token_id)
    said = f'Token "{token.name}" revoked.' if now else f'Token "{token.name}" was already revoked.'
    return web.done(web.url("tokens"), said)
