"""Webhook fixtures: settings that allow loopback targets, a real HTTP receiver, a hook."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from kanvaro.inputs import parse
from kanvaro.models import Task
from kanvaro.settings import Settings
from kanvaro.webhooks import actions
from kanvaro.webhooks.forms import NewWebhook
from kanvaro.webhooks.models import WebhookDelivery
from tests.factories import make_ctx


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings with KANVARO_WEBHOOK_ALLOW_PRIVATE on: receivers are on loopback."""
    return dataclasses.replace(settings, webhook_allow_private=True)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server on a loopback port; `answers` are the statuses it gives in turn (the
    last one repeats), `delay` how long it waits before answering, `release` ends a wait early."""

    url: str = ""
    answers: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    got: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    headers: dict[str, str] = field(default_factory=dict)

    def answer(self) -> int:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.got.append(Received(self.path, dict(self.headers.items()), data))
            if state.delay:
                state.release.wait(state.delay)
            code = state.answer()
            self.send_response(code)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook?team=a"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def task(db, org, project) -> Task:
    t = Task(organization_id=org.id, project_id=project.id, number=1, title="Fix login", position=1)
    db.add(t)
    db.commit()
    return t


@pytest.fixture
def make_hook(db, settings, owner):
    """make_hook(url, events=[...], secret=...) -> the Webhook, committed, made by the owner."""

    def make(url: str, events: list[str] | None = None, secret: str = "s3cret-shared") -> Any:
        hook = actions.create_webhook(make_ctx(db, owner, settings), parse(NewWebhook, {
            "url": url, "events": events or ["task.status_changed"], "secret": secret}))
        db.commit()
        return hook

    return make


def deliveries(db) -> list[WebhookDelivery]:
    db.commit()  # end the read snapshot: see what the app and the sender committed
    db.expire_all()
    return list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
