"""Targets: loopback, private and link-local addresses refused, by name too, unless allowed."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest
from sqlalchemy import select

from kanvaro.settings import Settings
from kanvaro.webhooks import targets
from kanvaro.webhooks.models import Webhook
from tests.web.markup import field_error

REFUSED = [
    "http://127.0.0.1/hook", "http://127.1.2.3:8080/", "http://localhost/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/",
    "http://172.16.0.1/", "http://192.168.1.1/", "http://0.0.0.0/", "http://[fe80::1]/",
    "http://[fc00::1]/", "http://224.0.0.1/", "http://100.64.0.1/", "http://0x7f000001/",
    "http://2130706433/", "http://240.0.0.1/", "https://[::]/",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Private targets refused, as in production (KANVARO_WEBHOOK_ALLOW_PRIVATE unset)."""
    return dataclasses.replace(settings, webhook_allow_private=False)


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_link_local_targets_are_refused(url):
    assert targets.refusal(url, allow_private=False) is not None
    assert targets.refusal(url, allow_private=True) is None


@pytest.mark.parametrize("url", ["https://93.184.216.34/hook", "http://8.8.8.8:8080/x?y=1",
                                 "https://[2606:4700:4700::1111]/"])
def test_public_addresses_are_allowed(url):
    assert targets.refusal(url, allow_private=False) is None


def test_every_address_of_a_name_must_be_public(monkeypatch):
    import socket

    def resolver(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in ("8.8.8.8", "10.0.0.1")]

    monkeypatch.setattr(targets.socket, "getaddrinfo", resolver)
    said = targets.refusal("https://mixed.example.test/", allow_private=False)
    assert said is not None and "mixed.example.test is 10.0.0.1" in said


def test_a_name_that_does_not_resolve_is_refused():
    assert targets.refusal("https://no-such-host.invalid/", allow_private=False) == targets.UNRESOLVED


def test_ipv4_inside_ipv6_is_checked_as_ipv4():
    assert targets.forbidden(ipaddress.ip_address("::ffff:10.1.2.3"))
    assert targets.forbidden(ipaddress.ip_address("2002:7f00:1::"))  # 6to4 of 127.0.0.1
    assert not targets.forbidden(ipaddress.ip_address("::ffff:8.8.8.8"))


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://[::1]/", "http://169.254.169.254/",
                                 "http://localhost:8000/"])
def test_saving_a_refused_target_is_422_and_keeps_nothing(as_owner, db, url):
    r = as_owner.post("/settings/webhooks", [("url", url), ("events", "task.created"),
                                             ("secret", "s3cret")])
    assert r.status_code == 422
    assert "loopback, private or link-local" in field_error(r.text, "url")
    db.commit()
    assert db.scalars(select(Webhook)).all() == []


def test_a_public_target_is_saved(as_owner, db):
    r = as_owner.post("/settings/webhooks", [("url", "https://93.184.216.34/hook"),
                                             ("events", "task.created"), ("secret", "s3cret")])
    assert r.status_code == 303
    db.commit()
    assert len(db.scalars(select(Webhook)).all()) == 1
