"""The sender against real HTTP servers on loopback: signed posts, retries, timeouts, a day."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from kanvaro.webhooks.delivery import RETRY_FOR, backoff, deliver_once
from tests.webhooks.conftest import deliveries

HX = {"HX-Request": "true"}


def later(**step: float) -> datetime:
    return datetime.now(UTC) + timedelta(**step)


def changed(as_owner, task, status="review") -> None:
    r = as_owner.post(f"/tasks/{task.id}/status", {"status": status}, htmx=True)
    assert r.status_code == 200


def test_the_receiver_gets_the_event_signed(as_owner, db, settings, engine, task, receiver, make_hook):
    make_hook(receiver.url, secret="s3cret-shared")
    changed(as_owner, task)
    assert deliver_once(settings, engine) == 1
    [got] = receiver.got
    [d] = deliveries(db)
    assert got.path == "/hook?team=a"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == "Kanvaro-Webhooks"
    assert got.headers["X-Kanvaro-Event"] == "task.status_changed"
    assert got.headers["X-Kanvaro-Delivery"] == d.uuid
    expected = "sha256=" + hmac.new(b"s3cret-shared", got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["X-Kanvaro-Signature"], expected)
    doc = json.loads(got.body)
    assert doc["id"] == d.uuid and doc["event"] == "task.status_changed"
    assert doc["changes"] == {"status": ["todo", "review"]}
    assert (d.status, d.response_code, d.attempts) == ("delivered", 200, 1)
    assert d.delivered_at is not None


def test_a_delivered_delivery_is_never_sent_again(as_owner, db, settings, engine, task, receiver, make_hook):
    make_hook(receiver.url)
    changed(as_owner, task)
    deliver_once(settings, engine)
    assert deliver_once(settings, engine, now=later(days=2)) == 0
    assert len(receiver.got) == 1


def test_a_500_is_retried_with_backoff_and_later_succeeds(as_owner, db, settings, engine, task, receiver, make_hook):
    receiver.answers = [500, 500, 204]
    make_hook(receiver.url)
    changed(as_owner, task)
    assert deliver_once(settings, engine) == 0
    [d] = deliveries(db)
    assert (d.status, d.response_code, d.attempts) == ("pending", 500, 1)
    assert "500" in d.last_error
    assert deliver_once(settings, engine) == 0  # not due yet: 30 s later
    assert len(receiver.got) == 1
    assert deliver_once(settings, engine, now=later(seconds=31)) == 0
    [d] = deliveries(db)
    assert (d.attempts, d.response_code) == (2, 500)
    assert deliver_once(settings, engine, now=later(seconds=31 + 61)) == 1
    [d] = deliveries(db)
    assert (d.status, d.response_code, d.attempts) == ("delivered", 204, 3)
    assert len(receiver.got) == 3
    assert len({r.headers["X-Kanvaro-Delivery"] for r in receiver.got}) == 1  # one delivery
    assert len({r.body for r in receiver.got}) == 1  # the same bytes, the same signature


def test_a_redirect_is_not_followed(as_owner, db, settings, engine, task, receiver, make_hook):
    receiver.answers = [302]
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
    make_hook(receiver.url)
    changed(as_owner, task)
    assert deliver_once(settings, engine) == 0
    [d] = deliveries(db)
    assert (d.status, d.response_code) == ("pending", 302)
    assert len(receiver.got) == 1


def test_a_hanging_receiver_times_out_and_is_retried(as_owner, db, settings, engine, task, receiver, make_hook):
    receiver.delay = 30
    make_hook(receiver.url)
    changed(as_owner, task)
    started = datetime.now(UTC)
    assert deliver_once(settings, engine, timeout=0.5) == 0
    assert datetime.now(UTC) - started < timedelta(seconds=10)
    [d] = deliveries(db)
    assert (d.status, d.response_code, d.attempts) == ("pending", None, 1)
    assert "No answer within 0.5 s" in d.last_error
    receiver.release.set()  # it answers again
    receiver.delay = 0
    assert deliver_once(settings, engine, now=later(seconds=31), timeout=5) == 1
    assert deliveries(db)[0].status == "delivered"


def test_a_slow_2xx_is_delivered_exactly_once(as_owner, db, settings, engine, task, receiver, make_hook):
    receiver.delay = 1.0
    make_hook(receiver.url)
    changed(as_owner, task)
    counts: list[int] = []
    senders = [threading.Thread(target=lambda: counts.append(deliver_once(settings, engine, timeout=5)))
               for _ in range(3)]
    for s in senders:
        s.start()
    for s in senders:
        s.join()
    assert sum(counts) == 1 and len(receiver.got) == 1
    [d] = deliveries(db)
    assert (d.status, d.attempts) == ("delivered", 1)
    assert deliver_once(settings, engine, now=later(hours=3)) == 0
    assert len(receiver.got) == 1


def test_a_refused_connection_is_retried(as_owner, db, settings, engine, task, make_hook):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    make_hook(f"http://127.0.0.1:{port}/hook")
    changed(as_owner, task)
    assert deliver_once(settings, engine) == 0
    [d] = deliveries(db)
    assert (d.status, d.attempts) == ("pending", 1) and "Refused" in d.last_error


def test_after_a_day_it_is_failed(as_owner, db, settings, engine, task, receiver, make_hook):
    receiver.answers = [503]
    make_hook(receiver.url)
    changed(as_owner, task)
    deliver_once(settings, engine)
    when, attempts = datetime.now(UTC), 1
    while True:
        [d] = deliveries(db)
        if d.status != "pending":
            break
        when = when + backoff(attempts) + timedelta(seconds=1)
        deliver_once(settings, engine, now=min(when, datetime.now(UTC) + RETRY_FOR + timedelta(seconds=5)))
        attempts += 1
        assert attempts < 60
    assert (d.status, d.response_code) == ("failed", 503)
    assert d.attempts == len(receiver.got) and 20 < d.attempts < 40
    assert deliver_once(settings, engine, now=later(days=3)) == 0


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 8, 20)] == [30, 60, 120, 240, 3600, 3600]


def test_a_lost_lease_is_taken_over(as_owner, db, settings, engine, task, receiver, make_hook):
    from sqlalchemy import update

    from kanvaro.webhooks.models import WebhookDelivery

    make_hook(receiver.url)
    changed(as_owner, task)
    db.execute(update(WebhookDelivery).values(status="sending", claimed_until=later(minutes=1),
                                              attempts=1))
    db.commit()
    assert deliver_once(settings, engine) == 0  # someone holds it
    assert deliver_once(settings, engine, now=later(minutes=2)) == 1
    assert deliveries(db)[0].attempts == 2


# -- targets at delivery -----------------------------------------------------------------------

def test_a_name_resolving_to_loopback_is_refused_at_delivery(as_owner, db, settings, engine, task, receiver, make_hook):
    make_hook(receiver.url.replace("127.0.0.1", "localhost"))
    changed(as_owner, task)
    strict = dataclasses.replace(settings, webhook_allow_private=False)
    assert deliver_once(strict, engine) == 0
    [d] = deliveries(db)
    assert d.status == "failed" and d.last_error.startswith("Refused target")
    assert "localhost" in d.last_error and receiver.got == []


def test_the_sender_connects_to_the_address_it_checked(as_owner, db, settings, engine, task, receiver,
                                                       make_hook, monkeypatch):
    """DNS rebinding: the name is resolved once; a second answer is never asked for."""
    import socket

    from kanvaro.webhooks import targets

    port = receiver.url.split(":")[2].split("/")[0]
    make_hook(f"http://hooks.example.test:{port}/hook")
    changed(as_owner, task)
    answers = iter(["127.0.0.1", "10.9.9.9"])
    real, asked = socket.getaddrinfo, []

    def resolver(host, port, *args, **kwargs):
        if host != "hooks.example.test":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(targets.socket, "getaddrinfo", resolver)
    assert deliver_once(settings, engine) == 1
    [got] = receiver.got
    assert got.headers["Host"] == f"hooks.example.test:{port}"
    assert asked == ["hooks.example.test"]


@pytest.mark.postgres_only
def test_two_senders_claiming_at_once_claim_a_delivery_once(as_owner, db, settings, engine, task,
                                                             make_hook, monkeypatch):
    """Both read the due row before either claims it: the conditional claim lets one through."""
    from kanvaro.webhooks import delivery

    make_hook("https://93.184.216.34/a")
    changed(as_owner, task)
    barrier, real = threading.Barrier(2, timeout=20), delivery.run_in_transaction

    class Read:
        def __init__(self, rows):
            self.rows = rows

        def all(self):
            return self.rows

    def racing(engine_, work, write=True):
        def wrapped(session):
            execute, calls = session.execute, []

            def execute_then_wait(*args, **kwargs):
                result = execute(*args, **kwargs)
                calls.append(1)
                if len(calls) == 1:  # the scan for due rows: both have read it before claiming
                    result = Read(result.all())
                    barrier.wait()
                return result

            session.execute = execute_then_wait
            return work(session)
        return real(engine_, wrapped, write=write)

    monkeypatch.setattr(delivery, "run_in_transaction", racing)
    claimed: list[int] = []
    now = datetime.now(UTC)
    senders = [threading.Thread(target=lambda: claimed.extend(
        c.id for c in delivery._claim(engine, now, 5, set()))) for _ in range(2)]
    for s in senders:
        s.start()
    for s in senders:
        s.join()
    assert len(claimed) == 1
    assert deliveries(db)[0].attempts == 1
