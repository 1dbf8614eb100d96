"""The dossier of an application: one PDF with a generated cover sheet, every uploaded document and the referees'
letters, with bookmarks; and a ZIP of the dossiers of several applications.

The order is fixed: the cover sheet, then the curriculum vitae, degree certificates, transcripts, research proposal,
language certificates, other documents, and last the letters of recommendation (by referee; a letter written as text
is set as pages of its own). The cover sheet's pages are numbered i, ii, … and the documents from 1 (PDF page labels),
so that its contents list can give every document's page before the cover's own length is known.

A document whose file is missing or is not a readable PDF never breaks the dossier: it is named on the cover sheet as
"could not be included". The reviewers' scores appear only for viewers who may see them (coordinators; a reviewer
after submitting their own review).
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle

from portal.accounts.models import User
from portal.applications.exports import (
    _education_section,
    _in_both_zones,
    _languages_section,
    _personal_section,
    _proposal_section,
    _zip_info,
    applicant_documents,
)
from portal.applications.models import Application, Document, DocumentKind, RefereeInvitation
from portal.applications.permissions import can_read_letters
from portal.core import storage
from portal.core.pdf import FAMILY, MUTED_COLOUR, TEXT_COLOUR, PortalPDF
from portal.core.roles import Role
from portal.core.templating import current_language, format_in_zone
from portal.core.timeutil import PROGRAMME_ZONES, utcnow
from portal.review import ranking
from portal.review.models import CRITERIA
from portal.review.permissions import can_review, can_see_reviews, can_see_statements
from portal.review.services import statements_of

log = logging.getLogger(__name__)

DOSSIER_DOWNLOADED = "coordination.dossier_downloaded"
DOSSIER_EXPORTED = "coordination.dossier_exported"  # put into a ZIP of dossiers

# The applicant's documents in the order of the dossier; the letters of recommendation follow them.
DOCUMENT_ORDER: tuple[DocumentKind, ...] = (
    DocumentKind.CV,
    DocumentKind.DEGREE_CERTIFICATE,
    DocumentKind.TRANSCRIPT,
    DocumentKind.RESEARCH_PROPOSAL,
    DocumentKind.LANGUAGE_CERTIFICATE,
    DocumentKind.OTHER,
)
LETTERS_GROUP = "letters"
PDF_MIMETYPE = "application/pdf"
ZIP_MIMETYPE = "application/zip"
# A dossier is written to memory up to this size before it goes into a ZIP, beyond it to a temporary file.
SPOOL_IN_MEMORY_BYTES = 32 * 1024 * 1024


class Problem(enum.StrEnum):
    """Why a document could not be included."""

    MISSING = "missing"
    UNREADABLE = "unreadable"
    ENCRYPTED = "encrypted"

    @property
    def label(self) -> str:
        return str(PROBLEM_LABELS[self])


PROBLEM_LABELS = {
    Problem.MISSING: _l("the file is missing from the portal's storage"),
    Problem.UNREADABLE: _l("the file is not a readable PDF"),
    Problem.ENCRYPTED: _l("the file is password-protected"),
}


def may_download(user: User, application: Application) -> bool:
    """Coordinators any application's dossier; a committee member only those they are assigned to (unconflicted)."""
    return user.has_role(Role.COORDINATOR) or can_review(user, application)


def dossier_filename(application: Application) -> str:
    return f"{application.reference or f'application-{application.id}'}-dossier.pdf"


# --- The parts after the cover sheet -----------------------------------------------------------------------------


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
        return DocumentKind(self.group).label

    @property
    def last_page(self) -> int:
        return self.first_page + self.pages - 1


def _group_order(group: str) -> int:
    kinds = [kind.value for kind in DOCUMENT_ORDER]
    return kinds.index(group) if group in kinds else len(kinds)


def _document_parts(application: Application, letters: bool) -> list[Part]:
    """The parts in the dossier's order (none is read yet)."""
    documents = applicant_documents(application)
    parts = [Part(k.value, d.original_filename, document=d) for k in DOCUMENT_ORDER for d in documents if d.kind == k]
    if not letters:
        return parts
    linked: set[int] = set()
    for referee in application.referees:
        if referee.letter_document is not None:
            linked.add(referee.letter_document.id)
            title = f"{referee.name} – {referee.letter_document.original_filename}"
            parts.append(Part(LETTERS_GROUP, title, document=referee.letter_document, referee=referee))
        elif referee.letter_text:
            parts.append(Part(LETTERS_GROUP, referee.name, referee=referee))
    parts += [
        Part(LETTERS_GROUP, d.original_filename, document=d)
        for d in application.documents
        if d.kind == DocumentKind.REFEREE_LETTER and d.id not in linked
    ]
    return parts


def _read(part: Part) -> None:
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


# --- The generated pages: letters written as text, and the cover sheet --------------------------------------------


def roman(number: int) -> str:
    """A page number in lower-case roman numerals (1 → i), as the cover sheet is numbered."""
    numerals = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"))
    numerals += ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
    out = []
    for value, letters in numerals:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


class DossierPDF(PortalPDF):
    """The generated pages: first the letters written as text (numbered after the documents), then the cover sheet
    (numbered i, ii, …); the footer shows each page's number in the assembled dossier."""

    def __init__(self, *, letters_offset: int, **kwargs) -> None:
        self.letters_offset = letters_offset  # the document pages that come before the first text letter
        self.letters_started = False
        self.cover_from: int | None = None  # the generated page on which the cover sheet starts (1-based)
        super().__init__(**kwargs)  # adds the first page

    def start_letter(self) -> int:
        """Begin a letter on a page of its own; returns that page's number."""
        if self.letters_started:
            self.add_page()
        self.letters_started = True
        return self.page_no()

    def start_cover(self) -> None:
        """Begin the cover sheet after the letters (on the first page when there are none)."""
        if not self.letters_started:
            self.cover_from = self.page_no()
            return
        self.cover_from = self.page_no() + 1  # set first: the last letter page's footer is drawn by add_page
        self.add_page()

    def label(self, page: int) -> str:
        if self.cover_from is not None and page >= self.cover_from:
            return roman(page - self.cover_from + 1)
        return str(self.letters_offset + page)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED_COLOUR)
        self.cell(self.text_width * 0.8, 4, self.footer_text)
        self.cell(0, 4, self.label(self.page_no()), align="R")
        self.set_text_color(*TEXT_COLOUR)


def _text_letter(pdf: DossierPDF, part: Part, application: Application) -> None:
    referee = part.referee
    assert referee is not None and referee.letter_text
    start = pdf.start_letter()
    pdf.title_block(_("Letter of recommendation"), f"{referee.name}, {referee.institution}")
    pdf.rows(
        [
            (_("Applicant"), application.display_name),
            (_("Relation to the applicant"), referee.relation_label),
            (_("Received on"), _in_both_zones(referee.letter_received_at)),
            (_("Form"), _("written in the portal")),
        ]
    )
    pdf.paragraph(referee.letter_text)
    part.generated_from, part.pages = start - 1, pdf.page_no() - start + 1


def _pages_text(part: Part) -> str:
    if part.pages == 1:
        return _("page %(number)d", number=part.first_page)
    return _("pages %(first)d–%(last)d", first=part.first_page, last=part.last_page)


def _cover(pdf: DossierPDF, viewer: User, application: Application, parts: list[Part]) -> None:
    pdf.start_cover()
    title = f"{_('Dossier')} {application.reference or ''}".strip()
    subtitle = application.display_name
    if application.native_name:
        subtitle = f"{subtitle} · {application.native_name}"
    pdf.title_block(title, subtitle)
    status = application.state.label
    if application.decision is not None:
        status = f"{status}: {application.decision.outcome.label}"
    pdf.rows(
        [
            (_("Reference number"), application.reference or ""),
            (_("Intake round"), application.intake_round.name),
            (_("Status"), status),
            (_("Submitted on"), _in_both_zones(application.submitted_at)),
            (_("Dossier created on"), _in_both_zones(utcnow())),
            (_("Created for"), viewer.name),
        ]
    )
    missing = [part for part in parts if not part.included]
    if missing:
        pdf.heading(_("Documents that could not be included"))
        pdf.paragraph(
            _("These documents could not be included in this dossier; please open them in the portal."), muted=True
        )
        pdf.bullets(f"{part.group_label}: {part.title} ({part.problem.label})" for part in missing if part.problem)
    pdf.heading(_("Contents"))
    contents = [(f"{part.group_label}: {part.title}", _pages_text(part)) for part in parts if part.included]
    if contents:
        pdf.rows(contents)
    else:
        pdf.paragraph(_("No documents have been uploaded."), muted=True)
    _personal_section(pdf, application)
    _education_section(pdf, application)
    _languages_section(pdf, application)
    _proposal_section(pdf, application)
    _referees_section(pdf, application, letters=can_read_letters(viewer, application))
    if can_see_statements(viewer, application):
        _statements_section(pdf, application)
    if can_see_reviews(viewer, application):
        _reviews_section(pdf, application)


def _referees_section(pdf: PortalPDF, application: Application, *, letters: bool) -> None:
    pdf.heading(_("Referees"))
    if not application.referees:
        pdf.paragraph("", muted=True)
        return
    rows = []
    for referee in application.referees:
        if not referee.letter_received:
            letter = _("not received")
        elif letters:
            letter = _("received on %(when)s", when=format_in_zone(referee.letter_received_at, PROGRAMME_ZONES[0]))
        else:
            letter = _("received")
        rows.append(
            (
                f"{referee.name}\n{referee.institution}",
                f"{referee.relation_label}\n{referee.email}\n" + _("Letter: %(status)s", status=letter),
            )
        )
    pdf.rows(rows)


def _statements_section(pdf: PortalPDF, application: Application) -> None:
    pdf.heading(_("Supervisors' statements"))
    statements = statements_of(application)
    if not statements:
        pdf.paragraph(_("No statement yet."), muted=True)
    for statement in statements:
        text = statement.answer.label
        if statement.conditions:
            text = f"{text}\n{_('Conditions')}: {statement.conditions}"
        if statement.comment:
            text = f"{text}\n{statement.comment}"
        pdf.rows([(statement.profile.display_name, text)])


def _score(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:.2f}"


def _reviews_section(pdf: PortalPDF, application: Application) -> None:
    row = ranking.row_for(application)
    pdf.heading(_("Reviews"))
    submitted = _("%(submitted)d of %(assigned)d", submitted=row.submitted, assigned=row.assigned)
    pdf.rows(
        [
            (_("Submitted reviews"), submitted),
            (_("Mean score"), _score(row.mean)),
            (_("Spread"), _score(row.spread)),
        ]
    )
    for review in row.reviews:
        pdf.heading(review.reviewer_name, level=2)
        scores = [(str(label), str(score)) for label, score in zip(CRITERIA.values(), review.scores, strict=True)]
        recommendation = review.recommendation.label if review.recommendation else ""
        pdf.rows([*scores, (_("Mean score"), _score(review.mean)), (_("Recommendation"), recommendation)])


def _render(viewer: User, application: Application, parts: list[Part]) -> tuple[bytes, int, int]:
    """The generated PDF, the number of its pages holding text letters, and of the cover sheet's pages."""
    included = [part for part in parts if part.included]
    page = 1
    for part in included:
        if part.document is not None:
            part.first_page, page = page, page + part.pages
    documents_pages = page - 1
    reference = application.reference or ""
    pdf = DossierPDF(
        letters_offset=documents_pages,
        title=f"{_('Dossier')} {reference}".strip(),
        header_text=f"{_('International Doctoral College')} · {application.intake_round.name} · {reference}",
        footer_text=f"{_('Dossier')} {reference} · {application.display_name}",
        language=current_language(),
    )
    text_letters = [part for part in included if part.document is None]
    for part in text_letters:
        _text_letter(pdf, part, application)
        part.first_page, page = page, page + part.pages
    letters_pages = pdf.page_no() if text_letters else 0
    _cover(pdf, viewer, application, parts)
    content = pdf.to_bytes()
    return content, letters_pages, pdf.page_no() - letters_pages


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
    letters = can_read_letters(viewer, application)
    parts = _document_parts(application, letters)
    for part in parts:
        _read(part)
    while True:
        generated, letters_pages, cover_pages = _render(viewer, application, parts)
        try:
            writer = _assemble(generated, letters_pages, cover_pages, parts)
        except _PartFailed as failure:
            # pypdf read the file but could not copy its pages: leave it out and name it on the cover sheet instead.
            log.warning("Document %s could not be copied into a dossier", failure.part.title, exc_info=True)
            failure.part.problem, failure.part.reader = Problem.UNREADABLE, None
            continue
        break
    reference = application.reference or ""
    writer.add_metadata({"/Title": f"{_('Dossier')} {reference} – {application.display_name}".strip()})
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
                    info = _zip_info(dossier.filename, now, viewer.timezone)
                    with archive.open(info, "w", force_zip64=True) as sink:
                        shutil.copyfileobj(spool, sink)
                result.dossiers.append(dossier)
            else:
                result.skipped.append(application.id)
            if after_each is not None:
                after_each(application)
    return result
