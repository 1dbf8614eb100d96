"""Dossiers and background exports: an application's dossier as a PDF (coordinators; the assigned committee), the ZIP
of the dossiers of a filtered list and the list as an Excel workbook as background jobs, and the job pages.

A job's page and its file are its owner's alone: anyone else gets 404, as for an object they must not know exists.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.models import User
from portal.applications.models import IntakeRound
from portal.applications.permissions import application_for
from portal.core.operations import attempt
from portal.core.pdfcheck import human_size
from portal.core.permissions import coordinator_only, login_required, reviewer_or_coordinator
from portal.core.timeutil import utcnow
from portal.reporting import background, jobs, lists, services
from portal.reporting.forms import ConfirmForm
from portal.reporting.job_kinds import kind_label
from portal.reporting.lists import ListFilter
from portal.reporting.models import ExportJob, JobState
from portal.reporting.permissions import may_download
from portal.reporting.views import bp, send_attachment
from portal.rounds.services import round_asked_for

# Seconds after which a job's page reloads itself while the job waits or runs.
REFRESH_SECONDS = 2


def _viewer() -> User:
    return current_user._get_current_object()


def _confirmed() -> None:
    """A button that starts work must come from the portal's own page (its CSRF token)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


# --- One dossier ---------------------------------------------------------------------------------------------------


@bp.get("/coordination/applications/<int:application_id>/dossier.pdf")
@reviewer_or_coordinator
def dossier(application_id: int):
    application = application_for(current_user, application_id, may_download)
    return send_attachment(services.dossier(_viewer(), application))


# --- Background exports of a filtered list ---------------------------------------------------------------------------


def _round_and_filters() -> tuple[IntakeRound, ListFilter]:
    """The round asked for (else the current one; 404 when there is none) and the applications list's filters."""
    intake = round_asked_for(request.args.get("round")) or abort(404)
    return intake, ListFilter.from_args(request.args, intake.id)


@bp.get("/coordination/applications/background-exports")
@coordinator_only
def background_exports():
    intake, filters = _round_and_filters()
    count = lists.count_applications(filters)
    return render_template(
        "reporting/dossier_zip.html", intake=intake, filters=filters, args=filters.query_args(), count=count
    )


def _start(start) -> Response:
    intake, filters = _round_and_filters()
    _confirmed()
    started = attempt(lambda: start(_viewer(), intake, filters))
    if not started:
        return redirect(url_for("reporting.background_exports", **filters.query_args()))
    return redirect(url_for("reporting.job", job_id=started.value.id))


@bp.post("/coordination/applications/dossiers.zip")
@coordinator_only
def start_dossier_zip():
    return _start(background.start_dossier_zip)


@bp.post("/coordination/applications/export-in-background.xlsx")
@coordinator_only
def start_applications_xlsx():
    return _start(background.start_applications_xlsx)


# --- The jobs --------------------------------------------------------------------------------------------------------


def _own_job(job_id: int) -> ExportJob:
    return jobs.job_for(current_user, job_id) or abort(404)


@bp.get("/coordination/jobs/")
@login_required
def job_list():
    own = jobs.jobs_of(current_user)
    return render_template("reporting/jobs.html", jobs=own, kind_label=kind_label, human_size=human_size)


@bp.get("/coordination/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    export, now = _own_job(job_id), utcnow()
    running = not export.state.finished
    page = render_template(
        "reporting/jobs_detail.html",
        job=export,
        kind_label=kind_label(export),
        stale=jobs.is_stale(export, now),
        can_retry=jobs.can_retry(export, now),
        expires_at=jobs.result_expires_at(export),
        refresh=REFRESH_SECONDS if running else None,
        human_size=human_size,
        JobState=JobState,
    )
    # A page that reloads itself while the job runs (also where a <meta> refresh is not honoured); never cached.
    headers = {"Cache-Control": "private, no-store", **({"Refresh": str(REFRESH_SECONDS)} if running else {})}
    return Response(page, headers=headers)


@bp.get("/coordination/jobs/<int:job_id>/download")
@login_required
def job_download(job_id: int):
    return send_attachment(services.job_result(_own_job(job_id)) or abort(404))


@bp.post("/coordination/jobs/<int:job_id>/retry")
@login_required
def job_retry(job_id: int):
    export = _own_job(job_id)
    _confirmed()
    if attempt(lambda: jobs.retry(export, utcnow())):
        flash(_("The export has been started again."), "success")
    return redirect(url_for("reporting.job", job_id=export.id))
