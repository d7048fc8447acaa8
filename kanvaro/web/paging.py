"""Links to the pages of a list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode


def page_href(filters: dict[str, Any]) -> Callable[[int], str]:
    """`href(n)` for the pager macro: page n of the same list, with the filters that are set."""
    kept = {k: v for k, v in filters.items() if v not in (None, "")}
    return lambda n: "?" + urlencode({**kept, "page": n})
