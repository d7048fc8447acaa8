"""Registration, login and logout as actions, without HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from kanvaro.accounts import actions as auth
from kanvaro.accounts.forms import Credentials, PasswordChange, Registration
from kanvaro.errors import Forbidden, Invalid, Throttled
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, LoginAttempt, Organization, User, UserSession
from kanvaro.security import token_hash, verify_password
from tests.factories import PASSWORD, make_ctx, make_user, now

GOOD = {"organization_name": "Globex", "name": "Gina Global", "email": "Gina@Globex.test",
        "password": "long enough password"}


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def anon(db, settings, addr: str = "10.0.0.1"):
    return replace(make_ctx(db, None, settings), client_addr=addr)


# --- register -------------------------------------------------------------------------

def test_register_creates_org_owner_session_and_audit_row(db, settings):
    ctx = anon(db, settings)
    user = auth.register(ctx, parse(Registration, GOOD))
    org = db.get(Organization, user.organization_id)
    assert org.name == "Globex"
    assert (user.name, user.email, user.role) == ("Gina Global", "gina@globex.test", "owner")
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "long enough password")
    assert ctx.new_session_token
    session = db.scalar(select(UserSession))
    assert session.user_id == user.id and session.token_hash == token_hash(ctx.new_session_token)
    entry = db.scalar(select(AuditEntry))
    assert (entry.action, entry.organization_id, entry.actor_id) == (
        "organization.created", org.id, user.id)
    assert entry.changes == {"name": [None, "Globex"], "owner": [None, "gina@globex.test"]}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("organization_name", "", "Enter your organization's name."),
        ("organization_name", "x" * 201, "Field cannot be longer than 200 characters."),
        ("name", "   ", "Enter your name."),
        ("email", "", "Enter your email address."),
        ("email", "not-an-email", "Enter a valid email address."),
        ("password", "", "Choose a password."),
        ("password", "short", "Use at least 10 characters."),
        ("password", "123456789", "Use at least 10 characters."),
    ],
)
def test_register_rejects_invalid_field_and_writes_nothing(db, settings, field, value, message):
    with pytest.raises(Invalid) as info:
        auth.register(anon(db, settings), parse(Registration, {**GOOD, field: value}))
    assert dict(info.value.errors) == {field: [message]}
    assert count(db, Organization) == count(db, User) == count(db, AuditEntry) == 0


def test_register_refuses_an_email_already_taken_in_any_case(db, settings, owner):
    with pytest.raises(Invalid) as info:
        auth.register(anon(db, settings), parse(Registration, {**GOOD, "email": "OLIVE@acme.test"}))
    assert "already exists" in info.value.errors["email"][0]
    assert count(db, Organization) == 1


def test_register_is_forbidden_when_signup_is_closed(db, settings):
    closed = replace(settings, allow_signup=False)
    with pytest.raises(Forbidden):
        auth.register(make_ctx(db, None, closed), parse(Registration, GOOD))
    assert count(db, Organization) == 0


# --- login ----------------------------------------------------------------------------

def test_login_starts_a_session_and_records_it(db, settings, owner):
    ctx = anon(db, settings)
    user = auth.login(ctx, parse(Credentials, {"email": " Olive@ACME.test ", "password": PASSWORD}))
    assert user.id == owner.id
    assert db.scalar(select(UserSession.token_hash)) == token_hash(ctx.new_session_token)
    entry = db.scalar(select(AuditEntry))
    assert (entry.action, entry.entity_type, entry.entity_id, entry.actor_id) == (
        "user.logged_in", "user", owner.id, owner.id)
    assert entry.client_addr == "10.0.0.1"


def test_each_login_gets_a_new_session_token(db, settings, owner):
    first, second = anon(db, settings), anon(db, settings)
    auth.login(first, parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    auth.login(second, parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    assert first.new_session_token != second.new_session_token
    assert count(db, UserSession) == 2


def test_wrong_password_and_unknown_email_give_the_same_error(db, settings, owner):
    errors = []
    for email in (owner.email, "nobody@acme.test"):
        ctx = anon(db, settings)
        with pytest.raises(Invalid) as info:
            auth.login(ctx, parse(Credentials, {"email": email, "password": "wrong password!"}))
        errors.append(dict(info.value.errors))
        assert ctx.new_session_token is None
        assert "wrong password!" not in repr(info.value.errors)
    assert errors[0] == errors[1] == {"password": [auth.LOGIN_ERROR]}


def test_failed_login_is_recorded_and_kept_despite_the_refusal(db, settings, owner):
    ctx = anon(db, settings)
    with pytest.raises(Invalid):
        auth.login(ctx, parse(Credentials, {"email": owner.email, "password": "wrong password!"}))
    attempt = db.scalar(select(LoginAttempt))
    assert (attempt.email, attempt.client_addr) == (owner.email, "10.0.0.1")
    assert db.scalar(select(AuditEntry.action)) == "user.login_failed"


def test_a_failed_login_leaves_its_record_to_a_transaction_of_its_own(db, settings, owner):
    from kanvaro.context import Ctx

    ctx = Ctx(db=db, actor=None, now=now(), settings=settings, client_addr="10.0.0.1")
    with pytest.raises(Invalid):
        auth.login(ctx, parse(Credentials, {"email": owner.email, "password": "wrong password!"}))
    assert count(db, LoginAttempt) == 0 and count(db, AuditEntry) == 0  # not in this one
    assert len(ctx.kept) == 1
    ctx.kept[0](ctx)
    assert count(db, LoginAttempt) == 1
    assert db.scalar(select(AuditEntry.action)) == "user.login_failed"
    assert count(db, UserSession) == 0


def test_unknown_email_failure_is_recorded_without_an_audit_row(db, settings):
    with pytest.raises(Invalid):
        auth.login(anon(db, settings), parse(Credentials, {"email": "ghost@nowhere.test", "password": "whatever123"}))
    assert count(db, LoginAttempt) == 1
    assert count(db, AuditEntry) == 0


def test_inactive_user_cannot_log_in_and_sees_the_same_error(db, settings, org):
    user = make_user(db, org, active=False)
    with pytest.raises(Invalid) as info:
        auth.login(anon(db, settings), parse(Credentials, {"email": user.email, "password": PASSWORD}))
    assert info.value.errors == {"password": [auth.LOGIN_ERROR]}
    assert count(db, UserSession) == 0


def test_login_with_missing_fields_is_invalid_and_not_counted(db, settings):
    with pytest.raises(Invalid) as info:
        auth.login(anon(db, settings), parse(Credentials, {"email": "", "password": ""}))
    assert set(info.value.errors) == {"email", "password"}
    assert count(db, LoginAttempt) == 0


def test_five_failures_from_one_address_block_that_address_even_with_the_right_password(
        db, settings, owner):
    for _ in range(auth.MAX_FAILURES_PER_PAIR):
        with pytest.raises(Invalid):
            auth.login(anon(db, settings, "10.0.1.1"), parse(Credentials, {"email": owner.email, "password": "nope nope"}))
    with pytest.raises(Throttled):
        auth.login(anon(db, settings, "10.0.1.1"), parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    assert count(db, UserSession) == 0


def test_a_strangers_failures_do_not_lock_the_owner_out_from_their_own_address(db, settings, owner):
    for _ in range(auth.MAX_FAILURES_PER_PAIR + 3):
        with pytest.raises((Invalid, Throttled)):
            auth.login(anon(db, settings, "10.6.0.1"), parse(Credentials, {"email": owner.email, "password": "nope nope"}))
    auth.login(anon(db, settings, "10.0.0.7"), parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    assert count(db, UserSession) == 1


def test_failures_from_many_addresses_block_the_email_everywhere(db, settings, owner):
    for i in range(auth.MAX_FAILURES_PER_EMAIL):
        with pytest.raises(Invalid):
            auth.login(anon(db, settings, f"10.1.{i // 4}.{i % 4}"),
                       parse(Credentials, {"email": owner.email, "password": "nope nope"}))
    with pytest.raises(Throttled):
        auth.login(anon(db, settings, "10.9.9.9"), parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    assert count(db, UserSession) == 0


def test_a_success_clears_only_its_own_addresss_failures(db, settings, owner):
    for addr in ("10.0.0.1", "10.0.0.1", "10.3.3.3"):
        with pytest.raises(Invalid):
            auth.login(anon(db, settings, addr), parse(Credentials, {"email": owner.email, "password": "nope nope"}))
    auth.login(anon(db, settings, "10.0.0.1"), parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    assert list(db.scalars(select(LoginAttempt.client_addr))) == ["10.3.3.3"]


def test_twenty_failures_from_one_address_block_other_emails(db, settings, owner):
    for i in range(auth.MAX_FAILURES_PER_ADDRESS):
        db.execute(insert(LoginAttempt).values(email=f"x{i}@spray.test", client_addr="10.6.6.6",
                                               created_at=now()))
    with pytest.raises(Throttled):
        auth.login(anon(db, settings, "10.6.6.6"), parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    # Another address is not affected.
    auth.login(anon(db, settings, "10.7.7.7"), parse(Credentials, {"email": owner.email, "password": PASSWORD}))


def test_failures_older_than_the_window_do_not_count(db, settings, owner):
    old = now() - auth.LOGIN_WINDOW - timedelta(minutes=1)
    for _ in range(auth.MAX_FAILURES_PER_PAIR):
        db.execute(insert(LoginAttempt).values(email=owner.email, client_addr="10.0.0.1",
                                               created_at=old))
    auth.login(anon(db, settings), parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    assert count(db, UserSession) == 1


def test_successful_login_clears_that_emails_failures(db, settings, owner):
    for _ in range(auth.MAX_FAILURES_PER_PAIR - 1):
        with pytest.raises(Invalid):
            auth.login(anon(db, settings), parse(Credentials, {"email": owner.email, "password": "nope nope"}))
    auth.login(anon(db, settings), parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    assert count(db, LoginAttempt) == 0


# --- logout ---------------------------------------------------------------------------

def test_logout_deletes_the_session_row_and_records_it(db, settings, owner):
    login_ctx = anon(db, settings)
    auth.login(login_ctx, parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    token = login_ctx.new_session_token
    ctx = make_ctx(db, owner, settings)
    auth.logout(ctx, token)
    assert count(db, UserSession) == 0
    assert ctx.ended_session is True
    actions = list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["user.logged_in", "user.logged_out"]


def test_login_ends_the_session_the_browser_already_had(db, settings, owner):
    first = anon(db, settings)
    auth.login(first, parse(Credentials, {"email": owner.email, "password": PASSWORD}))
    second = anon(db, settings)
    auth.login(second, parse(Credentials, {"email": owner.email, "password": PASSWORD}),
               previous_token=first.new_session_token)
    assert list(db.scalars(select(UserSession.token_hash))) == [token_hash(second.new_session_token)]


# --- password work done ahead (docs/performance.md, "Threads") ---------------------------

def row_counts(db) -> dict[str, int]:
    from sqlmodel import SQLModel

    return {t.name: db.scalar(select(func.count()).select_from(t)) for t in SQLModel.metadata.sorted_tables}


@pytest.mark.parametrize("case", ["login", "wrong password", "unknown email", "register", "password change"])
def test_prepare_functions_write_nothing_and_the_action_finds_the_work_done(
    case, db, settings, owner, monkeypatch
):
    from kanvaro import security

    ctx = make_ctx(db, owner, settings) if case == "password change" else anon(db, settings)
    data, act = {
        "login": (parse(Credentials, {"email": owner.email, "password": PASSWORD}), auth.login),
        "wrong password": (parse(Credentials, {"email": owner.email, "password": "not it at all"}),
                           auth.login),
        "unknown email": (parse(Credentials, {"email": "nobody@acme.test", "password": PASSWORD}),
                          auth.login),
        "register": (parse(Registration, GOOD), auth.register),
        "password change": (parse(PasswordChange, {"current_password": PASSWORD,
                                                   "new_password": "another long password"}),
                            lambda c, d: auth.change_password(c, d, None)),
    }[case]
    prepare = {"register": auth.prepare_register,
               "password change": auth.prepare_password_change}.get(case, auth.prepare_login)
    with security.password_work():
        before = row_counts(db)
        prepare(ctx, data)
        assert row_counts(db) == before
        monkeypatch.setattr(security, "_hasher", None)  # any argon2 call now fails
        if case in ("wrong password", "unknown email"):
            with pytest.raises(Invalid):
                act(ctx, data)
        else:
            act(ctx, data)
    assert row_counts(db) != before  # the action itself wrote (a session, an attempt, ...)
