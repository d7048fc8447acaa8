"""Domain errors; the web layer renders each as a page or a fragment."""

from __future__ import annotations

from typing import Any


class KanvaroError(Exception):
    status_code = 500


class NotFound(KanvaroError):
    status_code = 404


class Forbidden(KanvaroError):
    status_code = 403


class Invalid(KanvaroError):
    """Input failed validation: `errors` is public field name -> messages, for any caller (a
    JSON body as much as a form); an HTML view shows its form again with them
    (kanvaro.inputs.refill)."""

    status_code = 422

    def __init__(self, *, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid input")
        self.errors = errors


class Conflict(KanvaroError):
    """The row changed since the user loaded it: `current` is what it is now."""

    status_code = 409

    def __init__(self, current: Any) -> None:
        super().__init__("edited meanwhile")
        self.current = current


def expect_version(expected: int | None, current_version: int, current: Any) -> None:
    """The one check of an edit's `version` (SPEC §4): a version that is not the row's
    current one is a Conflict; None means the caller did not say."""
    if expected is not None and expected != current_version:
        raise Conflict(current)


class Throttled(KanvaroError):
    """Too many requests; `retry_after` seconds, when known, go into `Retry-After`."""

    status_code = 429

    def __init__(self, reason: str = "too many requests", *, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unauthorized(KanvaroError):
    """No valid credential (the JSON API's bearer token); the HTML side sends to the login."""

    status_code = 401


class BadRequest(KanvaroError):
    status_code = 400
