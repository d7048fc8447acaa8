"""py-spy on a live worker under wrk load, folded into a short summary."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<fn>.*) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
# Leaf frames of a thread that waits for work: the event loop in epoll, idle pool threads.
IDLE_LEAVES = ("select (selectors.py", "wait (threading.py", "get (queue.py")
# A pool thread that has finished its request and wakes the event loop (call_soon_threadsafe):
# the send is quick, then it waits for the GIL the loop now holds. Off the request's path.
HANDOFF_LEAVES = ("_write_to_self (asyncio/", "Condition.notify (threading.py")

# (label, substrings of the frame's file) - the first category a sample's leaf matches.
CATEGORIES = [
    ("SQL driver (sqlite3 / psycopg: execute, fetch, commit)",
     ("do_execute", "do_executemany", "do_commit", "do_rollback", "fetchall", "fetchone",
      "psycopg/", "_begin (", "_pragmas (")),
    ("SQLAlchemy (compile, rows, ORM, pool)", ("sqlalchemy/", "sqlmodel/")),
    ("Jinja templates (render)", ("jinja2/", "jinja2_fragments/", "markupsafe/",
                                   "templates/", ".html")),
    ("gzip", ("gzip.py", "zlib")),
    ("WTForms", ("wtforms/",)),
    ("form parsing (python-multipart)", ("multipart/", "formparsers.py")),
    ("cookie signing / CSRF (itsdangerous, hashlib)", ("itsdangerous/", "security.py",
                                                        "hmac.py", "base64.py")),
    ("kanvaro code", ("kanvaro/",)),
    ("Starlette + anyio threadpool", ("starlette/", "anyio/", "concurrent/futures")),
    ("uvicorn + h11 + asyncio", ("uvicorn/", "h11/", "asyncio/", "selectors.py", "socket.py")),
]


def record(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    """Start py-spy on pid in the background; wait() on the result."""
    py_spy = Path(sys.executable).parent / "py-spy"
    return subprocess.Popen(
        [str(py_spy), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
         "--format", "raw", "--nonblocking", "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for part in stack.split(";"):
        m = FRAME.match(part.strip())
        out.append((m["fn"], m["file"]) if m else (part, ""))
    return out


def _category(fn: str, file: str) -> str:
    key = f"{fn} {file}"
    for label, needles in CATEGORIES:
        if any(n in key for n in needles):
            return label
    return "other (stdlib, pydantic, ...)"


def summarize(raw: Path, top: int = 12) -> list[str]:
    """Markdown lines: where the busy samples go, by component, by function, by kanvaro call."""
    samples: list[tuple[list[tuple[str, str]], int]] = []
    handoff = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1]
        if any(idle in leaf for idle in IDLE_LEAVES):
            continue
        if any(h in leaf for h in HANDOFF_LEAVES):
            handoff += int(count)
            continue
        samples.append((_frames(stack), int(count)))
    total = sum(c for _, c in samples) or 1
    by_category: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    by_ours: Counter[str] = Counter()
    for frames, count in samples:
        fn, file = frames[-1]
        if any("make_engine.<locals>._begin" in f for f, _ in frames):
            by_category["BEGIN IMMEDIATE: waiting for SQLite's write lock"] += count
        else:
            by_category[_category(fn, file)] += count
        by_leaf[f"{fn} ({file})"] += count
        seen = set()
        for fn2, file2 in frames:
            if "kanvaro/" in file2 and fn2 not in seen:
                seen.add(fn2)
                by_ours[f"{fn2} ({file2.split('kanvaro/', 1)[1]})"] += count

    def pct(n: int) -> str:
        return f"{100 * n / total:5.1f}%"

    share = 100 * handoff / max(1, total + handoff)
    note = (f"{total} busy samples at 200 Hz, plus {handoff} ({share:.0f}%) left out: pool "
            "threads waking the event loop after their request (`_write_to_self`, "
            "`Condition.notify`), mostly waiting for the GIL, off the request's path.")
    lines = [note, "", "| where the time goes (by leaf frame) | share |", "|---|---:|"]
    lines += [f"| {label} | {pct(n)} |" for label, n in by_category.most_common()]
    lines += ["", "| top functions, self time | share |", "|---|---:|"]
    lines += [f"| `{name}` | {pct(n)} |" for name, n in by_leaf.most_common(top)]
    lines += ["", "| kanvaro functions, inclusive time | share |", "|---|---:|"]
    lines += [f"| `{name}` | {pct(n)} |" for name, n in by_ours.most_common(top)]
    return lines


def profile_during(pid: int, seconds: int, out: Path, load: threading.Thread) -> list[str]:
    proc = record(pid, seconds, out)
    load.start()
    load.join()
    proc.wait(timeout=seconds + 30)
    return summarize(out) if out.exists() else ["py-spy wrote no profile"]
