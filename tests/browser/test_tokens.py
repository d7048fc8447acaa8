"""Personal access tokens in real Chromium: making one by keyboard (the new token takes the
focus, shown once), as a plain form without JavaScript (the text selectable, no Copy button
that could not work), revoking; axe-clean in light and dark, and within a 390 px screen."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kanvaro.tokens.models import ApiToken, ApiTokenUse
from tests.browser.conftest import LiveServer, assert_no_axe_violations, focused, tab_to
from tests.factories import make_org, make_user

FORMAT = re.compile(r"^kvp_[A-Za-z0-9_-]{40}$")


def _world(live: LiveServer, *, old: bool = False) -> dict[str, Any]:
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        if old:  # one of each state, for the list
            now = datetime.now(UTC)
            for name, expires, revoked in (("Nightly export", 30, None), ("Old laptop", -2, None),
                                           ("Leaked one", 30, now)):
                token = ApiToken(organization_id=org.id, user_id=owner.id, name=name, scope="read",
                                 token_hash=hashlib.sha256(name.encode()).hexdigest(),
                                 created_at=now - timedelta(days=5),
                                 expires_at=now + timedelta(days=expires), revoked_at=revoked)
                db.add(token)
                db.flush()
                if name == "Nightly export":
                    db.add(ApiTokenUse(token_id=token.id, organization_id=org.id, window_start=now,
                                       count=1, last_used_at=now - timedelta(hours=1)))
        db.commit()
        return {"owner": owner}


def _stored(live: LiveServer) -> list[ApiToken]:
    with live.db() as db:
        return list(db.scalars(select(ApiToken).order_by(ApiToken.id)))


def test_make_and_revoke_a_token_by_keyboard(page: Page, live: LiveServer) -> None:
    w = _world(live)
    live.login(page.context, w["owner"])
    page.goto("/account")
    page.get_by_role("link", name="Make or revoke tokens for scripts that use the JSON API").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    tab_to(page, "#name")
    page.keyboard.type("Deploy script")
    tab_to(page, lambda f: f["type"] == "radio")
    page.keyboard.press("ArrowDown")  # from Read to Write
    expect(page.get_by_role("radio", name=re.compile("^Write"))).to_be_checked()
    tab_to(page, "#expires_in_days")
    page.keyboard.press("Control+A")
    page.keyboard.type("30")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Make token")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=re.compile("Your new token"))).to_be_visible()
    box = page.get_by_role("textbox", name="Token")
    expect(box).to_be_focused()  # a keyboard or screen reader user lands on it
    expect(box).to_have_attribute("readonly", "")
    expect(box).to_have_accessible_description(re.compile("it will not be shown again"))
    secret = box.input_value()
    assert FORMAT.match(secret), secret
    expect(page.get_by_role("button", name="Copy token")).to_be_visible()  # kanvaro.js shows it
    [token] = _stored(live)
    assert (token.name, token.scope) == ("Deploy script", "write")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()

    page.reload()  # a GET: never the token again
    expect(page.get_by_role("textbox", name="Token")).to_have_count(0)
    assert secret not in page.content()
    tab_to(page, lambda f: f["tag"] == "button" and f["text"].startswith("Revoke"))
    assert " ".join(focused(page)["text"].split()) == "Revoke the token Deploy script"
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text='Token "Deploy script" revoked.')).to_be_visible()
    expect(page.locator(f"#token-{token.id}")).to_contain_text("Revoked")
    assert _stored(live)[0].revoked_at is not None


def test_without_javascript_the_token_is_selectable_and_errors_sit_by_their_fields(
        nojs_page: Page, live: LiveServer) -> None:
    page = nojs_page
    w = _world(live)
    live.login(page.context, w["owner"])
    page.goto("/account/tokens")
    page.get_by_label("Expires in (days)").fill("400")
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_role("alert")).to_contain_text("There are 2 problems")
    expect(page.get_by_label("Name")).to_have_accessible_description(re.compile("Name the token"))
    expect(page.get_by_label("Expires in (days)")).to_have_accessible_description(re.compile("from 1 to 366"))
    assert _stored(live) == []

    page.get_by_label("Name").fill("Backup job")
    page.get_by_label("Expires in (days)").fill("366")
    page.get_by_role("button", name="Make token").click()
    box = page.get_by_role("textbox", name="Token")
    expect(box).to_be_visible()
    expect(page.get_by_role("button", name="Copy token")).to_be_hidden()  # it needs JavaScript
    box.select_text()
    chosen = page.evaluate("() => { const e = document.getElementById('new-token');"
                           " return e.value.slice(e.selectionStart, e.selectionEnd); }")
    assert FORMAT.match(chosen) and chosen == box.input_value()
    page.get_by_role("button", name="Revoke the token Backup job").click()
    expect(page.get_by_role("status").filter(has_text='Token "Backup job" revoked.')).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_is_axe_clean_and_fits_a_phone(new_page: Any, live: LiveServer, scheme: str) -> None:
    w = _world(live, old=True)
    page = new_page(color_scheme=scheme, viewport={"width": 390, "height": 844})
    live.login(page.context, w["owner"])
    page.goto("/account/tokens")
    for name in ("Nightly export", "Old laptop", "Leaked one"):
        expect(page.locator("td[data-label=Name]", has_text=name)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Revoke"))).to_have_count(1)  # the active one
    page.get_by_label("Name").fill("A name long enough to wrap across the narrow screen of a phone")
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_role("textbox", name="Token")).to_be_visible()
    for state in ("with the new token", "after an error"):
        assert_no_axe_violations(page)
        wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > 390)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''))""")
        assert wide == [], f"past 390 px {state}: {wide}"
        page.get_by_role("button", name="Make token").click()  # no name: the error state
        expect(page.get_by_role("alert")).to_be_visible()
    assert "API tokens" in page.title()
