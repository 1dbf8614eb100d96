"""Letter templates per kind and language, a round's CSC application window and the candidates applying to the CSC."""

from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.applications.models import Application, IntakeRound
from portal.core.enums import enum_column
from portal.core.i18n import translated
from portal.core.timeutil import utcnow

LETTER_LANGUAGES = ("de", "en", "zh")


class LetterKind(enum.StrEnum):
    """The letters the portal writes for the CSC."""

    ADMISSION = "admission"
    INVITATION = "invitation"

    @property
    def label(self) -> str:
        return translated(LETTER_LABELS[self])


LETTER_LABELS = {
    LetterKind.ADMISSION: _l("Admission letter"),
    LetterKind.INVITATION: _l("Invitation letter of the German supervisor"),
}


class LetterTemplate(db.Base):
    """The coordinators' text of one letter in one language (the built-in text while there is none)."""

    __tablename__ = "letter_templates"
    __table_args__ = (
        UniqueConstraint("kind", "language"),
        CheckConstraint("language IN ('de', 'en', 'zh')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LetterKind] = mapped_column(enum_column(LetterKind, "kind"))
    language: Mapped[str] = mapped_column(String(2))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class CscWindow(db.Base):
    """When the China Scholarship Council takes applications for a round's admitted candidates."""

    __tablename__ = "csc_windows"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("intake_rounds.id", ondelete="CASCADE"), unique=True)
    opens_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    intake_round: Mapped[IntakeRound] = relationship()

    __mapper_args__ = {"version_id_col": version}


class CscCandidate(db.Base):
    """An admitted candidate who applies for a CSC scholarship: when the package was made and the last reminder."""

    __tablename__ = "csc_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    package_generated_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    application: Mapped[Application] = relationship()
