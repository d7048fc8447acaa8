"""The outbox sender against a real SMTP server (aiosmtpd on 127.0.0.1), and without one."""

from __future__ import annotations

import dataclasses
import email
import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from starlette.testclient import TestClient

from kanvaro import mail
from kanvaro.app import create_app
from kanvaro.models import EmailOutbox
from tests.factories import make_user


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping what it receives; `reject` answers every RCPT with it."""

    def __init__(self, reject: str | None = None) -> None:
        self.reject = reject
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.senders: list[str] = []  # every MAIL FROM
        self.recipients: list[str] = []  # every RCPT TO accepted, whether or not DATA followed

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # type: ignore[no-untyped-def]
        self.senders.append(address)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if self.reject:
            return self.reject
        envelope.rcpt_tos.append(address)
        self.recipients.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int, inbox: Inbox) -> None:
        self.controller = Controller(inbox, hostname="127.0.0.1", port=port)
        self.inbox = inbox

    def __enter__(self) -> Inbox:
        self.controller.start()
        return self.inbox

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def smtp_settings(settings, port):
    return dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")


def rows(db) -> list[EmailOutbox]:
    db.rollback()  # a fresh snapshot: the sender commits in its own transactions
    db.expire_all()
    return list(db.scalars(select(EmailOutbox).order_by(EmailOutbox.id)))


def invite(browser, owner, email="nia@example.com"):
    browser.login_as(owner)
    r = browser.post("/team/invitations", {"email": email, "role": "team_member"})
    assert r.status_code == 303


def text_and_html(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    return text.get_content(), html.get_content()


def later(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def test_the_invitation_mail_is_delivered_over_smtp(browser, owner, db, engine, smtp_settings, port):
    invite(browser, owner)
    with SmtpServer(port, Inbox()) as inbox:
        assert mail.drain_once(smtp_settings, engine=engine) == 1
        assert mail.drain_once(smtp_settings, engine=engine) == 0
    [(recipients, msg)] = inbox.messages
    assert recipients == ["nia@example.com"] and msg["To"] == "nia@example.com"
    assert "Olive Owner" in msg["Subject"] and "Acme" in msg["Subject"]
    assert msg["From"] == "Kanvaro <no-reply@kanvaro.test>" and msg["Message-ID"]
    text, html = text_and_html(msg)
    link = re.search(r"http://kanvaro\.test/invitations/[A-Za-z0-9_-]{43}", text)
    assert link and link.group(0) in html
    assert "Olive Owner" in text and "Acme" in text and "Acme" in html
    [row] = rows(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "") and row.sent_at is not None
    # The link from the delivered mail opens the acceptance page.
    page = browser.get(link.group(0).removeprefix("http://kanvaro.test"))
    assert page.status_code == 200 and "nia@example.com" in page.text


def test_a_server_that_is_down_is_retried_later_and_delivered_once_back(browser, owner, db, engine,
                                                                         smtp_settings, port):
    invite(browser, owner)
    assert mail.drain_once(smtp_settings, engine=engine) == 0
    [row] = rows(db)
    assert (row.status, row.attempts) == ("pending", 1) and row.last_error
    # Backoff: an immediate second run does not hammer the server.
    assert mail.drain_once(smtp_settings, engine=engine) == 0
    assert rows(db)[0].attempts == 1
    with SmtpServer(port, Inbox()) as inbox:
        assert mail.drain_once(smtp_settings, engine=engine, now=later(10)) == 1
        assert mail.drain_once(smtp_settings, engine=engine, now=later(120)) == 0
    assert [r for r, _ in inbox.messages] == [["nia@example.com"]]
    [row] = rows(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


def test_a_rejected_mail_is_kept_with_its_error_and_shown_to_admins(browser, owner, db, org, engine,
                                                                    smtp_settings, port):
    invite(browser, owner)
    with SmtpServer(port, Inbox(reject="550 5.1.1 Mailbox unavailable")) as inbox:
        assert mail.drain_once(smtp_settings, engine=engine) == 0
        assert mail.drain_once(smtp_settings, engine=engine, now=later(600)) == 0
    assert inbox.messages == []
    [row] = rows(db)
    assert row.status == "failed" and "550" in row.last_error and "Mailbox unavailable" in row.last_error
    page = browser.get("/team")
    assert "Mail not delivered yet" in page.text and "Mailbox unavailable" in page.text
    member = make_user(db, org, role="team_member")
    db.commit()
    browser.login_as(member)
    assert "Mailbox unavailable" not in browser.get("/team").text


def test_without_an_smtp_url_each_mail_becomes_an_eml_file(browser, owner, db, engine, settings):
    invite(browser, owner)
    assert mail.drain_once(settings, engine=engine) == 1
    [path] = list(settings.outbox_dir.glob("*.eml"))
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["To"] == "nia@example.com"
    assert "http://kanvaro.test/invitations/" in text_and_html(msg)[0]
    assert rows(db)[0].status == "sent"
    assert mail.drain_once(settings, engine=engine) == 0
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 1


def test_concurrent_senders_never_send_a_mail_twice(browser, owner, db, engine, smtp_settings, port):
    for n in range(12):
        invite(browser, owner, f"person{n}@example.com")
    counts: list[int] = []
    with SmtpServer(port, Inbox()) as inbox:
        threads = [threading.Thread(target=lambda: counts.append(mail.drain_once(smtp_settings, engine=engine)))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    delivered = sorted(r[0] for r, _ in inbox.messages)
    assert delivered == sorted(f"person{n}@example.com" for n in range(12))
    assert sum(counts) == 12
    assert {r.status for r in rows(db)} == {"sent"}


def test_a_claim_left_by_a_dead_sender_is_picked_up_after_its_lease(browser, owner, db, engine, settings):
    invite(browser, owner)
    [row] = rows(db)
    row.status, row.claimed_until = "sending", datetime.now(UTC) + mail.LEASE
    db.commit()
    assert mail.drain_once(settings, engine=engine) == 0  # still leased
    assert mail.drain_once(settings, engine=engine, now=later(mail.LEASE.total_seconds() / 60 + 1)) == 1
    assert rows(db)[0].status == "sent"


def test_the_app_runs_the_sender_in_the_background(settings, owner, monkeypatch, db):
    monkeypatch.setattr(mail, "POLL_SECONDS", 0.05)
    app = create_app(dataclasses.replace(settings, run_mail_sender=True))
    try:
        with TestClient(app) as client:
            from tests.factories import Browser

            browser = Browser(client, settings, app.state.kanvaro.engine)
            invite(browser, owner)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not list(settings.outbox_dir.glob("*.eml")):
                time.sleep(0.05)
        assert len(list(settings.outbox_dir.glob("*.eml"))) == 1
    finally:
        app.state.kanvaro.engine.dispose()

