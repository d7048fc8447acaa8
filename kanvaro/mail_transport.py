"""Handing one claimed mail over: the message as sent (its secret filled in just before), and
its delivery by SMTP, or as an `.eml` file in the outbox directory when no SMTP is set."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from kanvaro.addresses import mailbox
from kanvaro.mail_secrets import MailSecret, SecretUnavailable, reveal
from kanvaro.settings import Settings

log = logging.getLogger("kanvaro.mail")
SMTP_TIMEOUT = 30


@dataclass(frozen=True)
class Claimed:
    id: int
    to: str
    subject: str
    text_body: str
    html_body: str
    attempts: int
    created_at: datetime
    organization_id: int | None = None
    secret_purpose: str = ""
    secret_nonce: str = ""
    secret_hash: str = ""


class PermanentError(Exception):
    """The mail cannot be delivered, ever: the server refused it for good (a 5xx answer), its
    `to` is not exactly one mailbox, or the secret it carries cannot be given."""


def sender_address(settings: Settings) -> str:
    query = parse_qs(urlsplit(settings.smtp_url).query) if settings.smtp_url else {}
    if query.get("from"):
        return query["from"][0]
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"Kanvaro <no-reply@{host}>"


def envelope_sender(settings: Settings) -> str:
    """The bare address of sender_address, for SMTP's MAIL FROM."""
    address = parseaddr(sender_address(settings))[1]
    return address or f"no-reply@{urlsplit(settings.base_url).hostname or 'localhost'}"


def recipient(mail: Claimed) -> str:
    """The one mailbox a mail goes to; anything else is never sent (docs/security.md)."""
    address = mailbox(mail.to)
    if address is None:
        raise PermanentError(f"recipient refused: {mail.to!r} is not exactly one valid address")
    return address


def bodies(settings: Settings, mail: Claimed) -> tuple[str, str]:
    """The text and html bodies as sent: with the secret the row refers to, if any."""
    if not mail.secret_purpose:
        return mail.text_body, mail.html_body
    secret = MailSecret(mail.secret_purpose, mail.secret_nonce, mail.secret_hash)
    try:
        text, html = reveal(settings.resolved_secret_key(), secret, mail.text_body, mail.html_body)
    except SecretUnavailable as exc:
        raise PermanentError(f"not sent: {exc}") from exc
    return text, html


def build_message(settings: Settings, mail: Claimed) -> EmailMessage:
    """The message to send. It holds the mail's secret: it is never stored (except as the
    .eml file that is the delivery when no SMTP server is set)."""
    host = urlsplit(settings.base_url).hostname or "localhost"
    to = recipient(mail)
    text, html = bodies(settings, mail)
    msg = EmailMessage()
    msg["From"] = sender_address(settings)
    msg["To"] = to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.created_at.replace(tzinfo=mail.created_at.tzinfo or UTC))
    # Stable per row, so a retried delivery can be recognised as the same message.
    msg["Message-ID"] = f"<outbox-{mail.id}.{int(mail.created_at.timestamp())}@{host}>"
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def _smtp_send(settings: Settings, msg: EmailMessage, to: str) -> None:
    url = urlsplit(settings.smtp_url)
    query = parse_qs(url.query)
    host = url.hostname or "localhost"
    implicit_tls = url.scheme == "smtps"
    port = url.port or (465 if implicit_tls else 25)
    starttls = url.scheme == "smtp+starttls" or query.get("starttls", ["0"])[0] in {"1", "true"}
    try:
        smtp: smtplib.SMTP
        if implicit_tls:
            smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        with smtp:
            if starttls:
                smtp.starttls(context=ssl.create_default_context())
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            # The envelope is given, not parsed from the headers: one recipient, the row's.
            smtp.send_message(msg, from_addr=envelope_sender(settings), to_addrs=[to])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                           for code, text in exc.recipients.values())
        if all(code >= 500 for code in codes):
            raise PermanentError(f"recipient refused: {detail}") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        if exc.smtp_code >= 500:
            raise PermanentError(f"{exc.smtp_code} {text}") from exc
        raise RuntimeError(f"{exc.smtp_code} {text}") from exc


def _write_eml(settings: Settings, mail: Claimed, msg: EmailMessage) -> Path:
    folder = Path(settings.outbox_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{mail.created_at:%Y%m%dT%H%M%S}-{mail.id:08d}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(bytes(msg))
    os.replace(tmp, path)  # readers never see half a file
    return path


def deliver(settings: Settings, mail: Claimed) -> None:
    """Send one claimed mail: SMTP when configured, else an .eml file plus a log line."""
    msg = build_message(settings, mail)
    if settings.smtp_url:
        _smtp_send(settings, msg, recipient(mail))
        log.info("mail %d to %s sent via SMTP", mail.id, mail.to)
    else:
        path = _write_eml(settings, mail, msg)
        log.info("mail %d to %s written to %s (no KANVARO_SMTP_URL set)", mail.id, mail.to, path)
