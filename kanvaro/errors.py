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
    """Input failed validation: `errors` is field -> messages, for any caller (a JSON body as
    much as a form); `form`, when the input came from one, is shown again re-filled."""

    status_code = 422

    def __init__(self, form: Any = None, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__("invalid input")
        self.form = form
        if errors is None:
            errors = {name: [str(m) for m in messages]
                      for name, messages in (form.errors if form is not None else {}).items()}
        self.errors = errors


class Conflict(KanvaroError):
    """The row changed since the user loaded it: `current` is what it is now."""

    status_code = 409

    def __init__(self, current: Any, form: Any = None) -> None:
        super().__init__("edited meanwhile")
        self.current = current
        self.form = form


def expect_version(data: Any, current_version: int, current: Any, form: Any = None) -> None:
    """The one check of an edit's `version` (SPEC §4): a value that is not the row's current
    version is a Conflict; no value (or an empty one) means the caller did not say."""
    expected = data.get("version") if hasattr(data, "get") else None
    if expected not in (None, "") and str(expected).strip() != str(current_version):
        if form is not None and hasattr(form, "version"):
            form.version.data = str(current_version)  # saving again overrides, knowingly
        raise Conflict(current, form)


class Throttled(KanvaroError):
    status_code = 429


class BadRequest(KanvaroError):
    status_code = 400
