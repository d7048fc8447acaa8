"""Attachment actions without HTTP: who may attach and delete, what the bytes say they are, one
blob per organization and digest, and blobs going with their last attachment."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from kanvaro.attachments import actions
from kanvaro.attachments.content import clean_filename, describe, size_text
from kanvaro.attachments.forms import TooLarge, Upload
from kanvaro.attachments.models import Attachment, Blob
from kanvaro.errors import Forbidden, Invalid, NotFound
from kanvaro.models import AuditEntry, ProjectMember, Task
from kanvaro.projects import actions as project_actions
from kanvaro.tasks import actions as task_actions
from tests.factories import make_org, make_project, make_user

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 20


def upload(content: bytes, filename: str = "notes.txt") -> Upload:
    return Upload(filename, io.BytesIO(content), len(content))


def attach(ctx, task_id, content=b"hello", filename="notes.txt") -> Attachment:
    return actions.add_attachment(ctx, task_id, upload(content, filename))


@pytest.fixture
def task(db, org, project):
    t = Task(organization_id=org.id, project_id=project.id, number=1, title="Fix login", position=1)
    db.add(t)
    db.flush()
    return t


def blobs(db) -> list[Blob]:
    db.expire_all()
    return list(db.scalars(select(Blob).order_by(Blob.organization_id, Blob.sha256)))


def audit_rows(db, action):
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- adding ---------------------------------------------------------------------------

def test_an_attachment_is_stored_with_its_digest_and_audited(db, ctx, owner, task):
    made = attach(ctx, task.id, b"hello world", "plan.txt")
    stored = db.get(Attachment, made.id)
    assert (stored.filename, stored.size, stored.content_type, stored.uploader_id, stored.task_id) == (
        "plan.txt", 11, "text/plain", owner.id, task.id)
    assert stored.sha256 == hashlib.sha256(b"hello world").hexdigest()
    [blob] = blobs(db)
    assert (blob.sha256, blob.size, blob.content) == (stored.sha256, 11, b"hello world")
    [entry] = audit_rows(db, "attachment.added")
    assert (entry.entity_id, entry.task_id, entry.project_id) == (made.id, task.id, task.project_id)
    assert entry.changes == {"filename": [None, "plan.txt"], "size": [None, 11],
                             "content_type": [None, "text/plain"]}


def test_identical_uploads_share_one_blob(db, ctx, task):
    first = attach(ctx, task.id, PDF, "a.pdf")
    second = attach(ctx, task.id, PDF, "copy of a.pdf")
    assert first.sha256 == second.sha256 and first.id != second.id
    assert len(blobs(db)) == 1


def test_the_same_bytes_in_two_organizations_are_two_blobs(db, ctx, settings, task):
    from tests.factories import make_ctx

    other = make_org(db, "Globex")
    boss = make_user(db, other, role="owner")
    elsewhere = make_project(db, other, creator=boss)
    their_task = Task(organization_id=other.id, project_id=elsewhere.id, number=1, title="X", position=1)
    db.add(their_task)
    db.flush()
    attach(ctx, task.id, PDF)
    attach(make_ctx(db, boss, settings), their_task.id, PDF)
    assert [b.organization_id for b in blobs(db)] == sorted([task.organization_id, other.id])


@pytest.mark.parametrize(("content", "filename", "expected"), [
    (PNG, "photo.png", "image/png"),
    (PNG, "photo.txt", "image/png"),  # the name does not matter, the bytes do
    (b"<!doctype html><script>alert(1)</script>", "evil.png", "text/plain"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40), "x", "image/jpeg"),
    (b"GIF89a" + bytes(40), "x", "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(40), "x", "image/webp"),
    (PDF, "report", "application/pdf"),
    ("Grüße aus Köln\n".encode(), "greeting", "text/plain"),
    (b"text with a \x00 NUL", "nul.txt", "application/octet-stream"),
    (b"latin-1 \xe9t\xe9", "old.txt", "application/octet-stream"),
    (bytes(range(256)), "random.bin", "application/octet-stream"),
])
def test_the_type_comes_from_the_bytes_never_the_name(db, ctx, task, content, filename, expected):
    assert attach(ctx, task.id, content, filename).content_type == expected


def test_a_utf8_character_split_across_chunks_is_still_text():
    content = "é".encode() * 40_000  # 80 000 bytes: a chunk boundary falls inside a character
    assert describe(io.BytesIO(content)).content_type == "text/plain"


def test_no_file_and_an_empty_file_are_refused_and_nothing_is_written(db, ctx, task):
    with pytest.raises(Invalid) as no_file:
        actions.add_attachment(ctx, task.id, None)
    assert no_file.value.errors == {"file": ["Choose a file to attach."]}
    with pytest.raises(Invalid) as unchosen:  # what a browser sends when no file was chosen
        actions.add_attachment(ctx, task.id, upload(b"", ""))
    assert unchosen.value.errors == {"file": ["Choose a file to attach."]}
    with pytest.raises(Invalid) as empty:
        actions.add_attachment(ctx, task.id, upload(b"", "empty.txt"))
    assert empty.value.errors["file"][0].startswith("The file is empty")
    assert db.scalar(select(func.count()).select_from(Attachment)) == 0 and blobs(db) == []


def test_a_file_over_the_limit_is_too_large(db, ctx, task):
    from dataclasses import replace

    ctx.settings = replace(ctx.settings, max_upload_bytes=10)
    with pytest.raises(TooLarge):
        attach(ctx, task.id, b"x" * 11)
    assert attach(ctx, task.id, b"x" * 10).size == 10


def test_a_viewer_may_not_attach_and_an_outsider_does_not_find_the_task(db, ctx_for, org, task):
    viewer = make_user(db, org, role="viewer")
    db.add(ProjectMember(organization_id=org.id, project_id=task.project_id, user_id=viewer.id))
    outsider = make_user(db, org, role="team_member")  # not a member of the project
    db.flush()
    with pytest.raises(Forbidden):
        attach(ctx_for(viewer), task.id)
    with pytest.raises(NotFound):
        attach(ctx_for(outsider), task.id)
    with pytest.raises(NotFound):
        actions.may_attach(ctx_for(outsider), task.id)


def test_another_organizations_task_is_not_found(db, ctx_for, task):
    other = make_org(db, "Globex")
    with pytest.raises(NotFound):
        attach(ctx_for(make_user(db, other, role="owner")), task.id)


# --- names ----------------------------------------------------------------------------

@pytest.mark.parametrize(("sent", "kept"), [
    ("../../x", "../../x"),
    ("<script>.png", "<script>.png"),
    ("a\x00b.txt", "ab.txt"),
    ("evil\u202egnp.exe", "evilgnp.exe"),
    ("  padded.txt \t", "padded.txt"),
    ("\x00\x01", "file"),
    ("", "file"),
    ("Cafe\u0301.txt", "Caf\u00e9.txt"),
])
def test_a_name_is_kept_as_sent_less_what_no_name_holds(sent, kept):
    assert clean_filename(sent) == kept


def test_a_long_name_is_cut_to_255_keeping_its_extension():
    name = clean_filename("x" * 1000 + ".tar.gz")
    assert len(name) == 255 and name.endswith("x.gz")
    assert len(clean_filename("y" * 1000)) == 255


def test_sizes_read_in_decimal_units():
    assert [size_text(n) for n in (1, 999, 1000, 1550, 10_000_000, 10_485_760)] == [
        "1 byte", "999 bytes", "1 kB", "1.6 kB", "10 MB", "10.5 MB"]


# --- deleting -------------------------------------------------------------------------

def test_deleting_the_last_attachment_deletes_its_blob_and_audits(db, ctx, task):
    made = attach(ctx, task.id, PDF, "a.pdf")
    gone = actions.delete_attachment(ctx, made.id)
    assert gone.id == made.id and db.get(Attachment, made.id) is None
    assert blobs(db) == []
    [entry] = audit_rows(db, "attachment.deleted")
    assert (entry.entity_id, entry.task_id, entry.project_id) == (made.id, task.id, task.project_id)
    assert entry.changes == {"filename": ["a.pdf", None], "size": [len(PDF), None],
                             "content_type": ["application/pdf", None]}


def test_a_blob_stays_while_another_attachment_uses_it(db, ctx, task):
    first = attach(ctx, task.id, PDF)
    second = attach(ctx, task.id, PDF)
    actions.delete_attachment(ctx, first.id)
    assert len(blobs(db)) == 1
    actions.delete_attachment(ctx, second.id)
    assert blobs(db) == []


def test_the_uploader_may_delete_their_file_without_task_delete(db, ctx_for, member, task):
    mine = attach(ctx_for(member), task.id)
    actions.delete_attachment(ctx_for(member), mine.id)
    assert db.get(Attachment, mine.id) is None


def test_someone_else_needs_task_delete(db, ctx, ctx_for, member, task):
    owners = attach(ctx, task.id)
    with pytest.raises(Forbidden):
        actions.delete_attachment(ctx_for(member), owners.id)  # a team member lacks task:delete
    members = attach(ctx_for(member), task.id, b"other")
    actions.delete_attachment(ctx, members.id)  # the owner holds it
    assert db.get(Attachment, owners.id) is not None and db.get(Attachment, members.id) is None


def test_a_foreign_attachment_is_not_found(db, ctx_for, ctx, task):
    made = attach(ctx, task.id)
    other = make_org(db, "Globex")
    with pytest.raises(NotFound):
        actions.delete_attachment(ctx_for(make_user(db, other, role="owner")), made.id)


# --- blobs go with their tasks and projects -------------------------------------------

def test_deleting_a_task_deletes_its_attachments_and_their_unshared_blobs(db, ctx, org, project, task):
    other = Task(organization_id=org.id, project_id=project.id, number=2, title="Other", position=2)
    db.add(other)
    db.flush()
    attach(ctx, task.id, b"only here")
    attach(ctx, task.id, PDF)
    attach(ctx, other.id, PDF)
    task_actions.delete_task(ctx, task.id)
    db.expire_all()
    assert [a.task_id for a in db.scalars(select(Attachment))] == [other.id]
    assert [b.content for b in blobs(db)] == [PDF]


def test_deleting_a_project_deletes_every_blob_only_it_used(db, ctx, org, owner, project, task):
    keep = make_project(db, org, creator=owner, name="Keep")
    kept = Task(organization_id=org.id, project_id=keep.id, number=1, title="Kept", position=1)
    db.add(kept)
    db.flush()
    attach(ctx, task.id, b"goes")
    attach(ctx, kept.id, b"stays")
    project_actions.delete_project(ctx, project.id)
    assert [b.content for b in blobs(db)] == [b"stays"]
    assert db.scalar(select(func.count()).select_from(Attachment)) == 1
