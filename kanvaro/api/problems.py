"""RFC 9457 problem details: how every API error is said."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from kanvaro.errors import Conflict, Invalid, KanvaroError, Throttled

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Changed meanwhile",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
    503: "Temporarily unavailable",
}
DETAILS = {
    401: "Send a personal access token: Authorization: Bearer kvp_...",
    403: "The token's person may not do this, or the token is read-only.",
    404: "There is nothing here, or the token's person cannot see it.",
    409: "The row changed since the version sent; `current` is what it is now.",
    422: "Some fields need attention: see `errors`.",
    429: "The token's rate limit is reached; wait `Retry-After` seconds.",
    500: "The server could not finish the request. Nothing was changed.",
    503: "The database is unavailable; try again shortly.",
}


def is_api(path: str) -> bool:
    """The JSON API's addresses: their errors are problem details, never a page."""
    return path == "/api" or path.startswith("/api/")


def problem(status: int, detail: str = "", *, errors: dict[str, list[str]] | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"),
                            "status": status, "detail": detail or DETAILS.get(status, "")}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    # As every other answer is written (Starlette's JSONResponse): compact, UTF-8 as it is.
    text = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(text.encode(), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def problem_for(exc: KanvaroError, current: Any = None) -> Response:
    """A domain error as problem details; `current` is a conflict's row as the API shows it."""
    if isinstance(exc, Invalid):
        return problem(422, errors=exc.errors)
    if isinstance(exc, Conflict):
        return problem(409, current=current)
    if isinstance(exc, Throttled):
        retry = exc.retry_after or 60
        return problem(429, headers={"Retry-After": str(retry)})
    if exc.status_code == 401:
        return problem(401, headers={"WWW-Authenticate": 'Bearer realm="kanvaro"'})
    return problem(exc.status_code if exc.status_code in TITLES else 500)
