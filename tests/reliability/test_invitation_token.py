"""The invitation token is never stored (SPEC §2; issue 9, item 3; docs/security.md).

The token travels only in the delivered mail. The database keeps its SHA-256 and a random
nonce; the outbox row keeps its bodies with a placeholder, and the sender derives the token
from the secret key and that nonce just before it sends. So the token is in no row, in no
byte of the SQLite file or its WAL (nor of PostgreSQL's files and WAL), and in no backup.
"""

from __future__ import annotations

import dataclasses
import email
import re
import subprocess
import time
from email import policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, text, update
from sqlmodel import SQLModel

from kanvaro import cli, mail
from kanvaro.backup import pg_tool
from kanvaro.models import EmailOutbox, Invitation, User
from kanvaro.security import token_hash
from tests.test_mail import Inbox, SmtpServer, free_port
from tests.web.markup import adopt_cookie

LINK = re.compile(r"http://kanvaro\.test/invitations/([A-Za-z0-9_-]{43})")


def invite(browser: Any, owner: Any, address: str = "nia@example.com") -> None:
    browser.login_as(owner)
    r = browser.post("/team/invitations", {"email": address, "role": "team_member"})
    assert r.status_code == 303, r.text


def bodies(msg: Any) -> tuple[str, str]:
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def token_in(msg: Any) -> str:
    """The token of the link in a delivered mail; the html part carries the same link."""
    text_body, html_body = bodies(msg)
    match = LINK.search(text_body)
    assert match, text_body
    assert match.group(0) in html_body
    return match.group(1)


def deliver_as_eml(settings: Any, engine: Engine) -> Any:
    assert mail.drain_once(settings, engine=engine) == 1
    [path] = sorted(Path(settings.outbox_dir).glob("*.eml"))
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def every_value(engine: Engine) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every column of every row of every table."""
    out = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                out.extend((table.name, column, str(value)) for column, value in row.items())
    return out


def holding(engine: Engine, secret: str) -> list[tuple[str, str]]:
    return [(t, c) for t, c, v in every_value(engine) if secret in v]


def database_bytes(settings: Any, engine: Engine, pg_server: Any) -> dict[str, bytes]:
    """The raw files the database lives in, by name.

    SQLite: the database file and its -wal file (which must exist: the app runs in WAL mode
    and its connections are open). PostgreSQL: after a CHECKPOINT, this database's files and
    the WAL segments written since the server started."""
    if pg_server is None:
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        wal = path.with_name(path.name + "-wal")
        assert path.exists() and wal.exists()
        return {path.name: path.read_bytes(), wal.name: wal.read_bytes()}
    with engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))
        oid = conn.scalar(text("SELECT oid FROM pg_database WHERE datname = current_database()"))
        conn.commit()
    data = Path(pg_server.data)
    started = (data / "postmaster.pid").stat().st_mtime - 1
    files = [p for p in (data / "base" / str(oid)).iterdir() if p.is_file()]
    files += [p for p in (data / "pg_wal").iterdir() if p.is_file() and p.stat().st_mtime >= started]
    return {str(p.relative_to(data)): p.read_bytes() for p in files}


def backup_bytes(settings: Any, tmp_path: Path, monkeypatch: Any, capsys: Any, db_kind: str) -> bytes:
    """A fresh `kanvaro backup`, as bytes a reader of the file gets: pg_dump's custom format
    is compressed, so on PostgreSQL the file is turned back into its SQL text first."""
    monkeypatch.setenv("KANVARO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KANVARO_DATA_DIR", str(settings.data_dir))
    file = tmp_path / f"kanvaro-{time.monotonic_ns()}.backup"
    assert cli.main(["backup", str(file)]) == 0, capsys.readouterr().err
    raw = file.read_bytes()
    if db_kind == "postgres":
        done = subprocess.run([pg_tool("pg_restore"), "--file=-", str(file)], capture_output=True,
                              check=True)
        assert b"COPY public.email_outbox" in done.stdout
        return raw + done.stdout
    assert raw.startswith(b"SQLite format 3")
    return raw


def test_the_token_is_in_no_row_no_database_file_no_wal_and_no_backup(
    browser, owner, db, engine, settings, pg_server, db_kind, tmp_path, monkeypatch, capsys,
):
    invite(browser, owner)
    # While the mail waits in the outbox: the moment a stolen copy would be worth most.
    pending_files = database_bytes(settings, engine, pg_server)
    pending_backup = backup_bytes(settings, tmp_path, monkeypatch, capsys, db_kind)
    pending_rows = every_value(engine)

    token = token_in(deliver_as_eml(settings, engine))
    sent_files = database_bytes(settings, engine, pg_server)
    sent_backup = backup_bytes(settings, tmp_path, monkeypatch, capsys, db_kind)

    needle = token.encode()
    assert [name for name, raw in pending_files.items() if needle in raw] == []
    assert [name for name, raw in sent_files.items() if needle in raw] == []
    assert needle not in pending_backup and needle not in sent_backup
    assert [(t, c) for t, c, v in pending_rows if token in v] == []
    assert holding(engine, token) == []
    # What the database does hold: the hash, to recognise the token when it comes back.
    invitation = db.scalar(select(Invitation))
    assert invitation.token_hash == token_hash(token)


def test_the_link_in_the_mail_accepts_the_invitation_and_leaves_no_token_behind(
    browser, owner, db, engine, settings, org,
):
    invite(browser, owner)
    token = token_in(deliver_as_eml(settings, engine))
    browser.client.cookies.clear()
    browser._set_cookie()
    assert browser.get(f"/invitations/{token}").status_code == 200
    accepted = browser.post(f"/invitations/{token}", {"name": "Nia New", "password": "a long password"})
    assert accepted.status_code == 303 and accepted.headers["location"] == "/projects"
    adopt_cookie(browser, accepted)
    assert "Nia New" in browser.get("/projects").text
    db.rollback()
    user = db.scalar(select(User).where(User.email == "nia@example.com"))
    assert user is not None and user.organization_id == org.id
    assert holding(engine, token) == []


def test_the_mail_sent_over_smtp_carries_the_working_link(browser, owner, db, engine, settings):
    port = free_port()
    smtp = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")
    invite(browser, owner)
    with SmtpServer(port, Inbox()) as inbox:
        assert mail.drain_once(smtp, engine=engine) == 1
    [(recipients, msg)] = inbox.messages
    assert recipients == ["nia@example.com"]
    token = token_in(msg)
    assert "{{" not in "".join(bodies(msg))  # no placeholder left in what was sent
    assert holding(engine, token) == []
    db.rollback()
    from kanvaro.team.queries import invitation_link

    invitation = db.scalar(select(Invitation))
    # The link can be made again from what is stored (and the key): "copy invitation link".
    assert invitation_link(settings, invitation) == f"http://kanvaro.test/invitations/{token}"
    assert browser.get(f"/invitations/{token}").status_code == 200


@pytest.mark.parametrize("change", ["revoked", "deleted"])
def test_a_mail_whose_invitation_is_gone_is_still_sent_and_its_link_answers_404(
    browser, owner, db, engine, settings, change,
):
    """The outbox row carries what the sender needs (purpose, nonce, hash), so the mail goes
    out as written; the link it carries no longer accepts anything."""
    invite(browser, owner)
    db.rollback()
    if change == "revoked":
        r = browser.post(f"/team/invitations/{db.scalar(select(Invitation.id))}/revoke")
        assert r.status_code == 303
    else:
        db.execute(delete(Invitation))
        db.commit()
    token = token_in(deliver_as_eml(settings, engine))
    assert browser.get(f"/invitations/{token}").status_code == 404
    db.rollback()
    assert db.scalar(select(EmailOutbox.status)) == "sent"


def test_a_mail_whose_token_the_key_no_longer_gives_is_not_sent(browser, owner, db, engine, settings):
    """A sender with another secret key (a `kanvaro send-mail` run without the server's
    KANVARO_SECRET_KEY, or a rotated key) would send a link that cannot work: it refuses."""
    invite(browser, owner)
    other = dataclasses.replace(settings, secret_key="another-key")
    assert mail.drain_once(other, engine=engine) == 0
    db.rollback()
    row = db.scalar(select(EmailOutbox))
    assert row.status == "failed" and "secret key" in row.last_error
    assert list(Path(settings.outbox_dir).glob("*.eml")) == []


def test_a_planted_secret_reference_of_an_unknown_purpose_is_not_sent(browser, owner, db, engine, settings):
    invite(browser, owner)
    db.rollback()
    db.execute(update(EmailOutbox).values(secret_purpose="password-reset-v0"))
    db.commit()
    assert mail.drain_once(settings, engine=engine) == 0
    db.rollback()
    row = db.scalar(select(EmailOutbox))
    assert row.status == "failed" and "password-reset-v0" in row.last_error
