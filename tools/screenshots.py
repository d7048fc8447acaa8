"""`make screenshots`: the demo organization in real Chromium, as PNGs in docs/screenshots/.

Serves the app on a fresh SQLite database in a temporary directory, on a free loopback port;
fills it with `kanvaro demo`; logs in through the login form; then writes

- `<page>-<desktop|phone>-<light|dark>.png`: the main pages as the viewport shows them
  (1280x800 and 390x844, `prefers-color-scheme` light and dark);
- `component-<name>.png`: each component of docs/design.md, light, on a desktop, at 2x.

Run it again whenever the design changes: it overwrites its own PNGs and removes those of
its names it no longer writes. A component it cannot find is reported, the others are still
written, and the run then fails.
"""

from __future__ import annotations

import secrets
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kanvaro.app import create_app
from kanvaro.db import make_engine
from kanvaro.demo import DemoLogin, demo
from kanvaro.enums import PRIORITIES, PROJECT_STATUSES, TASK_STATUSES
from kanvaro.migrate import upgrade
from kanvaro.models import Project, Task, User
from kanvaro.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"  # Debian's; never `playwright install`
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
SCHEMES = ("light", "dark")
BOARD_PROJECT = "Website relaunch"
DETAIL_TASK = "Build the homepage hero and feature grid"
MAX_BYTES = 250_000
TIMEOUT_MS = 15_000


# -- the server ------------------------------------------------------------------------


@contextmanager
def serving(settings: Settings, sock: socket.socket) -> Iterator[Any]:
    """The app in a uvicorn thread on an already bound socket (so no other process takes
    the port between choosing and listening)."""
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning",
                                           access_log=False, timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield app
    finally:
        server.should_exit = True
        thread.join(5)
        app.state.kanvaro.engine.dispose()


@dataclass(frozen=True)
class Demo:
    login: DemoLogin
    urls: dict[str, str]  # page name -> path


def fill(settings: Settings) -> Demo:
    """Migrate, run the demo, and find the paths of the pages to show."""
    upgrade(settings.database_url)
    login = demo(settings)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as db:
            org_id = db.scalar(select(User.organization_id).where(User.email == login.email))
            project = db.scalar(select(Project.id).where(Project.organization_id == org_id,
                                                         Project.name == BOARD_PROJECT))
            task = db.scalar(select(Task.id).where(Task.organization_id == org_id,
                                                   Task.title == DETAIL_TASK))
    finally:
        engine.dispose()
    return Demo(login, {
        "projects": "/projects",
        "board": f"/projects/{project}/board",
        "task-list": f"/projects/{project}",
        "task": f"/tasks/{task}",
        "team": "/team",
        "audit": "/audit",
        "account": "/account",
    })


# -- the browser -----------------------------------------------------------------------


def log_in(browser: Browser, base_url: str, login: DemoLogin) -> Any:
    """The cookies of the demo's owner, logged in once through the login form (so the audit
    log shows one login, not one a picture)."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", login.email)
    page.fill("input[name=password]", login.password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/projects")
    state = context.storage_state()
    context.close()
    return state


def new_page(browser: Browser, base_url: str, state: Any, *, device: str, scheme: str,
             scale: int = 1) -> Page:
    """A page in a new context with the owner's session."""
    context = browser.new_context(base_url=base_url, color_scheme=scheme,  # type: ignore[arg-type]
                                  locale="en-GB", timezone_id="UTC", storage_state=state,
                                  device_scale_factor=scale, **DEVICES[device])
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def visit(page: Page, path: str) -> None:
    page.goto(path)
    settle(page)


def settle(page: Page) -> None:
    """Wait for scripts, fonts and htmx's settling; take the focus off what a script focused."""
    page.wait_for_load_state("networkidle")
    page.evaluate("() => document.fonts.ready")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.wait_for_timeout(150)


def shoot_pages(browser: Browser, base_url: str, data: Demo, state: Any,
                written: list[Path]) -> None:
    for device in DEVICES:
        for scheme in SCHEMES:
            page = new_page(browser, base_url, state, device=device, scheme=scheme)
            for name, path in data.urls.items():
                visit(page, path)
                target = OUT / f"{name}-{device}-{scheme}.png"
                page.screenshot(path=target, animations="disabled", caret="hide")
                written.append(target)
            page.context.close()


# -- components ------------------------------------------------------------------------


def _specimen(html: str) -> Callable[[Page], None]:
    """Put a row of the app's own classes at the top of <main>, for the components that no
    one page shows side by side (the CSP allows no inline style, and none is needed)."""
    def put(page: Page) -> None:
        page.evaluate("(html) => { const d = document.createElement('div'); d.id = 'specimen';"
                      " d.innerHTML = html; document.querySelector('main').prepend(d); }", html)
    return put


BUTTONS = ('<div class="actions"><button type="button" class="primary">Save changes</button>'
           '<button type="button">Cancel</button><a class="button" href="#specimen">Edit</a>'
           '<button type="button" class="danger">Delete project…</button>'
           '<button type="button" class="link">Log out</button></div>')
BADGES = "".join([
    '<p class="actions">' + "".join(f'<span class="badge st-{v}">{label}</span>'
                                    for v, label in TASK_STATUSES.items()) + "</p>",
    '<p class="actions">' + "".join(f'<span class="badge status-{v}">{label}</span>'
                                    for v, label in PROJECT_STATUSES.items()) + "</p>",
    '<p class="actions">' + "".join(f'<span class="badge priority-{v}">{label}</span>'
                                    for v, label in PRIORITIES.items()) + "</p>",
])
STATUS_ICONS = '<p class="actions">' + "".join(
    f'<span class="st-{v}"><span class="st-icon st-{v}" aria-hidden="true"></span> {label}</span>'
    for v, label in TASK_STATUSES.items()) + "</p>"


def _open_menu(page: Page) -> None:
    page.click("details.menu > summary")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def _refused_form(page: Page) -> None:
    page.click("main form button[type=submit]")
    page.wait_for_selector(".error-summary")
    settle(page)


def _invited(page: Page) -> None:
    page.fill("#invite-form input[name=email]", "sam.lee@example.com")
    page.click("#invite-form button[type=submit]")
    page.wait_for_function("() => (document.querySelector('#flash') || {}).textContent?.trim()")
    settle(page)


def _asked(page: Page) -> None:
    page.click("a[data-dialog]")
    page.wait_for_selector("#confirm-dialog[open] section.confirm")
    settle(page)


@dataclass(frozen=True)
class Component:
    name: str
    page: str  # a key of Demo.urls, or a path
    selectors: tuple[str, ...]  # the picture is the box around what they match
    prepare: Callable[[Page], None] | None = None
    each: bool = False  # every match of the selectors, not only the first
    content: bool = False  # the box of its text, not of the element (a paragraph as wide as
    # the page around a few words)


COMPONENTS = (
    Component("header", "projects", ("header.site-header", ".menu-panel"), _open_menu),
    Component("buttons", "projects", ("#specimen :is(button, .button)",), _specimen(BUTTONS),
              each=True),
    Component("badges", "projects", ("#specimen .badge",), _specimen(BADGES), each=True),
    Component("status-icons", "projects", ("#specimen .actions > span",), _specimen(STATUS_ICONS),
              each=True),
    Component("status-control", "task", (".status-row .status-control",)),
    Component("move-buttons", "board", ("#column-in-progress .card .move",)),
    Component("card", "board", ("#column-in-progress .card",)),
    Component("board-column", "board", ("#column-review",)),
    Component("table", "projects", ("#results .table",)),
    Component("form-error", "/projects/new", ("main form",), _refused_form),
    Component("flash", "team", ("#flash",), _invited),
    Component("avatars", "team", ("#members .person",), each=True),
    Component("tabs", "board", (".tabs > a",), each=True),
    Component("empty-state", "/projects?q=zeppelin", ("#results .empty",), content=True),
    Component("dialog", "task-list", ("#confirm-dialog",), _asked),
    Component("dates", "board", ("#column-todo .card .meta",)),
    Component("icons", "projects", ("header.site-header ul",)),
)
PAD = 6  # CSS pixels around a component
# The boxes of the matches, in page coordinates (what a full-page clip takes); with `content`,
# of the text inside each. Everything else on the page is hidden (through the CSSOM, which
# the CSP allows), so no neighbour shows in the margin.
BOXES = """([selectors, each, content]) => {
  const found = selectors.flatMap(s => [...document.querySelectorAll(s)].slice(0, each ? undefined : 1));
  const seen = b => b.width > 1 && b.height > 1;
  const page = b => ({x: b.x + scrollX, y: b.y + scrollY, width: b.width, height: b.height});
  const boxes = found.map(el => {
    if (!content) return el.getBoundingClientRect();
    const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect();
  }).filter(seen).map(page);
  for (const el of found) {
    for (let node = el; node.parentElement; node = node.parentElement) {
      for (const other of node.parentElement.children) {
        if (other !== node && !found.some(f => other.contains(f) || f.contains(other)))
          other.style.visibility = 'hidden';
      }
    }
  }
  return boxes;
}"""


def shoot_components(browser: Browser, base_url: str, data: Demo, state: Any,
                     written: list[Path]) -> list[str]:
    """One PNG per component; returns the problems (a selector that matched nothing)."""
    problems = []
    page = new_page(browser, base_url, state, device="desktop", scheme="light", scale=2)
    for c in COMPONENTS:
        try:
            visit(page, data.urls.get(c.page, c.page))
            if c.prepare:
                c.prepare(page)
            boxes = page.evaluate(BOXES, [list(c.selectors), c.each, c.content])
            if not boxes:
                raise LookupError(f"nothing visible matches {', '.join(c.selectors)}")
            left = max(min(b["x"] for b in boxes) - PAD, 0)
            top = max(min(b["y"] for b in boxes) - PAD, 0)
            right = max(b["x"] + b["width"] for b in boxes) + PAD
            bottom = max(b["y"] + b["height"] for b in boxes) + PAD
            target = OUT / f"component-{c.name}.png"
            page.screenshot(path=target, full_page=True, animations="disabled", caret="hide",
                            clip={"x": left, "y": top, "width": right - left,
                                  "height": bottom - top})
            written.append(target)
        except (LookupError, PlaywrightError) as exc:  # report it, write the others
            problems.append(f"component-{c.name}: {exc}".splitlines()[0])
    page.context.close()
    return problems


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium (or `make test-deps`)",
              file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="kanvaro-screenshots-") as tmp:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/kanvaro.db",
                            secret_key=secrets.token_urlsafe(32), base_url=base_url,
                            outbox_dir=Path(tmp) / "outbox", run_mail_sender=False)
        data = fill(settings)
        try:
            with serving(settings, sock), sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
                try:
                    state = log_in(browser, base_url, data.login)
                    shoot_pages(browser, base_url, data, state, written)
                    problems = shoot_components(browser, base_url, data, state, written)
                finally:
                    browser.close()
        finally:
            sock.close()
    ours = [*OUT.glob("*-desktop-*.png"), *OUT.glob("*-phone-*.png"), *OUT.glob("component-*.png")]
    for stale in set(ours) - set(written):
        stale.unlink()
    for path in written:
        size = path.stat().st_size
        note = "  (over 250 KB)" if size > MAX_BYTES else ""
        print(f"{path.relative_to(ROOT)}  {size // 1000} KB{note}")
    for problem in problems:
        print(f"missing: {problem}", file=sys.stderr)
    print(f"{len(written)} screenshots in {OUT.relative_to(ROOT)}/")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
