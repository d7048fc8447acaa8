"""Generated over every API operation: foreign and hidden ids answer 404 and change nothing;
every operation is in the OpenAPI document, which openapi-spec-validator accepts."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from kanvaro.api.routes import OPERATIONS
from kanvaro.models import Comment, Story, Task
from tests.api.conftest import Api
from tests.factories import make_org, make_project, make_token, make_user
from tests.reliability.conftest import diff_dumps, dump

BODIES = {"NewProject": {"name": "X"}, "NewTask": {"title": "X"}, "NewStory": {"title": "X"},
          "NewComment": {"body": "X"}, "CommentPatch": {"body": "X"}}
WITH_IDS = [op for op in OPERATIONS if "{" in op.path]


def _world(db, org, owner):  # type: ignore[no-untyped-def]
    """Acme's rows (the fixtures' org) in a project its member is not in."""
    hidden = make_project(db, org, members=[owner], name="Hidden", creator=owner)
    task = Task(organization_id=org.id, project_id=hidden.id, number=1, title="Secret")
    db.add(task)
    db.flush()
    story = Story(organization_id=org.id, project_id=hidden.id, title="Secret story")
    comment = Comment(organization_id=org.id, task_id=task.id, author_id=owner.id, body="psst")
    db.add_all([story, comment])
    db.commit()
    return {"project_id": hidden.id, "task_id": task.id, "story_id": story.id,
            "comment_id": comment.id, "user_id": owner.id}


def _path(op, ids):  # type: ignore[no-untyped-def]
    return re.sub(r"\{(\w+):\w+\}", lambda m: str(ids[m.group(1)]), op.path)


def _call(api, op, ids):  # type: ignore[no-untyped-def]
    body = BODIES.get(op.body.__name__, {}) if op.body is not None else None
    return api(op.method, _path(op, ids), body)


@pytest.mark.parametrize("op", WITH_IDS, ids=lambda op: f"{op.method} {op.path}")
def test_another_organizations_ids_answer_404_and_change_nothing(op, client, db, engine, org, owner):
    ids = _world(db, org, owner)
    intruder = make_user(db, make_org(db, "Globex"), role="owner")
    api = Api(client, make_token(db, intruder))
    db.commit()
    before = dump(engine)
    answer = _call(api, op, ids)
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    changed = diff_dumps(before, dump(engine))
    changed.pop("api_token_use", None)  # the request counts against the intruder's own limit
    assert changed == {}


@pytest.mark.parametrize("op", [op for op in WITH_IDS if not op.path.startswith("/users")],
                         ids=lambda op: f"{op.method} {op.path}")
def test_a_project_one_is_not_in_is_404_too(op, client, db, engine, org, owner, member):
    ids = _world(db, org, owner)
    api = Api(client, make_token(db, member))
    db.commit()
    before = dump(engine)
    assert _call(api, op, ids).status_code == 404
    changed = diff_dumps(before, dump(engine))
    changed.pop("api_token_use", None)
    assert changed == {}


def test_the_owner_gets_through_the_same_calls(client, db, org, owner):
    ids = _world(db, org, owner)
    api = Api(client, make_token(db, owner))
    db.commit()
    reads = [op for op in WITH_IDS if op.method == "GET"]
    for op in reads:
        assert _call(api, op, ids).status_code == 200, op.path


def test_the_document_is_valid_openapi_3_1_and_names_every_operation(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    doc = answer.json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    wanted = {(op.method, re.sub(r"\{(\w+):\w+\}", r"{\1}", op.path)) for op in OPERATIONS}
    assert documented == wanted
    for path in ("/projects", "/projects/{project_id}", "/projects/{project_id}/tasks",
                 "/tasks/{task_id}", "/tasks/{task_id}/comments"):
        assert path in doc["paths"]


def test_every_write_operation_calls_an_action_and_no_api_module_writes_itself():
    """One action, three callers: the API parses, calls the area's action, shapes the answer."""
    import inspect
    import sys

    from tests.test_routes_walk import _actions_called, _writes_in

    for op in OPERATIONS:
        module = sys.modules[op.fn.__module__]
        assert _writes_in(inspect.getsource(module)) == [], f"{module.__name__} writes to the database"
        if op.write:
            assert _actions_called(op.fn), f"{op.method} {op.path} calls no action"


def test_every_api_route_is_an_operation(app):
    from starlette.routing import Route

    from tests.test_routes_walk import walk

    served = {(m, path) for path, r in walk(app.routes) if isinstance(r, Route)
              and path.startswith("/api/v1/") for m in (r.methods or ()) if m != "HEAD"}
    listed = {(op.method, "/api/v1" + op.path) for op in OPERATIONS}
    assert served == listed | {("GET", "/api/v1/openapi.json")}
