"""The steps of the application form and what each still needs before submission."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import ColumnElement, exists

from portal.applications.consent import consent_current, consent_outdated
from portal.applications.levels import DegreeLevel
from portal.applications.models import Application, Document, DocumentKind, Education

ABSTRACT_WORD_LIMIT = 500
REQUIRED_DOCUMENTS = (
    DocumentKind.CV,
    DocumentKind.DEGREE_CERTIFICATE,
    DocumentKind.TRANSCRIPT,
    DocumentKind.RESEARCH_PROPOSAL,
)
REFEREES_REQUIRED = 2


@dataclass(frozen=True)
class Step:
    key: str
    number: int
    title: object  # a lazy string
    endpoint: str


STEPS: tuple[Step, ...] = (
    Step("personal", 1, _l("Personal data"), "applications.step_personal"),
    Step("education", 2, _l("Education"), "applications.step_education"),
    Step("languages", 3, _l("Languages"), "applications.step_languages"),
    Step("proposal", 4, _l("Research proposal"), "applications.step_proposal"),
    Step("supervisors", 5, _l("Co-supervisors"), "applications.step_supervisors"),
    Step("documents", 6, _l("Documents"), "applications.step_documents"),
    Step("referees", 7, _l("Referees"), "applications.step_referees"),
)


@dataclass
class StepStatus:
    step: Step
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class Held:
    """What the application holds of the degrees and documents its steps ask for: read from its loaded collections
    (held_by) or, where a page shows neither, from the columns of its own query (held_columns)."""

    degree: bool
    qualifying_degree: bool
    documents: frozenset[DocumentKind]


QUALIFYING_LEVELS = [level for level in DegreeLevel if level.qualifies]


def held_by(application: Application) -> Held:
    return Held(
        bool(application.education),
        any(entry.level.qualifies for entry in application.education),
        frozenset(document.kind for document in application.documents),
    )


def held_columns() -> list[ColumnElement[bool]]:
    """SQL, on the Application of the row: the facts of Held as EXISTS columns, in the order held_from reads them."""
    degree = exists().where(Education.application_id == Application.id)
    return [
        degree.label("held_degree"),
        degree.where(Education.level.in_(QUALIFYING_LEVELS)).label("held_qualifying_degree"),
        *(
            exists().where(Document.application_id == Application.id, Document.kind == kind).label(f"held_{kind}")
            for kind in REQUIRED_DOCUMENTS
        ),
    ]


def held_from(values: Sequence[bool]) -> Held:
    """Held from the values of held_columns()."""
    degree, qualifying, *kinds = values
    present = frozenset(kind for kind, there in zip(REQUIRED_DOCUMENTS, kinds, strict=True) if there)
    return Held(bool(degree), bool(qualifying), present)


# Chinese, Japanese and Korean are written without spaces: each of their characters counts as a word.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def count_words(text: str) -> int:
    """Words as the browser counts them (static/js/portal.js): runs of other characters between spaces, plus each
    CJK character."""
    text = text or ""
    return len(_CJK.findall(text)) + len(_CJK.sub(" ", text).split())


def _unanswered(answers: tuple[tuple[object, str], ...]) -> list[str]:
    """The labels of the answers not given."""
    return [label for value, label in answers if not value]


def _personal(a: Application) -> list[str]:
    missing = _unanswered(
        (
            (a.family_name, _("family name")),
            (a.given_names, _("given names")),
            (a.date_of_birth, _("date of birth")),
            (a.nationality, _("nationality")),
            (a.address, _("contact address")),
            (a.phone, _("phone number")),
        )
    )
    if consent_outdated(a):
        missing.append(_("consent to the new version of the privacy notice"))
        return missing
    if not consent_current(a, "privacy_consent_at", "privacy_consent_version"):
        missing.append(_("consent to the privacy notice"))
    if not consent_current(a, "transfer_consent_at", "transfer_consent_version"):
        missing.append(_("consent to the transfer to the partner universities"))
    return missing


def _education(held: Held) -> list[str]:
    if not held.degree:
        return [_("at least one degree")]
    if not held.qualifying_degree:
        return [_("a Master's degree or equivalent")]
    return []


def _languages(a: Application) -> list[str]:
    return _unanswered(
        (
            (a.english_level, _("English level")),
            (a.german_level, _("German level")),
            (a.chinese_level, _("Chinese level")),
        )
    )


def _proposal(a: Application) -> list[str]:
    missing = []
    if not a.proposal_title:
        missing.append(_("title"))
    if a.research_field is None:
        missing.append(_("research field"))
    if not a.abstract:
        missing.append(_("abstract"))
    elif count_words(a.abstract) > ABSTRACT_WORD_LIMIT:
        missing.append(_("an abstract of at most %(limit)d words", limit=ABSTRACT_WORD_LIMIT))
    if not a.keywords:
        missing.append(_("keywords"))
    return missing


def _supervisors(a: Application) -> list[str]:
    missing = []
    if a.german_supervisor_id is None:
        missing.append(_("a German supervisor"))
    if a.chinese_supervisor_id is None:
        missing.append(_("a Chinese supervisor"))
    if not a.supervisor_motivation:
        missing.append(_("your motivation for the choice"))
    return missing


def _documents(held: Held) -> list[str]:
    return [kind.label for kind in REQUIRED_DOCUMENTS if kind not in held.documents]


def _referees(a: Application) -> list[str]:
    named = len(a.referees)
    if named < REFEREES_REQUIRED:
        return [ngettext("%(num)d more referee", "%(num)d more referees", REFEREES_REQUIRED - named)]
    return []


_CHECKS = {
    "personal": _personal,
    "languages": _languages,
    "proposal": _proposal,
    "supervisors": _supervisors,
    "referees": _referees,
}
_HELD_CHECKS = {"education": _education, "documents": _documents}


def step_statuses(application: Application, held: Held | None = None) -> list[StepStatus]:
    """Each step with what it still misses, in order (held: the degrees and documents, if already read as columns)."""
    held = held if held is not None else held_by(application)
    return [
        StepStatus(step, _HELD_CHECKS[step.key](held) if step.key in _HELD_CHECKS else _CHECKS[step.key](application))
        for step in STEPS
    ]


def is_complete(application: Application) -> bool:
    """Whether every step is complete (the declaration is asked on the submit page itself)."""
    return all(status.complete for status in step_statuses(application))


def step_by_key(key: str) -> Step:
    return next(step for step in STEPS if step.key == key)
