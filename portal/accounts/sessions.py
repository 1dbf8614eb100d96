"""Signed-in sessions kept in the database: opened at sign-in, checked on every request, ended one by one or all at
once.

A session's key ("<id>:<secret>") travels in the session cookie and, with "keep me signed in", in the remember-me
cookie; only the secret's SHA-256 is stored. Every request looks the record up, so a session ended anywhere is gone on
the next request on every app server. It also ends by itself: after SESSION_IDLE_HOURS without a request unless the
person chose to stay signed in, and in any case REMEMBER_COOKIE_DURATION after it began.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context, request
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from portal import db
from portal.accounts.models import User, UserSession
from portal.core import audit
from portal.core.timeutil import utcnow
from portal.core.tokens import new_token, token_matches

# Last seen is written at most this often per session: a request does not write to the database each time.
TOUCH_INTERVAL = dt.timedelta(minutes=5)
# Ended and lapsed sessions are kept this long for the person's own overview, then deleted at their next sign-in.
KEEP_ENDED = dt.timedelta(days=30)
USER_AGENT_MAX = 400
ADDRESS_MAX = 45  # the longest IPv6 address in text


def max_age() -> dt.timedelta:
    """The longest any session lasts (the remember-me cookie's lifetime)."""
    return dt.timedelta(seconds=int(current_app.config["REMEMBER_COOKIE_DURATION"]))


def idle_limit() -> dt.timedelta:
    """How long a session without "keep me signed in" survives without a request."""
    return dt.timedelta(hours=float(current_app.config["SESSION_IDLE_HOURS"]))


def client_address() -> str | None:
    """The client's address (behind trusted proxies: PROXY_FIX_X_FOR), if there is a request."""
    return (request.remote_addr or "")[:ADDRESS_MAX] or None if has_request_context() else None


def _client_user_agent() -> str | None:
    if not has_request_context():
        return None
    return (request.user_agent.string or "")[:USER_AGENT_MAX] or None


def open_session(user: User, *, remember: bool, second_factor: bool) -> tuple[UserSession, str]:
    """Record a new signed-in session of the user; the record and its key (the only copy of its secret)."""
    now = utcnow()
    _forget_old_sessions(user, now)
    token, token_hash = new_token()
    record = UserSession(
        user_id=user.id,
        token_hash=token_hash,
        created_at=now,
        last_seen_at=now,
        address=client_address(),
        user_agent=_client_user_agent(),
        remember=remember,
        second_factor_at=now if second_factor else None,
    )
    db.session.add(record)
    db.session.flush()
    return record, f"{record.id}:{token}"


def _forget_old_sessions(user: User, now: dt.datetime) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, _old(now)))


def _old(now: dt.datetime):
    cutoff = now - max(KEEP_ENDED, max_age())
    return or_(UserSession.ended_at < cutoff, UserSession.last_seen_at < cutoff)


def forget_old_sessions(now: dt.datetime) -> int:
    """Delete every session that ended or lapsed more than KEEP_ENDED ago (with its address and browser), also of
    people who never sign in again; for the daily job. How many were deleted."""
    return db.session.execute(delete(UserSession).where(_old(now))).rowcount


def is_lapsed(record: UserSession, now: dt.datetime) -> bool:
    """Whether the session has run out: too old, or idle too long without "keep me signed in"."""
    if now - record.created_at >= max_age():
        return True
    return not record.remember and now - record.last_seen_at >= idle_limit()


def live_session(key: str) -> UserSession | None:
    """The open, unexpired session of an active user that the key names, or None."""
    raw_id, _sep, token = (key or "").partition(":")
    if not raw_id.isdigit() or not token or len(raw_id) > 18:
        return None
    # Always read anew (populate_existing): a session ended by another request or server counts at once.
    record = db.session.get(
        UserSession, int(raw_id), options=[joinedload(UserSession.user).joinedload(User.roles)], populate_existing=True
    )
    if record is None or record.ended_at is not None or not token_matches(token, record.token_hash):
        return None
    if is_lapsed(record, utcnow()) or not record.user.active:
        return None
    return record


def note_activity(record: UserSession) -> None:
    """Move the session's last-seen time (and address) forward, at most every TOUCH_INTERVAL."""
    now = utcnow()
    if now - record.last_seen_at < TOUCH_INTERVAL:
        return
    try:
        # A savepoint: should the write have to wait for another writer and give up (SQLite), the page still answers.
        with db.session.begin_nested():
            db.session.execute(
                update(UserSession)
                .where(UserSession.id == record.id)
                .values(last_seen_at=now, address=client_address() or record.address)
                .execution_options(synchronize_session=False)
            )
    except OperationalError:
        current_app.logger.warning("could not note the activity of session %s", record.id)
        return
    record.last_seen_at = now


def open_sessions(user: User) -> list[UserSession]:
    """The user's sessions that are still signed in, the most recently used first (one query)."""
    now = utcnow()
    query = (
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
            UserSession.created_at > now - max_age(),
            or_(UserSession.remember, UserSession.last_seen_at > now - idle_limit()),
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return list(db.session.scalars(query))


def end_session(record: UserSession, reason: str) -> None:
    """Sign one session out."""
    if record.ended_at is None:
        record.ended_at = utcnow()
        db.session.flush()
        details = {"session": record.id, "reason": reason, "device": record.user_agent, "address": record.address}
        audit.record("account.session_ended", record.user, actor_id=record.user_id, details=details)


def end_sessions(user: User, reason: str, *, keep: UserSession | None = None, actor_id: int | None = None) -> int:
    """Sign out every session of the user but `keep` (the actor defaults to whoever is signed in); how many ended."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    ended = db.session.execute(query.values(ended_at=utcnow()).execution_options(synchronize_session="fetch"))
    details: dict[str, object] = {"reason": reason, "count": ended.rowcount}
    if keep is not None:
        details["kept"] = keep.id
    audit.record("account.sessions_ended", user, actor_id=actor_id, details=details)
    return ended.rowcount
