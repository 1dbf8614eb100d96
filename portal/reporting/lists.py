"""The coordinators' applications list of a round: filters, order, pages (the offices' and pairing lists build on it).

Every list is read with one narrow query: only the columns a row shows, the supervisors, their universities, the
decision and the number of letters received joined in, whatever the number of applications. A page adds one count.
The exports read the same applications, by the same filters and order, with exactly their columns (list_exports.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import aliased

from portal import db
from portal.applications import keys
from portal.applications.models import (
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    RefereeInvitation,
    display_name,
)
from portal.applications.queries import Side, SupervisedApplications, university_name
from portal.core.countries import is_country
from portal.core.i18n import translated
from portal.core.pagination import Page, page_of_ids
from portal.core.streaming import stream_rows
from portal.core.templating import current_language
from portal.supervisors.models import ResearchField, SupervisorProfile, University

PER_PAGE = 50
SEARCH_MAX_CHARS = 100

# Workflow order, for sorting by state.
STATE_ORDER = (
    ApplicationState.DRAFT,
    ApplicationState.SUBMITTED,
    ApplicationState.UNDER_REVIEW,
    ApplicationState.DECIDED,
    ApplicationState.WITHDRAWN,
)

# The value of the decision filter for applications without a decision.
NO_DECISION = "none"


class ListSort(enum.StrEnum):
    """The columns the applications list can be sorted by."""

    REFERENCE = "reference"
    NAME = "name"
    SUBMITTED = "submitted"
    STATE = "state"
    NATIONALITY = "nationality"

    @property
    def label(self) -> str:
        return translated(SORT_LABELS[self])


SORT_LABELS = {
    ListSort.REFERENCE: _l("Reference number"),
    ListSort.NAME: _l("Name"),
    ListSort.SUBMITTED: _l("Submitted at"),
    ListSort.STATE: _l("State"),
    ListSort.NATIONALITY: _l("Nationality"),
}

DECISION_FILTER_LABELS = {
    DecisionOutcome.ADMIT.value: _l("Admitted"),
    DecisionOutcome.WAITING_LIST.value: _l("Waiting list"),
    DecisionOutcome.REJECT.value: _l("Not admitted"),
    NO_DECISION: _l("No decision yet"),
}


def clean_value(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def given(args: Mapping[str, str]) -> dict[str, str]:
    """The arguments that have a value: a list's links leave out what is left at its default."""
    return {key: value for key, value in args.items() if value}


@dataclass(frozen=True)
class ListFilter:
    """What the applications list (and its exports) ask for; unknown values mean "no filter" or the default order."""

    round_id: int
    state: str = ""  # an ApplicationState value
    university: str = ""  # a university code (TUC, TONGJI, ...): either supervisor works there
    field: str = ""  # a ResearchField value
    nationality: str = ""  # a two-letter country code
    decision: str = ""  # a DecisionOutcome value, or NO_DECISION
    search: str = ""  # words to find in the name, the email or the reference number
    sort: ListSort = ListSort.REFERENCE
    descending: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, Any], round_id: int) -> ListFilter:
        """The filter from a GET form's arguments (request.args)."""
        state = clean_value(args.get("state"))
        field_ = clean_value(args.get("field"))
        nationality = clean_value(args.get("nationality")).upper()
        decision = clean_value(args.get("decision"))
        sort = clean_value(args.get("sort"))
        return cls(
            round_id=round_id,
            state=state if state in {s.value for s in ApplicationState} else "",
            university=clean_value(args.get("university")).upper()[:16],
            field=field_ if field_ in {f.value for f in ResearchField} else "",
            nationality=nationality if is_country(nationality) else "",
            decision=decision if decision in DECISION_FILTER_LABELS else "",
            search=" ".join(clean_value(args.get("q")).split())[:SEARCH_MAX_CHARS],
            sort=ListSort(sort) if sort in {s.value for s in ListSort} else ListSort.REFERENCE,
            descending=clean_value(args.get("direction")) == "desc",
        )

    @property
    def narrowed(self) -> bool:
        """Whether anything besides the round is asked for (a whole round is read in an index's order)."""
        return any((self.state, self.university, self.field, self.nationality, self.decision, self.search))

    def query_args(self) -> dict[str, str]:
        """The filter as the list's GET arguments (defaults left out): for sort, page and export links."""
        args = {
            "round": str(self.round_id),
            "state": self.state,
            "university": self.university,
            "field": self.field,
            "nationality": self.nationality,
            "decision": self.decision,
            "q": self.search,
            "sort": self.sort.value if self.sort != ListSort.REFERENCE else "",
            "direction": "desc" if self.descending else "",
        }
        return given(args)

    def audit_details(self) -> dict[str, Any]:
        """The filter as recorded in the audit log."""
        details = asdict(self)
        details["sort"] = self.sort.value
        return details


# --- Rows --------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ListRow:
    """One application as the lists and the exports show it."""

    id: int
    reference: str | None
    state: ApplicationState
    family_name: str
    given_names: str
    native_name: str
    applicant_name: str
    email: str
    nationality: str
    date_of_birth: dt.date | None
    research_field: ResearchField | None
    proposal_title: str
    submitted_at: dt.datetime | None
    german_title: str | None
    german_name: str | None
    german_university: str | None
    chinese_title: str | None
    chinese_name: str | None
    chinese_university: str | None
    letters_received: int
    decision: DecisionOutcome | None
    decision_released_at: dt.datetime | None

    @property
    def display_name(self) -> str:
        """As Application.display_name: the name as entered (family name in capitals), else the account's name."""
        return display_name(self.family_name, self.given_names, self.applicant_name)

    @property
    def german_supervisor(self) -> str:
        return supervisor_name(self.german_title, self.german_name)

    @property
    def chinese_supervisor(self) -> str:
        return supervisor_name(self.chinese_title, self.chinese_name)


def supervisor_name(title: str | None, name: str | None) -> str:
    return supervisor_names([title], [name])[0]


def supervisor_names(titles: Iterable[str | None], names: Iterable[str | None]) -> list[str]:
    """Each supervisor's title and name as one text (empty without a name): for a whole column of an export at once."""
    return [f"{title or ''} {name}".strip() if name else "" for title, name in zip(titles, names, strict=True)]


def letters_received() -> Any:
    """The number of the application's referees' letters received (a correlated subquery)."""
    return (
        select(func.count(RefereeInvitation.id))
        .where(RefereeInvitation.application_id == Application.id, RefereeInvitation.letter_received_at.is_not(None))
        .correlate(Application)
        .scalar_subquery()
    )


def _side_columns(side: Side, prefix: str, language: str) -> list[Any]:
    """A chosen supervisor's title, name and university (in the viewer's language), as prefix_title, …"""
    return [
        side.profile.title.label(f"{prefix}_title"),
        side.user.name.label(f"{prefix}_name"),
        university_name(side.university, language).label(f"{prefix}_university"),
    ]


def rows_query(language: str) -> Select:
    """The narrow select of ListRow's columns; filters and order are added by the callers."""
    joined = SupervisedApplications()
    query = select(
        Application.id,
        Application.reference,
        Application.state,
        Application.family_name,
        Application.given_names,
        Application.native_name,
        joined.applicant.name.label("applicant_name"),
        joined.applicant.email.label("email"),
        Application.nationality,
        Application.date_of_birth,
        Application.research_field,
        Application.proposal_title,
        Application.submitted_at,
        *_side_columns(joined.german, "german", language),
        *_side_columns(joined.chinese, "chinese", language),
        letters_received().label("letters_received"),
        Decision.outcome.label("decision"),
        Decision.released_at.label("decision_released_at"),
    ).select_from(Application)
    return joined.join(query).outerjoin(Decision, Decision.application_id == Application.id)


def profiles_at(code: str) -> Select:
    """The ids of the supervisor profiles at the university with this code."""
    return (
        select(SupervisorProfile.id)
        .join(University, University.id == SupervisorProfile.university_id)
        .where(University.code == code)
    )


def _has_decision(outcome: DecisionOutcome | None = None) -> ColumnElement[bool]:
    # An alias: the list's own query joins Decision too, and must not have it correlated away from the subquery.
    decision = aliased(Decision)
    query = select(decision.id).where(decision.application_id == Application.id)
    if outcome is not None:
        query = query.where(decision.outcome == outcome)
    return query.exists()


def decision_conditions(decision: str) -> list[ColumnElement[bool]]:
    """The decision filter (a DecisionOutcome value, NO_DECISION, or "" for any) as WHERE clauses."""
    if decision == NO_DECISION:
        return [~_has_decision()]
    return [_has_decision(DecisionOutcome(decision))] if decision else []


def _matches_word(word: str) -> ColumnElement[bool]:
    """The word (case-folded, LIKE wildcards escaped) in a name, the email or the reference number: in the stored
    search key (portal/applications/keys.py), so that no row's text is folded while searching."""
    return Application.search_key.contains(keys.fold(word), autoescape=True)


def _conditions(filters: ListFilter) -> list[ColumnElement[bool]]:
    """The filter as WHERE clauses on Application alone, so that the count needs no join."""
    conditions: list[ColumnElement[bool]] = [Application.round_id == filters.round_id]
    if filters.state:
        conditions.append(Application.state == ApplicationState(filters.state))
    if filters.university:
        profiles = profiles_at(filters.university)
        conditions.append(
            or_(Application.german_supervisor_id.in_(profiles), Application.chinese_supervisor_id.in_(profiles))
        )
    if filters.field:
        conditions.append(Application.research_field == ResearchField(filters.field))
    if filters.nationality:
        conditions.append(Application.nationality == filters.nationality)
    conditions += decision_conditions(filters.decision)
    if filters.search:
        # The words are looked for in the round's index of search keys (ix_applications_round_search_key), read alone:
        # only the matches' rows are then read, not every application's.
        words = [_matches_word(word) for word in filters.search.split()]
        matches = select(Application.id).where(Application.round_id == filters.round_id, *words)
        conditions.append(Application.id.in_(matches))
    return conditions


def filter_conditions(filters: ListFilter) -> list[ColumnElement[bool]]:
    """The list's filter as WHERE clauses on Application (for other lists of the same applications: bulk mail)."""
    return _conditions(filters)


def list_order(filters: ListFilter) -> list[Any]:
    """The list's order as ORDER BY clauses on Application."""
    if filters.sort == ListSort.NAME:
        order: list[Any] = [Application.name_key]
    elif filters.sort == ListSort.SUBMITTED:
        order = [Application.submitted_at]
    elif filters.sort == ListSort.STATE:
        order = [case(*((Application.state == s, i) for i, s in enumerate(STATE_ORDER)), else_=len(STATE_ORDER))]
    elif filters.sort == ListSort.NATIONALITY:
        order = [Application.nationality, Application.name_key]
    else:
        order = []
    order += [Application.reference, Application.id]
    # Empty values (a draft's reference, say) come last in both directions, on SQLite as on PostgreSQL; columns that are
    # never empty are left plain, so that the database may read them in an index's order (ix_applications_round_…).
    return [_direction(key, filters.descending) for key in order]


def _direction(key: Any, descending: bool) -> Any:
    ordered = key.desc() if descending else key.asc()
    return ordered.nulls_last() if key is Application.reference or key is Application.submitted_at else ordered


def to_row(row: Any) -> ListRow:
    # Positional: rows_query selects ListRow's fields in their order (a test holds them together); building rows from
    # a mapping per row costs a third of a 20,000-row export.
    return ListRow(*row)


def count_applications(filters: ListFilter) -> int:
    """How many applications match the filter."""
    return db.session.scalar(select(func.count(Application.id)).where(*_conditions(filters))) or 0


def applications_page(filters: ListFilter, page: Any = 1, per_page: int = PER_PAGE) -> Page[ListRow]:
    """The page of matching applications (a page past the last one shows the last one): the page's ids and the count
    from the applications table alone, then the rows of those ids — the same two statements on every page."""
    order = list_order(filters)
    ids = select(Application.id).where(*_conditions(filters))
    ids = page_of_ids(db.session, ids, order, page, per_page, count_apart=not filters.narrowed)
    rows: list[ListRow] = []
    if ids.ids:
        query = rows_query(current_language()).where(Application.id.in_(ids.ids)).order_by(*order)
        rows = [to_row(row) for row in db.session.execute(query)]
    return Page(rows, ids.total, ids.page, per_page)


def iter_applications(filters: ListFilter) -> Iterator[ListRow]:
    """Every matching application in the list's order, read as the caller goes (nothing runs before the first row)."""
    query = rows_query(current_language()).where(*_conditions(filters)).order_by(*list_order(filters))
    for row in stream_rows(query):
        yield to_row(row)


def applications_after(filters: ListFilter, after_id: int, limit: int) -> list[ListRow]:
    """Up to limit matching applications with an id above after_id, by id (the API's cursor pages): one query."""
    query = (
        rows_query(current_language())
        .where(*_conditions(filters), Application.id > after_id)
        .order_by(Application.id)
        .limit(limit)
    )
    return [to_row(row) for row in db.session.execute(query)]


def application_row(application_id: int) -> ListRow | None:
    """One application as the list shows it (the API's single application)."""
    row = db.session.execute(rows_query(current_language()).where(Application.id == application_id)).first()
    return to_row(row) if row is not None else None


def search_conditions(search: str) -> list[ColumnElement[bool]]:
    """Every word of search in a name, the email or the reference number (the global search uses it across rounds)."""
    return [_matches_word(word) for word in " ".join(search.split())[:SEARCH_MAX_CHARS].split()]
