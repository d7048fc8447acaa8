"""What every request of one app shares: settings, engine, templates, the cookie signer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
from jinja2 import Environment
from sqlalchemy import Engine

from kanvaro.security import CookieSigner
from kanvaro.settings import PASSWORD_THREADS, Settings


@dataclass
class App:
    """The running app as the HTML adapter sees it (a kanvaro.uow.Runtime too)."""

    settings: Settings
    engine: Engine
    env: Environment
    signer: CookieSigner
    build: str = ""  # changes when templates or static files change: part of every ETag
    url: Callable[..., str] = field(default=lambda name, **params: "")  # set by create_app
    _limiters: dict[bool, anyio.CapacityLimiter] = field(default_factory=dict)

    def limiter(self, password: bool) -> anyio.CapacityLimiter:
        """The threads requests run on: few (Settings.request_threads), and apart for the
        views that hash passwords. Made on first use, inside the event loop."""
        limiter = self._limiters.get(password)
        if limiter is None:
            size = PASSWORD_THREADS if password else self.settings.request_threads()
            limiter = self._limiters[password] = anyio.CapacityLimiter(size)
        return limiter
