"""Secrets that exist only in the mail that delivers them (issue 9; docs/security.md).

A mail that carries a credential (an invitation link; later a password-reset link, SPEC §14)
is queued without it. The credential is derived, never stored:

    token = urlsafe_b64(HMAC-SHA256(secret key, "kanvaro.mail-secret:" + purpose + ":" + nonce))

43 characters, as `secrets.token_urlsafe(32)`. The nonce is random and stored; so is the
token's SHA-256 (the row that the token unlocks keeps it, e.g. `invitation.token_hash`).
The outbox row keeps the bodies with `placeholder(nonce)` where the token goes, plus a
reference (purpose, nonce, hash); the sender derives the token just before it sends and puts
it into both bodies. So the database, its WAL and every backup hold no token: reading one
needs the database *and* the secret key, which lives outside it.

Adding a purpose: name it in PURPOSES, make the token with `issue`, keep `token_hash` of it
where it is checked, and pass the MailSecret to `mail.enqueue`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

PURPOSES = frozenset({"invitation"})
NONCE_BYTES = 16  # 22 characters


class SecretUnavailable(Exception):
    """The secret of a mail cannot be given: unknown purpose, or not the one that was issued."""


@dataclass(frozen=True)
class MailSecret:
    """What the outbox row keeps about the secret its mail carries; none of it is the secret."""

    purpose: str
    nonce: str
    hash: str  # SHA-256 of the token, hex: the sender checks it derived the issued token


def new_nonce() -> str:
    return secrets.token_urlsafe(NONCE_BYTES)


def _sha256_hex(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # = kanvaro.security.token_hash


def derive(secret_key: str, purpose: str, nonce: str) -> str:
    """The token for (purpose, nonce) under secret_key."""
    if purpose not in PURPOSES:
        raise SecretUnavailable(f"unknown mail secret purpose {purpose!r}")
    if not secret_key or not nonce:
        raise SecretUnavailable("a mail secret needs a secret key and a nonce")
    mac = hmac.new(secret_key.encode(), f"kanvaro.mail-secret:{purpose}:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def issue(secret_key: str, purpose: str) -> tuple[str, MailSecret]:
    """A new token, and the reference to queue with its mail."""
    nonce = new_nonce()
    token = derive(secret_key, purpose, nonce)
    return token, MailSecret(purpose, nonce, _sha256_hex(token))


def placeholder(nonce: str) -> str:
    """What a queued body holds where the token goes. It names the nonce, drawn after the
    mail's text was written, so no text a user typed can contain it by chance or by design."""
    return "{{kanvaro-secret:" + nonce + "}}"


def reveal(secret_key: str, secret: MailSecret, *bodies: str) -> list[str]:
    """The bodies with the token in place of the placeholder, for the sender only."""
    token = derive(secret_key, secret.purpose, secret.nonce)
    if not hmac.compare_digest(_sha256_hex(token), secret.hash):
        raise SecretUnavailable(
            "the secret key is not the one this mail was written with, so its link would not "
            "work; send it with the server's KANVARO_SECRET_KEY (or its data directory)")
    mark = placeholder(secret.nonce)
    return [body.replace(mark, token) for body in bodies]
