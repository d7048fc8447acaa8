"""Browser tests: the real app in a real uvicorn server, driven by Debian's headless Chromium.

Fixtures (all function-scoped unless said otherwise):

- `live`: a `LiveServer` serving a fresh app on a fresh database (SQLite by default, the same
  `--db` option as the rest of the suite). `live.url`, `live.engine` (assert rows with it),
  `live.faults` (slow down, hold or fail requests on the server side), `live.login(context, user)`.
- `page`: a page in a fresh context with JavaScript on, `base_url` = the live server.
- `nojs_page`: the same with JavaScript disabled.
- `new_page(**context_options)`: more pages/contexts when a test needs them.
- `assert_no_axe_violations(page)`: axe-core on the current page, readable failure.
- `tab_to(page, selector_or_predicate)`: press Tab until the focused element matches.
- `key_to(page, selector)`: Tab to the toolbar holding a button, then the arrow keys to it.

A network failure (no answer at all) is simulated in the browser instead:
`page.route("**/tasks/1/status", lambda route: route.abort())`.

Every page collects CSP violations and uncaught page errors; a test fails at teardown if any
appeared (the app's CSP must hold with JavaScript on).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from kanvaro.models import UserSession
from kanvaro.security import SESSION_COOKIE, CookieSigner, new_csrf_secret, new_token, token_hash
from kanvaro.settings import Settings
from tests.factories import now

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
TIMEOUT_MS = 10_000
# The expectations wait as long as the actions (Playwright's own default is 5 s): on a loaded
# 2-CPU machine a page load after a POST has taken over 5 s. A passing expectation returns at
# once, so this costs a green run nothing.
expect.set_options(timeout=TIMEOUT_MS)


# --------------------------------------------------------------------------- server-side faults


@dataclass
class Fault:
    """One rule: requests matching method + path are delayed, held, or answered with `status`."""

    method: str | None
    path: str | re.Pattern[str]
    delay: float = 0.0
    status: int | None = None
    gate: threading.Event | None = None
    times: int | None = None  # apply to this many matching requests, then stop (None = always)
    hits: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return self.path == path

    def release(self) -> None:
        """Let a held request go on to the app."""
        if self.gate is not None:
            self.gate.set()

    def wait_arrived(self, timeout: float = 5.0) -> None:
        """Block until a matching request reached the server."""
        if not self.arrived.wait(timeout):
            raise AssertionError(f"no {self.method or ''} {self.path} request reached the server")


class Faults:
    """Configured by a test; consulted by the test server for every HTTP request.

        live.faults.slow("/tasks/1/status", 1.5)          # sleep 1.5 s, then the real app answers
        gate = live.faults.hold("/tasks/1/status")         # wait until gate.release()
        live.faults.fail("/tasks/1/status", status=500)    # answer 500, app never runs
        live.faults.fail(re.compile(r"/tasks/\\d+/status"), status=409, times=1)

    Paths are exact strings or compiled patterns (fullmatch, query string excluded); `method`
    defaults to POST for fail/hold/slow. Every rule is removed at the end of the test.
    """

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self.log: list[list[Any]] = []  # [method, path, status] of every request

    def slow(self, path: str | re.Pattern[str], seconds: float, *, method: str | None = "POST",
             times: int | None = None) -> Fault:
        return self._add(Fault(method, path, delay=seconds, times=times))

    def hold(self, path: str | re.Pattern[str], *, method: str | None = "POST",
             times: int | None = 1) -> Fault:
        return self._add(Fault(method, path, gate=threading.Event(), times=times))

    def fail(self, path: str | re.Pattern[str], status: int = 500, *, method: str | None = "POST",
             delay: float = 0.0, times: int | None = None) -> Fault:
        return self._add(Fault(method, path, status=status, delay=delay, times=times))

    def clear(self) -> None:
        with self._lock:
            for rule in self._rules:
                rule.release()
            self._rules.clear()
            self.log.clear()

    def requests(self, method: str | None = None, path: str | None = None) -> list[list[Any]]:
        return [r for r in self.log if (method is None or r[0] == method) and (path is None or r[1] == path)]

    def _add(self, rule: Fault) -> Fault:
        with self._lock:
            self._rules.append(rule)
        return rule

    def match(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    return rule
        return None


class SwitchableApp:
    """The ASGI app the one uvicorn server runs: applies faults, then calls the current app."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.current: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        entry: list[Any] = [method, path, None]
        self.faults.log.append(entry)

        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                entry[2] = message["status"]
            await send(message)

        rule = self.faults.match(method, path)
        if rule is not None:
            rule.arrived.set()
            if rule.delay:
                await asyncio.sleep(rule.delay)
            if rule.gate is not None:
                deadline = time.monotonic() + 30
                while not rule.gate.is_set() and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
            if rule.status is not None:
                body = f"<!doctype html><title>Forced failure</title><p>Forced {rule.status}</p>".encode()
                await recording_send({"type": "http.response.start", "status": rule.status,
                                      "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                                  (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        app = self.current
        if app is None:
            await recording_send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"no app"})
            return
        await app(scope, receive, recording_send)


class _Server:
    """One uvicorn server in a background thread for the whole session."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.asgi = SwitchableApp(self.faults)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.asgi, lifespan="off", log_level="warning", access_log=False,
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True, name="live-server")

    def start(self) -> _Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.faults.clear()
        self.server.should_exit = True
        self.thread.join(5)
        self.sock.close()


@pytest.fixture(scope="session")
def _server() -> Iterator[_Server]:
    server = _Server().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, _server: _Server) -> Settings:
    """As the suite's settings, with the live server's address as the base URL."""
    return Settings(data_dir=tmp_path, database_url=database_url, secret_key="test-secret-key",
                    base_url=_server.url, outbox_dir=tmp_path / "outbox", run_mail_sender=False)


@dataclass
class LiveServer:
    url: str
    app: Any
    engine: Engine
    settings: Settings
    faults: Faults

    def db(self) -> Session:
        """A new session on the app's database (use `with live.db() as db:`)."""
        return Session(self.engine, expire_on_commit=False)

    def login(self, context: BrowserContext, user: Any) -> None:
        """Log `user` in for this browser context: a session row plus the signed cookie."""
        token = new_token()
        with Session(self.engine) as db:
            db.execute(insert(UserSession).values(user_id=user.id, token_hash=token_hash(token),
                                                  created_at=now(), last_seen_at=now(),
                                                  user_agent="browser test"))
            db.commit()
        signer = CookieSigner(self.settings.resolved_secret_key())
        value = signer.dumps({"s": token, "c": new_csrf_secret()})
        context.add_cookies([{"name": SESSION_COOKIE, "value": value, "url": self.url,
                              "httpOnly": True, "sameSite": "Lax"}])


@pytest.fixture
def live(_server: _Server, app: Any, engine: Engine, settings: Settings) -> Iterator[LiveServer]:
    """The live server now serving a fresh app on this test's fresh database."""
    _server.faults.clear()
    _server.asgi.current = app
    try:
        yield LiveServer(url=_server.url, app=app, engine=engine, settings=settings,
                         faults=_server.faults)
    finally:
        _server.faults.clear()
        _server.asgi.current = None


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (or `make test-deps`)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                  args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


class PageProblems:
    """CSP violations and uncaught errors seen by the pages of one test."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def watch(self, page: Page) -> Page:
        def on_console(msg: Any) -> None:
            text = msg.text
            if msg.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
                self.items.append(f"console: {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.items.append(f"page error: {exc}"))
        return page


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def new_page(chromium: Browser, live: LiveServer,
             page_problems: PageProblems) -> Iterator[Callable[..., Page]]:
    """new_page(**context_options) -> a page in a new context whose base_url is the live server."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> Page:
        options.setdefault("base_url", live.url)
        options.setdefault("locale", "en-GB")
        context = chromium.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return page_problems.watch(context.new_page())

    yield make
    for context in contexts:
        context.close()
    assert not page_problems.items, "problems in the browser:\n" + "\n".join(page_problems.items)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A page with JavaScript on."""
    return new_page()


@pytest.fixture
def nojs_page(new_page: Callable[..., Page]) -> Page:
    """A page with JavaScript disabled: plain HTML forms and links only."""
    return new_page(java_script_enabled=False)


# --------------------------------------------------------------------------- helpers


def assert_no_axe_violations(page: Page, *, context: str | None = None,
                             disable: tuple[str, ...] = ()) -> None:
    """Run axe-core on the page as it is now; fail with one line per violation and node.

    Works under the app's CSP: the script is evaluated through the DevTools protocol
    (which CSP does not govern); with JavaScript disabled it cannot run, so use a JS page.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if disable:
        options["rules"] = {rule: {"enabled": False} for rule in disable}
    result = page.evaluate(
        "([ctx, opts]) => axe.run(ctx || document, opts).then(r => r.violations.map(v => ({"
        "id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => ({"
        "target: n.target.join(' '), html: n.html, summary: n.failureSummary}))})))",
        [context, options],
    )
    if result:
        lines = [f"axe-core found {len(result)} violation(s) on {page.url}:"]
        for v in result:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
            for node in v["nodes"][:8]:
                summary = " ".join((node["summary"] or "").split())
                lines.append(f"    at {node['target']}: {node['html'][:160]}\n      {summary[:300]}")
        pytest.fail("\n".join(lines), pytrace=False)


def focused(page: Page) -> dict[str, Any]:
    """What has the keyboard focus: tag, id, name, type, text, value."""
    return page.evaluate(
        "() => { const e = document.activeElement; if (!e) return {};"
        " return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '',"
        " type: e.getAttribute('type') || '', text: (e.innerText || '').trim(),"
        " value: e.value === undefined ? null : e.value,"
        " label: e.labels && e.labels[0] ? e.labels[0].innerText.trim() : '',"
        " href: e.getAttribute('href') || ''}; }")


def tab_to(page: Page, selector: str | Callable[[dict[str, Any]], bool], *,
           max_presses: int = 60, shift: bool = False) -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until the focused element matches a CSS selector or predicate."""
    key = "Shift+Tab" if shift else "Tab"
    seen = []
    for _ in range(max_presses):
        page.keyboard.press(key)
        info = focused(page)
        seen.append(info)
        if isinstance(selector, str):
            if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                             selector):
                return info
        elif selector(info):
            return info
    trail = "\n".join(json.dumps(s) for s in seen[:40])
    raise AssertionError(f"Tab never reached {selector!r}; focus went through:\n{trail}")


@pytest.fixture
def axe() -> Callable[..., None]:
    """The axe helper as a fixture, for tests that prefer injection over import."""
    return assert_no_axe_violations


def key_to(page: Page, selector: str, *, max_presses: int = 60) -> dict[str, Any]:
    """A button of a toolbar (a status control, a card's move buttons) by keyboard: Tab to the
    toolbar's one tab stop, then ArrowRight to the button (the toolbar pattern, kanvaro.js)."""
    in_its_toolbar = ("(s) => { const t = document.querySelector(s); const bar = t && "
                      "t.closest('[role=toolbar]'); return !!bar && bar.contains(document.activeElement); }")
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if page.evaluate(in_its_toolbar, selector):
            break
    else:
        raise AssertionError(f"Tab never reached the toolbar of {selector!r}")
    for _ in range(10):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return focused(page)
        page.keyboard.press("ArrowRight")
    raise AssertionError(f"the arrow keys never reached {selector!r}")
