"""Markdown (SPEC §8): CommonMark rendered once per change and stored beside its source.

markdown-it-py renders (tables and strikethrough on, raw HTML off); two inline rules of ours
turn `#3.14` into a link to that task and `@handle` into a link to that person, each only
when it names something real (a task of the organization, a person who may see the project);
headings move one level down (the page has the h1). nh3 then sanitizes the result with an
allow-list, so whatever the renderer or our rules let through, no script, style, frame, form
or event attribute survives, and links keep only http, https and mailto (and our own
relative paths). docs/markdown.md says why.

What a stored rendering may not know is who will read it: a task link points into a project
the reader may not see. `visible_refs` drops those links at display time (they become plain
`#3.14`), from the reader's projects, read once per page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markupsafe import Markup, escape
from sqlalchemy import and_, or_, select

from kanvaro.audience import handles_to_ids, who_can_see
from kanvaro.context import Ctx
from kanvaro.handles import MENTION_RE, candidates

REF_RE = re.compile(r"(?<![\w#/.])#(\d{1,9})\.(\d{1,9})(?![\w])")
_REF_AT = re.compile(r"#(\d{1,9})\.(\d{1,9})(?![\w])")
_MENTION_AT = re.compile(r"@([a-z0-9][a-z0-9._-]{1,29})", re.IGNORECASE)
MAX_LOOKUPS = 100  # refs or handles resolved per text; the rest stay text

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code",
        "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"a": {"href", "title", "class", "data-project"}, "ol": {"start"}}
REL = "nofollow noopener noreferrer"


@dataclass(frozen=True)
class Rendered:
    html: str
    # The people `@handle` named who may see the project (they are notified, SPEC §8).
    mentioned: frozenset[int] = frozenset()


def _word_before(state: StateInline) -> bool:
    pos = state.pos
    return pos > 0 and (state.src[pos - 1].isalnum() or state.src[pos - 1] in "_@#/.&")


def _link(state: StateInline, href: str, text: str, attrs: dict[str, str]) -> None:
    token = state.push("link_open", "a", 1)
    token.attrs = {"href": href, **attrs}
    token = state.push("text", "", 0)
    token.content = text
    state.push("link_close", "a", -1)


def _task_ref(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "#" or state.linkLevel > 0 or _word_before(state):
        return False
    match = _REF_AT.match(state.src, state.pos)
    found = match and state.env.get("refs", {}).get((int(match[1]), int(match[2])))
    if not match or not found:
        return False
    if not silent:
        task_id, project_id = found
        _link(state, f"/tasks/{task_id}", match[0],
              {"class": "task-ref", "data-project": str(project_id)})
    state.pos = match.end()
    return True


def _mention(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "@" or state.linkLevel > 0 or _word_before(state):
        return False
    match = _MENTION_AT.match(state.src, state.pos)
    people = state.env.get("people", {})
    handle = match and next((h for h in candidates(match[1]) if h in people), None)
    if not match or not handle:
        return False
    if not silent:
        user_id = people[handle]
        _link(state, f"/team#member-{user_id}", "@" + match[1][:len(handle)], {"class": "mention"})
        state.env.setdefault("mentioned", set()).add(user_id)
    state.pos = match.start() + 1 + len(handle)
    return True


def _headings(state: StateCore) -> None:
    """Headings sit below the page's own h1 and never skip a level: `#` is an h2, and each is
    at most one deeper than the one before, so a text keeps the page's outline whole."""
    before = 1
    for token in state.tokens:
        if token.type == "heading_open":
            level = min(int(token.tag[1]) + 1, before + 1, 6)
            before = level
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{before}"


_LINKABLE = re.compile(r"(?:https?|mailto):", re.IGNORECASE)


def _user_link(url: str) -> bool:
    """A link the writer wrote: http, https or mailto only (SPEC §8), so any other one stays
    the text that was typed. nh3 below holds the same line a second time."""
    return _LINKABLE.match(url) is not None


def _image(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    """An image is shown as a link to it (its alt text, or the address), or as its alt text
    inside a link: our pages never load a picture from elsewhere."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    if sum({"link_open": 1, "link_close": -1}.get(t.type, 0) for t in tokens[:idx]) > 0:
        return str(escape(alt))
    return f'<a href="{escape(src)}">{escape(alt or src)}</a>'


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.core.ruler.push("kanvaro_headings", _headings)
    md.inline.ruler.before("text", "kanvaro_task_ref", _task_ref)
    md.inline.ruler.before("text", "kanvaro_mention", _mention)
    md.validateLink = _user_link
    md.add_render_rule("image", _image)
    return md


_MD = _parser()


def sanitize(html: str) -> str:
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel=REL, strip_comments=True)


def _refs(ctx: Ctx, text: str) -> dict[tuple[int, int], tuple[int, int]]:
    """(project number, task number) -> (task id, project id), for the refs of the organization."""
    from kanvaro.projects.models import Project
    from kanvaro.tasks.models import Task

    pairs = {(int(a), int(b)) for a, b in REF_RE.findall(text)}
    if not pairs:
        return {}
    pairs = set(sorted(pairs)[:MAX_LOOKUPS])
    rows = ctx.db.execute(
        select(Project.number, Task.number, Task.id, Task.project_id)
        .join(Project, Project.id == Task.project_id)
        .where(Task.organization_id == ctx.org_id,
               or_(*[and_(Project.number == p, Task.number == t) for p, t in pairs]))
    ).all()
    return {(p, t): (tid, pid) for p, t, tid, pid in rows}


def render(ctx: Ctx, text: str, *, project_id: int | None = None) -> Rendered:
    """`text` as sanitized HTML: task refs of the organization linked, and `@handle` of those
    who may see project `project_id` linked (and returned as `mentioned`)."""
    if not text.strip():
        return Rendered("")
    env: dict[str, Any] = {"refs": _refs(ctx, text)}
    handles = {h for word in MENTION_RE.findall(text) for h in candidates(word)}
    if handles and project_id is not None:
        ids = handles_to_ids(ctx, sorted(handles)[:MAX_LOOKUPS])
        seeing = who_can_see(ctx, project_id, ids.values())
        env["people"] = {h: uid for h, uid in ids.items() if uid in seeing}
    html = sanitize(_MD.render(text, env))
    return Rendered(html, frozenset(env.get("mentioned", ())))


_REF_LINK = re.compile(r'<a href="/tasks/\d+" class="task-ref" data-project="(\d+)"[^>]*>([^<]*)</a>')


def visible_refs(ctx: Ctx, html: str) -> Markup:
    """Stored HTML for this reader: links into projects they may not see become plain text."""
    if "task-ref" not in html or ctx.user.can("project:view_all"):
        return Markup(html)
    mine = reader_projects(ctx)
    return Markup(_REF_LINK.sub(lambda m: m[0] if int(m[1]) in mine else str(escape(m[2])), html))


def reader_projects(ctx: Ctx) -> set[int]:
    """The ids of the projects ctx's actor is a member of, read once per request."""
    from kanvaro.projects.models import ProjectMember

    memo = ctx.memo.get("reader_projects")
    if memo is None:
        memo = ctx.memo["reader_projects"] = set(ctx.db.scalars(
            select(ProjectMember.project_id).where(ProjectMember.user_id == ctx.user.id)))
    return memo  # type: ignore[no-any-return]
