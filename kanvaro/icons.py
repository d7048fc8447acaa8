"""The Lucide icons Kanvaro uses, built into one SVG sprite, static/vendor/icons.svg.

`make install` runs `python3 -m kanvaro.icons` after `npm ci` (lucide-static is pinned in
package.json); the sprite is not committed. Written here rather than taken whole from
lucide-static's own sprite.svg, which holds all ~2,000 icons (~1 MB). Each icon becomes `<symbol id="i-NAME">`; templates draw one with
`icon("NAME")` (kanvaro/templating.py), which refuses a name not in ICONS.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ICONS = (
    "folder-kanban", "users", "scroll-text", "user", "log-out", "plus", "trash-2", "pencil",
    "calendar", "list-todo", "square-kanban", "check", "x", "user-x", "shield", "inbox",
    "mail", "copy", "sun-moon", "arrow-left", "history",
)

_INNER = re.compile(r"<svg[^>]*>(.*)</svg>", re.DOTALL)


def symbol(name: str, source: str) -> str:
    match = _INNER.search(source)
    if match is None:
        raise ValueError(f"{name}: no <svg> element")
    body = " ".join(line.strip() for line in match.group(1).splitlines() if line.strip())
    return f'<symbol id="i-{name}" viewBox="0 0 24 24">{body}</symbol>'


def build(icons_dir: Path) -> str:
    symbols = "".join(symbol(n, (icons_dir / f"{n}.svg").read_text()) for n in ICONS)
    return ('<svg xmlns="http://www.w3.org/2000/svg"><!-- Lucide, ISC licence: '
            'https://lucide.dev/license -->' + symbols + "</svg>\n")


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(build(source))
