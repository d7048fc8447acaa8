"""Who the API lets in: a live token of an active person, with that person's rights only."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from kanvaro.models import ApiToken, ApiTokenUse, Project
from tests.api.conftest import Api
from tests.factories import make_token, now


def _problem(answer, status):  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == status
    return answer.json()


def test_no_token_or_a_wrong_one_is_401_with_a_bearer_challenge(client, api):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer kvp_" + "x" * 40}, {"Authorization": "Bearer nonsense"}):
        answer = client.get("/api/v1/projects", headers=headers)
        _problem(answer, 401)
        assert answer.headers["www-authenticate"].startswith("Bearer")


def test_the_session_cookie_is_not_a_credential(as_owner, client):
    # Logged in through the browser: the API still wants a token (no CSRF, so no cookies).
    _problem(client.get("/api/v1/projects"), 401)


def test_a_token_works_until_revoked_or_expired(client, db, owner, api):
    assert api("GET", "/projects").status_code == 200
    token = db.scalars(select(ApiToken)).one()
    token.revoked_at = now()
    db.commit()
    _problem(api("GET", "/projects"), 401)
    expired = make_token(db, owner, days=-1)
    db.commit()
    _problem(Api(client, expired)("GET", "/projects"), 401)


def test_a_deactivated_persons_token_stops_at_once(api, db, owner):
    assert api("GET", "/projects").status_code == 200
    owner.is_active = False
    db.add(owner)
    db.commit()
    _problem(api("GET", "/projects"), 401)


def test_a_read_token_reads_and_is_refused_every_write(client, db, owner, project):
    reader = Api(client, make_token(db, owner, scope="read"))
    db.commit()
    assert reader("GET", f"/projects/{project.id}").status_code == 200
    _problem(reader("POST", "/projects", {"name": "Nope"}), 403)
    _problem(reader("PATCH", f"/projects/{project.id}", {"name": "Nope"}), 403)
    _problem(reader("DELETE", f"/projects/{project.id}"), 403)
    db.commit()
    assert db.scalars(select(Project.name)).all() == ["Launch"]


def test_a_token_never_exceeds_its_persons_rights(member_api, db, project):
    # A team member may not create projects, whatever the token's scope.
    _problem(member_api("POST", "/projects", {"name": "Mine"}), 403)
    db.commit()
    assert db.scalars(select(Project.name)).all() == ["Launch"]


def test_the_rate_limit_answers_429_with_retry_after_and_counts_refusals_too(app, client, db, owner):
    app.state.kanvaro.settings = dataclasses.replace(app.state.kanvaro.settings, api_rate_per_minute=3)
    limited = Api(client, make_token(db, owner))
    db.commit()
    assert limited("GET", "/projects").status_code == 200
    assert limited("GET", "/projects/999999").status_code == 404  # refused, still counted
    assert limited("GET", "/projects").status_code == 200
    answer = limited("GET", "/projects")
    _problem(answer, 429)
    assert 1 <= int(answer.headers["retry-after"]) <= 61
    db.commit()
    use = db.scalars(select(ApiTokenUse)).one()
    assert use.count == 3 and use.last_used_at is not None


def test_the_count_starts_again_each_minute(app, client, db, owner):
    app.state.kanvaro.settings = dataclasses.replace(app.state.kanvaro.settings, api_rate_per_minute=1)
    limited = Api(client, make_token(db, owner))
    db.commit()
    assert limited("GET", "/projects").status_code == 200
    assert limited("GET", "/projects").status_code == 429
    use = db.scalars(select(ApiTokenUse)).one()
    use.window_start = use.window_start - timedelta(minutes=1)
    db.commit()
    assert limited("GET", "/projects").status_code == 200


def test_unknown_api_paths_and_methods_answer_problem_details(api, client):
    _problem(api("GET", "/nothing-here"), 404)
    _problem(api("PUT", "/projects"), 405)
