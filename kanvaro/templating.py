"""The Jinja environment and the one render call: a whole page or one of its blocks."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments import render_block
from markupsafe import Markup
from starlette.responses import HTMLResponse

from kanvaro.enums import PRIORITIES, PROJECT_STATUSES, STORY_STATUSES, TASK_STATUSES
from kanvaro.permissions import ROLES

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def _date(value: date | datetime | None, fmt: str = "%Y-%m-%d") -> str:
    return value.strftime(fmt) if value else ""


def avatar(key: int | None, name: str | None) -> Markup:
    """Initials on a colour that stays the same for the person (their id picks the hue); the
    name itself is beside it, or in the avatar's own text for screen readers."""
    words = (name or "?").split()
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    # One of 12 hues by class: our CSP allows no style attribute.
    return Markup('<span class="avatar hue-{}" aria-hidden="true">{}</span>').format(
        (key or 0) % 12, initials)


def make_env(static_url: Any, area_globals: dict[str, Any] | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.do"],
    )
    env.filters["date"] = _date
    env.globals.update(
        avatar=avatar,
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
