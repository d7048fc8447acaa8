"""An organization sends at most 50 invitations in any hour (issue 9, item 10).

A freshly registered organization could otherwise mail any number of strangers from this
server. The count comes from the invitation rows (created in the hour before now), so it
holds across workers; the action-level tests step the clock (tests/actions/test_team.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from kanvaro.models import EmailOutbox, Invitation
from kanvaro.security import token_hash
from tests.reliability.conftest import diff_dumps, dump

LIMIT = 50


def plant_invitations(db, org, owner, n: int, created_at: datetime) -> None:
    for i in range(n):
        db.add(Invitation(organization_id=org.id, email=f"earlier{i}@example.com", role="viewer",
                          token_hash=token_hash(f"planted-{i}-{created_at.isoformat()}"),
                          invited_by_id=owner.id, created_at=created_at,
                          expires_at=created_at + timedelta(days=7)))
    db.commit()


def test_the_51st_invitation_within_an_hour_answers_429_and_writes_nothing(browser, db, engine, org, owner):
    plant_invitations(db, org, owner, LIMIT - 1, datetime.now(UTC) - timedelta(minutes=30))
    browser.login_as(owner)
    assert browser.post("/team/invitations", {"email": "fiftieth@example.com", "role": "viewer"}).status_code == 303
    before = dump(engine)
    for htmx in (False, True):
        r = browser.post("/team/invitations", {"email": "one-more@example.com", "role": "viewer"}, htmx=htmx)
        assert r.status_code == 429
        assert dump(engine) == before, diff_dumps(before, dump(engine))
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Invitation)) == LIMIT
    assert db.scalar(select(func.count()).select_from(EmailOutbox)) == 1


def test_invitations_older_than_an_hour_do_not_count(browser, db, engine, org, owner):
    plant_invitations(db, org, owner, LIMIT, datetime.now(UTC) - timedelta(minutes=61))
    browser.login_as(owner)
    r = browser.post("/team/invitations", {"email": "next-hour@example.com", "role": "viewer"})
    assert r.status_code == 303
    db.rollback()
    assert db.scalar(select(func.count()).select_from(EmailOutbox)) == 1
