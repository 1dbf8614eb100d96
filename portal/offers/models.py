"""An offer of a place per admitted application, the offers' settings per round, the next-steps checklist and its ticks.

An offer is open (`offered`) until the applicant accepts or declines it; after its deadline an open offer is expired
(derived from the deadline, never stored, so that no job must run for it). A declined or expired offer frees the
supervisors' capacity (`portal.offers.services.place_given_up`, registered with `applications.capacity`).
"""

from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.applications.models import Application
from portal.core.enums import enum_column
from portal.core.i18n import translated
from portal.core.timeutil import utcnow


class OfferState(enum.StrEnum):
    """Where an offer stands; `expired` is never stored: an offer still `offered` after its deadline."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return translated(STATE_LABELS[self])


STATE_LABELS = {
    OfferState.OFFERED: _l("Offered"),
    OfferState.ACCEPTED: _l("Accepted"),
    OfferState.DECLINED: _l("Declined"),
    OfferState.EXPIRED: _l("Expired"),
}


class Offer(db.Base):
    """The offer of a place to an admitted applicant, answered once."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("state IN ('offered', 'accepted', 'declined')", name="stored_state"),
        CheckConstraint("(state = 'offered') = (answered_at IS NULL)", name="answered_when_not_open"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("intake_rounds.id", ondelete="CASCADE"), index=True)
    state: Mapped[OfferState] = mapped_column(enum_column(OfferState, "state"), default=OfferState.OFFERED)
    deadline: Mapped[dt.datetime] = mapped_column(db.UTCDateTime)
    offered_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    # True for a place offered later to someone on the waiting list.
    from_waiting_list: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    application: Mapped[Application] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def status(self, now: dt.datetime) -> OfferState:
        """The state as the people see it: an open offer past its deadline is expired."""
        if self.state == OfferState.OFFERED and now >= self.deadline:
            return OfferState.EXPIRED
        return self.state

    def answerable(self, now: dt.datetime) -> bool:
        return self.status(now) == OfferState.OFFERED


class OfferSettings(db.Base):
    """A round's settings for its offers: the deadline by which admitted applicants answer."""

    __tablename__ = "offer_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("intake_rounds.id", ondelete="CASCADE"), unique=True)
    deadline: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ChecklistItem(db.Base):
    """One of a round's next steps for admitted applicants, in three languages (English required: the fallback)."""

    __tablename__ = "offer_checklist_items"
    __table_args__ = (CheckConstraint("text_en <> ''", name="english_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("intake_rounds.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text_de: Mapped[str] = mapped_column(String(500), default="")
    text_en: Mapped[str] = mapped_column(String(500))
    text_zh: Mapped[str] = mapped_column(String(500), default="")

    def text(self, language: str) -> str:
        """The text in the language, or the English one when it has none."""
        return getattr(self, f"text_{language}", "") or self.text_en


class ChecklistTick(db.Base):
    """An applicant ticked a next step as done."""

    __tablename__ = "offer_checklist_ticks"
    __table_args__ = (UniqueConstraint("offer_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("offer_checklist_items.id", ondelete="CASCADE"), index=True)
    ticked_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
