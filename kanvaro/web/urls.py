"""Paths of named routes, fast: a page calls this for every link it shows.

Starlette's `url_path_for` walks the whole route table and raises and catches an exception
for every route that is not the one named: ~40 µs a call here, 4 ms on a list of 100 rows
(measured: the project list took twice as long as with paths spelled out). This builds each
route's path from its `path_format` and convertors, looked up once by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from starlette.routing import BaseRoute, Route


def url_builder(routes: Iterable[BaseRoute]) -> Callable[..., str]:
    """`url(name, **params) -> path` over the named `Route`s (the first of a name wins)."""
    table: dict[str, Route] = {}
    for route in routes:
        if isinstance(route, Route) and route.name not in table:
            table[route.name] = route

    def url(name: str, **params: Any) -> str:
        route = table[name]  # a KeyError names the route a template or view got wrong
        path = route.path_format
        convertors = route.param_convertors
        if set(params) != set(convertors):
            raise ValueError(f"route {name!r} takes {sorted(convertors)}, not {sorted(params)}")
        for key, value in params.items():
            path = path.replace("{" + key + "}", convertors[key].to_string(value))
        return path

    return url
