"""Webhooks in real Chromium: adding one by keyboard with JavaScript and as a plain form
without it, errors next to their fields, redelivering and deleting; axe-clean in light and
dark, and within a 390 px screen."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from kanvaro.webhooks.models import Webhook, WebhookDelivery
from tests.browser.conftest import LiveServer, assert_no_axe_violations, tab_to
from tests.factories import make_org, make_user
from tests.webhooks.factories import make_webhook

LONG_URL = "https://93.184.216.34/hooks/" + "very-long-path-segment/" * 6 + "end?token=abc"


def _world(live: LiveServer, *, deliveries: int = 0) -> dict[str, Any]:
    with live.db() as db:
        org = make_org(db, "Acme")
        owner = make_user(db, org, role="owner", name="Olive Owner", email="olive@acme.test")
        hook = None
        if deliveries:
            hook, _ = make_webhook(db, org, owner, url=LONG_URL)
            now = datetime.now(UTC)
            for i in range(deliveries - 1):
                db.add(WebhookDelivery(
                    organization_id=org.id, webhook_id=hook.id, event="task.status_changed",
                    uuid=str(uuid.uuid4()), payload=json.dumps({"event": "task.status_changed"}),
                    status=["delivered", "failed", "pending"][i % 3], attempts=1 + i,
                    response_code=[200, 500, None][i % 3],
                    last_error=["", "HTTP 500 Internal Server Error", "No answer within 10 s"][i % 3],
                    created_at=now - timedelta(minutes=i), next_attempt_at=now + timedelta(minutes=i),
                    delivered_at=now if i % 3 == 0 else None))
        db.commit()
        return {"owner": owner, "hook_id": hook.id if hook else None}


def _count(live: LiveServer, table: Any) -> int:
    with live.db() as db:
        return int(db.scalar(select(func.count()).select_from(table)) or 0)


def test_add_a_webhook_by_keyboard(page: Page, live: LiveServer) -> None:
    w = _world(live)
    live.login(page.context, w["owner"])
    page.goto("/projects")
    page.locator("details.menu summary").click()
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    tab_to(page, "#url")
    page.keyboard.type("https://93.184.216.34/ci")
    tab_to(page, "input[value='task.status_changed']")
    page.keyboard.press("Space")
    tab_to(page, "#secret")
    page.keyboard.type("shared secret")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Add webhook")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Webhook to https://93.184.216.34/ci added.")).to_be_visible()
    expect(page.get_by_role("link", name="https://93.184.216.34/ci", exact=True)).to_be_visible()
    assert _count(live, Webhook) == 1


def test_errors_show_next_to_their_fields_without_javascript(nojs_page: Page, live: LiveServer) -> None:
    page = nojs_page
    w = _world(live)
    live.login(page.context, w["owner"])
    page.goto("/settings/webhooks")
    page.get_by_label("Payload URL").fill("http://127.0.0.1:8080/hook")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("alert")).to_contain_text("There are 3 problems")
    expect(page.locator("#url-error")).to_contain_text("loopback, private or link-local")
    expect(page.locator("#events-error")).to_have_text("Choose at least one event.")
    expect(page.locator("#secret-error")).to_contain_text("Enter a secret")
    expect(page.get_by_label("Payload URL")).to_have_value("http://127.0.0.1:8080/hook")
    page.get_by_label("Payload URL").fill("https://93.184.216.34/ci")
    page.get_by_label("A comment is posted").check()
    page.get_by_label("Secret").fill("shared secret")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("status").filter(has_text="added.")).to_be_visible()
    assert _count(live, Webhook) == 1


def test_redeliver_by_keyboard_and_delete_without_javascript(new_page: Any, live: LiveServer) -> None:
    w = _world(live, deliveries=2)
    page = new_page()
    live.login(page.context, w["owner"])
    page.goto(f"/settings/webhooks/{w['hook_id']}")
    expect(page.locator("table.deliveries tbody tr")).to_have_count(2)
    tab_to(page, lambda f: f["tag"] == "button" and f["text"].startswith("Redeliver"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="queued")).to_be_visible()
    expect(page.locator("table.deliveries tbody tr")).to_have_count(3)
    nojs = new_page(java_script_enabled=False)
    live.login(nojs.context, w["owner"])
    nojs.goto(f"/settings/webhooks/{w['hook_id']}")
    nojs.get_by_role("link", name="Delete webhook").click()
    expect(nojs.get_by_role("heading", level=1)).to_contain_text("Delete the webhook")
    nojs.get_by_role("button", name="Delete the webhook").click()
    expect(nojs.get_by_role("status").filter(has_text="deleted.")).to_be_visible()
    expect(nojs.get_by_text("No webhooks yet.")).to_be_visible()
    assert _count(live, Webhook) == 0 and _count(live, WebhookDelivery) == 0


def test_delete_asks_in_a_dialog_by_keyboard(page: Page, live: LiveServer) -> None:
    w = _world(live, deliveries=1)
    live.login(page.context, w["owner"])
    page.goto("/settings/webhooks")
    tab_to(page, lambda f: f["tag"] == "a" and f["text"].startswith("Delete"))
    page.keyboard.press("Enter")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("link", name="Keep the webhook")).to_be_focused()
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Delete the webhook", shift=True)
    page.keyboard.press("Enter")
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    assert _count(live, Webhook) == 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("which", ["list", "hook", "errors"])
def test_the_pages_are_axe_clean_and_fit_a_phone(new_page: Any, live: LiveServer, scheme: str,
                                                 which: str) -> None:
    w = _world(live, deliveries=6)
    page = new_page(color_scheme=scheme, viewport={"width": 390, "height": 844})
    live.login(page.context, w["owner"])
    if which == "hook":
        page.goto(f"/settings/webhooks/{w['hook_id']}")
    else:
        page.goto("/settings/webhooks")
        if which == "errors":
            page.get_by_label("Payload URL").fill("ftp://example.test/" + "x" * 80)
            page.get_by_role("button", name="Add webhook").click()
            expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_axe_violations(page)
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > 390)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className)""")
    assert wide == [], f"past 390 px on {which}: {wide}"
