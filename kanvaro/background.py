"""The background loops besides the mail sender: webhook deliveries, import jobs.

Each is `async def loop(settings, engine) -> None`, running forever; its blocking work goes
to a thread (`asyncio.to_thread`), so requests are never held up, and every piece of work it
does is a row in the database claimed with a lease, so several workers may run it at once.
`kanvaro.mail.sender_lifespan` starts them with the sender (`Settings.run_mail_sender`, off
in tests, which call each loop's one-pass function directly).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Coroutine
from typing import Any

# "module:function" of each loop; imported late, as the kernel sits below the areas.
LOOPS: tuple[str, ...] = ("kanvaro.imports.jobs:run_loop", "kanvaro.webhooks.delivery:run_loop")


def loops() -> list[Callable[..., Coroutine[Any, Any, None]]]:
    found = []
    for name in LOOPS:
        module, _, fn = name.partition(":")
        found.append(getattr(importlib.import_module(module), fn))
    return found
