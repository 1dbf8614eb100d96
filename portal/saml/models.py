"""University identities linked to accounts, the assertion IDs already used, and staff who must use their university."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.accounts.models import User
from portal.core.timeutil import utcnow


class SamlIdentity(db.Base):
    """A person's identity at a university's identity provider, linked to one account."""

    __tablename__ = "saml_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The identity provider's entity ID.
    issuer: Mapped[str] = mapped_column(String(500))
    # "<kind>:<value>", kind being subject-id, pairwise-id or eppn (eduPersonPrincipalName).
    subject: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    user: Mapped[User] = relationship()


class UsedAssertion(db.Base):
    """An assertion ID already accepted: a second use of the same assertion (a replay) is refused."""

    __tablename__ = "saml_used_assertions"
    __table_args__ = (UniqueConstraint("issuer", "assertion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    assertion_id: Mapped[str] = mapped_column(String(200))
    # Kept until the assertion would have expired anyway; then the daily clean-up may delete it.
    expires_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, index=True)


class UniversitySignInRequired(db.Base):
    """A staff account that may sign in only with its university account, set by a coordinator."""

    __tablename__ = "saml_sign_in_required"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
