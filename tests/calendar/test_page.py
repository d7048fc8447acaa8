"""The calendar links page: made once and shown once, remade, turned off, audited."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from kanvaro.calendar import actions
from kanvaro.calendar.models import CalendarFeedToken
from kanvaro.models import AuditEntry
from kanvaro.security import token_hash
from tests.web.markup import value_of


def links(page: str) -> list[str]:
    return re.findall(r'value="(http://kanvaro\.test/[^"]+\.ics)"', page)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1].removesuffix(".ics")


def rows(db) -> list[CalendarFeedToken]:  # type: ignore[no-untyped-def]
    db.commit()
    return list(db.scalars(select(CalendarFeedToken)))


def audited(db, action: str) -> int:  # type: ignore[no-untyped-def]
    db.commit()
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


def test_without_links_the_page_offers_to_make_them(as_owner):
    page = as_owner.get("/account/calendar")
    assert page.status_code == 200
    assert "You have no calendar links." in page.text and "Make calendar links" in page.text
    assert "calendar-revoke-form" not in page.text and links(page.text) == []


def test_the_account_page_links_to_it(as_owner):
    assert 'href="/account/calendar"' in as_owner.get("/account").text


def test_making_shows_the_links_once_and_stores_only_the_hash(as_owner, db, owner, project):
    r = as_owner.post("/account/calendar")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    found = links(r.text)
    mine = value_of(r.text, "calendar-mine")
    assert found[0] == mine and mine.startswith("http://kanvaro.test/calendar/")
    assert f"http://kanvaro.test/projects/{project.id}/calendar/{token_of(mine)}.ics" in found
    assert f'href="webcal://kanvaro.test/calendar/{token_of(mine)}.ics"' in r.text
    [row] = rows(db)
    assert row.user_id == owner.id and row.organization_id == owner.organization_id
    assert row.token_hash == token_hash(token_of(mine)) != token_of(mine)
    assert audited(db, "calendar.token_created") == 1
    later = as_owner.get("/account/calendar").text
    assert token_of(mine) not in later and links(later) == []
    assert "Your calendar links are on" in later and "Make a new link" in later
    assert as_owner.get(f"/calendar/{token_of(mine)}.ics").status_code == 200


def test_the_raw_token_is_nowhere_in_the_database(as_owner, engine):
    mine = token_of(value_of(as_owner.post("/account/calendar").text, "calendar-mine"))
    from tests.reliability.conftest import dump

    assert mine not in repr(dump(engine))


def test_remaking_revokes_the_old_link(as_owner, db):
    old = token_of(value_of(as_owner.post("/account/calendar").text, "calendar-mine"))
    new = token_of(value_of(as_owner.post("/account/calendar").text, "calendar-mine"))
    assert old != new and len(rows(db)) == 1
    assert as_owner.get(f"/calendar/{old}.ics").status_code == 404
    assert as_owner.get(f"/calendar/{new}.ics").status_code == 200
    assert audited(db, "calendar.token_created") == 2


def test_turning_off_makes_the_feeds_404_and_twice_is_harmless(as_owner, db, project):
    mine = token_of(value_of(as_owner.post("/account/calendar").text, "calendar-mine"))
    r = as_owner.post("/account/calendar/revoke")
    assert r.status_code == 303 and r.headers["location"] == "/account/calendar"
    assert rows(db) == []
    assert as_owner.get(f"/calendar/{mine}.ics").status_code == 404
    assert as_owner.get(f"/projects/{project.id}/calendar/{mine}.ics").status_code == 404
    page = as_owner.get("/account/calendar").text
    assert "Calendar links turned off" in page and "You have no calendar links." in page
    assert as_owner.post("/account/calendar/revoke").status_code == 303
    assert audited(db, "calendar.token_revoked") == 1


def test_one_persons_links_leave_anothers_alone(browser, db, owner, member, make_feed_token):
    theirs = make_feed_token(member)
    browser.login_as(owner)
    browser.post("/account/calendar")
    browser.post("/account/calendar/revoke")
    assert [r.user_id for r in rows(db)] == [member.id]
    assert browser.get(f"/calendar/{theirs}.ics").status_code == 200


def test_with_htmx_the_answer_is_the_links_block(as_owner):
    r = as_owner.post("/account/calendar", htmx=True)
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="calendar-links">')
    assert "<html" not in r.text and value_of(r.text, "calendar-mine")


def test_not_logged_in_goes_to_the_login_page(browser):
    r = browser.get("/account/calendar")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = browser.post("/account/calendar")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_the_actions_emit_their_events_without_the_secret(ctx, db):
    token = actions.make_token(ctx)
    again = actions.make_token(ctx)
    assert [e.action for e in ctx.events] == ["calendar.token_created"] * 2
    assert ctx.events[0].changes == {"replaced": [None, False]}
    assert ctx.events[1].changes == {"replaced": [None, True]}
    assert token not in repr(ctx.events) and again not in repr(ctx.events)
    assert actions.revoke_token(ctx) is True and actions.revoke_token(ctx) is False
    assert [e.action for e in ctx.events][-1] == "calendar.token_revoked" and len(ctx.events) == 3



def test_the_first_link_is_said_apart_from_a_remade_one():
    from kanvaro.audit_log.sentences import describe
    from kanvaro.routes import ROUTES
    from kanvaro.web.urls import url_builder
    from tests.test_audit_sentences import KNOWN, E

    made = E("calendar.token_created", "calendar_token", 4, {"replaced": [None, False]})
    assert describe(made, KNOWN, url_builder(ROUTES)).text == "Ann made a calendar link"
