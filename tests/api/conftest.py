"""The JSON API's fixtures: a token of the owner and of a member, and a client that sends it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from tests.factories import make_token


class Api:
    """A TestClient speaking JSON with one bearer token and no cookies."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.token = client, token

    def __call__(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["json"] = body
        self.client.cookies.clear()
        return self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)


@pytest.fixture
def owner_token(db: Session, owner: Any) -> str:
    raw = make_token(db, owner)
    db.commit()
    return raw


@pytest.fixture
def api(client: TestClient, owner_token: str) -> Api:
    return Api(client, owner_token)


@pytest.fixture
def member_api(client: TestClient, db: Session, member: Any) -> Api:
    raw = make_token(db, member)
    db.commit()
    return Api(client, raw)
