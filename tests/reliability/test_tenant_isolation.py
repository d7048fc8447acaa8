"""Tenant isolation, generated from the route table (issue 6, suite 1).

For every route with an id in its path, and every object type those ids name, a user of
another organization gets 404 on GET and POST, and so does a team member who is not in the
project (for project, story and task ids). Team objects (invitations, members, custom roles)
are not hidden inside the organization (the team page lists them), so there a team member
without the permission gets 403 (or 404). In every refused case no row of any table changes.
The owner of the organization gets through (the control that proves each case could fail).
"""

from __future__ import annotations

import pytest

from tests.reliability.conftest import FILES, UNIVERSAL_BODY, app_routes, diff_dumps, dump, fill

# Path parameter -> the scope its object lives in. A new route whose parameter is not
# here fails test_every_path_parameter_has_a_fixture_mapping (and fill()).
PARAM_SCOPE = {
    "project_id": "project", "task_id": "project", "story_id": "project",
    "invitation_id": "team", "user_id": "team", "role_id": "team",
    "comment_id": "project",  # a comment is seen through its task's project
    "attachment_id": "project",  # a file too
    # only its recipient sees a notification: 404 for anyone else, as for a hidden project
    "notification_id": "project",
    # only its person sees or revokes a personal access token: 404 for anyone else, too
    "token_id": "project",
    # an organization's webhooks and their deliveries: webhook:manage (owner, admin); 403 for
    # a team member of Acme, 404 for anyone else
    "webhook_id": "team", "delivery_id": "team",
    "import_id": "project",  # an import is seen through its project, by those who may add tasks
}
# Parameters that are not ids of tenant objects, and why.
EXEMPT = {"token": "the invitation token is itself the credential (unknown/used/revoked tokens: "
                    "tests/web/test_team.py); it names no id another tenant could guess",
          "feed_token": "a calendar link's secret is its credential instead of the cookie: each "
                        "person below asks the feed with their own (tests/calendar/test_feeds.py)"}
SECRETS = ("Apollo", "Fuel the rocket", "Launch", "invited@example.com")

CASES = [
    (method, path, route) for method, path, route in app_routes()
    if route.param_convertors and not set(route.param_convertors) <= set(EXEMPT)
]


def _scope(route) -> str:  # type: ignore[no-untyped-def]
    scopes = {PARAM_SCOPE[p] for p in route.param_convertors if p not in EXEMPT}
    return "project" if "project" in scopes else "team"


def _request(browser, method: str, url: str, path: str):  # type: ignore[no-untyped-def]
    return browser.get(url) if method == "GET" else browser.post(url, {**UNIVERSAL_BODY, **FILES.get(path, {})})


def test_every_path_parameter_has_a_fixture_mapping():
    for _, path, route in app_routes():
        for param in route.param_convertors:
            assert param in PARAM_SCOPE or param in EXEMPT, (
                f"{path}: path parameter {param!r} has no fixture mapping in PARAM_SCOPE")


def test_the_generated_cases_cover_every_id_route():
    # 10 GET + 15 POST routes with an id today; a new one adds itself.
    assert len(CASES) >= 25
    assert {m for m, _, _ in CASES} == {"GET", "POST"}
    # the confirmation pages of issue 11 follow the rules of the POSTs they ask before
    assert {"/projects/{project_id:id}/delete", "/team/members/{user_id:id}/deactivate",
            "/team/roles/{role_id:id}/delete"} <= {p for m, p, _ in CASES if m == "GET"}


@pytest.mark.parametrize("who", ["intruder", "outsider"])
@pytest.mark.parametrize(("method", "path", "route"), CASES,
                         ids=[f"{m} {p}" for m, p, _ in CASES])
def test_no_access_answers_404_and_writes_nothing(browser, engine, world, method, path, route, who):
    params = world.params()
    if "feed_token" in route.param_convertors:  # a calendar feed: their own link, not the cookie
        params["feed_token"] = world.feed_tokens[who]
    url = fill(route, params)
    browser.login_as(getattr(world, who))
    before = dump(engine)
    r = _request(browser, method, url, path)
    if who == "intruder" or _scope(route) == "project":
        assert r.status_code == 404, (who, method, url, r.status_code)
    else:
        assert r.status_code in (403, 404), (who, method, url, r.status_code)
    for secret in SECRETS:
        assert secret not in r.text
    assert dump(engine) == before, diff_dumps(before, dump(engine))


@pytest.mark.parametrize(("method", "path", "route"), CASES,
                         ids=[f"{m} {p}" for m, p, _ in CASES])
def test_the_owner_gets_through(browser, engine, world, method, path, route):
    url = fill(route, world.params())
    browser.login_as(world.owner)
    before = dump(engine)
    r = _request(browser, method, url, path)
    if method == "GET":
        assert r.status_code == 200, (url, r.status_code)
    else:
        assert r.status_code == 303, (url, r.status_code, r.text[-2000:])
        assert dump(engine) != before  # the same request by the right person writes


def test_the_intruders_own_pages_list_nothing_of_acme(browser, world):
    browser.login_as(world.intruder)
    for url in ("/projects", f"/projects/{world.other_project_id}",
                f"/projects/{world.other_project_id}/board", "/team", "/audit", "/my/tasks"):
        r = browser.get(url)
        assert r.status_code == 200
        for secret in (*SECRETS, "Olive Owner", "Mo Member"):
            assert secret not in r.text, (url, secret)
