"""Attachments in a real Chromium: upload by keyboard with JavaScript on and off, the error when
no file is chosen, a thumbnail that really loads, downloads (a `.png` holding HTML is one, and
runs nothing), delete, axe in light and dark and a 390 px phone; and the live server refusing
a 2 GB upload by its Content-Length alone."""

from __future__ import annotations

import socket
import struct
import time
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from kanvaro.attachments import actions
from kanvaro.attachments.forms import Upload
from kanvaro.attachments.models import Attachment, Blob
from kanvaro.inputs import parse
from kanvaro.tasks import actions as task_actions
from kanvaro.tasks.forms import NewTask
from tests.browser.conftest import LiveServer, assert_no_axe_violations, focused, tab_to
from tests.factories import make_ctx, make_org, make_project, make_user

PHONE = {"width": 390, "height": 844}
SMALL_LIMIT = 200_000  # KANVARO_MAX_UPLOAD_BYTES of the tests over the limit


@pytest.fixture(name="settings")
def upload_limit(settings: Any, request: pytest.FixtureRequest) -> Any:
    """The tests of files over the limit run with a small one: the browser sends little."""
    if request.node.name.startswith("test_a_file_over_the_limit"):
        return replace(settings, max_upload_bytes=SMALL_LIMIT)
    return settings


def png(width: int = 40, height: int = 30) -> bytes:
    """A real PNG (a red rectangle), small enough to write here."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@dataclass
class World:
    owner: Any
    member: Any
    task_id: int


def make_world(live: LiveServer) -> World:
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        member = make_user(db, org, role="team_member", name="Tom Member", email="tom@acme.test")
        project = make_project(db, org, name="Moonshot", creator=owner, members=[member])
        db.commit()
        task = task_actions.create_task(make_ctx(db, owner, live.settings), project.id,
                                        parse(NewTask, {"title": "Fuel the rocket"}))
        db.commit()
        return World(owner, member, task.id)  # type: ignore[arg-type]


def attach(live: LiveServer, user: Any, task_id: int, content: bytes, name: str) -> int:
    import io

    with live.db() as db:
        made = actions.add_attachment(make_ctx(db, user, live.settings), task_id,
                                      Upload(name, io.BytesIO(content), len(content)))
        db.commit()
        return made.id  # type: ignore[return-value]


def names(live: LiveServer) -> list[str]:
    with live.db() as db:
        return list(db.scalars(select(Attachment.filename).order_by(Attachment.id)))


@pytest.mark.parametrize("js", [True, False])
def test_a_file_is_attached_by_keyboard(new_page: Any, live: LiveServer, tmp_path: Path, js: bool) -> None:
    w = make_world(live)
    picture = tmp_path / "rocket.png"
    picture.write_bytes(png(400, 300))
    page = new_page(java_script_enabled=js)
    live.login(page.context, w.member)
    page.goto(f"/tasks/{w.task_id}")
    tab_to(page, "#file")
    assert focused(page)["label"] == "File"
    page.locator("#file").set_input_files(str(picture))  # what the file chooser would pick
    tab_to(page, lambda f: f["text"] == "Attach file")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live.url}/tasks/{w.task_id}")
    expect(page.get_by_role("status").filter(has_text="File “rocket.png” attached.")).to_be_visible()
    item = page.locator(".file-list li")
    expect(item).to_have_count(1)
    expect(item.get_by_role("link", name="rocket.png")).to_be_visible()
    thumb = item.locator("img.thumb")
    expect(thumb).to_be_visible()
    page.wait_for_function("() => document.querySelector('img.thumb').naturalWidth === 400")
    box = thumb.bounding_box()
    assert box and box["width"] <= 96 and box["height"] <= 64  # 6rem x 4rem at most
    assert abs(box["width"] / box["height"] - 4 / 3) < 0.05  # not squashed
    assert names(live) == ["rocket.png"]
    expect(page.locator("#timeline-list")).to_contain_text("Tom Member attached rocket.png")


@pytest.mark.parametrize("js", [True, False])
def test_no_file_chosen_shows_the_error_next_to_the_field(new_page: Any, live: LiveServer, js: bool) -> None:
    w = make_world(live)
    page = new_page(java_script_enabled=js)
    live.login(page.context, w.member)
    page.goto(f"/tasks/{w.task_id}")
    page.get_by_role("button", name="Attach file").click()
    expect(page.locator("#file-error")).to_have_text("Choose a file to attach.")
    expect(page.locator("#file")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-summary")).to_be_visible()
    assert names(live) == []
    if js:
        assert_no_axe_violations(page)


def test_a_file_downloads_and_a_png_holding_html_runs_nothing(page: Page, live: LiveServer) -> None:
    w = make_world(live)
    attach(live, w.owner, w.task_id, b"plain notes\n", "notes.txt")
    evil = attach(live, w.owner, w.task_id,
                  b"<!doctype html><script>document.title='pwned';alert(1)</script>", "cute.png")
    live.login(page.context, w.member)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"/tasks/{w.task_id}")
    assert page.locator("img.thumb").count() == 0  # not an image, whatever its name says
    with page.expect_download() as got:
        page.get_by_role("link", name="notes.txt").click()
    assert got.value.suggested_filename == "notes.txt"
    assert Path(got.value.path()).read_bytes() == b"plain notes\n"
    with page.expect_download() as got:
        page.get_by_role("link", name="cute.png").click()
    assert got.value.suggested_filename == "cute.png"
    assert urlsplit(got.value.url).path == f"/attachments/{evil}"
    time.sleep(0.3)
    assert dialogs == [] and page.title() != "pwned"


@pytest.mark.parametrize("js", [True, False])
def test_the_uploader_deletes_a_file_by_keyboard(new_page: Any, live: LiveServer, js: bool) -> None:
    w = make_world(live)
    attach(live, w.member, w.task_id, b"draft", "draft.txt")
    page = new_page(java_script_enabled=js)
    live.login(page.context, w.member)
    page.goto(f"/tasks/{w.task_id}")
    tab_to(page, lambda f: " ".join(f["text"].split()) == "Delete draft.txt")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="File “draft.txt” deleted.")).to_be_visible()
    expect(page.locator(".file-list")).to_have_count(0)
    with live.db() as db:
        assert db.scalar(select(func.count()).select_from(Blob)) == 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_files_are_axe_clean_and_fit_a_phone(new_page: Any, live: LiveServer, scheme: str) -> None:
    w = make_world(live)
    attach(live, w.owner, w.task_id, png(800, 600), "a very wide photo.png")
    attach(live, w.member, w.task_id, b"x" * 2_500_000, "Quarterly-report-" + "long" * 30 + ".pdf")
    attach(live, w.member, w.task_id, b"%PDF-1.7\n", "<b>not bold</b>.pdf")
    page = new_page(viewport=PHONE, color_scheme=scheme)
    live.login(page.context, w.member)
    page.goto(f"/tasks/{w.task_id}")
    expect(page.locator(".file-list li")).to_have_count(3)
    expect(page.get_by_role("link", name="<b>not bold</b>.pdf")).to_be_visible()
    expect(page.locator(".file-list")).to_contain_text("2.5 MB")
    page.wait_for_function("() => document.querySelector('img.thumb').complete")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the task page is {width} px wide at 390 ({scheme})"
    assert_no_axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_no_axe_violations(page)


@pytest.mark.parametrize("size", [SMALL_LIMIT + 10_000, 3_000_000])  # read and counted; refused unread
@pytest.mark.parametrize("js", [True, False])
def test_a_file_over_the_limit_shows_the_too_large_page(new_page: Any, live: LiveServer, tmp_path: Path,
                                                        js: bool, size: int) -> None:
    w = make_world(live)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * size)
    page = new_page(java_script_enabled=js)
    live.login(page.context, w.member)
    page.goto(f"/tasks/{w.task_id}")
    page.locator("#file").set_input_files(str(big))
    page.get_by_role("button", name="Attach file").click()
    expect(page.locator("h1")).to_have_text("Too large")
    assert names(live) == []


def test_a_2_gb_upload_is_refused_by_its_content_length_alone(live: LiveServer) -> None:
    """A raw socket: the headers promise 2 GB, no byte of it is sent, and 413 comes back."""
    w = make_world(live)
    host, port = urlsplit(live.url).hostname, urlsplit(live.url).port
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall((f"POST /tasks/{w.task_id}/attachments HTTP/1.1\r\nHost: {host}:{port}\r\n"
                      "Content-Type: multipart/form-data; boundary=x\r\n"
                      f"Content-Length: {2 * 1024 ** 3}\r\n\r\n").encode())
        answer = b""
        while b"\r\n" not in answer:
            piece = sock.recv(4096)
            if not piece:
                break
            answer += piece
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert names(live) == []
