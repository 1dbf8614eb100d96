"""The levels an application states: languages on the CEFR scale, degrees (models.py stores them)."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from portal.core.i18n import translated


class LanguageLevel(enum.StrEnum):
    """Self-assessed level on the CEFR scale."""

    NONE = "none"
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"
    NATIVE = "native"

    @property
    def label(self) -> str:
        """The level as people read it: the CEFR levels as they are, the two others in words."""
        return str(LEVEL_WORDS.get(self, self.value))


LEVEL_WORDS = {LanguageLevel.NONE: _l("No knowledge"), LanguageLevel.NATIVE: _l("Native speaker")}


class DegreeLevel(enum.StrEnum):
    """The level of a degree; master or equivalent is required."""

    BACHELOR = "bachelor"
    MASTER = "master"
    DIPLOMA = "diploma"
    DOCTORATE = "doctorate"
    OTHER = "other"

    @property
    def qualifies(self) -> bool:
        """Whether this degree gives access to doctoral studies."""
        return self in {DegreeLevel.MASTER, DegreeLevel.DIPLOMA, DegreeLevel.DOCTORATE}

    @property
    def label(self) -> str:
        return translated(DEGREE_LABELS[self])


DEGREE_LABELS = {
    DegreeLevel.BACHELOR: _l("Bachelor's degree"),
    DegreeLevel.MASTER: _l("Master's degree"),
    DegreeLevel.DIPLOMA: _l("Diplom, Magister or Staatsexamen (Master's equivalent)"),
    DegreeLevel.DOCTORATE: _l("Doctorate"),
    DegreeLevel.OTHER: _l("Other degree"),
}
