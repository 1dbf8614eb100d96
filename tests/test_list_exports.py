"""The applications list's exports read exactly their columns and convert them a batch at a time: their cells are what
the list's own rows give, cell by cell, in every language, for the coordinators' list and the offices' lists."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from portal import db
from portal.applications.models import ApplicationState, DecisionOutcome
from portal.core import exports, streaming
from portal.core.countries import country_name
from portal.db import get_engine
from portal.reporting import list_exports, lists, offices
from portal.reporting.lists import ListFilter, ListRow, ListSort
from portal.reporting.offices import OfficeFilter
from portal.supervisors.models import Country, ResearchField, SupervisorProfile
from tests.factories import IntakeRoundFactory, light_application, supervisor

S = ApplicationState

pytestmark = pytest.mark.usefixtures("app_context")


def _label(value) -> str:
    return value.label if value is not None else ""


def as_the_list_shows(row: ListRow, *, released: bool = False) -> list:
    """The row's cells as the export made them from the list's rows, cell by cell, before it read its own columns."""
    values = [
        row.reference,
        row.state.label,
        row.family_name,
        row.given_names,
        row.native_name,
        row.email,
        country_name(row.nationality),
        row.date_of_birth,
        _label(row.research_field),
        row.proposal_title,
        row.german_supervisor,
        row.german_university,
        row.chinese_supervisor,
        row.chinese_university,
        row.letters_received,
        _label(row.decision),
        row.submitted_at,
        *([row.decision_released_at] if released else []),
    ]
    return [exports.cell_value(value) for value in values]


@pytest.fixture
def intake(monkeypatch):
    """A round of applications of every kind (formula-like texts, missing values, an unknown country code), read three
    rows at a time."""
    monkeypatch.setattr(streaming, "STREAM_BATCH", 3)
    intake = IntakeRoundFactory()
    tuc, luh = supervisor("TUC"), supervisor("LUH", title="")
    tongji = supervisor("TONGJI", title="  ")
    kinds = [
        {},
        {"family": "=cmd", "given": "-1", "native": "王小明", "nationality": "DE", "letters": 2, "chinese": None},
        {"state": S.DRAFT, "field": None, "date_of_birth": None, "nationality": ""},
        {"state": S.DECIDED, "decision": DecisionOutcome.ADMIT, "released": True, "german": luh},
        {"state": S.DECIDED, "decision": DecisionOutcome.REJECT, "nationality": "XX", "title": "@sum"},
        {"state": S.WITHDRAWN, "field": ResearchField.BIG_DATA, "german": None},
        {"state": S.UNDER_REVIEW, "decision": DecisionOutcome.WAITING_LIST, "letters": 1, "email": "+x@example.org"},
    ]
    moment = dt.datetime(2027, 3, 1, 9, 30, 15, 999999, tzinfo=dt.UTC)
    for number, kind in enumerate(kinds):
        people = {"german": tuc, "chinese": tongji}
        light_application(intake, **{**people, "submitted_at": moment + dt.timedelta(hours=number), **kind})
    db.session.commit()
    return intake


@pytest.mark.parametrize("language", ["en", "de", "zh"])
@pytest.mark.parametrize("sort", [ListSort.REFERENCE, ListSort.NAME, ListSort.STATE])
def test_the_applications_export_is_the_lists_rows_cell_by_cell(intake, language, sort):
    filters = ListFilter(round_id=intake.id, sort=sort, descending=sort == ListSort.NAME)
    with force_locale(language):
        expected = [as_the_list_shows(row) for row in lists.applications_page(filters, per_page=100).rows]
        where, order = lists.filter_conditions(filters), lists.list_order(filters)
        exported = list(list_exports.exported_rows(list_exports.APPLICATION_COLUMNS, where, order))
    assert len(expected) == 7 and [list(row) for row in exported] == expected
    assert ("'=cmd", "'-1", "王小明") in {row[2:5] for row in exported}  # neutralised, Chinese intact


@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_office_export_is_the_office_lists_rows_cell_by_cell(intake, language):
    filters = OfficeFilter(intake.id, "TUC", Country.DE, language=language)
    with force_locale(language):
        expected = [as_the_list_shows(row, released=True) for row in offices.office_rows(filters)]
        where, order = offices.office_conditions(filters), offices.office_order()
        exported = list(list_exports.exported_rows(list_exports.OFFICE_COLUMNS, where, order))
    assert len(expected) == 4 and [list(row) for row in exported] == expected


def test_each_supervisor_is_read_once_when_the_export_first_meets_them(app, intake):
    profiles = set(db.session.scalars(select(SupervisorProfile.id)))
    read: list[int] = []

    def supervisors_read(_connection, _cursor, statement, parameters, *_args) -> None:
        if "FROM supervisor_profiles" in statement:
            read.extend(parameters.values() if isinstance(parameters, dict) else parameters)  # PostgreSQL's by name

    filters = ListFilter(round_id=intake.id)
    event.listen(get_engine(app), "before_cursor_execute", supervisors_read)
    try:
        rows = list(list_exports.exported_rows(list_exports.APPLICATION_COLUMNS, lists.filter_conditions(filters), []))
    finally:
        event.remove(get_engine(app), "before_cursor_execute", supervisors_read)
    assert len(rows) == 7 and sorted(read) == sorted(profiles) and len(profiles) == 3


def test_a_supervisor_no_longer_there_is_shown_as_none():
    supervisors = list_exports.Supervisors("en")
    assert supervisors.name_cells([None, 10**9]) == ["", ""] and supervisors.university_cells([10**9]) == [""]


def test_a_streamed_query_is_planned_for_all_its_rows_and_sorts_in_memory_on_postgresql():
    if db.session.connection().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner settings")
    query = select(*map(func.current_setting, ("cursor_tuple_fraction", "jit", "work_mem")))
    (settings,) = [row for batch in streaming.stream_batches(query) for row in batch]
    assert tuple(settings) == ("1", "off", "32MB")
