"""Making and revoking one's personal access tokens (SPEC §13).

Neither needs a permission: a token acts as its person with their permissions as they are
at each request, never more (kanvaro.tokens.auth), so making one grants nothing; and only
one's own tokens can be revoked (the loader answers 404 for anyone else's). The secret is
shown once, by the page that answers the creation; only its SHA-256 is stored, and no event
carries it.
"""

from __future__ import annotations

from datetime import timedelta

from kanvaro import events
from kanvaro.context import Ctx
from kanvaro.inputs import Parsed
from kanvaro.security import token_hash
from kanvaro.tokens.auth import new_token
from kanvaro.tokens.forms import NewToken
from kanvaro.tokens.models import ApiToken
from kanvaro.tokens.queries import MAX_LIVE, get_token, live_count, state_of


def create_token(ctx: Ctx, sent: Parsed[NewToken]) -> tuple[ApiToken, str]:
    """A new token of the actor's; returns it and its secret, which nothing else keeps."""
    too_many = live_count(ctx) >= MAX_LIVE
    value = sent.valid(name=f"You have {MAX_LIVE} tokens that still work: revoke one first."
                       if too_many else None)
    secret = new_token()
    token = ApiToken(organization_id=ctx.org_id, user_id=ctx.user.id, name=value.name,
                     scope=value.scope, token_hash=token_hash(secret), created_at=ctx.now,
                     expires_at=ctx.now + timedelta(days=value.expires_in_days))
    ctx.db.add(token)
    ctx.db.flush()
    ctx.emit(events.ApiTokenCreated(token.id, {
        "name": [None, token.name], "scope": [None, token.scope],
        "expires_at": [None, token.expires_at.isoformat()]}))
    return token, secret


def revoke_token(ctx: Ctx, token_id: int) -> tuple[ApiToken, bool]:
    """Stop one of the actor's tokens at once; returns it and whether this request did it (a
    second revocation finds it revoked and changes nothing, so records nothing either)."""
    token = get_token(ctx, token_id)
    if token.revoked_at is not None:
        return token, False
    before = state_of(token.expires_at, None, ctx.now)
    token.revoked_at = ctx.now
    ctx.db.flush()
    ctx.emit(events.ApiTokenRevoked(token.id, {"status": [before, "revoked"],
                                               "name": [token.name, token.name]}))
    return token, True
