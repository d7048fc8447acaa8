"""Small helpers for web tests: read what a user would see in the HTML, follow a new cookie."""

from __future__ import annotations

import html
import re
from typing import Any

from kanvaro.security import SESSION_COOKIE

FULL_PAGE = "<!doctype html>"


def tag(page: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    match = re.search(rf'<(\w+)\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert match, f"no element with id={element_id!r}"
    return match.group(0)


def attr(opening_tag: str, name: str) -> str | None:
    match = re.search(rf'\b{re.escape(name)}="([^"]*)"', opening_tag)
    return html.unescape(match.group(1)) if match else None


def field_error(page: str, field_id: str) -> str:
    """The error shown next to a field, after checking the field points at it."""
    control = tag(page, field_id)
    error_id = f"{field_id}-error"
    assert error_id in (attr(control, "aria-describedby") or "").split(), control
    if not control.startswith("<fieldset"):
        assert attr(control, "aria-invalid") == "true", control
    match = re.search(rf'<p class="field-error" id="{re.escape(error_id)}">(.*?)</p>', page, re.DOTALL)
    assert match, f"no error text for {field_id}"
    return html.unescape(match.group(1))


def has_no_error(page: str, field_id: str) -> bool:
    return f'id="{field_id}-error"' not in page and 'aria-invalid' not in tag(page, field_id)


def value_of(page: str, field_id: str) -> str | None:
    """What an input shows (its value attribute), or a textarea's text."""
    control = tag(page, field_id)
    if control.startswith("<textarea"):
        match = re.search(rf'id="{re.escape(field_id)}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
        return html.unescape(match.group(1)).strip() if match else None
    if control.startswith("<select"):
        block = re.search(rf'id="{re.escape(field_id)}"[^>]*>(.*?)</select>', page, re.DOTALL)
        assert block
        chosen = re.search(r'<option selected value="([^"]*)"', block.group(1))
        return html.unescape(chosen.group(1)) if chosen else None
    return attr(control, "value")


def without_tokens(page: str) -> str:
    """The page with its per-response CSRF tokens removed, to compare two pages."""
    page = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)
    return re.sub(r'"X-CSRF-Token": "[^"]*"', '"X-CSRF-Token"', page)


def adopt_cookie(browser: Any, response: Any) -> dict[str, Any]:
    """Take over the session cookie a response set, as a browser would; returns its payload."""
    header = response.headers.get("set-cookie", "")
    match = re.search(rf"{SESSION_COOKIE}=([^;]*)", header)
    assert match, f"no session cookie in {header!r}"
    payload = browser.signer.loads(match.group(1))
    assert payload, "the cookie does not carry a valid signature"
    browser.client.cookies.clear()
    browser.session_token = payload.get("s", "")
    browser.csrf_secret = payload["c"]
    browser._set_cookie()
    return payload
