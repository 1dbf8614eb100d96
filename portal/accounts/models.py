"""User accounts, their roles and the single-use tokens behind emailed links."""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal import db
from portal.core.enums import enum_column
from portal.core.roles import Role
from portal.core.timeutil import utcnow

LANGUAGES = ("de", "en", "zh")


def new_session_token() -> str:
    """A fresh per-user session token; changing it signs the user out everywhere."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Base):
    """A person who can sign in; holds one or more roles."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("language IN ('de', 'en', 'zh')", name="language"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(2), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    active: Mapped[bool] = mapped_column(default=True)
    email_confirmed_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    # Flask-Login: the session and the remember-me cookie carry id and session token, so rotating the token
    # invalidates every copy of them.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def role_names(self) -> set[str]:
        return {str(role.role) for role in self.roles}

    def has_role(self, role: Role | str) -> bool:
        """Whether the user holds the role."""
        return str(role) in self.role_names

    def set_password(self, password: str) -> None:
        """Hash and store a new password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether password is this user's password."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_all_sessions(self) -> None:
        """Invalidate every session and remember-me cookie of this user."""
        self.session_token = new_session_token()


class UserRole(db.Base):
    """A role held by a user."""

    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    granted_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")


class TokenPurpose(enum.StrEnum):
    """What an emailed link is for."""

    CONFIRM_EMAIL = "confirm_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name, not a password
    INVITATION = "invitation"


class AccountToken(db.Base):
    """A single-use, expiring secret behind an emailed link; only its hash is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "purpose"))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    user: Mapped[User] = relationship()

    def is_usable(self, now: dt.datetime) -> bool:
        """Not used yet and not expired at now."""
        return self.used_at is None and now < self.expires_at
