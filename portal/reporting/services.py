"""The files the reporting pages send, one call each, every one recorded in the audit log: an application's dossier,
the applicant's summary and personal data, a finished background export. (The lists are in lists.py, offices.py and
pairings.py, their CSV and Excel files in exports.py, the background exports in jobs.py and background.py.)"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TypeVar

from portal.accounts.models import User
from portal.applications.models import Application
from portal.core import audit
from portal.core.timeutil import utcnow
from portal.reporting import dossiers, jobs, personal_data, summary
from portal.reporting.models import ExportJob

# A dossier is written to memory up to this size, beyond it to a temporary file.
DOSSIER_IN_MEMORY_BYTES = 16 * 1024 * 1024
# A personal-data ZIP larger than this is spooled to a temporary file instead of being held in memory.
PERSONAL_DATA_IN_MEMORY_BYTES = 8 * 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True)
class Attachment:
    """A file to send: its open content (closed once sent), type, name and size (None when unknown)."""

    content: IO[bytes]
    mimetype: str
    filename: str
    size: int | None


def _spooled(write: Callable[[IO[bytes]], T], in_memory: int) -> tuple[IO[bytes], int, T]:
    """A rewound temporary file (in memory up to in_memory bytes) that write filled, its size, and what write said."""
    spool = tempfile.SpooledTemporaryFile(max_size=in_memory)  # noqa: SIM115 - sending the attachment closes it
    try:
        written = write(spool)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool, size, written


def dossier(viewer: User, application: Application) -> Attachment:
    """The application's dossier as the viewer may see it (call only after permissions.may_download)."""
    spool, size, result = _spooled(
        lambda target: dossiers.write_dossier(viewer, application, target), DOSSIER_IN_MEMORY_BYTES
    )
    audit.record(dossiers.DOSSIER_DOWNLOADED, application, details=result.audit_details())
    return Attachment(spool, dossiers.PDF_MIMETYPE, result.filename, size)


def application_summary(application: Application) -> Attachment:
    """The applicant's PDF summary (call only after permissions.may_download_summary)."""
    content = summary.summary_pdf(application)
    audit.record(summary.SUMMARY_DOWNLOADED, application)
    return Attachment(io.BytesIO(content), "application/pdf", summary.summary_filename(application), len(content))


def personal_data_zip(user: User, application: Application, *, now: dt.datetime | None = None) -> Attachment:
    """Everything the portal keeps about the applicant, asked for from one of their applications."""
    now = now or utcnow()
    archive, size, _written = _spooled(
        lambda target: personal_data.write_personal_data_zip(user, target, now=now), PERSONAL_DATA_IN_MEMORY_BYTES
    )
    audit.record(personal_data.PERSONAL_DATA_EXPORTED, user, details={"application_id": application.id})
    return Attachment(archive, "application/zip", personal_data.personal_data_filename(now), size)


def job_result(job: ExportJob) -> Attachment | None:
    """A finished background export's file (its download recorded); None when there is none (any more)."""
    try:
        handle = jobs.open_result(job)
    except FileNotFoundError:
        return None
    return Attachment(handle, job.mimetype or "application/octet-stream", job.file_name or "export", job.size_bytes)
