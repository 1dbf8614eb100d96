"""Personal access tokens: a named secret with scopes and an expiry, of which only the hash is stored."""

from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.accounts.models import User
from portal.core.i18n import translated
from portal.core.timeutil import utcnow


class Scope(enum.StrEnum):
    """What a token may read; each endpoint of the API asks for one."""

    APPLICATIONS = "applications:read"
    DECISIONS = "decisions:read"
    PEOPLE = "people:read"
    ROUNDS = "rounds:read"

    @property
    def label(self) -> str:
        return translated(SCOPE_LABELS[self])


SCOPE_LABELS = {
    Scope.APPLICATIONS: _l("Read applications"),
    Scope.DECISIONS: _l("Read decisions"),
    Scope.PEOPLE: _l("Read people"),
    Scope.ROUNDS: _l("Read intake rounds"),
}


class ApiToken(db.Base):
    """One personal access token of a user: `pat_<id>_<secret>`, the secret's SHA-256 stored (core/tokens.py)."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_creation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    # Updated at most once a minute per token (with its audit event), not on every request.
    last_used_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    user: Mapped[User] = relationship()

    def is_usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def has_scope(self, scope: Scope) -> bool:
        return scope.value in (self.scopes or [])
