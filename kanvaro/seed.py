"""Organizations and their owners, made from the command line (create-owner, kanvaro.demo)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kanvaro import events
from kanvaro.accounts.forms import RegisterForm
from kanvaro.accounts.models import Organization, User
from kanvaro.context import Ctx
from kanvaro.db import make_engine, run_in_transaction
from kanvaro.security import hash_password
from kanvaro.settings import Settings


def registration(organization: str, name: str, email: str, password: str) -> RegisterForm:
    """The registration form, filled in and valid; ValueError with its messages otherwise."""
    form = RegisterForm({"organization_name": organization, "name": name, "email": email,
                         "password": password})
    if not form.validate():
        raise ValueError("; ".join(f"{label.lower()}: {message}"
                                   for _, label, message in form.error_summary()))
    return form


def add_owner(db: Session, settings: Settings, form: RegisterForm, password_hash: str,
              now: datetime) -> tuple[int, int]:
    """The organization and owner of a valid registration form, in db's transaction."""
    email = form.email.data
    if db.scalar(select(func.count()).where(User.email == email)):
        raise ValueError(f"{email} already has an account")
    org = Organization(name=form.organization_name.data, created_at=now)
    db.add(org)
    db.flush()
    assert org.id is not None
    user = User(organization_id=org.id, name=form.name.data, email=email,
                password_hash=password_hash, role="owner", created_at=now)
    db.add(user)
    db.flush()
    assert user.id is not None
    ctx = Ctx(db=db, actor=None, now=now, settings=settings, request_id="cli")
    ctx.emit(events.OrganizationCreated(org.id, {"name": [None, org.name], "owner": [None, email]},
                                        organization_id=org.id, actor_id=user.id))
    return org.id, user.id


def create_owner(
    settings: Settings, *, organization: str, name: str, email: str, password: str
) -> tuple[int, int]:
    """An organization and its owner, validated as the registration form would be."""
    form = registration(organization, name, email, password)
    engine = make_engine(settings.database_url)
    try:
        return run_in_transaction(engine, lambda db: add_owner(
            db, settings, form, hash_password(password), datetime.now(UTC)))
    finally:
        engine.dispose()
