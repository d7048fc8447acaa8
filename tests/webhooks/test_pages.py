"""The webhook pages over HTTP: add, list, a hook's deliveries, redeliver, delete; who may."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from kanvaro.models import AuditEntry
from kanvaro.webhooks.models import Webhook, WebhookDelivery
from tests.factories import make_org, make_user
from tests.web.markup import FULL_PAGE, field_error
from tests.webhooks.conftest import deliveries

GOOD = [("url", "https://93.184.216.34/hook"), ("events", "task.created"),
        ("events", "task.status_changed"), ("secret", "s3cret-shared")]


def hooks(db) -> list[Webhook]:
    db.commit()
    db.expire_all()
    return list(db.scalars(select(Webhook).order_by(Webhook.id)))


def audit(db, action: str) -> list[AuditEntry]:
    db.commit()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def admin(db, org):
    u = make_user(db, org, role="admin", name="Ada Admin")
    db.commit()
    return u


def test_the_page_offers_the_form_with_every_event(as_owner):
    r = as_owner.get("/settings/webhooks")
    assert r.status_code == 200 and FULL_PAGE in r.text
    for event in ("task.created", "task.updated", "task.status_changed", "task.deleted",
                  "comment.created", "sprint.started", "sprint.completed"):
        assert f'value="{event}"' in r.text
    assert 'name="url"' in r.text and 'name="secret"' in r.text
    assert "No webhooks yet." in r.text


def test_adding_a_hook_goes_back_to_the_page_and_keeps_it(as_owner, db, owner):
    r = as_owner.post("/settings/webhooks", GOOD)
    assert (r.status_code, r.headers["location"]) == (303, "/settings/webhooks")
    [hook] = hooks(db)
    assert (hook.url, hook.events, hook.secret, hook.active) == (
        "https://93.184.216.34/hook", ["task.created", "task.status_changed"], "s3cret-shared", True)
    assert (hook.organization_id, hook.created_by_id) == (owner.organization_id, owner.id)
    [entry] = audit(db, "webhook.created")
    assert entry.entity_id == hook.id and "s3cret" not in json.dumps(entry.changes)
    page = as_owner.get("/settings/webhooks").text
    assert "https://93.184.216.34/hook" in page and "s3cret-shared" not in page
    assert "Webhook to https://93.184.216.34/hook added." in page


def test_an_admin_may_add_one(browser, db, admin):
    assert browser.login_as(admin).post("/settings/webhooks", GOOD).status_code == 303
    assert len(hooks(db)) == 1


@pytest.mark.parametrize("sent, field, message", [
    ({"url": "ftp://93.184.216.34/x"}, "url", "http:// or https://"),
    ({"url": "javascript:alert(1)"}, "url", "http:// or https://"),
    ({"url": ""}, "url", "Enter the address"),
    ({"url": "https://93.184.216.34/a b"}, "url", "without spaces"),
    ({"url": "http://u:pw@93.184.216.34/"}, "url", "user name and password"),
    ({"url": "https://" + "a" * 2000 + ".test/"}, "url", "at most 2,000"),
    ({"events": None}, "events", "Choose at least one event."),
    ({"events": ["task.created", "task.exploded"]}, "events", "Not an event webhooks can send: task.exploded."),
    ({"secret": ""}, "secret", "Enter a secret"),
    ({"secret": "x" * 201}, "secret", "at most 200"),
])
def test_a_bad_hook_is_422_with_the_error_next_to_its_field(as_owner, db, sent, field, message):
    body = {"url": "https://93.184.216.34/hook", "events": ["task.created"], "secret": "s3cret"}
    body.update({k: v for k, v in sent.items() if v is not None})
    if sent.get("events", "") is None:
        del body["events"]
    pairs = [(k, v) for k, vs in body.items() for v in (vs if isinstance(vs, list) else [vs])]
    r = as_owner.post("/settings/webhooks", pairs)
    assert r.status_code == 422 and FULL_PAGE in r.text
    assert message in field_error(r.text, field)
    assert hooks(db) == [] and audit(db, "webhook.created") == []


def test_a_refused_hook_keeps_what_was_typed_but_the_secret(as_owner):
    r = as_owner.post("/settings/webhooks", [("url", "ftp://example.test/x"),
                                             ("events", "comment.created"), ("secret", "hidden-one")])
    assert r.status_code == 422
    assert 'value="ftp://example.test/x"' in r.text and "hidden-one" not in r.text
    assert 'value="comment.created" checked' in r.text


def test_the_hook_page_lists_its_last_50_deliveries(as_owner, db, task, make_hook):
    hook = make_hook("https://93.184.216.34/a")
    for n in range(3):
        assert as_owner.post(f"/tasks/{task.id}/status",
                             {"status": ["review", "testing", "todo"][n]}, htmx=True).status_code == 200
    rows = deliveries(db)
    rows[0].status, rows[0].response_code, rows[0].attempts = "failed", 500, 7
    db.add(rows[0])
    db.add_all([WebhookDelivery(organization_id=hook.organization_id, webhook_id=hook.id,
                                event="task.updated", uuid=f"00000000-0000-4000-8000-{n:012d}",
                                payload="{}") for n in range(60)])
    db.commit()
    page = as_owner.get(f"/settings/webhooks/{hook.id}").text
    assert page.count('<tr id="delivery-') == 50
    assert f'id="delivery-{rows[0].id}"' not in page  # the oldest fell off
    assert "https://93.184.216.34/a" in page and "Redeliver" in page


def test_the_hook_page_shows_status_code_and_attempts(as_owner, db, task, make_hook):
    hook = make_hook("https://93.184.216.34/a")
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    [d] = deliveries(db)
    d.status, d.response_code, d.attempts, d.last_error = "failed", 502, 7, "HTTP 502 Bad Gateway"
    db.add(d)
    db.commit()
    page = as_owner.get(f"/settings/webhooks/{hook.id}").text
    row = page[page.index(f'id="delivery-{d.id}"'):].split("</tr>")[0]
    assert "Failed" in row and "502" in row and ">7<" in row and d.uuid in row
    assert "HTTP 502 Bad Gateway" in row


def test_redeliver_makes_a_new_delivery_with_the_same_payload(as_owner, db, task, make_hook):
    hook = make_hook("https://93.184.216.34/a")
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    [first] = deliveries(db)
    r = as_owner.post(f"/settings/webhooks/{hook.id}/deliveries/{first.id}/redeliver")
    assert (r.status_code, r.headers["location"]) == (303, f"/settings/webhooks/{hook.id}")
    old, new = deliveries(db)
    assert old.id == first.id and old.status == first.status
    assert new.payload == old.payload and new.uuid != old.uuid and len(new.uuid) == 36
    assert (new.status, new.attempts, new.event) == ("pending", 0, "task.status_changed")
    [entry] = audit(db, "webhook.redelivered")
    assert entry.changes["delivery"] == [old.uuid, new.uuid]


def test_delete_asks_first_then_takes_the_hook_and_its_deliveries(as_owner, db, task, make_hook):
    hook = make_hook("https://93.184.216.34/a")
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    question = as_owner.get(f"/settings/webhooks/{hook.id}/delete")
    assert question.status_code == 200 and 'class="narrow confirm"' in question.text
    r = as_owner.post(f"/settings/webhooks/{hook.id}/delete")
    assert (r.status_code, r.headers["location"]) == (303, "/settings/webhooks")
    assert hooks(db) == [] and deliveries(db) == []
    assert len(audit(db, "webhook.deleted")) == 1


# -- who may -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["project_manager", "team_member", "client", "viewer"])
def test_only_owner_and_admin_may_manage_webhooks(browser, db, org, task, make_hook, role):
    hook = make_hook("https://93.184.216.34/a")
    user = make_user(db, org, role=role)
    db.commit()
    browser.login_as(user)
    as_owner_made = deliveries(db)
    for path in ("/settings/webhooks", f"/settings/webhooks/{hook.id}",
                 f"/settings/webhooks/{hook.id}/delete"):
        assert browser.get(path).status_code == 403, path
    assert browser.post("/settings/webhooks", GOOD).status_code == 403
    assert browser.post(f"/settings/webhooks/{hook.id}/delete").status_code == 403
    assert len(hooks(db)) == 1 and deliveries(db) == as_owner_made
    assert 'href="/settings/webhooks"' not in browser.get("/projects").text


def test_the_menu_links_to_the_page_for_those_who_may(as_owner):
    assert 'href="/settings/webhooks"' in as_owner.get("/projects").text


def test_a_team_member_may_not_redeliver(browser, db, org, as_owner, task, make_hook):
    hook = make_hook("https://93.184.216.34/a")
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    [d] = deliveries(db)
    user = make_user(db, org, role="team_member")
    db.commit()
    browser.login_as(user)
    r = browser.post(f"/settings/webhooks/{hook.id}/deliveries/{d.id}/redeliver")
    assert r.status_code == 403 and len(deliveries(db)) == 1


def test_another_organizations_ids_are_404(browser, db, as_owner, task, make_hook):
    hook = make_hook("https://93.184.216.34/a")
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    [d] = deliveries(db)
    other = make_org(db, "Globex")
    intruder = make_user(db, other, role="owner")
    db.commit()
    browser.login_as(intruder)
    assert browser.get(f"/settings/webhooks/{hook.id}").status_code == 404
    assert browser.get(f"/settings/webhooks/{hook.id}/delete").status_code == 404
    assert browser.post(f"/settings/webhooks/{hook.id}/delete").status_code == 404
    assert browser.post(f"/settings/webhooks/{hook.id}/deliveries/{d.id}/redeliver").status_code == 404
    assert "93.184.216.34" not in browser.get("/settings/webhooks").text
    assert len(hooks(db)) == 1 and len(deliveries(db)) == 1


def test_a_delivery_of_another_hook_is_404(as_owner, db, task, make_hook):
    first = make_hook("https://93.184.216.34/a")
    second = make_hook("https://93.184.216.34/b", ["task.created"])
    as_owner.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
    [d] = deliveries(db)
    assert d.webhook_id == first.id
    r = as_owner.post(f"/settings/webhooks/{second.id}/deliveries/{d.id}/redeliver")
    assert r.status_code == 404 and len(deliveries(db)) == 1


def test_logged_out_goes_to_the_login_page(browser):
    r = browser.get("/settings/webhooks")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = browser.post("/settings/webhooks", GOOD)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_adding_without_the_csrf_token_is_403(as_owner, db):
    assert as_owner.post("/settings/webhooks", GOOD, csrf=False).status_code == 403
    assert hooks(db) == []
