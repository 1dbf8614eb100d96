"""The coordinators' lists of a round and their CSV and Excel exports: the applications (filtered, sorted, paginated),
the supervisor pairing list, each university's doctoral office list, and the ranking with all scores.

Who may export follows the pages: coordinators only (403 for everyone else, the lists being known to exist).
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from portal.applications.models import IntakeRound
from portal.applications.services import list_rounds, round_or_404
from portal.core.exports import csv_response, xlsx_response
from portal.core.permissions import coordinator_only
from portal.reporting import exports, lists, offices, pairings
from portal.reporting.exports import ExportFormat, Table
from portal.reporting.forms import ApplicationFilterForm, OfficeFilterForm, PairingFilterForm
from portal.reporting.lists import ListFilter
from portal.reporting.offices import OfficeFilter
from portal.reporting.pairings import PairingFilter
from portal.reporting.views import bp
from portal.review.ranking import RankingFilter
from portal.rounds.services import round_asked_for
from portal.supervisors.models import University
from portal.supervisors.services import university_choices

FORMAT = "<any(csv, xlsx):export_format>"


def _round(rounds: list[IntakeRound] | None = None) -> IntakeRound | None:
    """The round asked for (404 if unknown), else the current one (None when there is no round at all)."""
    return round_asked_for(request.args.get("round"), rounds)


def _export_round() -> IntakeRound:
    return _round() or abort(404)


def _office_university(code: str) -> University:
    return offices.office_university(code) or abort(404)


def _export(table: Table, export_format: str):
    """The table as the file asked for: a streamed CSV, or an Excel workbook."""
    export = exports.export(table, ExportFormat(export_format))
    if export.format == ExportFormat.CSV:
        return csv_response(export.chunks, export.filename)
    return xlsx_response(export.file, export.filename, export.size)


# --- The applications list ---------------------------------------------------------------------------------------


@bp.get("/coordination/applications/")
@coordinator_only
def applications():
    rounds = list_rounds()
    intake = _round(rounds)
    if intake is None:
        return render_template("reporting/applications.html", intake=None)
    filters = ListFilter.from_args(request.args, intake.id)
    form = ApplicationFilterForm(request.args)
    form.set_choices(rounds, university_choices(), intake.id)
    page = lists.applications_page(filters, request.args.get("page"))
    args = filters.query_args()
    return render_template(
        "reporting/applications.html", intake=intake, form=form, filters=filters, page=page, args=args
    )


@bp.get(f"/coordination/applications/export.{FORMAT}")
@coordinator_only
def applications_export(export_format: str):
    intake = _export_round()
    return _export(exports.applications_table(intake, ListFilter.from_args(request.args, intake.id)), export_format)


# --- The supervisor pairing list ---------------------------------------------------------------------------------


@bp.get("/coordination/pairing/")
@coordinator_only
def pairing():
    intake = _round()
    if intake is None:
        return render_template("reporting/pairing.html", intake=None)
    filters = PairingFilter.from_args(request.args, intake.id)
    form = PairingFilterForm(request.args)
    form.set_choices(list_rounds(), university_choices(), intake.id)
    groups = pairings.pairing_groups(filters)
    return render_template("reporting/pairing.html", intake=intake, form=form, groups=groups, args=filters.query_args())


@bp.get(f"/coordination/pairing/export.{FORMAT}")
@coordinator_only
def pairing_export(export_format: str):
    intake = _export_round()
    return _export(exports.pairing_table(intake, PairingFilter.from_args(request.args, intake.id)), export_format)


# --- The doctoral offices' lists ---------------------------------------------------------------------------------


@bp.get("/coordination/office/")
@coordinator_only
def office_index():
    intake = _round()
    if intake is None:
        return render_template("reporting/office_index.html", intake=None)
    form = OfficeFilterForm(request.args)
    form.set_choices(list_rounds(), intake.id, None)
    summaries = offices.office_summaries(intake.id)
    return render_template("reporting/office_index.html", intake=intake, form=form, summaries=summaries)


@bp.get("/coordination/office/<code>/")
@coordinator_only
def office(code: str):
    university = _office_university(code)
    intake = _round()
    if intake is None:
        return render_template("reporting/office.html", intake=None, university=university)
    filters = OfficeFilter.from_args(request.args, intake.id, university)
    form = OfficeFilterForm(request.args)
    form.set_choices(list_rounds(), intake.id, filters.language)
    return render_template(
        "reporting/office.html",
        intake=intake,
        university=university,
        form=form,
        rows=offices.office_rows(filters),
        args=filters.query_args(),
        office_language=offices.office_language(university.country),
    )


@bp.get(f"/coordination/office/<code>/export.{FORMAT}")
@coordinator_only
def office_export(code: str, export_format: str):
    university = _office_university(code)
    intake = _export_round()
    filters = OfficeFilter.from_args(request.args, intake.id, university)
    return _export(exports.office_table(intake, university, filters), export_format)


# --- The ranking with all scores ----------------------------------------------------------------------------------


@bp.get(f"/coordination/ranking/<int:round_id>/export.{FORMAT}")
@coordinator_only
def ranking_export(round_id: int, export_format: str):
    intake = round_or_404(round_id)
    args = request.args
    filters = RankingFilter.from_values(args.get("university"), args.get("field"), args.get("sort"))
    return _export(exports.ranking_table(intake, filters, current_user._get_current_object()), export_format)
