"""One form value reaches one mailbox (issue 9, item 4; docs/security.md).

Every typed email must be exactly one plain RFC 5321 mailbox; the sender gives the SMTP
server the envelope recipient itself (never the To header's parse) and refuses an outbox row
whose `to` is not exactly one valid address.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from kanvaro import mail
from kanvaro.addresses import mailbox
from kanvaro.models import EmailOutbox
from kanvaro.seed import create_owner
from tests.reliability.conftest import diff_dumps, dump
from tests.test_mail import Inbox, SmtpServer, free_port
from tests.web.markup import field_error

# Each one is accepted by a lax parser as one address, or as several, or as another.
HOSTILE = [
    "x<b@a.test",
    "root,b@a.test",
    "a;b@a.test",
    '"a b"@c.test',
    '"a@b.test"@c.test',
    "a@b.test, c@d.test",
    "a@b.test,c@d.test",
    "a@b.test;c@d.test",
    "a@b.test\nBcc: x@y.test",
    "a@b.test\r\nBcc: x@y.test",
    "a@b.test\rBcc: x@y.test",
    "Nia <nia@a.test>",
    "<nia@a.test>",
    "nia@a.test>",
    "nia@a.test (comment)",
    "nia(comment)@a.test",
    "a@[127.0.0.1]",
    "a@b@c.test",
    "a b@c.test",
    "a\tb@c.test",
    "a\x00b@c.test",
    "\u00e9@a.test",
    "a@b\u00fccher.test",
    "a@localhost",
    "a@b",
    "a." + "b" * 70 + "@c.test",
]
VALID = ["nia@example.com", "Nia.New+team@Example.COM", "o'brien@a.test", "a-b_c@sub.example.org"]


@pytest.mark.parametrize("address", HOSTILE)
def test_mailbox_refuses_anything_but_one_plain_address(address):
    assert mailbox(address) is None


@pytest.mark.parametrize("address", VALID)
def test_mailbox_accepts_a_plain_address_lower_cased(address):
    assert mailbox(address) == address.lower()


@pytest.mark.parametrize("address", HOSTILE)
def test_registration_with_a_hostile_address_is_422_next_to_the_field_and_writes_nothing(
    browser, engine, address,
):
    before = dump(engine)
    r = browser.post("/register", {"organization_name": "Initech", "name": "Bill",
                                   "email": address, "password": "long enough password"})
    assert r.status_code == 422
    assert field_error(r.text, "email") == "Enter a valid email address."
    assert dump(engine) == before, diff_dumps(before, dump(engine))


@pytest.mark.parametrize("address", HOSTILE)
def test_an_invitation_to_a_hostile_address_is_422_next_to_the_field_and_writes_nothing(
    browser, engine, owner, address,
):
    browser.login_as(owner)
    before = dump(engine)
    r = browser.post("/team/invitations", {"email": address, "role": "team_member"})
    assert r.status_code == 422
    assert field_error(r.text, "invite-email") == "Enter a valid email address."
    assert dump(engine) == before, diff_dumps(before, dump(engine))


@pytest.mark.parametrize("address", ["x<b@a.test", "root,b@a.test", "a@b.test, c@d.test"])
def test_create_owner_refuses_a_hostile_address(settings, address):
    """`kanvaro create-owner` goes through the registration form (kanvaro.seed)."""
    with pytest.raises(ValueError, match="valid email"):
        create_owner(settings, organization="Initech", name="Bill", email=address,
                     password="long enough password")


def test_the_smtp_envelope_names_exactly_the_invited_address(browser, owner, engine, settings):
    port = free_port()
    smtp = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}?from=Kanvaro%20%3Cbot%40kanvaro.test%3E")
    browser.login_as(owner)
    assert browser.post("/team/invitations", {"email": "Nia@Example.com", "role": "viewer"}).status_code == 303
    with SmtpServer(port, Inbox()) as inbox:
        assert mail.drain_once(smtp, engine=engine) == 1
    [(recipients, msg)] = inbox.messages
    assert recipients == ["nia@example.com"] and msg["To"] == "nia@example.com"
    assert inbox.senders == ["bot@kanvaro.test"]  # the bare address, not the display form


def plant(db, to: str) -> int:
    now = mail.utcnow()
    row = db.execute(insert(EmailOutbox).values(
        to=to, subject="Hello", text_body="Hello", html_body="", status="pending", attempts=0,
        last_error="", next_attempt_at=now, created_at=now).returning(EmailOutbox.id)).scalar_one()
    db.commit()
    return int(row)


@pytest.mark.parametrize("to", ["a@b.test, c@d.test", "a@b.test\nBcc: x@y.test", "Nia <nia@a.test>",
                                "root,b@a.test", ""])
def test_an_outbox_row_not_addressed_to_exactly_one_mailbox_is_sent_to_nobody(db, engine, settings, to):
    port = free_port()
    smtp = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")
    mail_id = plant(db, to)
    with SmtpServer(port, Inbox()) as inbox:
        assert mail.drain_once(smtp, engine=engine) == 0
    assert inbox.messages == [] and inbox.recipients == []
    db.rollback()
    row = db.get(EmailOutbox, mail_id)
    assert row.status == "failed" and "recipient" in row.last_error and row.attempts == 1
    # Without SMTP the .eml file is the delivery: none is written either.
    plant(db, to)
    assert mail.drain_once(settings, engine=engine) == 0
    assert list(Path(settings.outbox_dir).glob("*.eml")) == []
    db.rollback()
    assert {r.status for r in db.scalars(select(EmailOutbox))} == {"failed"}
