"""The floor: a bare Starlette hello-world, served exactly the way `kanvaro serve` serves.

`python bench/floor.py --port N --workers W` runs kanvaro's own `serve` command
(kanvaro/cli.py) with `uvicorn.run` pointed at this hello-world instead of
`kanvaro.app:create_app`: the same uvicorn, the same options (workers, protocol, logging),
so the ratio to the floor measures Kanvaro and nothing else. KANVARO_DATA_DIR should name
a scratch directory (serve migrates its SQLite database first).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


async def hello(request: Request) -> Response:
    return PlainTextResponse("Hello, world!")


def create_app() -> Starlette:
    return Starlette(routes=[Route("/", hello)])


def main(argv: list[str]) -> int:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # workers import bench.floor
    import uvicorn

    from kanvaro import cli

    real_run = uvicorn.run

    def run(app: Any, **options: Any) -> None:
        assert app == "kanvaro.app:create_app", app
        real_run("bench.floor:create_app", **options)

    uvicorn.run = run  # type: ignore[assignment]
    return cli.main(["serve", "--host", "127.0.0.1", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
