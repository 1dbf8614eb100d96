"""The programme's universities, research fields and supervisor profiles."""

from __future__ import annotations

import enum

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.accounts.models import User
from portal.core.enums import enum_column
from portal.core.i18n import translated


class Country(enum.StrEnum):
    """The two sides of the programme."""

    DE = "DE"
    CN = "CN"


class ResearchField(enum.StrEnum):
    """The programme's fixed research fields."""

    INTELLIGENT_MANUFACTURING = "intelligent_manufacturing"
    BIG_DATA = "big_data"
    ENERGY_HYDROGEN = "energy_hydrogen"
    MATERIALS = "materials"
    DIGITAL_HEALTH = "digital_health"
    ECONOMICS_SOCIETY = "economics_society"
    OTHER = "other"

    @property
    def label(self) -> str:
        return translated(RESEARCH_FIELD_LABELS[self])


RESEARCH_FIELD_LABELS = {
    ResearchField.INTELLIGENT_MANUFACTURING: _l("Intelligent Manufacturing"),
    ResearchField.BIG_DATA: _l("Big Data"),
    ResearchField.ENERGY_HYDROGEN: _l("Energy and Hydrogen"),
    ResearchField.MATERIALS: _l("Materials"),
    ResearchField.DIGITAL_HEALTH: _l("Digital Health"),
    ResearchField.ECONOMICS_SOCIETY: _l("Economics and Society"),
    ResearchField.OTHER: _l("Other"),
}


class University(db.Base):
    """One of the programme's nine universities."""

    __tablename__ = "universities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    country: Mapped[Country] = mapped_column(enum_column(Country, "country"))
    city: Mapped[str] = mapped_column(String(100))
    name_de: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"<University {self.code}>"

    @property
    def name(self) -> str:
        """The name in the viewer's language."""
        locale = get_locale()
        language = locale.language if locale else "en"
        return {"de": self.name_de, "zh": self.name_zh}.get(language, self.name_en)


class SupervisorProfile(db.Base):
    """A supervisor's entry in the directory."""

    __tablename__ = "supervisor_profiles"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    university_id: Mapped[int] = mapped_column(ForeignKey("universities.id"), index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    research_areas: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(default=2)
    accepting_candidates: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship(lazy="joined", innerjoin="unnested")
    university: Mapped[University] = relationship(lazy="joined", innerjoin="unnested")
    fields: Mapped[list[SupervisorField]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SupervisorField.field"
    )

    @property
    def display_name(self) -> str:
        return f"{self.title} {self.user.name}".strip()

    @property
    def research_fields(self) -> list[ResearchField]:
        return [entry.field for entry in self.fields]


class SupervisorField(db.Base):
    """A research field a supervisor works in (for the directory's filter)."""

    __tablename__ = "supervisor_fields"

    profile_id: Mapped[int] = mapped_column(ForeignKey("supervisor_profiles.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[ResearchField] = mapped_column(enum_column(ResearchField, "field"), primary_key=True)
