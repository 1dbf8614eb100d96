"""Intake rounds (applications follow in their own issue)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from portal import db
from portal.core.timeutil import utcnow


class IntakeRound(db.Base):
    """An intake round with its deadlines, all stored in UTC."""

    __tablename__ = "intake_rounds"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    opens_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime)
    referees_due: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    reviews_due: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    decisions_on: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)

    def is_open(self, now: dt.datetime) -> bool:
        """Whether applications may be submitted or changed at now (open from opens_at, closed from closes_at)."""
        return self.opens_at <= now < self.closes_at
