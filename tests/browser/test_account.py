"""The account page's "Log out everywhere else" (issue 9, item 11), in real Chromium:
by keyboard with JavaScript, as a plain form without it, axe-clean in light and dark, and
its content within a 390 px screen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_no_axe_violations, tab_to
from tests.browser.test_foundation import owner_of_new_org

BUTTON = "Log out everywhere else"


def _elsewhere(new_page: Any, live: LiveServer, owner: Any) -> Page:
    """The same person, signed in in a second browser."""
    other = new_page()
    live.login(other.context, owner)
    other.goto("/projects")
    expect(other.get_by_role("heading", name="Projects")).to_be_visible()
    return other


def _ended(other: Page) -> None:
    other.goto("/projects")
    expect(other).to_have_url(re.compile(r"/login"))


def test_log_out_everywhere_else_by_keyboard(new_page: Any, live: LiveServer) -> None:
    _, owner = owner_of_new_org(live)
    other = _elsewhere(new_page, live, owner)
    page = new_page()
    live.login(page.context, owner)
    page.goto("/account")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == BUTTON)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="1 other session was logged out.")).to_be_visible()
    assert "/account?ended=1" in page.url
    _ended(other)
    page.goto("/projects")  # this session stays
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()


def test_log_out_everywhere_else_without_javascript(new_page: Any, live: LiveServer) -> None:
    _, owner = owner_of_new_org(live)
    other = _elsewhere(new_page, live, owner)
    page = new_page(java_script_enabled=False)
    live.login(page.context, owner)
    page.goto("/account")
    page.get_by_role("button", name=BUTTON).click()
    expect(page.get_by_text("1 other session was logged out.")).to_be_visible()
    _ended(other)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_account_page_is_axe_clean_and_fits_a_phone(new_page: Any, live: LiveServer,
                                                        scheme: str) -> None:
    _, owner = owner_of_new_org(live)
    page = new_page(color_scheme=scheme, viewport={"width": 390, "height": 844})
    live.login(page.context, owner)
    page.goto("/account?ended=2")
    expect(page.get_by_role("button", name=BUTTON)).to_be_visible()
    assert_no_axe_violations(page)
    # The page's own content fits; the shared header does not yet (its logout button ends
    # at 407 px): folding the header into a menu is issue 11's reflow work.
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > 390)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''))""")
    assert wide == [], f"past 390 px on /account: {wide}"


def _background(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.documentElement).backgroundColor")


@pytest.mark.parametrize("js", [True, False])
def test_a_theme_chosen_at_account_overrides_the_device(new_page: Any, live: LiveServer,
                                                        js: bool) -> None:
    """Issue 11: a person's choice wins over prefers-color-scheme, on every page, and stays."""
    _, owner = owner_of_new_org(live)
    page = new_page(color_scheme="light", java_script_enabled=js)
    live.login(page.context, owner)
    page.goto("/projects")
    light = _background(page)
    page.goto("/account")
    page.get_by_role("radio", name="Dark").check()
    page.get_by_role("button", name="Save theme").click()
    expect(page.get_by_role("status").filter(has_text="Theme saved.")).to_be_visible()
    expect(page.get_by_role("radio", name="Dark")).to_be_checked()
    page.goto("/projects")
    dark = _background(page)
    assert dark != light, (light, dark)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    if js:
        assert_no_axe_violations(page)
    # "As the device is set" follows the device again.
    page.goto("/account")
    page.get_by_role("radio", name="As the device is set").check()
    page.get_by_role("button", name="Save theme").click()
    expect(page.get_by_role("status").filter(has_text="Theme saved.")).to_be_visible()
    page.goto("/projects")
    assert _background(page) == light
