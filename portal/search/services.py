"""The global search: applications of all rounds, accounts and referees matching every word typed, by name (Latin or
Chinese script), email address or reference number, read in ONE query (a UNION ALL of three narrow, limited selects)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, literal, or_, select, union_all

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, IntakeRound, RefereeInvitation, display_name
from portal.reporting.lists import search_conditions

MAX_CHARS = 100
# At most this many hits of each kind; the page says when there may be more.
PER_KIND = 25


class HitKind(enum.StrEnum):
    APPLICATION = "application"
    PERSON = "person"
    REFEREE = "referee"


@dataclass(frozen=True)
class Hit:
    """One found thing: what it is, its record's id, the name and email shown, and where it links."""

    kind: HitKind
    id: int
    name: str
    native_name: str  # an applicant's name in Chinese script, if given
    email: str
    reference: str | None
    round_name: str | None
    state: ApplicationState | None
    application_id: int | None  # the application a hit belongs to (itself, or the one a referee writes for)


@dataclass(frozen=True)
class SearchResult:
    text: str
    hits: list[Hit]

    def of(self, kind: HitKind) -> list[Hit]:
        return [hit for hit in self.hits if hit.kind == kind]

    def more_than_shown(self, kind: HitKind) -> bool:
        return len(self.of(kind)) >= PER_KIND


def _words(text: str) -> list[str]:
    return " ".join(text.split())[:MAX_CHARS].lower().split()


def _contains(column: Any, word: str) -> ColumnElement[bool]:
    return func.lower(column).contains(word, autoescape=True)


def _text(value: Any) -> Any:
    return cast(value, String)


def _applications(text: str) -> Any:
    return (
        select(
            literal(HitKind.APPLICATION.value).label("kind"),
            Application.id.label("id"),
            _text(Application.family_name).label("family_name"),
            _text(Application.given_names).label("given_names"),
            _text(Application.native_name).label("native_name"),
            _text(User.name).label("name"),
            _text(User.email).label("email"),
            _text(Application.reference).label("reference"),
            _text(IntakeRound.name).label("round_name"),
            _text(Application.state).label("state"),
            Application.id.label("application_id"),
        )
        .join(User, User.id == Application.applicant_id)
        .join(IntakeRound, IntakeRound.id == Application.round_id)
        .where(*search_conditions(text))
        .order_by(Application.id.desc())
        .limit(PER_KIND)
    )


def _people(words: list[str]) -> Any:
    blank = _text(literal(""))
    return (
        select(
            literal(HitKind.PERSON.value).label("kind"),
            User.id.label("id"),
            blank.label("family_name"),
            blank.label("given_names"),
            blank.label("native_name"),
            _text(User.name).label("name"),
            _text(User.email).label("email"),
            _text(literal(None)).label("reference"),
            _text(literal(None)).label("round_name"),
            _text(literal(None)).label("state"),
            cast(literal(None), User.id.type).label("application_id"),
        )
        .where(and_(*(or_(_contains(User.name, word), _contains(User.email, word)) for word in words)))
        .order_by(func.lower(User.name), User.id)
        .limit(PER_KIND)
    )


def _referees(words: list[str]) -> Any:
    blank = _text(literal(""))
    return (
        select(
            literal(HitKind.REFEREE.value).label("kind"),
            RefereeInvitation.id.label("id"),
            blank.label("family_name"),
            blank.label("given_names"),
            blank.label("native_name"),
            _text(RefereeInvitation.name).label("name"),
            _text(RefereeInvitation.email).label("email"),
            _text(Application.reference).label("reference"),
            _text(IntakeRound.name).label("round_name"),
            _text(literal(None)).label("state"),
            RefereeInvitation.application_id.label("application_id"),
        )
        .join(Application, Application.id == RefereeInvitation.application_id)
        .join(IntakeRound, IntakeRound.id == Application.round_id)
        .where(
            and_(
                *(
                    or_(_contains(RefereeInvitation.name, word), _contains(RefereeInvitation.email, word))
                    for word in words
                )
            )
        )
        .order_by(RefereeInvitation.id.desc())
        .limit(PER_KIND)
    )


def _hit(row: Any) -> Hit:
    kind = HitKind(row.kind)
    name = row.name
    if kind == HitKind.APPLICATION:  # as the lists show it: the name as entered, else the account's
        name = display_name(row.family_name or "", row.given_names or "", row.name)
    return Hit(
        kind=kind,
        id=row.id,
        name=name,
        native_name=row.native_name or "",
        email=row.email,
        reference=row.reference,
        round_name=row.round_name,
        state=ApplicationState(row.state) if row.state else None,
        application_id=row.application_id,
    )


def search(text: str) -> SearchResult:
    """What matches every word of text; nothing (and no query) for an empty text."""
    words = _words(text)
    if not words:
        return SearchResult(text="", hits=[])
    parts = [_applications(" ".join(words)), _people(words), _referees(words)]
    union = union_all(*(select(part.subquery()) for part in parts))
    return SearchResult(text=" ".join(words), hits=[_hit(row) for row in db.session.execute(union)])
