"""The sender: claims due deliveries with a lease, posts each, and keeps what it answered.

A 2xx marks a delivery delivered, and it is never sent again; anything else (another status,
a timeout, a refused connection) is tried again after 30 s, 1, 2, 4 ... minutes (at most an
hour apart) until a day after the delivery was made, then it is failed. A target that turns
out loopback, private or link-local at delivery is failed at once. Claims work as the mail
outbox's (kanvaro.mail): a conditional UPDATE per row, fenced by `attempts`, so several
senders never post one delivery twice at once, and a sender that dies leaves the row to
the next once its lease runs out.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import logging
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from kanvaro.audit import bump_revision
from kanvaro.columns import aware
from kanvaro.db import run_in_transaction
from kanvaro.settings import Settings
from kanvaro.webhooks import targets
from kanvaro.webhooks.models import Webhook, WebhookDelivery
from kanvaro.webhooks.outbox import DELIVERED, FAILED, PENDING, SENDING, body

log = logging.getLogger("kanvaro.webhooks")

TIMEOUT = 10.0  # seconds for the connection and for each read of the answer
ADDRESSES = 3  # of a host's addresses, tried in turn while none connects
# A batch is posted one delivery after another, so its last one must still be ours when its
# turn comes: BATCH x (ADDRESSES + 1) x TIMEOUT stays well inside the lease.
BATCH = 10
LEASE = timedelta(minutes=10)
RETRY_FOR = timedelta(days=1)
POLL_SECONDS = 3.0
USER_AGENT = "Kanvaro-Webhooks"
READ_AT_MOST = 64 * 1024  # of an answer's body: only its status matters

_D = WebhookDelivery


def utcnow() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


@dataclass(frozen=True)
class Claimed:
    id: int
    organization_id: int
    webhook_id: int
    event: str
    uuid: str
    payload: str
    attempts: int
    created_at: datetime
    url: str
    secret: str


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: a status code (None when none came back) and an error."""

    code: int | None = None
    error: str = ""
    final: bool = False  # no point in trying again (a refused target)

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


def signature(secret: str, data: bytes) -> str:
    """`X-Kanvaro-Signature`: sha256= and the HMAC-SHA256 of the body with the hook's secret."""
    return "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


# -- posting ------------------------------------------------------------------------------


def _connection(target: targets.Target, address: Any, timeout: float) -> http.client.HTTPConnection:
    """A connection to `address` (checked) that speaks to the URL's host: Host header, and for
    TLS the server name and the certificate's check."""
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(target.host, target.port, timeout=timeout,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def pinned(_address: Any, timeout: Any = None, source_address: Any = None) -> socket.socket:
        return socket.create_connection((str(address), target.port), timeout, source_address)

    conn._create_connection = pinned  # type: ignore[attr-defined]
    return conn


def post(delivery: Claimed, *, allow_private: bool, timeout: float = TIMEOUT) -> Outcome:
    """One attempt: resolve and check the target, then POST the signed body (no redirects)."""
    try:
        target = targets.parse(delivery.url)
        addresses = targets.checked(target, allow_private=allow_private)
    except targets.Unresolved as exc:
        return Outcome(error=str(exc))
    except targets.Refused as exc:
        return Outcome(error=f"Refused target: {exc}", final=True)
    data = body(delivery.uuid, delivery.payload)
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "X-Kanvaro-Event": delivery.event, "X-Kanvaro-Delivery": delivery.uuid,
        "X-Kanvaro-Signature": signature(delivery.secret, data),
    }
    error = ""
    for address in addresses[:ADDRESSES]:
        conn = _connection(target, address, timeout)
        try:
            try:
                conn.connect()
            except OSError as exc:  # not connected: the next address may answer
                error = _said(exc, timeout)
                continue
            conn.request("POST", target.path, body=data, headers=headers)
            response = conn.getresponse()
            response.read(READ_AT_MOST)
            if 200 <= response.status < 300:
                return Outcome(response.status)
            return Outcome(response.status, f"HTTP {response.status} {response.reason}".strip())
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(error=_said(exc, timeout))
        except Exception as exc:  # noqa: BLE001 (a URL http.client cannot send, non-ASCII: never will)
            return Outcome(error=f"Cannot send to this URL: {type(exc).__name__}", final=True)
        finally:
            conn.close()
    return Outcome(error=error)


def _host(url: str) -> str:
    return urlsplit(url).hostname or "?"


def _said(exc: Exception, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"No answer within {timeout:g} s"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# -- claiming and finishing -----------------------------------------------------------------


def _due(now: datetime) -> Any:
    return or_(
        and_(_D.status == PENDING, _D.next_attempt_at <= now),
        and_(_D.status == SENDING, _D.claimed_until < now),  # type: ignore[operator]
    )


def _claim(engine: Engine, now: datetime, limit: int, skip: set[int]) -> list[Claimed]:
    def work(db: Session) -> list[Claimed]:
        due = db.execute(
            select(_D.id, Webhook.url, Webhook.secret).join(Webhook, Webhook.id == _D.webhook_id)
            .where(_due(now)).order_by(_D.id).limit(limit + len(skip))  # type: ignore[arg-type]
        ).all()
        claimed = []
        for delivery_id, url, secret in [d for d in due if d[0] not in skip][:limit]:
            # Conditional: if another sender claimed it meanwhile, this matches nothing.
            row = db.execute(
                update(_D).where(_D.id == delivery_id, _due(now))  # type: ignore[arg-type]
                .values(status=SENDING, claimed_until=now + LEASE, attempts=_D.attempts + 1)
                .returning(_D.id, _D.organization_id, _D.webhook_id, _D.event, _D.uuid,
                           _D.payload, _D.attempts, _D.created_at)
            ).first()
            if row is not None:
                claimed.append(Claimed(*row[:7], aware(row[7]), url, secret))  # type: ignore[arg-type]
        return claimed

    return run_in_transaction(engine, work, write=True)


def _finish(engine: Engine, delivery: Claimed, outcome: Outcome, now: datetime) -> str:
    values: dict[str, Any] = {"response_code": outcome.code, "claimed_until": None,
                              "last_error": outcome.error[:1000]}
    if outcome.ok:
        values.update(status=DELIVERED, delivered_at=now)
    elif outcome.final or now >= delivery.created_at + RETRY_FOR:
        values.update(status=FAILED)
    else:
        values.update(status=PENDING, next_attempt_at=min(
            now + backoff(delivery.attempts), delivery.created_at + RETRY_FOR))

    def work(db: Session) -> None:
        # attempts fences the claim: a row re-claimed by another sender is not ours to finish.
        db.execute(update(_D).where(
            _D.id == delivery.id, _D.status == SENDING,  # type: ignore[arg-type]
            _D.attempts == delivery.attempts,  # type: ignore[arg-type]
        ).values(**values))
        # The hook's page shows its deliveries: its ETag must change with them.
        bump_revision(db.connection(), delivery.organization_id, delivery.webhook_id)

    run_in_transaction(engine, work, write=True)
    return str(values["status"])


def deliver_once(
    settings: Settings, engine: Engine, now: datetime | None = None, *,
    timeout: float = TIMEOUT, limit: int = 500,
) -> int:
    """Post every due delivery once; returns how many were delivered."""

    def clock() -> datetime:  # tests pass `now` to step through the backoff
        return now or utcnow()

    delivered = 0
    seen: set[int] = set()
    while len(seen) < limit:
        batch = _claim(engine, clock(), min(BATCH, limit - len(seen)), seen)
        if not batch:
            break
        for delivery in batch:
            seen.add(delivery.id)
            outcome = post(delivery, allow_private=settings.webhook_allow_private, timeout=timeout)
            status = _finish(engine, delivery, outcome, clock())
            if outcome.ok:
                delivered += 1
            else:
                # The host only: a chat service's webhook URL is itself a credential.
                log.warning("webhook delivery %s (%s) to %s: attempt %d %s: %s", delivery.uuid,
                            delivery.event, _host(delivery.url), delivery.attempts, status,
                            outcome.error)
    return delivered


async def run_loop(settings: Settings, engine: Engine) -> None:
    """Deliver forever (kanvaro.background.LOOPS), in a worker thread."""
    while True:
        try:
            await asyncio.to_thread(deliver_once, settings, engine)
        except Exception:
            log.exception("webhook sender failed; retrying in %.0f s", POLL_SECONDS)
        await asyncio.sleep(POLL_SECONDS)
