"""The portal's kinds of background export: a ZIP of the dossiers of a filtered applications list, and the list as
an Excel workbook (for lists too long to wait for). Starting one queues a job (jobs.py); the worker runs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, IntakeRound
from portal.core import audit
from portal.core.exports import XLSX_MIMETYPE, safe_filename, write_xlsx
from portal.core.timeutil import utcnow
from portal.reporting import dossiers, exports, lists
from portal.reporting.job_kinds import JobOutput, register_kind
from portal.reporting.job_runs import JobContext
from portal.reporting.jobs import JobError, create_job
from portal.reporting.lists import ListFilter
from portal.reporting.models import ExportJob

DOSSIER_ZIP = "dossier_zip"
APPLICATIONS_XLSX = "applications_xlsx"


# --- A ZIP of dossiers ---------------------------------------------------------------------------------------------


def start_dossier_zip(owner: User, intake: IntakeRound, filters: ListFilter) -> ExportJob:
    """Queue the ZIP of the dossiers of the applications the list shows with these filters (as they are now)."""
    ids = [row.id for row in lists.iter_applications(filters)]
    if not ids:
        raise JobError(_("No application matches these filters."))
    parameters = {"round_id": intake.id, "filters": filters.query_args(), "application_ids": ids}
    return create_job(owner, DOSSIER_ZIP, parameters, total=len(ids))


def _dossier_zip(context: JobContext, target: IO[bytes]) -> JobOutput:
    ids = [int(value) for value in context.parameters.get("application_ids", [])]
    intake = db.session.get(IntakeRound, context.parameters.get("round_id"))
    context.progress(0, len(ids), force=True)
    position = 0

    def applications() -> Iterator[Application]:
        nonlocal position
        for application_id in ids:
            application = db.session.get(Application, application_id)
            if application is None:  # deleted since the job was queued
                position += 1
                continue
            yield application

    def after_each(_application: Application) -> None:
        nonlocal position
        position += 1
        context.progress(position)

    result = dossiers.write_dossier_zip(context.owner, applications(), target, after_each=after_each)
    context.done = len(ids)

    def record() -> None:
        for dossier in result.dossiers:
            audit.record(
                dossiers.DOSSIER_EXPORTED,
                db.session.get(Application, dossier.application_id),
                actor_id=context.owner.id,
                details={"job_id": context.job_id, **dossier.audit_details()},
            )

    name = intake.name if intake else ""
    filename = safe_filename("dossiers", name, utcnow().strftime("%Y%m%d"), extension="zip")
    return JobOutput(filename, dossiers.ZIP_MIMETYPE, on_done=record)


# --- The applications list as an Excel workbook ----------------------------------------------------------------------


def start_applications_xlsx(owner: User, intake: IntakeRound, filters: ListFilter) -> ExportJob:
    """Queue the Excel workbook of the applications list with these filters (for lists too long to wait for)."""
    total = lists.count_applications(filters)
    return create_job(owner, APPLICATIONS_XLSX, {"round_id": intake.id, "filters": filters.query_args()}, total=total)


def _applications_xlsx(context: JobContext, target: IO[bytes]) -> JobOutput:
    intake = db.session.get(IntakeRound, context.parameters.get("round_id"))
    if intake is None:
        raise LookupError("the intake round no longer exists")
    table = exports.applications_table(intake, ListFilter.from_args(context.parameters.get("filters") or {}, intake.id))
    context.progress(0, table.count(), force=True)
    # The rows are streamed from the database while the workbook is written: no progress commit in between.
    written = write_xlsx(target, table.header(), table.cells(), title=table.title, column_widths=table.widths())
    context.done = written

    def record() -> None:
        details = {
            "format": "xlsx",
            "filters": table.filters.audit_details(),
            "rows": written,
            "job_id": context.job_id,
        }
        audit.record(table.action, intake, actor_id=context.owner.id, details=details)

    return JobOutput(table.filename(exports.ExportFormat.XLSX), XLSX_MIMETYPE, on_done=record)


register_kind(DOSSIER_ZIP, _l("Dossiers (ZIP)"), _dossier_zip)
register_kind(APPLICATIONS_XLSX, _l("Applications list (Excel)"), _applications_xlsx)
