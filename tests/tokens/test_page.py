"""The personal access tokens page over HTTP: the list, making a token (shown once, stored as
its hash), refusals next to the fields, revoking, and other people's tokens."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kanvaro.models import AuditEntry
from kanvaro.tokens.models import ApiToken, ApiTokenUse
from tests.factories import make_org, make_user
from tests.test_routes_walk import dump
from tests.web.markup import FULL_PAGE, attr, field_error, tag, value_of

FORMAT = re.compile(r"^kvp_[A-Za-z0-9_-]{40}$")


def tokens(db) -> list[ApiToken]:
    db.commit()
    db.expire_all()
    return list(db.scalars(select(ApiToken).order_by(ApiToken.id)))


def audit_rows(db, action: str) -> list[AuditEntry]:
    db.commit()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def shown_secret(page: str) -> str:
    secret = value_of(page, "new-token")
    assert secret is not None
    return secret


def make(browser, **body: str):
    return browser.post("/account/tokens", {"name": "Deploy script", **body})


def a_token(db, user, name: str = "Old one", **values) -> ApiToken:
    now = datetime.now(UTC)
    token = ApiToken(organization_id=user.organization_id, user_id=user.id, name=name, scope="read",
                     token_hash=hashlib.sha256(f"{name}{user.id}{values}".encode()).hexdigest(),
                     created_at=now, expires_at=now + timedelta(days=30), **values)
    db.add(token)
    db.commit()
    return token


# --- making one --------------------------------------------------------------------------

def test_making_a_token_answers_the_page_with_the_token_once(as_owner, db, owner):
    r = make(as_owner, scope="write", expires_in_days="30")
    assert r.status_code == 200 and FULL_PAGE in r.text
    assert "no-store" in r.headers["cache-control"]
    secret = shown_secret(r.text)
    assert FORMAT.match(secret), secret
    box = tag(r.text, "new-token")
    assert "readonly" in box and "autofocus" in box
    assert attr(box, "aria-describedby") == "new-token-hint"
    assert "it will not be shown again" in r.text
    assert 'data-copy="new-token"' in r.text  # the Copy button, which kanvaro.js shows
    [token] = tokens(db)
    assert (token.user_id, token.organization_id, token.name, token.scope) == (
        owner.id, owner.organization_id, "Deploy script", "write")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.expires_at - token.created_at == timedelta(days=30)
    assert f'id="token-{token.id}"' in r.text  # in the list already


def test_a_reload_never_shows_the_token_again(as_owner, db):
    secret = shown_secret(make(as_owner).text)
    page = as_owner.get("/account/tokens")
    assert page.status_code == 200
    assert secret not in page.text and 'id="new-token"' not in page.text
    assert "Deploy script" in page.text


def test_the_secret_is_stored_nowhere_only_its_hash(as_owner, db, engine):
    secret = shown_secret(make(as_owner).text)
    everything = repr(dump(engine))
    assert secret not in everything and secret[4:] not in everything
    assert hashlib.sha256(secret.encode()).hexdigest() in everything
    [entry] = audit_rows(db, "token.created")
    assert secret[4:] not in repr(entry.changes)
    assert hashlib.sha256(secret.encode()).hexdigest() not in repr(entry.changes)
    assert entry.changes["name"] == [None, "Deploy script"] and entry.changes["scope"] == [None, "read"]


def test_the_defaults_are_read_and_90_days(as_owner, db):
    page = as_owner.get("/account/tokens").text
    assert value_of(page, "expires_in_days") == "90"
    assert "checked" in tag(page, "scope-0") and attr(tag(page, "scope-0"), "value") == "read"
    assert as_owner.post("/account/tokens", {"name": "Bare"}).status_code == 200
    [token] = tokens(db)
    assert token.scope == "read" and token.expires_at - token.created_at == timedelta(days=90)


def test_every_token_is_different_and_matches_the_format(as_owner, db):
    secrets = {shown_secret(make(as_owner, name=f"T{n}").text) for n in range(5)}
    assert len(secrets) == 5 and all(FORMAT.match(s) for s in secrets)
    assert len({t.token_hash for t in tokens(db)}) == 5


@pytest.mark.parametrize("days", ["1", "366"])
def test_the_expiry_bounds_are_accepted(as_owner, db, days):
    assert make(as_owner, expires_in_days=days).status_code == 200
    [token] = tokens(db)
    assert token.expires_at - token.created_at == timedelta(days=int(days))


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"name": ""}, "name", "Name the token"),
    ({"name": "   "}, "name", "Name the token"),
    ({"name": "x" * 101}, "name", "at most 100"),
    ({"scope": "admin"}, "scope", "Choose read or write."),
    ({"scope": ""}, "scope", "Choose read or write."),
    ({"expires_in_days": "0"}, "expires_in_days", "from 1 to 366"),
    ({"expires_in_days": "367"}, "expires_in_days", "from 1 to 366"),
    ({"expires_in_days": "ninety"}, "expires_in_days", "from 1 to 366"),
    ({"expires_in_days": ""}, "expires_in_days", "from 1 to 366"),
    ({"expires_in_days": "-5"}, "expires_in_days", "from 1 to 366"),
])
def test_bad_input_is_422_next_to_the_field_and_writes_nothing(as_owner, db, engine, body, field, message):
    before = dump(engine)
    r = make(as_owner, **body)
    assert r.status_code == 422 and FULL_PAGE in r.text
    assert message in field_error(r.text, field)
    assert 'id="error-summary"' in r.text and f'href="#{field}"' in r.text
    assert 'id="new-token"' not in r.text and "kvp_" not in r.text
    assert dump(engine) == before


def test_a_refused_form_keeps_what_was_typed(as_owner):
    r = make(as_owner, name="Keep me", scope="write", expires_in_days="999")
    assert r.status_code == 422
    assert value_of(r.text, "name") == "Keep me" and value_of(r.text, "expires_in_days") == "999"
    assert "checked" in tag(r.text, "scope-1")


def test_no_more_than_50_working_tokens(as_owner, db, owner):
    for n in range(50):
        a_token(db, owner, name=f"T{n}")
    a_token(db, owner, name="Gone", revoked_at=datetime.now(UTC))
    r = make(as_owner)
    assert r.status_code == 422 and "revoke one first" in field_error(r.text, "name")
    assert len(tokens(db)) == 51
    db.execute(ApiToken.__table__.update().where(ApiToken.name == "T0")  # type: ignore[attr-defined]
               .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.commit()
    assert make(as_owner).status_code == 200  # an expired one no longer counts


def test_not_logged_in_goes_to_the_login_page(browser, db):
    assert browser.get("/account/tokens").headers["location"] == "/login?next=%2Faccount%2Ftokens"
    r = browser.post("/account/tokens", {"name": "x"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert tokens(db) == []


# --- the list ----------------------------------------------------------------------------

def test_the_list_shows_my_tokens_newest_first_with_their_state_and_last_use(as_owner, db, owner, org):
    now = datetime.now(UTC)
    old = a_token(db, owner, name="Old one")
    used = a_token(db, owner, name="Used one")
    db.add(ApiTokenUse(token_id=used.id, organization_id=org.id, window_start=now, count=1,
                       last_used_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC)))
    gone = a_token(db, owner, name="Revoked one", revoked_at=now)
    late = a_token(db, owner, name="Expired one")
    late.expires_at = now - timedelta(days=1)
    db.commit()
    page = as_owner.get("/account/tokens").text
    rows = re.findall(r'<tr id="token-(\d+)">(.*?)</tr>', page, re.DOTALL)
    assert [int(i) for i, _ in rows] == [late.id, gone.id, used.id, old.id]
    cells = {int(i): row for i, row in rows}
    assert "2026-03-04 05:06 UTC" in cells[used.id] and "Never" in cells[old.id]
    assert ">Revoked<" in cells[gone.id] and ">Expired<" in cells[late.id] and "Active" in cells[old.id]
    assert "Revoke" in cells[old.id] and "Revoke<span" not in cells[gone.id] + cells[late.id]


def test_a_reload_after_an_api_request_shows_its_last_use(as_owner, app, db, owner):
    """The API writes a token's last use and bumps no revision, so this page is never a 304:
    the browser's reload, with whatever tag it kept, shows the use."""
    from starlette.testclient import TestClient

    from tests.factories import make_token

    raw = make_token(db, owner)
    db.commit()
    first = as_owner.get("/account/tokens")
    assert "Never" in first.text
    with TestClient(app, base_url="http://testserver") as api:
        assert api.get("/api/v1/projects", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    kept = first.headers.get("etag", 'W/"none"')
    again = as_owner.get("/account/tokens", headers={"If-None-Match": kept})
    assert again.status_code == 200 and "Never" not in again.text
    assert re.search(r'data-label="Last used"><time datetime="[^"]+"', again.text)


def test_the_list_shows_only_my_own_tokens(as_owner, db, org, member):
    a_token(db, member, name="Mia's script")
    outsider = make_user(db, make_org(db, "Globex"))
    a_token(db, outsider, name="Globex script")
    page = as_owner.get("/account/tokens").text
    assert "Mia&#39;s script" not in page and "Globex script" not in page
    assert "No tokens yet." in page


def test_the_account_page_links_to_the_tokens(as_owner):
    assert 'href="/account/tokens"' in as_owner.get("/account").text


# --- revoking ----------------------------------------------------------------------------

def test_revoking_stops_the_token_and_goes_back(as_owner, db, owner):
    token = a_token(db, owner)
    r = as_owner.post(f"/account/tokens/{token.id}/revoke")
    assert r.status_code == 303 and r.headers["location"] == "/account/tokens"
    [row] = tokens(db)
    assert row.revoked_at is not None
    [entry] = audit_rows(db, "token.revoked")
    assert (entry.entity_type, entry.entity_id, entry.actor_id) == ("api_token", token.id, owner.id)
    page = as_owner.get("/account/tokens").text
    assert "Token &#34;Old one&#34; revoked." in page


def test_revoking_twice_is_harmless(as_owner, db, owner):
    token = a_token(db, owner)
    assert as_owner.post(f"/account/tokens/{token.id}/revoke").status_code == 303
    first = tokens(db)[0].revoked_at
    r = as_owner.post(f"/account/tokens/{token.id}/revoke")
    assert r.status_code == 303
    assert tokens(db)[0].revoked_at == first
    assert len(audit_rows(db, "token.revoked")) == 1


@pytest.mark.parametrize("whose", ["colleague", "other organization"])
def test_someone_elses_token_is_404_and_stays(browser, db, org, owner, member, engine, whose):
    holder = member if whose == "colleague" else make_user(db, make_org(db, "Globex"), role="owner")
    token = a_token(db, holder)
    browser.login_as(owner)
    before = dump(engine)
    assert browser.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert dump(engine) == before
    assert browser.post("/account/tokens/99999/revoke").status_code == 404
