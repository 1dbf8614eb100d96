"""The documents of a dossier, in its fixed order: the applicant's uploads (in the order of the upload step), then the
referees' letters (by referee; a letter written as text becomes pages of its own). Each is read before the dossier is
assembled; one that is missing or is not a readable PDF is named on the cover sheet instead of breaking the dossier.
"""

from __future__ import annotations

import enum
import io
import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader

from portal.applications.models import Application, DecisionOutcome, Document, DocumentKind, RefereeInvitation
from portal.core import storage
from portal.core.i18n import translated
from portal.letters.documents import admission_letter_pdf
from portal.offers.services import offer_of
from portal.reporting.application_pdf import ordered_documents

log = logging.getLogger(__name__)

LETTERS_GROUP = "letters"
ADMISSION_GROUP = "admission"


class Problem(enum.StrEnum):
    """Why a document could not be included."""

    MISSING = "missing"
    UNREADABLE = "unreadable"
    ENCRYPTED = "encrypted"

    @property
    def label(self) -> str:
        return translated(PROBLEM_LABELS[self])


PROBLEM_LABELS = {
    Problem.MISSING: _l("the file is missing from the portal's storage"),
    Problem.UNREADABLE: _l("the file is not a readable PDF"),
    Problem.ENCRYPTED: _l("the file is password-protected"),
}


@dataclass
class Part:
    """A document (an uploaded PDF, or a letter written as text) placed after the cover sheet."""

    group: str  # a DocumentKind value, or LETTERS_GROUP
    title: str  # the bookmark: the file's name, or the referee's name
    document: Document | None = None
    referee: RefereeInvitation | None = None
    reader: PdfReader | None = None
    pages: int = 0
    problem: Problem | None = None
    first_page: int = 0  # its first page as numbered after the cover sheet (1-based); 0 while unknown
    generated_from: int = 0  # a text letter: its first page in the generated PDF (0-based)

    @property
    def included(self) -> bool:
        return self.problem is None

    @property
    def group_label(self) -> str:
        if self.group == LETTERS_GROUP:
            return _("Letters of recommendation")
        if self.group == ADMISSION_GROUP:
            return _("Admission letter")
        return DocumentKind(self.group).label

    @property
    def last_page(self) -> int:
        return self.first_page + self.pages - 1


def document_parts(application: Application, letters: bool) -> list[Part]:
    """The parts in the dossier's order, the letters only when the viewer may read them (none is read yet)."""
    parts = [Part(d.kind.value, d.original_filename, document=d) for d in ordered_documents(application)]
    return parts + _letter_parts(application) if letters else parts


def admission_parts(application: Application) -> list[Part]:
    """The bilingual admission letter (with the offer's answering deadline) once an admission is released."""
    decision = application.decision
    if decision is None or decision.outcome != DecisionOutcome.ADMIT or decision.released_at is None:
        return []
    offer = offer_of(application)
    content = admission_letter_pdf(application, acceptance_deadline=offer.deadline if offer else None)
    reader = PdfReader(io.BytesIO(content))
    return [Part(ADMISSION_GROUP, _("Admission letter"), reader=reader, pages=len(reader.pages))]


def _letter_parts(application: Application) -> list[Part]:
    """The referees' letters by referee, then any letter file not linked to a referee."""
    parts, linked = [], set()
    for referee in application.referees:
        if referee.letter_document is not None:
            linked.add(referee.letter_document.id)
            title = f"{referee.name} – {referee.letter_document.original_filename}"
            parts.append(Part(LETTERS_GROUP, title, document=referee.letter_document, referee=referee))
        elif referee.letter_text:
            parts.append(Part(LETTERS_GROUP, referee.name, referee=referee))
    return parts + [
        Part(LETTERS_GROUP, d.original_filename, document=d)
        for d in application.documents
        if d.kind == DocumentKind.REFEREE_LETTER and d.id not in linked
    ]


def read_part(part: Part) -> None:
    """Open the part's PDF and count its pages; on any failure, note the problem instead."""
    document = part.document
    if document is None:
        return
    try:
        content = storage.read_bytes(document.storage_key)
    except (OSError, ValueError):
        log.error("Document %s is missing from storage (%s)", document.id, document.storage_key)
        part.problem = Problem.MISSING
        return
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            part.problem = Problem.ENCRYPTED
            return
        for page in reader.pages:  # parse every page now rather than while the dossier is assembled
            _ = page.mediabox
        part.reader, part.pages = reader, len(reader.pages)
    except Exception as error:
        log.warning("Document %s (%s) is not a readable PDF: %s", document.id, document.storage_key, error)
        part.problem = Problem.UNREADABLE
        return
    if part.pages == 0:
        part.reader, part.problem = None, Problem.UNREADABLE
