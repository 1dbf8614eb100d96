"""The applicant's downloads: the PDF summary of the submitted application and all their personal data."""

from __future__ import annotations

import io
import tempfile
from typing import IO

from flask import Response, send_file
from flask_login import current_user

from portal.applications import exports
from portal.applications.models import Application
from portal.applications.permissions import application_for, is_owner
from portal.applications.views import applicant_only, bp
from portal.core import audit
from portal.core.timeutil import utcnow

# A personal-data ZIP larger than this is spooled to a temporary file instead of being held in memory.
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024


def _summary_available(user, application: Application) -> bool:
    return is_owner(user, application) and exports.has_summary(application)


def _attachment(content: IO[bytes], mimetype: str, filename: str, size: int) -> Response:
    response = send_file(
        content, mimetype=mimetype, as_attachment=True, download_name=filename, etag=False, conditional=False
    )
    response.content_length = size
    # Personal data: neither a shared cache nor the browser's may keep a copy.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:application_id>/summary.pdf")
@applicant_only
def summary_pdf(application_id: int):
    application = application_for(current_user, application_id, _summary_available)
    content = exports.summary_pdf(application)
    audit.record(exports.SUMMARY_DOWNLOADED, application)
    return _attachment(io.BytesIO(content), "application/pdf", exports.summary_filename(application), len(content))


@bp.get("/<int:application_id>/my-data.zip")
@applicant_only
def personal_data(application_id: int):
    application = application_for(current_user, application_id, is_owner)
    user = current_user._get_current_object()
    now = utcnow()
    archive = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115 - send_file closes it
    try:
        exports.write_personal_data_zip(user, archive, now=now)
    except BaseException:
        archive.close()
        raise
    size = archive.tell()
    archive.seek(0)
    audit.record(exports.PERSONAL_DATA_EXPORTED, user, details={"application_id": application.id})
    return _attachment(archive, "application/zip", exports.personal_data_filename(now), size)
