"""The coordinators' lists of a round and their CSV and Excel exports: the applications (filtered, sorted, paginated),
the supervisor pairing list and each German university's doctoral office list.

Who may export follows the pages: coordinators only (403 for everyone else, the lists being known to exist).
"""

from __future__ import annotations

from flask import abort, render_template, request

from portal import db
from portal.applications.models import IntakeRound
from portal.coordination import exports, listing, offices, pairings
from portal.coordination.list_forms import ApplicationFilterForm, OfficeFilterForm, PairingFilterForm
from portal.coordination.listing import ListFilter
from portal.coordination.offices import OfficeFilter
from portal.coordination.pairings import PairingFilter
from portal.coordination.views import bp
from portal.core.exports import csv_response, xlsx_response
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.review.ranking import RankingFilter
from portal.supervisors.models import University
from portal.supervisors.services import list_universities

coordinator_only = roles_required(Role.COORDINATOR)


def _chosen_round() -> IntakeRound | None:
    """The round asked for (404 if unknown), else the current one (None when there is no round at all)."""
    asked = request.args.get("round")
    intake = listing.chosen_round(asked)
    if intake is None and asked not in (None, ""):
        abort(404)
    return intake


def _export_round() -> IntakeRound:
    intake = _chosen_round()
    if intake is None:
        abort(404)
    return intake


def _german_university(code: str) -> University:
    university = offices.german_university(code)
    if university is None:
        abort(404)
    return university


def _csv(export: exports.CsvExport):
    return csv_response(export.chunks, export.filename)


def _xlsx(export: exports.XlsxExport):
    return xlsx_response(export.file, export.filename, export.size)


# --- The applications list ---------------------------------------------------------------------------------------


@bp.get("/applications/")
@coordinator_only
def applications():
    intake = _chosen_round()
    if intake is None:
        return render_template("coordination/applications.html", intake=None)
    filters = ListFilter.from_args(request.args, intake.id)
    page = listing.applications_page(filters, request.args.get("page"))
    form = ApplicationFilterForm(request.args)
    form.set_choices(listing.list_rounds(), list_universities(), intake.id)
    return render_template(
        "coordination/applications.html",
        intake=intake,
        form=form,
        filters=filters,
        page=page,
        args=filters.query_args(),
    )


@bp.get("/applications/export.csv")
@coordinator_only
def applications_csv():
    intake = _export_round()
    return _csv(exports.applications_csv(intake, ListFilter.from_args(request.args, intake.id)))


@bp.get("/applications/export.xlsx")
@coordinator_only
def applications_xlsx():
    intake = _export_round()
    return _xlsx(exports.applications_xlsx(intake, ListFilter.from_args(request.args, intake.id)))


# --- The supervisor pairing list ---------------------------------------------------------------------------------


@bp.get("/pairing/")
@coordinator_only
def pairing():
    intake = _chosen_round()
    if intake is None:
        return render_template("coordination/pairing.html", intake=None)
    filters = PairingFilter.from_args(request.args, intake.id)
    form = PairingFilterForm(request.args)
    form.set_choices(listing.list_rounds(), list_universities(), intake.id)
    return render_template(
        "coordination/pairing.html",
        intake=intake,
        form=form,
        groups=pairings.pairing_groups(filters),
        args=filters.query_args(),
    )


@bp.get("/pairing/export.csv")
@coordinator_only
def pairing_csv():
    intake = _export_round()
    return _csv(exports.pairing_csv(intake, PairingFilter.from_args(request.args, intake.id)))


@bp.get("/pairing/export.xlsx")
@coordinator_only
def pairing_xlsx():
    intake = _export_round()
    return _xlsx(exports.pairing_xlsx(intake, PairingFilter.from_args(request.args, intake.id)))


# --- The doctoral offices' lists ---------------------------------------------------------------------------------


@bp.get("/office/")
@coordinator_only
def office_index():
    intake = _chosen_round()
    if intake is None:
        return render_template("coordination/office_index.html", intake=None)
    form = OfficeFilterForm(request.args)
    form.set_choices(listing.list_rounds(), intake.id)
    return render_template(
        "coordination/office_index.html", intake=intake, form=form, summaries=offices.office_summaries(intake.id)
    )


@bp.get("/office/<code>/")
@coordinator_only
def office(code: str):
    university = _german_university(code)
    intake = _chosen_round()
    if intake is None:
        return render_template("coordination/office.html", intake=None, university=university)
    filters = OfficeFilter.from_args(request.args, intake.id, university.code)
    form = OfficeFilterForm(request.args)
    form.set_choices(listing.list_rounds(), intake.id)
    return render_template(
        "coordination/office.html",
        intake=intake,
        university=university,
        form=form,
        rows=offices.office_rows(filters),
        args=filters.query_args(),
    )


@bp.get("/office/<code>/export.csv")
@coordinator_only
def office_csv(code: str):
    university = _german_university(code)
    intake = _export_round()
    return _csv(
        exports.office_csv(intake, university, OfficeFilter.from_args(request.args, intake.id, university.code))
    )


@bp.get("/office/<code>/export.xlsx")
@coordinator_only
def office_xlsx(code: str):
    university = _german_university(code)
    intake = _export_round()
    filters = OfficeFilter.from_args(request.args, intake.id, university.code)
    return _xlsx(exports.office_xlsx(intake, university, filters))


# --- The ranking with all scores ----------------------------------------------------------------------------------


def _ranking_filter() -> RankingFilter:
    args = request.args
    return RankingFilter.from_values(args.get("university"), args.get("field"), args.get("sort"))


@bp.get("/ranking/<int:round_id>/export.csv")
@coordinator_only
def ranking_csv(round_id: int):
    intake = db.session.get(IntakeRound, round_id) or abort(404)
    return _csv(exports.ranking_csv(intake, _ranking_filter()))


@bp.get("/ranking/<int:round_id>/export.xlsx")
@coordinator_only
def ranking_xlsx(round_id: int):
    intake = db.session.get(IntakeRound, round_id) or abort(404)
    return _xlsx(exports.ranking_xlsx(intake, _ranking_filter()))
