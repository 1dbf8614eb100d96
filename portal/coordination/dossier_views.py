"""Dossiers and background exports: an application's dossier as a PDF (coordinators; the assigned committee), the ZIP
of the dossiers of a filtered list and the list as an Excel workbook as background jobs, and the job pages.

A job's page and its file are its owner's alone: anyone else gets 404, as for an object they must not know exists.
"""

from __future__ import annotations

import tempfile
from typing import IO

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.applications.models import IntakeRound
from portal.applications.permissions import application_for
from portal.coordination import dossiers, jobs, listing
from portal.coordination.listing import ListFilter
from portal.coordination.models import ExportJob, JobState
from portal.coordination.views import bp
from portal.core import audit
from portal.core.pdfcheck import human_size
from portal.core.permissions import login_required, roles_required
from portal.core.roles import Role
from portal.core.timeutil import utcnow

coordinator_only = roles_required(Role.COORDINATOR)
# A dossier is written to memory up to this size, beyond it to a temporary file.
SPOOL_IN_MEMORY_BYTES = 16 * 1024 * 1024
# Seconds after which a job's page reloads itself while the job waits or runs.
REFRESH_SECONDS = 2


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def _attachment(content: IO[bytes], mimetype: str, filename: str, size: int | None) -> Response:
    response = send_file(
        content, mimetype=mimetype, as_attachment=True, download_name=filename, etag=False, conditional=False
    )
    if size is not None:
        response.content_length = size
    # Personal data: neither a shared cache nor the browser's may keep a copy.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- One dossier ---------------------------------------------------------------------------------------------------


@bp.get("/applications/<int:application_id>/dossier.pdf")
@roles_required(Role.COORDINATOR, Role.COMMITTEE)
def dossier(application_id: int):
    application = application_for(current_user, application_id, dossiers.may_download)
    viewer = current_user._get_current_object()
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115 - send_file closes it
    try:
        result = dossiers.write_dossier(viewer, application, spool)
        size = spool.tell()
        spool.seek(0)
        audit.record(dossiers.DOSSIER_DOWNLOADED, application, details=result.audit_details())
    except BaseException:
        spool.close()
        raise
    return _attachment(spool, dossiers.PDF_MIMETYPE, result.filename, size)


# --- Background exports of a filtered list ---------------------------------------------------------------------------


def _round_and_filters() -> tuple[IntakeRound, ListFilter]:
    """The round asked for (else the current one; 404 when there is none) and the applications list's filters."""
    intake = listing.chosen_round(request.args.get("round"))
    if intake is None:
        abort(404)
    return intake, ListFilter.from_args(request.args, intake.id)


@bp.get("/applications/background-exports")
@coordinator_only
def background_exports():
    intake, filters = _round_and_filters()
    return render_template(
        "coordination/dossier_zip.html",
        intake=intake,
        filters=filters,
        args=filters.query_args(),
        count=listing.count_applications(filters),
    )


def _start(start) -> Response:
    intake, filters = _round_and_filters()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        job = start(current_user._get_current_object(), intake, filters)
    except jobs.JobError as error:
        flash(str(error), "warning")
        return redirect(url_for("coordination.background_exports", **filters.query_args()))
    return redirect(url_for("coordination.job", job_id=job.id))


@bp.post("/applications/dossiers.zip")
@coordinator_only
def start_dossier_zip():
    return _start(jobs.start_dossier_zip)


@bp.post("/applications/export-in-background.xlsx")
@coordinator_only
def start_applications_xlsx():
    return _start(jobs.start_applications_xlsx)


# --- The jobs --------------------------------------------------------------------------------------------------------


def _own_job(job_id: int) -> ExportJob:
    job = jobs.job_for(current_user, job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/jobs/")
@login_required
def job_list():
    return render_template(
        "coordination/jobs.html", jobs=jobs.jobs_of(current_user), kind_label=jobs.kind_label, human_size=human_size
    )


@bp.get("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    export = _own_job(job_id)
    now = utcnow()
    running = not export.state.finished
    response = Response(
        render_template(
            "coordination/jobs_detail.html",
            job=export,
            kind_label=jobs.kind_label(export),
            stale=jobs.is_stale(export, now),
            can_retry=jobs.can_retry(export, now),
            expires_at=jobs.result_expires_at(export),
            refresh=REFRESH_SECONDS if running else None,
            human_size=human_size,
            JobState=JobState,
        )
    )
    if running:
        response.headers["Refresh"] = str(REFRESH_SECONDS)  # also honoured where a <meta> refresh is not
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/jobs/<int:job_id>/download")
@login_required
def job_download(job_id: int):
    export = _own_job(job_id)
    try:
        handle = jobs.open_result(export)
    except FileNotFoundError:
        abort(404)
    mimetype, filename = export.mimetype or "application/octet-stream", export.file_name or "export"
    return _attachment(handle, mimetype, filename, export.size_bytes)


@bp.post("/jobs/<int:job_id>/retry")
@login_required
def job_retry(job_id: int):
    export = _own_job(job_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        jobs.retry(export, utcnow())
    except jobs.JobError as error:
        flash(str(error), "warning")
    else:
        flash(_("The export has been started again."), "success")
    return redirect(url_for("coordination.job", job_id=export.id))


@bp.teardown_app_request
def _run_jobs_committed_by_the_request(_error: BaseException | None) -> None:
    # Only in Huey's immediate mode (tests): the jobs the request committed run now, after its commit.
    jobs.run_deferred_jobs()
