"""Templates name routes, never spell paths (issue 10, item 8): `url('task', task_id=t.id)`.

A hand-built app path in a template (`href="/tasks/{{ t.id }}"`, `'/projects/%d'|format(..)`,
`"/tasks/" ~ id`) goes stale silently when a route moves; `url()` fails loudly instead. Static
files go through `static('file')` only (it adds the cache-busting digest). The mail templates
are rendered by their own environment (kanvaro/mail.py), without `url`, and are not scanned.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import Route

from kanvaro import routes as route_table
from kanvaro.templating import TEMPLATE_DIR

# An attribute whose value starts with a path: href="/…", action="/…", hx-get="/…", …
_ATTRIBUTE = re.compile(r"""\b(?:href|action|src|formaction|hx-[a-z]+)\s*=\s*["']/""")
# A quoted string (in a Jinja expression or anywhere else) starting with an app path.
_APP_PATH = re.compile(
    r"""["']/(?:projects|tasks|stories|team|audit|account|login|logout|register|invitations"""
    r"""|healthz)\b"""
)
# Static files only through static(): no "/static/…" spelled out.
_STATIC = re.compile(r"/static/")
_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_URL_CALL = re.compile(r"""\burl\(\s*["'](\w+)["']""")


def _templates() -> list[Path]:
    mail = TEMPLATE_DIR / "mail"
    return sorted(p for p in TEMPLATE_DIR.rglob("*.html") if mail not in p.parents)


def _lines(path: Path) -> list[tuple[int, str]]:
    # Comments are blanked (keeping their newlines) so line numbers stay right.
    text = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), path.read_text())
    return list(enumerate(text.splitlines(), start=1))


def test_templates_spell_no_app_paths() -> None:
    found = []
    for path in _templates():
        for number, line in _lines(path):
            if any(rx.search(line) for rx in (_ATTRIBUTE, _APP_PATH, _STATIC)):
                found.append(f"{path.relative_to(TEMPLATE_DIR)}:{number}: {line.strip()[:100]}")
    assert _templates(), "no templates found"
    hint = "hand-built paths; use url('name', ...) or static('file'):\n"
    assert not found, hint + "\n".join(found)


def test_templates_name_existing_routes() -> None:
    names = {r.name for r in route_table.ROUTES if isinstance(r, Route)}
    used = {}
    for path in _templates():
        for number, line in _lines(path):
            for m in _URL_CALL.finditer(line):
                used.setdefault(m.group(1), f"{path.relative_to(TEMPLATE_DIR)}:{number}")
    unknown = {name: where for name, where in used.items() if name not in names}
    assert not unknown, f"url() names no route: {unknown}"
