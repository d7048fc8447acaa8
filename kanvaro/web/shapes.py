"""The shape of every form POST's answer, one helper for all the HTML views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from kanvaro.errors import Conflict, Invalid
from kanvaro.web.flash import Flash
from kanvaro.web.view import Web


def edit_route(
    web: Web, change: Callable[[], Any], done: Callable[[Any], str],
    invalid: Callable[[Invalid], Response],
    conflict: Callable[[Conflict], Response] | None = None,
    flash: Callable[[Any], Flash | str] | None = None,
) -> Response:
    """The shape of every form POST: the action; on success 303 (or HX-Location) to `done`,
    the next page saying `flash`; on invalid input the page (or its form fragment) again with
    a 422; on a stale `version` the form with the current values and a 409."""
    try:
        result = change()
    except Invalid as exc:
        return invalid(exc)
    except Conflict as exc:
        if conflict is None:
            raise
        return conflict(exc)
    return web.done(done(result), flash(result) if flash is not None else None)
