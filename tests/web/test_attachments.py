"""Attachment routes over HTTP: upload (303, 422, 413 without reading it all), download with the
headers SPEC §8 names, delete, and who gets 404; hostile file names."""

from __future__ import annotations

import html
import io
import re
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

import anyio
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kanvaro.attachments import actions
from kanvaro.attachments.forms import Upload
from kanvaro.attachments.models import Attachment, Blob
from kanvaro.middleware import UPLOAD_PATH, UPLOAD_SLACK
from kanvaro.models import AuditEntry, ProjectMember, Task
from kanvaro.routes import ROUTES
from kanvaro.security import SESSION_COOKIE
from kanvaro.settings import Settings
from tests.factories import make_ctx, make_org, make_user
from tests.web.markup import FULL_PAGE, field_error

HX = {"HX-Request": "true"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
LIMIT = 100_000  # KANVARO_MAX_UPLOAD_BYTES for this module: big bodies stay quick
BODY_LIMIT = 20_000  # and KANVARO_MAX_BODY_BYTES, below it as it is by default
NO_GZIP = {"Accept-Encoding": "identity"}


@pytest.fixture(name="settings")
def small_limit(settings: Settings) -> Settings:
    return replace(settings, max_upload_bytes=LIMIT, max_body_bytes=BODY_LIMIT)


@pytest.fixture
def task(db, org, project):
    t = Task(organization_id=org.id, project_id=project.id, number=1, title="Fix login", position=1)
    db.add(t)
    db.commit()
    return t


@pytest.fixture
def attached(db, settings, task):
    """attached(user, content, filename) -> the attachment, committed."""
    def make(user, content=b"hello", filename="notes.txt"):
        made = actions.add_attachment(make_ctx(db, user, settings), task.id,
                                      Upload(filename, io.BytesIO(content), len(content)))
        db.commit()
        return made
    return make


def send(browser, task_id, content=b"hello", filename="notes.txt", *, csrf=True, **kwargs):
    data = {"csrf_token": browser.csrf} if csrf else {}
    return browser.client.post(f"/tasks/{task_id}/attachments", data=data, follow_redirects=False,
                               files={"file": (filename, content, "image/png")}, **kwargs)


def count(db, model) -> int:
    db.commit()
    return db.scalar(select(func.count()).select_from(model)) or 0


def raw_multipart(csrf: str, filename: bytes, content: bytes, boundary: str = "b0undary") -> bytes:
    """A body as a client may send it, byte for byte (httpx would escape the name)."""
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"").encode() \
        + filename + b"\"\r\nContent-Type: text/plain\r\n\r\n" + content + f"\r\n--{boundary}--\r\n".encode()


# --- upload ---------------------------------------------------------------------------

def test_an_upload_redirects_to_the_task_which_lists_it(as_owner, db, task):
    r = send(as_owner, task.id, b"hello world", "plan.txt")
    assert (r.status_code, r.headers["location"]) == (303, f"/tasks/{task.id}")
    page = as_owner.get(f"/tasks/{task.id}").text
    assert "File “plan.txt” attached." in page
    [a] = db.scalars(select(Attachment))
    assert f'href="/attachments/{a.id}"' in page and "11 bytes" in page and "Olive Owner" in page
    assert count(db, Blob) == 1
    assert db.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "attachment.added"


def test_an_image_gets_a_thumbnail_and_other_files_do_not(as_owner, db, task):
    send(as_owner, task.id, PNG, "photo.png")
    send(as_owner, task.id, b"%PDF-1.7\n", "report.png")  # named .png, but a PDF
    page = as_owner.get(f"/tasks/{task.id}").text
    photo, report = db.scalars(select(Attachment).order_by(Attachment.id))
    assert f'<img class="thumb" src="/attachments/{photo.id}" alt="" loading="lazy">' in page
    assert f'src="/attachments/{report.id}"' not in page


def test_the_form_works_without_js_and_is_never_boosted(as_owner, task):
    page = as_owner.get(f"/tasks/{task.id}").text
    form = re.search(r'<form[^>]*id="upload-form"[^>]*>', page).group(0)
    assert 'enctype="multipart/form-data"' in form and 'method="post"' in form
    assert 'hx-boost="false"' in form and f'action="/tasks/{task.id}/attachments"' in form
    assert '<label for="file">File</label>' in page and "up to 100 kB" in page
    assert 'hx-boost="false"' in re.search(r'<section[^>]*id="files"[^>]*>', page).group(0)


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"", "", "Choose a file to attach."),
    (b"", "empty.txt", "The file is empty; choose one with something in it."),
])
def test_no_file_or_an_empty_one_is_422_with_the_error_by_the_field(as_owner, db, task, content,
                                                                     filename, message):
    r = send(as_owner, task.id, content, filename)
    assert r.status_code == 422 and r.text.startswith(FULL_PAGE)
    assert field_error(r.text, "file") == message
    assert 'class="error-summary"' in r.text and f'href="/tasks/{task.id}' in r.text
    assert count(db, Attachment) == count(db, Blob) == count(db, AuditEntry) == 0


def test_a_form_without_the_file_field_is_422(as_owner, db, task):
    r = as_owner.client.post(f"/tasks/{task.id}/attachments", data={"csrf_token": as_owner.csrf},
                             files={"other": ("x.txt", b"x")}, follow_redirects=False)
    assert r.status_code == 422 and field_error(r.text, "file") == "Choose a file to attach."


def test_with_htmx_a_refusal_is_the_form_alone(as_owner, task):
    r = send(as_owner, task.id, b"", "", headers=HX)
    assert r.status_code == 422 and not r.text.startswith(FULL_PAGE)
    assert 'id="upload-form"' in r.text and field_error(r.text, "file")


def test_a_file_of_exactly_the_limit_is_taken_and_one_byte_more_is_413(as_owner, db, task):
    assert send(as_owner, task.id, b"x" * LIMIT, "full.txt").status_code == 303
    r = send(as_owner, task.id, b"y" * (LIMIT + 1), "over.txt")
    assert r.status_code == 413 and "Too large" in r.text
    assert count(db, Attachment) == 1


def test_a_file_over_the_limit_is_refused_before_any_transaction(as_owner, monkeypatch, task):
    def never(*args: Any) -> None:
        raise AssertionError("the action ran")

    monkeypatch.setattr(actions, "add_attachment", never)
    assert send(as_owner, task.id, b"y" * (LIMIT + 1), "over.txt").status_code == 413


def test_other_routes_keep_the_smaller_body_limit(as_owner, settings, task):
    r = as_owner.client.post(f"/tasks/{task.id}", content=b"x" * (settings.max_body_bytes + 1),
                             headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_the_guards_upload_path_is_exactly_the_upload_routes():
    uploads = [r for r in ROUTES if "POST" in (r.methods or ()) and UPLOAD_PATH.fullmatch(
        r.path_format.format(**{k: "12" for k in r.param_convertors}))]
    assert sorted(r.name for r in uploads) == ["attachment_add", "project_import_upload"]


@pytest.mark.parametrize("body", [
    "urlencoded", "two files", "no boundary", "a part header over 4 kB", "51 fields",
    "a text field over 16 kB",
])
def test_a_body_that_is_not_one_multipart_file_is_400(as_owner, db, task, body):
    url = f"/tasks/{task.id}/attachments"
    if body == "urlencoded":
        r = as_owner.post(url, {"file": "not a file"})
    elif body == "two files":
        r = as_owner.client.post(url, data={"csrf_token": as_owner.csrf}, follow_redirects=False,
                                 files=[("file", ("a.txt", b"a")), ("file", ("b.txt", b"b"))])
    elif body == "no boundary":
        r = as_owner.client.post(url, content=b"--x\r\n", headers={"content-type": "multipart/form-data"})
    elif body == "a part header over 4 kB":  # python-multipart's limit on one header line
        r = as_owner.client.post(url, content=raw_multipart(as_owner.csrf, b"x" * 5000, b"x"),
                                 headers={"content-type": "multipart/form-data; boundary=b0undary"})
    else:  # text fields are held in memory: few and short
        extra = {f"f{i}": "x" for i in range(50)} if body == "51 fields" else {"note": "x" * 17_000}
        r = as_owner.client.post(url, data={"csrf_token": as_owner.csrf, **extra},
                                 files={"file": ("a.txt", b"a")}, follow_redirects=False)
    assert r.status_code == 400
    assert count(db, Attachment) == 0


@pytest.mark.parametrize("variant", ["no token", "forged token", "foreign origin"])
def test_csrf_and_origin_are_checked_as_for_every_post(as_owner, db, task, variant):
    if variant == "no token":
        r = send(as_owner, task.id, csrf=False)
    elif variant == "forged token":
        r = as_owner.client.post(f"/tasks/{task.id}/attachments", data={"csrf_token": "x" * 88},
                                 files={"file": ("a.txt", b"a")}, follow_redirects=False)
    else:
        r = send(as_owner, task.id, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert count(db, Attachment) == 0


def test_the_csrf_header_of_htmx_is_enough(as_owner, db, task):
    r = send(as_owner, task.id, csrf=False, headers={**HX, "X-CSRF-Token": as_owner.csrf})
    assert r.status_code == 200 and r.headers["hx-location"] == f"/tasks/{task.id}"
    assert count(db, Attachment) == 1


# --- refused without reading the body (the ASGI app, fed by hand) ---------------------

class Feed:
    """An endless request body, counting what the app took of it."""

    def __init__(self, head: bytes, chunk: int = 64 * 1024) -> None:
        self.head, self.chunk, self.taken = head, b"x" * chunk, 0

    async def receive(self) -> dict[str, Any]:
        piece, self.head = (self.head, b"") if self.head else (self.chunk, b"")
        self.taken += len(piece)
        return {"type": "http.request", "body": piece, "more_body": True}


def asgi_post(app, path: str, feed: Feed, headers: dict[str, str]) -> int:
    """POST to the app with `feed` as the body; the status it answers."""
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
             "headers": [(k.lower().encode(), v.encode()) for k, v in
                         {"host": "testserver", **headers}.items()]}

    async def collect(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        with anyio.fail_after(20):
            await app(scope, feed.receive, collect)

    anyio.run(run)
    return int(sent[0]["status"])


def _headers(browser, **extra: str) -> dict[str, str]:
    cookie = browser.client.cookies.get(SESSION_COOKIE)
    return {"cookie": f"{SESSION_COOKIE}={cookie}",
            "content-type": "multipart/form-data; boundary=b0undary", **extra}


def _head(browser) -> bytes:
    return raw_multipart(browser.csrf, b"huge.bin", b"").rsplit(b"\r\n--b0undary--", 1)[0]


def test_a_huge_content_length_is_413_before_a_byte_is_read(app, browser, owner, task):
    browser.login_as(owner)
    feed = Feed(_head(browser))
    status = asgi_post(app, f"/tasks/{task.id}/attachments", feed,
                       _headers(browser, **{"content-length": str(2 * 1024**3)}))
    assert (status, feed.taken) == (413, 0)


def test_an_endless_body_is_413_once_past_the_limit(app, browser, db, owner, task):
    browser.login_as(owner)
    feed = Feed(_head(browser))
    status = asgi_post(app, f"/tasks/{task.id}/attachments", feed, _headers(browser))
    assert status == 413
    assert LIMIT < feed.taken <= LIMIT + UPLOAD_SLACK + 64 * 1024 and BODY_LIMIT < LIMIT
    assert count(db, Attachment) == 0


@pytest.mark.parametrize("who", ["anonymous", "viewer", "outsider", "intruder"])
def test_who_may_not_attach_is_refused_before_the_body_is_read(app, browser, db, org, project, task, who):
    if who == "viewer":
        user = make_user(db, org, role="viewer")
        db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=user.id))
    elif who == "outsider":
        user = make_user(db, org, role="team_member")
    elif who == "intruder":
        user = make_user(db, make_org(db, "Globex"), role="owner")
    db.commit()
    if who != "anonymous":
        browser.login_as(user)
    feed = Feed(_head(browser))
    status = asgi_post(app, f"/tasks/{task.id}/attachments", feed, _headers(browser))
    expected = {"anonymous": 303, "viewer": 403, "outsider": 404, "intruder": 404}[who]
    assert (status, feed.taken) == (expected, 0)


# --- download -------------------------------------------------------------------------

def test_an_image_is_shown_inline_with_the_headers_of_spec_8(as_owner, attached, owner):
    a = attached(owner, PNG, "photo.png")
    r = as_owner.get(f"/attachments/{a.id}", headers=NO_GZIP)
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-disposition"] == "inline; filename*=UTF-8''photo.png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == "sandbox"
    assert r.headers["content-length"] == str(len(PNG))


@pytest.mark.parametrize(("content", "served"), [
    (b"plain words\n", "text/plain; charset=utf-8"),
    (b"%PDF-1.7\n" + b"x" * 50, "application/pdf"),
    (bytes(range(256)), "application/octet-stream"),
])
def test_anything_else_is_a_download(as_owner, attached, owner, content, served):
    a = attached(owner, content, "file.dat")
    r = as_owner.get(f"/attachments/{a.id}", headers=NO_GZIP)
    assert r.content == content and r.headers["content-type"] == served
    assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''file.dat"
    assert r.headers["content-length"] == str(len(content))
    assert r.headers["content-security-policy"] == "sandbox"


def test_html_named_png_is_served_as_a_download_never_inline(as_owner, attached, owner, task):
    evil = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
    a = attached(owner, evil, "cute.png")
    r = as_owner.get(f"/attachments/{a.id}")
    assert r.headers["content-disposition"].startswith("attachment;")
    assert not r.headers["content-type"].startswith(("image/", "text/html"))
    assert r.headers["x-content-type-options"] == "nosniff"
    assert f'src="/attachments/{a.id}"' not in as_owner.get(f"/tasks/{task.id}").text


def test_a_name_outside_ascii_is_sent_in_rfc_8187_form(as_owner, attached, owner):
    a = attached(owner, b"x", "Plan für Q3 \"final\";.txt")
    header = as_owner.get(f"/attachments/{a.id}").headers["content-disposition"]
    assert header.isascii() and ";" not in header.split("filename*=", 1)[1]
    assert unquote(header.split("UTF-8''", 1)[1]) == "Plan für Q3 \"final\";.txt"


def test_a_viewer_of_the_project_may_download(browser, db, org, project, attached, owner):
    a = attached(owner, PNG)
    viewer = make_user(db, org, role="viewer")
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=viewer.id))
    db.commit()
    assert browser.login_as(viewer).get(f"/attachments/{a.id}").status_code == 200


@pytest.mark.parametrize("who", ["outsider", "intruder"])
def test_who_cannot_see_the_task_gets_404(browser, db, org, attached, owner, who):
    a = attached(owner, b"secret plans", "plans.txt")
    other = org if who == "outsider" else make_org(db, "Globex")
    user = make_user(db, other, role="team_member" if who == "outsider" else "owner")
    db.commit()
    browser.login_as(user)
    for r in (browser.get(f"/attachments/{a.id}"), browser.post(f"/attachments/{a.id}/delete")):
        assert r.status_code == 404 and "secret plans" not in r.text and "plans.txt" not in r.text
    assert count(db, Attachment) == 1


def test_an_unknown_id_is_404(as_owner):
    assert as_owner.get("/attachments/999").status_code == 404


def test_not_logged_in_a_download_goes_to_the_login_page(browser, attached, owner):
    a = attached(owner)
    r = browser.get(f"/attachments/{a.id}")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


# --- delete ---------------------------------------------------------------------------

def test_the_uploader_deletes_their_file_and_its_blob_goes(browser, db, member, attached, task):
    a = attached(member)
    r = browser.login_as(member).post(f"/attachments/{a.id}/delete")
    assert (r.status_code, r.headers["location"]) == (303, f"/tasks/{task.id}")
    assert "File “notes.txt” deleted." in browser.get(f"/tasks/{task.id}").text
    assert count(db, Attachment) == count(db, Blob) == 0


def test_someone_else_without_task_delete_gets_403(browser, db, member, owner, attached, task):
    a = attached(owner)
    assert browser.login_as(member).post(f"/attachments/{a.id}/delete").status_code == 403
    assert count(db, Attachment) == 1
    page = browser.get(f"/tasks/{task.id}").text
    assert f'action="/attachments/{a.id}/delete"' not in page  # no button where it is refused


def test_with_task_delete_anyones_file_may_go(as_owner, db, member, attached):
    a = attached(member)
    assert as_owner.post(f"/attachments/{a.id}/delete").status_code == 303
    assert count(db, Attachment) == 0


# --- hostile names --------------------------------------------------------------------

@pytest.mark.parametrize(("sent", "stored"), [
    (b"../../x", "../../x"),
    (b"<script>alert(1)</script>.png", "<script>alert(1)</script>.png"),
    (b"a\x00b.txt", "ab.txt"),
    (b"\xe2\x80\xaeexe.txt", "exe.txt"),  # a right-to-left override
    ("n\u00e4me.txt".encode(), "n\u00e4me.txt"),
    (b"x" * 1000 + b".txt", "x" * 251 + ".txt"),
    (b"", "file"),
])
def test_a_hostile_name_is_stored_cleaned_and_shown_escaped(as_owner, db, task, sent, stored):
    body = raw_multipart(as_owner.csrf, sent, b"some content")
    r = as_owner.client.post(f"/tasks/{task.id}/attachments", content=body, follow_redirects=False,
                             headers={"content-type": "multipart/form-data; boundary=b0undary"})
    assert r.status_code == 303, r.text[-500:]
    [a] = db.scalars(select(Attachment))
    assert a.filename == stored
    page = as_owner.get(f"/tasks/{task.id}").text
    assert "<script>alert(1)" not in page
    assert f'<span class="file-name">{html.escape(stored, quote=False)}</span>' in page
    header = as_owner.get(f"/attachments/{a.id}").headers["content-disposition"]
    assert header.isascii() and unquote(header.split("UTF-8''", 1)[1]) == stored


@hsettings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(name=st.one_of(st.text(max_size=300), st.binary(max_size=80)))
def _any_name(name: str | bytes, browser: Any, engine: Any, task_id: int) -> None:
    raw = name if isinstance(name, bytes) else name.encode("utf-8", "surrogatepass")
    raw = raw.replace(b'"', b"").replace(b"\r", b"").replace(b"\n", b"")  # what would end the header
    body = raw_multipart(browser.csrf, raw, b"content")
    r = browser.client.post(f"/tasks/{task_id}/attachments", content=body, follow_redirects=False,
                            headers={"content-type": "multipart/form-data; boundary=b0undary"})
    assert r.status_code in (303, 400), (raw, r.status_code)
    if r.status_code != 303:
        return
    from sqlalchemy.orm import Session

    with Session(engine) as db:
        a = db.scalars(select(Attachment).order_by(Attachment.id.desc())).first()
        assert a is not None and 1 <= len(a.filename) <= 255
        assert all(c == " " or c.isprintable() for c in a.filename), a.filename
        served = browser.get(f"/attachments/{a.id}")
        assert served.status_code == 200
        assert unquote(served.headers["content-disposition"].split("UTF-8''", 1)[1]) == a.filename


def test_any_name_is_stored_printable_and_served_back_the_same(as_owner, engine, task):
    _any_name(browser=as_owner, engine=engine, task_id=task.id)
    page = as_owner.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and "<script" not in page.text.split('id="files"', 1)[1].split("</section>")[0]
