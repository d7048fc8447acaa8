"""Handles (SPEC §8): made from the name on every way of joining, unique per organization,
changed at /account (422 next to the field, audited), shown on /account and the team page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kanvaro import demo, seed
from kanvaro.handles import base_handle, valid_handle
from kanvaro.models import AuditEntry, Invitation, User
from kanvaro.security import token_hash
from tests.factories import make_org, make_user
from tests.web.markup import field_error, value_of


def handle_of(db, email: str) -> str:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalar(select(User.handle).where(User.email == email))  # type: ignore[no-any-return]


# -- made from the name -----------------------------------------------------------------

@pytest.mark.parametrize(("name", "handle"), [
    ("Ana Lee", "ana.lee"), ("Zoë O'Brien", "zoe.o.brien"), ("  Ana  ", "ana"),
    ("José-María García", "jose-maria.garcia"), ("李小龍", "user"), ("A", "usera"),
    ("x" * 40, "x" * 26), ("__Ana__", "ana"), ("Ana...Lee", "ana.lee"),
])
def test_a_handle_is_made_from_the_name(name, handle):
    assert base_handle(name) == handle and valid_handle(handle)


def test_registering_gives_the_owner_a_handle(browser, db):
    r = browser.post("/register", {"organization_name": "Newco", "name": "Nia New",
                                   "email": "nia@newco.test", "password": "long enough pw"})
    assert r.status_code == 303
    assert handle_of(db, "nia@newco.test") == "nia.new"


def test_accepting_an_invitation_gives_a_handle_numbered_past_a_namesake(browser, db, org, owner):
    make_user(db, org, name="Ana Lee", email="ana@acme.test")
    db.add(Invitation(organization_id=org.id, email="ana2@acme.test", role="team_member",
                      token_hash=token_hash("tok-ana"), invited_by_id=owner.id,
                      expires_at=datetime.now(UTC) + timedelta(days=1)))
    db.commit()
    r = browser.post("/invitations/tok-ana", {"name": "Ana Lee", "password": "long enough pw"})
    assert r.status_code == 303
    assert handle_of(db, "ana@acme.test") == "ana.lee"
    assert handle_of(db, "ana2@acme.test") == "ana.lee2"


def test_create_owner_gives_a_handle(settings, db):
    seed.create_owner(settings, organization="Initech", name="Bill Lumbergh",
                      email="bill@initech.test", password="long enough pw")
    assert handle_of(db, "bill@initech.test") == "bill.lumbergh"


def test_every_demo_person_has_a_valid_handle_of_their_own(settings, db):
    login = demo.demo(settings)
    org_id = db.scalar(select(User.organization_id).where(User.email == login.email))
    handles = list(db.scalars(select(User.handle).where(User.organization_id == org_id)))
    assert len(handles) >= 6 and len(set(handles)) == len(handles)
    assert all(valid_handle(h) for h in handles)
    assert handle_of(db, login.email) == base_handle(
        db.scalar(select(User.name).where(User.email == login.email)))


def test_two_people_named_alike_get_ana_and_ana2_even_in_one_flush(db, org):
    one, two = make_user(db, org, name="Ana"), make_user(db, org, name="Ana")
    assert (one.handle, two.handle) == ("ana", "ana2")
    both = [User(organization_id=org.id, name="Bo", email=f"bo{i}@acme.test", password_hash="x")
            for i in range(3)]
    db.add_all(both)
    db.flush()  # ORM inserts of one flush are batched: each must still get its own
    assert [u.handle for u in both] == ["bo", "bo2", "bo3"]


def test_the_same_handle_in_another_organization_is_its_own(db, org):
    other = make_org(db, "Globex")
    assert make_user(db, org, name="Ana").handle == make_user(db, other, name="Ana").handle == "ana"


# -- changed at /account ----------------------------------------------------------------

def test_the_account_page_shows_the_handle_and_a_form_to_change_it(as_owner):
    page = as_owner.get("/account").text
    assert "@olive.owner" in page
    assert value_of(page, "handle") == "olive.owner"
    assert 'action="/account/handle"' in page


def test_changing_the_handle_lower_cases_it_saves_and_audits(as_owner, db, owner):
    r = as_owner.post("/account/handle", {"handle": "  Olive.O  "})
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert handle_of(db, owner.email) == "olive.o"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.handle_changed"))
    assert entry is not None and entry.entity_id == owner.id and entry.actor_id == owner.id
    assert entry.changes == {"handle": ["olive.owner", "olive.o"]}
    page = as_owner.get("/account").text
    assert "Your handle is @olive.o." in page and value_of(page, "handle") == "olive.o"


def test_the_same_handle_again_changes_and_audits_nothing(as_owner, db, owner):
    assert as_owner.post("/account/handle", {"handle": "olive.owner"}).status_code == 303
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "user.handle_changed")) == 0


def test_a_handle_taken_in_the_organization_is_422_next_to_the_field(as_owner, db, owner, member):
    r = as_owner.post("/account/handle", {"handle": "Mia.Member"})
    assert r.status_code == 422
    assert field_error(r.text, "handle") == "That handle is taken."
    assert 'id="error-summary"' in r.text and value_of(r.text, "handle") == "mia.member"
    assert handle_of(db, owner.email) == "olive.owner"
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_handle_of_another_organization_may_be_taken_here(as_owner, db, owner):
    make_user(db, make_org(db, "Globex"), name="Gina Globex")
    db.commit()
    assert as_owner.post("/account/handle", {"handle": "gina.globex"}).status_code == 303
    assert handle_of(db, owner.email) == "gina.globex"


@pytest.mark.parametrize("bad", ["", "   ", "a", "-ana", ".ana", "ana lee", "ana@x", "x" * 31,
                                 "ana\x00", "ånа", "<b>ana</b>", "ana\nlee"])
def test_an_invalid_handle_is_422_and_changes_nothing(as_owner, db, owner, bad):
    r = as_owner.post("/account/handle", {"handle": bad})
    assert r.status_code == 422
    assert field_error(r.text, "handle") in ("Enter a handle.", (
        "Use 2 to 30 characters: lower-case letters, digits, dots, dashes or underscores, "
        "starting with a letter or digit."))
    assert handle_of(db, owner.email) == "olive.owner"


@pytest.mark.parametrize("good", ["ab", "a.b", "a_b", "a-b", "0x", "x" * 30, "ana.", "ANA9"])
def test_every_handle_of_the_spec_pattern_is_taken(as_owner, db, owner, good):
    assert as_owner.post("/account/handle", {"handle": good}).status_code == 303
    assert handle_of(db, owner.email) == good.lower()


def test_the_handle_form_needs_a_login_and_the_csrf_token(browser, as_owner, db, owner):
    assert as_owner.post("/account/handle", {"handle": "zed"}, csrf=False).status_code == 403
    browser.session_token = ""
    browser._set_cookie()
    r = browser.post("/account/handle", {"handle": "zed"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert handle_of(db, owner.email) == "olive.owner"


def test_the_team_page_shows_each_members_handle(as_owner, member):
    page = as_owner.get("/team").text
    assert "@olive.owner" in page and "@mia.member" in page


def test_a_new_handle_is_mentioned_at_once_and_the_old_one_no_longer(as_owner, db, owner, member, project):
    from kanvaro.markdown import render
    from tests.factories import make_ctx

    browser = as_owner.login_as(member)
    assert browser.post("/account/handle", {"handle": "mia"}).status_code == 303
    ctx = make_ctx(db, owner, as_owner.settings)
    assert render(ctx, "@mia", project_id=project.id).mentioned == {member.id}
    assert render(ctx, "@mia.member", project_id=project.id).mentioned == frozenset()
