"""The mail outbox: rows written with the change that caused them, delivered by a sender.

Delivery is claimed row by row with a conditional UPDATE, so several processes (or
`kanvaro send-mail` next to `kanvaro serve`) never send the same mail twice. A claim
is a lease: a sender that dies mid-send leaves the row to be picked up once it expires.
Before each delivery run the sender writes the mail nobody's request writes: the
notification digests and the due_soon notifications (`make_mail`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import Engine, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from kanvaro.audit import bump_revision
from kanvaro.db import make_engine, run_in_transaction
from kanvaro.mail_secrets import MailSecret, placeholder
from kanvaro.mail_transport import Claimed, PermanentError, deliver
from kanvaro.records import EmailOutbox
from kanvaro.settings import Settings

log = logging.getLogger("kanvaro.mail")

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BATCH = 20
POLL_SECONDS = 5.0

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


def utcnow() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# -- writing mail ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: Any) -> tuple[str, str]:
    """The text and html bodies of templates/mail/{name}.txt and .html."""
    env = _env()
    text = env.get_template(f"mail/{name}.txt").render(context)
    html = env.get_template(f"mail/{name}.html").render(context)
    return text, html


def enqueue(
    db: Session, *, to: str, subject: str, text: str, html: str = "",
    organization_id: int | None = None, now: datetime | None = None,
    secret: MailSecret | None = None,
) -> int:
    """Add a mail to the outbox in the caller's transaction; the sender delivers it later.

    A mail carrying a secret (kanvaro.mail_secrets) has `placeholder(secret.nonce)` in its
    bodies where the secret goes, and the secret itself nowhere: the row keeps `secret`."""
    now = now or utcnow()
    if secret is not None and placeholder(secret.nonce) not in text:
        raise ValueError("a mail with a secret must hold its placeholder in the text body")
    row = db.execute(
        insert(EmailOutbox).values(
            organization_id=organization_id, to=to, subject=" ".join(subject.split())[:300],
            text_body=text, html_body=html, status=PENDING, attempts=0, last_error="",
            next_attempt_at=now, created_at=now,
            secret_purpose=secret.purpose if secret else "", secret_nonce=secret.nonce if secret else "",
            secret_hash=secret.hash if secret else "",
        ).returning(EmailOutbox.id)
    ).scalar_one()
    return int(row)


def enqueue_many(db: Session, mails: list[dict[str, Any]], *, now: datetime) -> None:
    """Add mails without secrets (to, subject, text, html, organization_id each) to the
    outbox in one statement, in the caller's transaction (the digests)."""
    db.connection().execute(insert(EmailOutbox.__table__), [  # type: ignore[attr-defined]
        {"organization_id": m.get("organization_id"), "to": m["to"],
         "subject": " ".join(m["subject"].split())[:300], "text_body": m["text"],
         "html_body": m.get("html", ""), "status": PENDING, "attempts": 0, "last_error": "",
         "next_attempt_at": now, "created_at": now, "secret_purpose": "", "secret_nonce": "",
         "secret_hash": ""} for m in mails])


# -- mail the sender writes itself ----------------------------------------------------

DUE_SOON_EVERY = timedelta(minutes=5)  # a date changes once a day: no need to look more often
_due_soon_ran: list[datetime] = []  # when this process last looked (a throttle, nothing more)


def make_mail(settings: Settings, engine: Engine, now: datetime) -> int:
    """The due_soon notifications and the digests that are due (kanvaro.notifications);
    returns how many digests went into the outbox."""
    from kanvaro.notifications.digest import run_digests
    from kanvaro.notifications.due_soon import run_due_soon

    if not _due_soon_ran or not timedelta(0) <= now - _due_soon_ran[-1] < DUE_SOON_EVERY:
        run_due_soon(engine, now)
        _due_soon_ran[:] = [now]
    return run_digests(engine, settings, now)


# -- delivering mail ------------------------------------------------------------------


def _due(now: datetime) -> Any:
    return or_(
        and_(EmailOutbox.status == PENDING, EmailOutbox.next_attempt_at <= now),
        # A sender died while holding the row: its lease ran out.
        and_(EmailOutbox.status == SENDING, EmailOutbox.claimed_until < now),  # type: ignore[operator]
    )


def _claim(engine: Engine, now: datetime, limit: int, skip: set[int]) -> list[Claimed]:
    def work(db: Session) -> list[Claimed]:
        stmt = select(EmailOutbox.id).where(_due(now)).order_by(EmailOutbox.id).limit(limit + len(skip))  # type: ignore[arg-type]
        ids = [i for i in db.scalars(stmt) if i not in skip][:limit]
        claimed = []
        for mail_id in ids:
            # Conditional: if another process claimed it meanwhile, this matches nothing.
            row = db.execute(
                update(EmailOutbox)
                .where(EmailOutbox.id == mail_id, _due(now))
                .values(status=SENDING, claimed_until=now + LEASE, attempts=EmailOutbox.attempts + 1)
                .returning(EmailOutbox.id, EmailOutbox.to, EmailOutbox.subject,
                           EmailOutbox.text_body, EmailOutbox.html_body, EmailOutbox.attempts,
                           EmailOutbox.created_at, EmailOutbox.organization_id,
                           EmailOutbox.secret_purpose, EmailOutbox.secret_nonce,
                           EmailOutbox.secret_hash)
            ).first()
            if row is not None:
                claimed.append(Claimed(*row))
        return claimed

    return run_in_transaction(engine, work, write=True)


def _finish(engine: Engine, mail: Claimed, now: datetime, error: Exception | None) -> str:
    if error is None:
        values: dict[str, Any] = {"status": SENT, "sent_at": now, "last_error": "", "claimed_until": None}
    else:
        permanent = isinstance(error, PermanentError) or mail.attempts >= MAX_ATTEMPTS
        values = {"status": FAILED if permanent else PENDING, "last_error": str(error)[:1000],
                  "claimed_until": None, "next_attempt_at": now + backoff(mail.attempts)}

    def work(db: Session) -> None:
        # attempts fences the claim: a row re-claimed by someone else is not ours to finish.
        db.execute(update(EmailOutbox).where(
            EmailOutbox.id == mail.id, EmailOutbox.status == SENDING,
            EmailOutbox.attempts == mail.attempts,
        ).values(**values))
        if mail.organization_id is not None:
            # Admins see undelivered mail on /team: its ETag must change with it.
            bump_revision(db.connection(), mail.organization_id, mail.id)

    run_in_transaction(engine, work, write=True)
    return str(values["status"])


def drain_once(
    settings: Settings, *, engine: Engine | None = None, now: datetime | None = None,
    limit: int = 500,
) -> int:
    """Make the digests that are due (make_mail), then deliver every due mail once; returns
    how many were sent."""
    own = engine is None
    engine = engine or make_engine(settings.database_url)

    def clock() -> datetime:  # tests pass `now` to step through backoff
        return now or utcnow()

    sent = 0
    seen: set[int] = set()
    try:
        try:
            make_mail(settings, engine, clock())
        except Exception:  # the outbox is delivered all the same
            log.exception("making the digests failed; delivering the outbox")
        while len(seen) < limit:
            batch = _claim(engine, clock(), min(BATCH, limit - len(seen)), seen)
            if not batch:
                break
            for mail in batch:
                seen.add(mail.id)
                error: Exception | None = None
                try:
                    deliver(settings, mail)
                except Exception as exc:  # noqa: BLE001 -- any failure keeps the mail for later
                    error = exc
                status = _finish(engine, mail, clock(), error)
                if error is None:
                    sent += 1
                else:
                    log.warning("mail %d to %s: attempt %d failed (%s): %s",
                                mail.id, mail.to, mail.attempts, status, error)
        return sent
    finally:
        if own:
            engine.dispose()


async def run_sender(settings: Settings, engine: Engine, interval: float) -> None:
    """Make and drain the outbox forever, in a worker thread so requests are never blocked."""
    while True:
        try:
            await asyncio.to_thread(drain_once, settings, engine=engine)
        except Exception:
            log.exception("mail sender failed; retrying in %.0f s", interval)
        await asyncio.sleep(interval)


def sender_lifespan(settings: Settings, engine: Engine) -> Callable[[Any], Any]:
    """The app's lifespan: the mail sender and the other background loops
    (`kanvaro.background.LOOPS`), when settings ask for them."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        from kanvaro.background import loops

        tasks = []
        if settings.run_mail_sender:
            tasks.append(asyncio.create_task(run_sender(settings, engine, POLL_SECONDS)))
            tasks += [asyncio.create_task(loop(settings, engine)) for loop in loops()]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan
