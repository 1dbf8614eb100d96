"""The generated pages of a dossier: the letters written as text, and the cover sheet (what the dossier holds, the
application itself, the referees, and for those who may see them the supervisors' statements and the reviews).

The cover sheet's pages are numbered i, ii, … and the documents from 1 (PDF page labels), so that its contents list
can give every document's page before the cover's own length is known. The reviews appear only for viewers who may
see them (portal.review.permissions: coordinators; a reviewer after submitting their own review).
"""

from __future__ import annotations

from flask_babel import gettext as _

from portal.accounts.models import User
from portal.applications.models import Application
from portal.applications.permissions import can_read_letters
from portal.core.pdf import FAMILY, MUTED_COLOUR, TEXT_COLOUR, PortalPDF
from portal.core.templating import current_language, format_in_zone
from portal.core.timeutil import PROGRAMME_ZONES, utcnow
from portal.offers.models import OfferState
from portal.offers.services import offer_summary
from portal.reporting.application_pdf import (
    application_sections,
    header_text,
    in_both_zones,
    pdf_title,
    status_block,
    title_block,
)
from portal.reporting.dossier_interviews import interviews_section
from portal.reporting.dossier_parts import Part
from portal.review import ranking
from portal.review.models import CRITERIA
from portal.review.permissions import can_see_reviews, can_see_statements, visible_reviews
from portal.review.services import statements_of


def dossier_kind() -> str:
    """The word a dossier's title starts with."""
    return _("Dossier")


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


def render(viewer: User, application: Application, parts: list[Part]) -> tuple[bytes, int, int]:
    """The generated PDF, the number of its pages holding text letters, and of the cover sheet's pages."""
    included = [part for part in parts if part.included]
    page = 1
    for part in included:
        if part.reader is not None:  # a document's PDF, or the generated admission letter
            part.first_page, page = page, page + part.pages
    pdf = DossierPDF(
        letters_offset=page - 1,  # the documents' pages
        title=pdf_title(dossier_kind(), application),
        header_text=header_text(application),
        footer_text=f"{pdf_title(dossier_kind(), application)} · {application.display_name}",
        language=current_language(),
    )
    text_letters = [part for part in included if part.reader is None]
    for part in text_letters:
        _text_letter(pdf, part, application)
        part.first_page, page = page, page + part.pages
    letters_pages = pdf.page_no() if text_letters else 0
    _cover(pdf, viewer, application, parts)
    return pdf.to_bytes(), letters_pages, pdf.page_no() - letters_pages


def _text_letter(pdf: DossierPDF, part: Part, application: Application) -> None:
    referee = part.referee
    assert referee is not None and referee.letter_text
    start = pdf.start_letter()
    pdf.title_block(_("Letter of recommendation"), f"{referee.name}, {referee.institution}")
    pdf.rows(
        [
            (_("Applicant"), application.display_name),
            (_("Relation to the applicant"), referee.relation_label),
            (_("Received on"), in_both_zones(referee.letter_received_at)),
            (_("Form"), _("written in the portal")),
        ]
    )
    pdf.paragraph(referee.letter_text)
    part.generated_from, part.pages = start - 1, pdf.page_no() - start + 1


def _cover(pdf: DossierPDF, viewer: User, application: Application, parts: list[Part]) -> None:
    pdf.start_cover()
    title_block(pdf, dossier_kind(), application)
    created = [(_("Dossier created on"), in_both_zones(utcnow())), (_("Created for"), viewer.name)]
    status_block(pdf, application, staff=True, more=created + _offer_rows(application))
    _contents(pdf, parts)
    application_sections(pdf, application)
    _referees_section(pdf, application, letters=can_read_letters(viewer, application))
    if can_see_statements(viewer, application):
        _statements_section(pdf, application)
    if can_see_reviews(viewer, application):
        _reviews_section(pdf, viewer, application)
    interviews_section(pdf, viewer, application)


def _offer_rows(application: Application) -> list[tuple[str, str]]:
    """The offer of a released admission: its state, and when it was answered or by when it must be."""
    offer = offer_summary(application, utcnow())
    if offer is None:
        return []
    if offer.state in (OfferState.OFFERED, OfferState.EXPIRED):
        when = _("answer due by %(when)s", when=in_both_zones(offer.deadline))
    else:
        when = in_both_zones(offer.answered_at)
    return [(_("Offer of a place"), f"{offer.state.label} – {when}")]


def _pages_text(part: Part) -> str:
    if part.pages == 1:
        return _("page %(number)d", number=part.first_page)
    return _("pages %(first)d–%(last)d", first=part.first_page, last=part.last_page)


def _contents(pdf: PortalPDF, parts: list[Part]) -> None:
    """The documents that could not be included, then the contents list with every document's pages."""
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


def _reviews_section(pdf: PortalPDF, viewer: User, application: Application) -> None:
    """The round's figures for the application, then every submitted review the viewer may read."""
    row = ranking.row_for(application)
    pdf.heading(_("Reviews"))
    submitted = _("%(submitted)d of %(assigned)d", submitted=row.submitted, assigned=row.assigned)
    pdf.rows(
        [(_("Submitted reviews"), submitted), (_("Mean score"), _score(row.mean)), (_("Spread"), _score(row.spread))]
    )
    readable = [review for review in visible_reviews(viewer, application) if review.submitted]
    for review in sorted(readable, key=lambda review: (review.assignment.reviewer.name, review.assignment_id)):
        pdf.heading(review.assignment.reviewer.name, level=2)
        scores = [(str(label), str(score)) for label, score in zip(CRITERIA.values(), review.scores, strict=True)]
        recommendation = review.recommendation.label if review.recommendation else ""
        pdf.rows([*scores, (_("Mean score"), _score(review.mean)), (_("Recommendation"), recommendation)])
        # The comment as a paragraph of its own: it may be long, and break across pages.
        pdf.paragraph(_("Comment") + ":", muted=True)
        pdf.paragraph(review.comment or _("No comment."), muted=not review.comment)
