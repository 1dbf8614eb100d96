"""The dossier of an application: one PDF with a generated cover sheet, every uploaded document and the referees'
letters, with bookmarks; and a ZIP of the dossiers of several applications.

The order is fixed: the cover sheet, then the applicant's documents in the order of the upload step, and last the
letters of recommendation (dossier_parts.py); the generated pages are in dossier_pages.py. A document whose file is
missing or is not a readable PDF never breaks the dossier: it is named on the cover sheet as "could not be included".
Who may download a dossier: `portal.reporting.permissions.may_download`.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO

from flask_babel import gettext as _
from pypdf import PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle

from portal.accounts.models import User
from portal.applications.models import Application
from portal.applications.permissions import can_read_letters
from portal.core.timeutil import utcnow
from portal.reporting.application_pdf import pdf_title
from portal.reporting.dossier_pages import dossier_kind, render
from portal.reporting.dossier_parts import Part, Problem, admission_parts, document_parts, read_part
from portal.reporting.permissions import may_download
from portal.reporting.personal_data import zip_info
from portal.review.permissions import can_see_reviews

log = logging.getLogger(__name__)

DOSSIER_DOWNLOADED = "coordination.dossier_downloaded"
DOSSIER_EXPORTED = "coordination.dossier_exported"  # put into a ZIP of dossiers
PDF_MIMETYPE = "application/pdf"
ZIP_MIMETYPE = "application/zip"
# A dossier is written to memory up to this size before it goes into a ZIP, beyond it to a temporary file.
SPOOL_IN_MEMORY_BYTES = 32 * 1024 * 1024


def dossier_filename(application: Application) -> str:
    return f"{application.reference or f'application-{application.id}'}-dossier.pdf"


# --- Assembling the dossier ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dossier:
    """What a written dossier holds."""

    application_id: int
    filename: str
    pages: int
    cover_pages: int
    included: list[Part] = field(default_factory=list)
    not_included: list[Part] = field(default_factory=list)
    reviews_shown: bool = False

    def audit_details(self) -> dict:
        return {
            "pages": self.pages,
            "documents": [part.document.id for part in self.included if part.document is not None],
            "not_included": [part.document.id for part in self.not_included if part.document is not None],
            "reviews_shown": self.reviews_shown,
        }


class _PartFailed(Exception):
    def __init__(self, part: Part) -> None:
        super().__init__(part.title)
        self.part = part


def _assemble(generated: bytes, letters_pages: int, cover_pages: int, parts: list[Part]) -> PdfWriter:
    writer = PdfWriter()
    source = PdfReader(io.BytesIO(generated))
    writer.append(source, pages=list(range(letters_pages, letters_pages + cover_pages)), import_outline=False)
    writer.add_outline_item(title=_("Cover sheet"), page_number=0)
    page = cover_pages
    parent, parent_group = None, None
    for part in (p for p in parts if p.included):
        try:
            if part.reader is not None:
                writer.append(part.reader, import_outline=False)
            else:
                start = part.generated_from
                writer.append(source, pages=list(range(start, start + part.pages)), import_outline=False)
        except Exception as error:
            raise _PartFailed(part) from error
        if part.group != parent_group:
            parent, parent_group = writer.add_outline_item(title=part.group_label, page_number=page), part.group
        writer.add_outline_item(title=part.title, page_number=page, parent=parent)
        page += part.pages
    writer.set_page_label(0, cover_pages - 1, style=PageLabelStyle.LOWERCASE_ROMAN)
    if page > cover_pages:
        writer.set_page_label(cover_pages, page - 1, style=PageLabelStyle.DECIMAL, start=1)
    writer.page_mode = "/UseOutlines"
    return writer


def write_dossier(viewer: User, application: Application, target: IO[bytes]) -> Dossier:
    """Write the application's dossier, as the viewer may see it, to target (call only after may_download)."""
    # The admission letter (once released) leads: it is the outcome the rest of the dossier led to.
    parts = admission_parts(application) + document_parts(application, can_read_letters(viewer, application))
    for part in parts:
        read_part(part)
    while True:
        generated, letters_pages, cover_pages = render(viewer, application, parts)
        try:
            writer = _assemble(generated, letters_pages, cover_pages, parts)
        except _PartFailed as failure:
            # pypdf read the file but could not copy its pages: leave it out and name it on the cover sheet instead.
            log.warning("Document %s could not be copied into a dossier", failure.part.title, exc_info=True)
            failure.part.problem, failure.part.reader = Problem.UNREADABLE, None
            continue
        break
    writer.add_metadata({"/Title": f"{pdf_title(dossier_kind(), application)} – {application.display_name}"})
    writer.write(target)
    included = [part for part in parts if part.included]
    return Dossier(
        application_id=application.id,
        filename=dossier_filename(application),
        pages=cover_pages + sum(part.pages for part in included),
        cover_pages=cover_pages,
        included=included,
        not_included=[part for part in parts if not part.included],
        reviews_shown=can_see_reviews(viewer, application),
    )


def dossier_pdf(viewer: User, application: Application) -> tuple[bytes, Dossier]:
    """The dossier as bytes, with what it holds."""
    buffer = io.BytesIO()
    dossier = write_dossier(viewer, application, buffer)
    return buffer.getvalue(), dossier


# --- A ZIP of dossiers ---------------------------------------------------------------------------------------------


@dataclass
class ZipResult:
    """What went into a ZIP of dossiers, and which applications were left out (the viewer may not see them)."""

    dossiers: list[Dossier] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def write_dossier_zip(
    viewer: User,
    applications: Iterable[Application],
    target: IO[bytes],
    *,
    after_each: Callable[[Application], None] | None = None,
    now: dt.datetime | None = None,
) -> ZipResult:
    """Write one dossier per application to a ZIP (each built to a temporary file first, one at a time).

    An application the viewer may not download is left out and listed in the result; after_each is called after every
    application, written or left out (for progress reports).
    """
    now = now or utcnow()
    result = ZipResult()
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for application in applications:
            if may_download(viewer, application):
                with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
                    dossier = write_dossier(viewer, application, spool)
                    spool.seek(0)
                    info = zip_info(dossier.filename, now, viewer.timezone)
                    with archive.open(info, "w", force_zip64=True) as sink:
                        shutil.copyfileobj(spool, sink)
                result.dossiers.append(dossier)
            else:
                result.skipped.append(application.id)
            if after_each is not None:
                after_each(application)
    return result
