"""Passwords, session tokens and CSRF tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "kanvaro_session"
SESSION_MAX_AGE = 14 * 24 * 3600
CSRF_BYTES = 32

_hasher = PasswordHasher()  # argon2id with the library's current defaults
# Verified against when the email is unknown, so both failures cost the same time. Made on
# first need: a hash costs 0.1 s and 64 MiB, which a worker that never sees an unknown email
# should not pay at start.
_DUMMY_HASH = ""


def set_hash_cost(*, time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Change the argon2id cost (the test suite makes it cheap; production keeps the defaults)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _DUMMY_HASH = ""


# Password work done ahead of a request's write transaction (docs/performance.md, "Threads"):
# argon2id takes ~0.1 s, too long to hold SQLite's write lock for. Inside `password_work()`,
# `prepare_hash` and `prepare_check` do the work and remember it; `hash_password` and
# `verify_password` then answer from what was remembered, and work it out as ever otherwise.
_ready: ContextVar[dict[tuple[str, ...], Any] | None] = ContextVar("kanvaro_password_work", default=None)


@contextmanager
def password_work() -> Iterator[None]:
    token = _ready.set({})
    try:
        yield
    finally:
        _ready.reset(token)


def prepare_hash(password: str) -> None:
    ready = _ready.get()
    if ready is not None and password:
        ready[("hash", password)] = _hasher.hash(password)


def prepare_check(password_hash: str | None, password: str) -> None:
    ready = _ready.get()
    if ready is not None:
        ready[("check", password_hash or "", password)] = _check(password_hash, password)


def hash_password(password: str) -> str:
    ready = _ready.get()
    done = ready.get(("hash", password)) if ready is not None else None
    return done if done is not None else _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    ready = _ready.get()
    done = ready.get(("check", password_hash or "", password)) if ready is not None else None
    return done if done is not None else _check(password_hash, password)


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if not _DUMMY_HASH:
        _DUMMY_HASH = _hasher.hash("kanvaro-timing-equaliser")
    return _DUMMY_HASH


def _check(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CookieSigner:
    """Signs the session cookie: {"s": session token or "", "c": csrf secret}."""

    def __init__(self, secret_key: str) -> None:
        self._s = URLSafeTimedSerializer(secret_key, salt="kanvaro.session")

    def dumps(self, data: dict[str, str]) -> str:
        return self._s.dumps(data)

    def loads(self, value: str | None) -> dict[str, Any]:
        if not value:
            return {}
        try:
            data = self._s.loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return {}
        return data if isinstance(data, dict) else {}


def new_csrf_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(CSRF_BYTES)).decode()


def mask_csrf(secret: str) -> str:
    """A fresh encoding of the secret for each page, so compression cannot leak it."""
    raw = base64.urlsafe_b64decode(secret)
    pad = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(pad + bytes(a ^ b for a, b in zip(pad, raw))).decode()


def csrf_matches(secret: str | None, token: str | None) -> bool:
    if not secret or not token:
        return False
    try:
        raw = base64.urlsafe_b64decode(secret)
        masked = base64.urlsafe_b64decode(token)
    except (ValueError, TypeError):
        return False
    if len(masked) != 2 * len(raw):
        return False
    pad, body = masked[: len(raw)], masked[len(raw) :]
    return hmac.compare_digest(bytes(a ^ b for a, b in zip(pad, body)), raw)
