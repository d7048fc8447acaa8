"""The Jinja environment and the one render call: a whole page or one of its blocks."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from threading import Lock
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.bccache import Bucket
from jinja2_fragments import render_block
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from kanvaro.enums import PRIORITIES, PROJECT_STATUSES, STORY_STATUSES, TASK_STATUSES
from kanvaro.icons import ICONS
from kanvaro.permissions import ROLES

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def _date(value: date | datetime | None, fmt: str = "%Y-%m-%d") -> str:
    return value.strftime(fmt) if value else ""


def moment(value: datetime | None) -> Markup:
    """A point in time in UTC, marked for kanvaro.js to show in the reader's own zone."""
    if value is None:
        return Markup("")
    if value.tzinfo is None:  # SQLite hands back naive values: they are UTC
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return Markup('<time datetime="{}" data-local>{} UTC</time>').format(
        value.strftime("%Y-%m-%dT%H:%M:%SZ"), value.strftime("%Y-%m-%d %H:%M"))


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def relative_due(value: date | None, today: date | None = None, *, done: bool = False) -> Markup:
    """"due in 3 days", "overdue by 2 days": in a `<time>` whose title is the date in full."""
    if value is None:
        return Markup("")
    return Markup(relative_due_html(value, today or datetime.now(UTC).date(), done))


@lru_cache(maxsize=4096)
def relative_due_html(value: date, today: date, done: bool) -> str:
    """relative_due's markup (no user text in it), kept: a board repeats a few dates a lot."""
    delta = (value - today).days
    if done:
        text, tone = f"due {value.strftime('%-d %b')}", ""
    elif delta == 0:
        text, tone = "due today", " due-soon"
    elif delta == 1:
        text, tone = "due tomorrow", " due-soon"
    elif delta > 1:
        text, tone = f"due in {_days(delta)}", " due-soon" if delta <= 3 else ""
    else:
        text, tone = f"overdue by {_days(-delta)}", " overdue"
    return (f'<time class="due{tone}" datetime="{value.isoformat()}" '
            f'title="{value.strftime("%A %-d %B %Y")}">{text}</time>')


class Fragments:
    """Rendered pieces of pages kept by a key that names everything they show: the "Add a
    task" form of a project is the same HTML until its stories or its people change (issue
    11: the task list rendered its two forms on every request).

    `{% call cached("task-form", key..., token=csrf_token) %}…{% endcall %}`. The CSRF token
    is masked afresh for every page (security.mask_csrf), so it is not part of the key: the
    piece is kept with the token it was drawn with, and each page gets its own put in.
    `when=False` renders without keeping (a form as sent, with its errors). The least
    recently used go first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[Any, ...], tuple[str, str]] = OrderedDict()
        self._lock = Lock()

    def __call__(self, *key: Any, caller: Any, token: str = "", when: bool = True) -> Markup:
        if not when:
            return Markup(caller())
        with self._lock:
            hit = self._kept.get(key)
            if hit is not None:
                self._kept.move_to_end(key)
        if hit is not None:
            html, drawn_with = hit
            return Markup(html.replace(drawn_with, token) if drawn_with else html)
        made = str(caller())
        if token and token not in made:
            token = ""
        with self._lock:
            self._kept[key] = (made, token)
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return Markup(made)


def avatar(key: int | None, name: str | None) -> Markup:
    """Initials on a colour that stays the same for the person (their id picks the hue); the
    name itself is beside it, or in the avatar's own text for screen readers."""
    words = (name or "?").split()
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    # One of 12 hues by class: our CSP allows no style attribute.
    return Markup('<span class="avatar hue-{}" aria-hidden="true">{}</span>').format(
        (key or 0) % 12, initials)


@lru_cache(maxsize=1024)
def avatar_stack(people: tuple[tuple[int, str], ...], shown: int = 5) -> Markup:
    """Overlapping avatars of the first `shown` people, then "+n"; all the names as text for
    screen readers. Kept by the people: the project list repeats the same few teams."""
    if not people:
        return Markup('<span class="muted">No one yet</span>')
    faces = Markup("").join(avatar(uid, name) for uid, name in people[:shown])
    more = Markup('<span class="avatars-more" aria-hidden="true">+{}</span>').format(
        len(people) - shown) if len(people) > shown else ""
    return Markup('<span class="avatars">{}{}</span><span class="visually-hidden">{}</span>').format(
        faces, more, ", ".join(name for _, name in people))


def icon_maker(static_url: Any) -> Any:
    """`icon("plus")`: a Lucide icon from the sprite tools/icons.py builds; decorative, so
    whatever it stands beside or in carries the name."""
    sprite = static_url("vendor/icons.svg")

    def icon(name: str) -> Markup:
        if name not in ICONS:
            raise KeyError(f"icon {name!r} is not in tools/icons.py ICONS")
        return Markup('<svg class="icon" aria-hidden="true" focusable="false">'
                      '<use href="{}#i-{}"></use></svg>').format(sprite, name)
    return icon


@pass_context
def markdown(context: Any, html: str, source: str = "") -> Markup:
    """Stored Markdown HTML (kanvaro.markdown) as this reader may see it; a row written before
    Markdown (no rendering stored) shows its source as plain paragraphs."""
    from kanvaro.markdown import visible_refs

    if not html:
        return Markup("".join(f"<p>{escape(p)}</p>" for p in source.split("\n\n") if p.strip()))
    web = context.get("web")
    return visible_refs(web.ctx, html) if web is not None else Markup(html)


class _Compiled(BytecodeCache):
    """Compiled templates, kept for every Environment of the process. One app per process
    compiles each template once anyway; the test suite makes an app per test, and compiling
    the pages' templates afresh was most of a web test's first request. A bucket's key
    includes its source's checksum, so a changed template is compiled anew."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _Compiled()


def make_env(static_url: Any, area_globals: dict[str, Any] | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        bytecode_cache=_COMPILED,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.do"],
    )
    env.filters["date"] = _date
    env.globals.update(
        avatar=avatar,
        avatar_stack=avatar_stack,
        icon=icon_maker(static_url),
        moment=moment,
        markdown=markdown,
        EMPTY=Markup("&mdash;"),  # "—", as a reference: pages of our own markup stay ASCII
        cached=Fragments(),
        static=static_url,
        TASK_STATUSES=TASK_STATUSES,
        PRIORITIES=PRIORITIES,
        PROJECT_STATUSES=PROJECT_STATUSES,
        STORY_STATUSES=STORY_STATUSES,
        ROLES=ROLES,
    )
    env.globals.update(area_globals or {})
    return env


def render_html(
    env: Environment,
    name: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    if block is None:
        body = env.get_template(name).render(context)
    else:
        body = render_block(env, name, block, context)
    return HTMLResponse(body, status_code=status, headers=headers)
