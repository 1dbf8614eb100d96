"""Personal access tokens: creating one (its secret shown once), revoking it, finding the token of a request, and
recording its use in the audit log (at most once a minute per token)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from limits import parse
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import db
from portal.accounts.models import User
from portal.api.models import ApiToken, Scope
from portal.core import audit
from portal.core.ids import parse_id
from portal.core.rules import RuleViolation
from portal.core.timeutil import utcnow
from portal.core.tokens import hash_token, new_token, token_matches
from portal.extensions import limiter

PREFIX = "pat"
EXPIRY_DAYS = (30, 90, 180, 365)
MAX_OPEN_TOKENS = 20
# One audit event per token and minute: a busy integration must not flood the log, yet every minute of use shows.
USE_AUDIT_RATE = parse("1 per minute")
USE_AUDIT_SCOPE = "api-token-use"


@dataclass(frozen=True)
class CreatedToken:
    """A new token and its secret, which is shown this once and never stored."""

    token: ApiToken
    secret: str


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too, so that their history shows)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def create_token(user: User, name: str, scopes: list[str], days: int) -> CreatedToken:
    """A new token of user with these scopes, valid for days; audited."""
    wanted = sorted({Scope(scope).value for scope in scopes})
    if not wanted:
        raise RuleViolation(_l("Choose at least one scope."), field="scopes")
    if days not in EXPIRY_DAYS:
        raise RuleViolation(_l("Choose one of the offered lifetimes."), field="days")
    now = utcnow()
    if sum(1 for token in tokens_of(user) if token.is_usable(now)) >= MAX_OPEN_TOKENS:
        raise RuleViolation(_l("You have too many valid tokens. Revoke one you no longer use first."))
    secret, secret_hash = new_token()
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:80],
        token_hash=secret_hash,
        scopes=wanted,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.created", token, details={"name": token.name, "scopes": wanted, "days": days})
    return CreatedToken(token, f"{PREFIX}_{token.id}_{secret}")


def revoke_token(token: ApiToken) -> None:
    """End a token now; audited. Revoking a revoked token changes nothing."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record("api_token.revoked", token, details={"name": token.name})


def presented_token() -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def split_token(presented: str) -> tuple[int, str] | None:
    """The id and the secret of `pat_<id>_<secret>`, or None when it cannot be one."""
    prefix, _, rest = presented.partition("_")
    raw_id, _, secret = rest.partition("_")
    token_id = parse_id(raw_id)
    return (token_id, secret) if prefix == PREFIX and token_id and secret else None


def authenticate(presented: str | None) -> ApiToken | None:
    """The usable token presented (its account active), else None: unknown, wrong secret, expired or revoked alike."""
    parts = split_token(presented) if presented else None
    if parts is None:
        return None
    token = db.session.get(ApiToken, parts[0], options=[joinedload(ApiToken.user)])  # one query for both
    if token is None or not token_matches(parts[1], token.token_hash):
        return None
    return token if token.is_usable(utcnow()) and token.user.active else None


def throttle_key() -> str:
    """The throttle's key: the presented token (its hash: a wrong secret cannot use up another's requests), else the
    client address."""
    presented = presented_token()
    return f"token:{hash_token(presented)}" if presented else f"address:{request.remote_addr or ''}"


def api_limit() -> str:
    return current_app.config["API_TOKEN_LIMIT"]


def note_use(token: ApiToken) -> None:
    """Record the token's use: an audit event and the time, at most once a minute per token (counted in the
    throttling storage, shared by all processes)."""
    if not limiter.limiter.hit(USE_AUDIT_RATE, USE_AUDIT_SCOPE, str(token.id)):
        return
    token.last_used_at = utcnow()
    audit.record(
        "api_token.used",
        token,
        actor_id=token.user_id,
        details={"path": request.path, "query": request.query_string.decode("latin-1")[:300]},
    )
