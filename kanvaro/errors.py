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
    """A form failed validation; carries the form so it can be shown again."""

    status_code = 422

    def __init__(self, form: Any) -> None:
        super().__init__("invalid input")
        self.form = form


class Conflict(KanvaroError):
    """The row changed since the user loaded it."""

    status_code = 409

    def __init__(self, current: Any, form: Any) -> None:
        super().__init__("edited meanwhile")
        self.current = current
        self.form = form


class Throttled(KanvaroError):
    status_code = 429


class BadRequest(KanvaroError):
    status_code = 400
