"""Paths of named routes, fast: a page calls this for every link it shows.

Starlette's `url_path_for` walks the whole route table and raises and catches an exception
for every route that is not the one named: ~40 µs a call here, 4 ms on a list of 100 rows
(measured: the project list took twice as long as with paths spelled out). This builds each
route's path from its `path_format` and convertors, looked up once by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from starlette.routing import BaseRoute, Route


def _compile(route: Route) -> tuple[list[str], list[tuple[str, Any]]]:
    """The literal pieces of a route's path and, between them, its parameters."""
    pieces = re.split(r"\{(\w+)\}", route.path_format)
    names = pieces[1::2]
    return pieces[0::2], [(name, route.param_convertors[name]) for name in names]


def url_builder(routes: Iterable[BaseRoute]) -> Callable[..., str]:
    """`url(name, **params) -> path` over the named `Route`s (the first of a name wins)."""
    table: dict[str, tuple[list[str], list[tuple[str, Any]]]] = {}
    for route in routes:
        if isinstance(route, Route) and route.name not in table:
            table[route.name] = _compile(route)

    def url(name: str, **params: Any) -> str:
        literals, slots = table[name]  # a KeyError names the route a template got wrong
        if len(params) != len(slots):
            raise ValueError(f"route {name!r} takes {[n for n, _ in slots]}, not {sorted(params)}")
        if not slots:
            return literals[0]
        out = [literals[0]]
        for (key, convertor), literal in zip(slots, literals[1:]):
            out.append(convertor.to_string(params[key]))
            out.append(literal)
        return "".join(out)

    return url
