"""User accounts, their roles, the single-use tokens behind emailed links, the signed-in sessions and the second factor
of a two-factor sign-in."""

from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal import db
from portal.core.enums import enum_column
from portal.core.roles import Role
from portal.core.timeutil import utcnow

LANGUAGES = ("de", "en", "zh")

# Holders of these roles sign in with a second factor, and enrol before they can do anything else.
SECOND_FACTOR_ROLES = frozenset({Role.COORDINATOR.value, Role.ADMIN.value})


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

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserRole.role"
    )
    second_factor: Mapped[SecondFactor | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )

    # The key of the signed-in session this object was loaded for ("<session id>:<secret>", see UserSession); not
    # stored: set by portal.accounts.session when a session starts or is loaded.
    session_key = None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    # Flask-Login's mixin compares users by get_id(), which is a session key here: one row is one object in the
    # session's identity map, so identity is the right equality (and users without a session compare too).
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    # Flask-Login keeps this in the session cookie and the remember-me cookie: the key of one UserSession, so that
    # ending that record ends every copy of them.
    def get_id(self) -> str:
        if not self.session_key:
            raise RuntimeError("the user has no session key: sign in through portal.accounts.session.start_session")
        return self.session_key

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

    @property
    def requires_second_factor(self) -> bool:
        """Whether a role the user holds requires a two-factor sign-in."""
        return not SECOND_FACTOR_ROLES.isdisjoint(self.role_names)

    @property
    def has_second_factor(self) -> bool:
        """Whether the user signs in with an authenticator app's code after the password."""
        return self.second_factor is not None and self.second_factor.enabled


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


class UserSession(db.Base):
    """One signed-in browser or device; the session cookie and the remember-me cookie carry its id and a secret whose
    hash is stored here, so that ending the record signs that browser out on its next request, on every app server."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_open", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    # Updated at most every few minutes (portal.accounts.sessions.TOUCH_INTERVAL), not on every request.
    last_seen_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    # "Keep me signed in": the session outlives the browser's, up to REMEMBER_COOKIE_DURATION.
    remember: Mapped[bool] = mapped_column(default=False)
    # When the person gave their second factor in this session (None: password only, or not enrolled yet).
    second_factor_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    user: Mapped[User] = relationship()


class SecondFactor(db.Base):
    """A user's authenticator app (TOTP, RFC 6238): the secret is stored encrypted (portal.core.crypto), and an
    enrolment in progress keeps its own secret until the first code confirms it."""

    __tablename__ = "second_factors"
    __table_args__ = (CheckConstraint("(enabled_at IS NULL) = (secret IS NULL)", name="enabled_has_secret"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str | None] = mapped_column(Text)
    enabled_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    pending_secret: Mapped[str | None] = mapped_column(Text)
    pending_since: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    # The time step (30 s) of the last accepted code: a code is accepted once, and none of an earlier step after it.
    last_step: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship(back_populates="second_factor")

    @property
    def enabled(self) -> bool:
        return self.enabled_at is not None


class RecoveryCode(db.Base):
    """A one-time code that stands in for the authenticator app; only a keyed hash of it is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
