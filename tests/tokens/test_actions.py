"""The token actions without HTTP: the secret's format and hash, the events (never the
secret), the loader, and a token of a deactivated person stopping at once."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import pytest

from kanvaro import security
from kanvaro.errors import Invalid, NotFound
from kanvaro.inputs import parse
from kanvaro.team import actions as team
from kanvaro.tokens import actions
from kanvaro.tokens.auth import BearerToken
from kanvaro.tokens.forms import NewToken
from tests.factories import make_org, make_user

FORMAT = re.compile(r"^kvp_[A-Za-z0-9_-]{40}$")


def new(ctx, **body):
    return actions.create_token(ctx, parse(NewToken, {"name": "CI", **body}))


def test_token_hash_is_the_sha256_hex_of_the_text():
    for text in ("kvp_abc", "", "é"):
        assert security.token_hash(text) == hashlib.sha256(text.encode()).hexdigest()
    assert len(security.token_hash("x")) == 64


def test_the_secret_is_the_prefix_and_40_url_safe_characters(ctx):
    made = [new(ctx, name=f"T{n}") for n in range(20)]
    for token, secret in made:
        assert FORMAT.match(secret), secret
        assert len(secret) == 44
        assert token.token_hash == security.token_hash(secret)
    assert len({s for _, s in made}) == 20


def test_the_format_check_can_fail():
    assert not FORMAT.match("kvp_" + "a" * 39) and not FORMAT.match("kvp_" + "a" * 41)
    assert not FORMAT.match("kvq_" + secrets.token_urlsafe(30))
    assert not FORMAT.match("kvp_" + "a" * 39 + "=")


def test_the_event_says_name_scope_and_expiry_never_the_secret(ctx, owner):
    token, secret = new(ctx, scope="write", expires_in_days="7")
    [event] = ctx.events
    assert (event.action, event.entity_type, event.entity_id) == ("token.created", "api_token", token.id)
    assert event.changes["name"] == [None, "CI"] and event.changes["scope"] == [None, "write"]
    assert event.changes["expires_at"][1].startswith(str((ctx.now + timedelta(days=7)).date()))
    assert secret[4:] not in repr(event) and token.token_hash not in repr(event)
    assert token.expires_at == ctx.now + timedelta(days=7)


def test_invalid_input_raises_with_each_field(ctx):
    with pytest.raises(Invalid) as caught:
        new(ctx, name="", scope="root", expires_in_days="400")
    assert set(caught.value.errors) == {"name", "scope", "expires_in_days"}
    assert ctx.events == []


def test_revoke_sets_revoked_at_once(ctx, db):
    token, _ = new(ctx)
    ctx.events.clear()
    again, did = actions.revoke_token(ctx, token.id)
    assert did and again.revoked_at == ctx.now
    [event] = ctx.events
    assert event.action == "token.revoked" and event.changes["status"] == ["active", "revoked"]
    assert actions.revoke_token(ctx, token.id) == (again, False)
    assert len(ctx.events) == 1


def test_only_ones_own_token_can_be_revoked(ctx_for, ctx, db, org, member):
    token, _ = new(ctx)
    with pytest.raises(NotFound):
        actions.revoke_token(ctx_for(member), token.id)
    stranger = make_user(db, make_org(db, "Globex"), role="owner")
    with pytest.raises(NotFound):
        actions.revoke_token(ctx_for(stranger), token.id)
    assert token.revoked_at is None


def test_a_deactivated_persons_token_stops_at_once(ctx_for, db, org, owner, member):
    """No write to the token: BearerToken checks users.is_active on every request."""
    token, secret = new(ctx_for(member))
    db.commit()
    assert BearerToken(secret, write=False).actor(db, ctx_for(member).now)[0] is not None
    team.deactivate(ctx_for(owner), member.id)
    db.commit()
    assert BearerToken(secret, write=False).actor(db, ctx_for(owner).now) == (None, 0)
    assert token.revoked_at is None


def test_a_revoked_or_expired_token_is_no_one(ctx, db):
    token, secret = new(ctx, expires_in_days="1")
    db.commit()
    assert BearerToken(secret).actor(db, ctx.now)[0] is not None
    assert BearerToken(secret).actor(db, ctx.now + timedelta(days=1, seconds=1)) == (None, 0)
    actions.revoke_token(ctx, token.id)
    db.commit()
    assert BearerToken(secret).actor(db, ctx.now) == (None, 0)
