"""Registration, login and logout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kanvaro import events
from kanvaro.accounts.forms import (
    Credentials,
    HandleChoice,
    PasswordChange,
    Registration,
    ThemeChoice,
)
from kanvaro.accounts.models import LoginAttempt, Organization, User, UserSession
from kanvaro.context import Ctx
from kanvaro.errors import Forbidden, Invalid, Throttled
from kanvaro.inputs import Parsed
from kanvaro.records import AuditEntry
from kanvaro.security import (
    hash_password,
    new_token,
    prepare_check,
    prepare_hash,
    token_hash,
    verify_password,
)

# Failed password checks (logins and password changes) within LOGIN_WINDOW, counted three
# ways (docs/decisions.md, "Login throttling"): a stranger's guesses at an email lock out only
# the stranger's own address, so the owner can still log in from theirs, until guesses from
# many addresses together pass the much larger per-email count.
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_PAIR = 5  # one email from one client address
MAX_FAILURES_PER_EMAIL = 100  # one email from all addresses
MAX_FAILURES_PER_ADDRESS = 20  # one address, whatever the emails
# Open sign-up: organizations one client address may register per hour (issue 9).
REGISTRATION_WINDOW = timedelta(hours=1)
LOGIN_ERROR = "That email and password do not match an account."
# Registration cannot hide a taken email without email verification; the text confirms
# nothing by itself, and each such refusal counts against the client address's limit.
REGISTER_TAKEN = ("We could not create an account with this email. "
                  "If an account with it already exists, log in instead.")


def start_session(ctx: Ctx, user_id: int) -> None:
    """A new session row; the web layer puts its token in a fresh cookie."""
    token = new_token()
    ctx.db.execute(
        insert(UserSession).values(
            user_id=user_id,
            token_hash=token_hash(token),
            user_agent=ctx.user_agent[:500],
            created_at=ctx.now,
            last_seen_at=ctx.now,
        )
    )
    ctx.new_session_token = token


def email_taken(ctx: Ctx, email: str) -> bool:
    return ctx.db.scalar(select(func.count()).where(User.email == email)) > 0


def register(ctx: Ctx, sent: Parsed[Registration]) -> User:
    """Create an organization with its owner, and log the owner in."""
    if not ctx.settings.allow_signup:
        raise Forbidden("signup is closed")
    if _address_throttled(ctx):
        raise Throttled("too many failed attempts from this address")
    if _registrations_throttled(ctx):
        raise Throttled("too many registrations from this address")
    taken = None
    if not sent.errors and email_taken(ctx, sent.data["email"]):
        # Recorded without the email: probing must not lock the account owner out of login.
        record_failure(ctx, "")
        taken = REGISTER_TAKEN
    value = sent.valid(email=taken)
    org = Organization(name=value.organization_name, created_at=ctx.now)
    ctx.db.add(org)
    ctx.db.flush()
    user = User(
        organization_id=org.id,
        name=value.name,
        email=value.email,
        password_hash=hash_password(value.password),
        role="owner",
        created_at=ctx.now,
    )
    ctx.db.add(user)
    ctx.db.flush()
    assert org.id is not None and user.id is not None
    ctx.emit(events.OrganizationCreated(org.id,
        {"name": [None, org.name], "owner": [None, user.email]},
        organization_id=org.id, actor_id=user.id,
    ))
    start_session(ctx, user.id)
    return user


def _recent_failures(ctx: Ctx, *where: Any) -> int:
    since = ctx.now - LOGIN_WINDOW
    return ctx.db.scalar(
        select(func.count()).where(*where, LoginAttempt.created_at >= since)
    ) or 0


def _address_throttled(ctx: Ctx) -> bool:
    return _recent_failures(ctx, LoginAttempt.client_addr == ctx.client_addr) >= MAX_FAILURES_PER_ADDRESS


def throttled(ctx: Ctx, email: str) -> bool:
    """Whether a password check for this email, from ctx's address, is refused for now."""
    return (
        _recent_failures(ctx, LoginAttempt.email == email,
                         LoginAttempt.client_addr == ctx.client_addr) >= MAX_FAILURES_PER_PAIR
        or _recent_failures(ctx, LoginAttempt.email == email) >= MAX_FAILURES_PER_EMAIL
        or _address_throttled(ctx)
    )


def record_failure(ctx: Ctx, email: str, failed: events.Event | None = None) -> None:
    """A failed password check (and its audit event), kept although the request is refused:
    written in a transaction of its own once the refused one has rolled back (kanvaro.uow)."""

    def write(kept: Ctx) -> None:
        kept.db.execute(insert(LoginAttempt).values(email=email, client_addr=kept.client_addr,
                                                    created_at=kept.now))
        if failed is not None:
            kept.emit(failed)

    ctx.keep(write)


def _registrations_throttled(ctx: Ctx) -> bool:
    since = ctx.now - REGISTRATION_WINDOW
    made = ctx.db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "organization.created", AuditEntry.created_at >= since,
        AuditEntry.client_addr == ctx.client_addr,
    )) or 0
    return made >= ctx.settings.registrations_per_hour


def _login_attempt(ctx: Ctx, sent: Parsed[Credentials]) -> tuple[Credentials, User | None]:
    """The valid, unthrottled credentials and the account their email names, if any."""
    value = sent.valid()
    if throttled(ctx, value.email):
        raise Throttled("too many failed logins")
    return value, ctx.db.scalar(select(User).where(User.email == value.email))


# The prepare_* functions do an action's password work ahead, on a read-only transaction
# outside the write lock (security.password_work); the action then finds it done. They
# write nothing and may refuse as the action would: the action's own answer is the one sent.

def prepare_login(ctx: Ctx, sent: Parsed[Credentials]) -> None:
    value, user = _login_attempt(ctx, sent)
    prepare_check(user.password_hash if user else None, value.password)


def prepare_register(ctx: Ctx, sent: Parsed[Registration]) -> None:
    if _address_throttled(ctx) or _registrations_throttled(ctx):
        return
    if ctx.settings.allow_signup and not sent.errors and not email_taken(ctx, sent.data["email"]):
        prepare_hash(sent.data["password"])


def prepare_password_change(ctx: Ctx, sent: Parsed[PasswordChange]) -> None:
    if ctx.actor is None:
        return
    stored = ctx.db.scalar(select(User.password_hash).where(User.id == ctx.actor.id))
    if stored and not sent.errors and not throttled(ctx, ctx.actor.email):
        prepare_check(stored, sent.data["current_password"])
        if verify_password(stored, sent.data["current_password"]):
            prepare_hash(sent.data["new_password"])


def login(ctx: Ctx, sent: Parsed[Credentials], previous_token: str | None = None) -> User:
    """Check the password; a failure is recorded even though the request is refused.

    A session the browser already had (`previous_token`) ends: every login starts a new one.
    """
    value, user = _login_attempt(ctx, sent)
    email = value.email
    ok = verify_password(user.password_hash if user else None, value.password)
    if not ok or user is None or not user.is_active:
        failed = None
        if user is not None:
            failed = events.UserLoginFailed(user.id, {}, organization_id=user.organization_id,
                                            actor_id=user.id)
        record_failure(ctx, email, failed)
        raise Invalid(errors={"password": [LOGIN_ERROR]})
    assert user.id is not None
    # Only this address's count is cleared: a success here says nothing of other addresses'
    # guesses, which keep counting towards the per-email limit.
    ctx.db.execute(delete(LoginAttempt).where(LoginAttempt.email == email,
                                              LoginAttempt.client_addr == ctx.client_addr))
    if previous_token:
        ctx.db.execute(delete(UserSession).where(UserSession.token_hash == token_hash(previous_token)))
    ctx.emit(events.UserLoggedIn(user.id, {},
        organization_id=user.organization_id, actor_id=user.id,
    ))
    start_session(ctx, user.id)
    return user


def logout(ctx: Ctx, session_token: str) -> None:
    """Delete the session row, so a saved copy of the cookie stops working."""
    ctx.db.execute(delete(UserSession).where(UserSession.token_hash == token_hash(session_token)))
    if ctx.actor is not None:
        ctx.emit(events.UserLoggedOut(ctx.actor.id, {}))
    ctx.ended_session = True


def change_password(ctx: Ctx, sent: Parsed[PasswordChange], session_token: str | None) -> None:
    """Check the current password, set the new one, and end every other session of the user."""
    user = ctx.db.scalar(select(User).where(User.id == ctx.user.id, User.organization_id == ctx.org_id))
    if user is None:
        raise Forbidden("no such user")
    if throttled(ctx, user.email):
        raise Throttled("too many failed password checks")
    wrong = None
    if not sent.errors and not verify_password(user.password_hash, sent.data["current_password"]):
        record_failure(ctx, user.email)
        wrong = "That is not your current password."
    value = sent.valid(current_password=wrong)
    user.password_hash = hash_password(value.new_password)
    others = delete(UserSession).where(UserSession.user_id == user.id)
    if session_token:
        others = others.where(UserSession.token_hash != token_hash(session_token))
    ended = ctx.db.execute(others).rowcount
    ctx.db.flush()
    ctx.emit(events.PasswordChanged(user.id, {"other_sessions_ended": [None, ended]}))


def change_theme(ctx: Ctx, sent: Parsed[ThemeChoice]) -> None:
    """The person's own light, dark or as-the-device-is choice; it changes no one else's page."""
    value = sent.valid()
    before = ctx.user.theme
    ctx.db.execute(update(User).where(User.id == ctx.user.id, User.organization_id == ctx.org_id)
                   .values(theme=value.theme))
    ctx.emit(events.ThemeChanged(ctx.user.id, {"theme": [before, value.theme]}))


HANDLE_TAKEN = "That handle is taken."


def change_handle(ctx: Ctx, sent: Parsed[HandleChoice]) -> str:
    """One's own `@handle` (SPEC §8): unique in the organization. Mentions already written
    keep linking to the person (the stored link names the id, not the handle)."""
    before = ctx.db.scalar(select(User.handle).where(User.id == ctx.user.id,
                                                     User.organization_id == ctx.org_id)) or ""
    wanted = sent.data.get("handle") or ""
    taken = None
    if not sent.errors and wanted != before and ctx.db.scalar(select(User.id).where(
            User.organization_id == ctx.org_id, User.handle == wanted, User.id != ctx.user.id)):
        taken = HANDLE_TAKEN
    value = sent.valid(handle=taken)
    if value.handle == before:
        return before
    try:
        with ctx.db.begin_nested():  # someone took it meanwhile: the unique key says so
            ctx.db.execute(update(User).where(User.id == ctx.user.id,
                                              User.organization_id == ctx.org_id)
                           .values(handle=value.handle))
    except IntegrityError:
        raise Invalid(errors={"handle": [HANDLE_TAKEN]}) from None
    ctx.emit(events.HandleChanged(ctx.user.id, {"handle": [before, value.handle]}))
    return value.handle


def end_other_sessions(ctx: Ctx, session_token: str | None) -> int:
    """Log out everywhere else (SPEC §6): every session of the actor but this one ends."""
    others = delete(UserSession).where(UserSession.user_id == ctx.user.id)
    if session_token:
        others = others.where(UserSession.token_hash != token_hash(session_token))
    ended = ctx.db.execute(others).rowcount
    ctx.emit(events.SessionsEnded(ctx.user.id, {"sessions_ended": [None, ended]}))
    return int(ended)

