"""The dossier of an application: cover sheet, documents and letters in a fixed order, bookmarks, who may download."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, Decision, DecisionOutcome, Document, DocumentKind
from portal.core import pdf, storage
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.reporting import dossiers
from portal.review.models import Conflict, ConflictReason, Recommendation, Review, ReviewAssignment
from tests.conftest import cover_pages, sign_in
from tests.factories import (
    ApplicationFactory,
    UserFactory,
    add_document,
    committee_member,
    make_pdf,
    submitted_application,
)

LETTER_TEXT = "Ich empfehle die Kandidatin ohne Einschränkung. 我强烈推荐这位候选人。"
SCORES = (5, 4, 4, 3, 5)  # mean 4.20
REVIEW_COMMENT = "A convincing plan; the methods chapter should name the test rigs."


@pytest.fixture
def cjk_font(app):
    """The PDF font must be installed: a clear failure (naming the package) instead of a skip when it is not."""
    with app.app_context():
        try:
            return pdf.find_cjk_font()
        except pdf.FontMissing as error:
            pytest.fail(str(error))


def blank_pdf(pages: int, width: int) -> bytes:
    """A PDF whose pages have a width of their own, so that they can be recognised inside the dossier."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=width, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_text(reader: PdfReader, pages: range | None = None) -> str:
    """The text of the pages (all by default), NULs removed and whitespace runs made single spaces.

    pypdf decodes the two-byte codes of fpdf2's CJK font one byte at a time, so every character comes out after a NUL
    (see tests/test_exports.py); the characters themselves are right.
    """
    chosen = [reader.pages[i] for i in (pages if pages is not None else range(len(reader.pages)))]
    return " ".join(" ".join(page.extract_text() for page in chosen).replace("\x00", "").split())


def outline(reader: PdfReader) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """The bookmarks: (title, page index, [(child title, page index)])."""
    found: list[tuple[str, int, list[tuple[str, int]]]] = []
    for item in reader.outline:
        if isinstance(item, list):
            title, page, _children = found[-1]
            found[-1] = (title, page, [(child.title, reader.get_destination_page_number(child)) for child in item])
        else:
            found.append((item.title, reader.get_destination_page_number(item), []))
    return found


@dataclass(frozen=True)
class Setup:
    application_id: int
    coordinator: User
    reviewer: User  # assigned, has submitted a review
    waiting_reviewer: User  # assigned, has not reviewed yet
    unassigned: User
    conflicted: User  # assigned, but declared a conflict of interest
    applicant: User
    supervisor: User  # the chosen German supervisor


def make_setup(app) -> Setup:
    """A submitted application with documents of every kind (uploaded out of order), a letter as PDF and one written
    as text, two assigned reviewers (one has submitted), an unassigned and a conflicted member (committed)."""
    with app.test_request_context():
        application = submitted_application()
        add_document(application, DocumentKind.LANGUAGE_CERTIFICATE, blank_pdf(2, 600), "sprachzeugnis-德语.pdf")
        add_document(application, DocumentKind.DEGREE_CERTIFICATE, blank_pdf(1, 605), "second-degree.pdf")
        add_document(application, DocumentKind.OTHER, blank_pdf(1, 610), "award.pdf")
        letter = add_document(application, DocumentKind.REFEREE_LETTER, blank_pdf(2, 620), "letter-zhang.pdf")
        first, second = application.referees
        first.letter_document, first.letter_received_at = letter, utcnow()
        second.letter_text, second.letter_received_at = LETTER_TEXT, utcnow()
        coordinator = UserFactory(roles=[Role.COORDINATOR])
        reviewer = committee_member(name="Reviewer Submitted")
        waiting = committee_member(name="Reviewer Waiting")
        unassigned = committee_member()
        conflicted = committee_member()
        for member in (reviewer, waiting, conflicted):
            db.session.add(ReviewAssignment(application_id=application.id, reviewer_id=member.id))
        db.session.add(Conflict(application_id=application.id, user_id=conflicted.id, reason=ConflictReason.DECLARED))
        db.session.flush()
        assignment = db.session.scalars(
            select(ReviewAssignment).where(ReviewAssignment.reviewer_id == reviewer.id)
        ).one()
        values = dict(
            zip(
                ("score_academic", "score_proposal", "score_fit", "score_language", "score_references"),
                SCORES,
                strict=True,
            )
        )
        db.session.add(
            Review(
                assignment=assignment,
                recommendation=Recommendation.ADMIT,
                comment=REVIEW_COMMENT,
                submitted_at=utcnow(),
                **values,
            )
        )
        db.session.commit()
        return Setup(
            application.id,
            coordinator,
            reviewer,
            waiting,
            unassigned,
            conflicted,
            application.applicant,
            application.german_supervisor.user,
        )


def dossier_url(application_id: int) -> str:
    return f"/coordination/applications/{application_id}/dossier.pdf"


def download(client, url: str):
    with client.get(url) as response:
        response.get_data()
    return response


# --- Contents, order, bookmarks ------------------------------------------------------------------------------------


def test_dossier_has_the_cover_sheet_then_every_document_in_the_fixed_order_with_bookmarks(app, client, cjk_font):
    setup = make_setup(app)
    sign_in(client, setup.coordinator)

    response = download(client, dossier_url(setup.application_id))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    application = db.session.get(Application, setup.application_id)
    assert response.headers["Content-Disposition"] == f"attachment; filename={application.reference}-dossier.pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    reader = PdfReader(io.BytesIO(response.data))
    cover = cover_pages(reader)
    assert cover >= 1
    assert reader.page_labels[:cover] == ["i", "ii", "iii", "iv"][:cover]
    # CV 1, degree certificates 1 + 1, transcript 1, proposal 1, language 2, other 1, letter (PDF) 2, letter (text) 1.
    uploaded_widths = [595, 595, 605, 595, 595, 600, 600, 610, 620, 620]
    assert len(reader.pages) == cover + len(uploaded_widths) + 1
    assert reader.page_labels[cover:] == [str(number) for number in range(1, len(uploaded_widths) + 2)]
    widths = [round(float(page.mediabox.width)) for page in reader.pages[cover : cover + len(uploaded_widths)]]
    assert widths == uploaded_widths

    bookmarks = outline(reader)
    assert [(title, page) for title, page, _ in bookmarks] == [
        ("Cover sheet", 0),
        ("Curriculum vitae", cover),
        ("Degree certificates", cover + 1),
        ("Transcripts of records", cover + 3),
        ("Research proposal", cover + 4),
        ("Language certificates", cover + 5),
        ("Other documents", cover + 7),
        ("Letters of recommendation", cover + 8),
    ]
    children = {title: kids for title, _, kids in bookmarks}
    assert children["Degree certificates"] == [("degree_certificate.pdf", cover + 1), ("second-degree.pdf", cover + 2)]
    assert children["Language certificates"] == [("sprachzeugnis-德语.pdf", cover + 5)]
    assert children["Letters of recommendation"] == [
        ("Referee 1 – letter-zhang.pdf", cover + 8),
        ("Referee 2", cover + 10),
    ]

    cover_text = pdf_text(reader, range(cover))
    assert "王小明" in cover_text and "Xiaoming WANG" in cover_text
    assert "Hydrogen embrittlement of pipeline steels" in cover_text
    assert "Contents" in cover_text
    # Label and value cells may come out of the PDF with or without a space between them.
    squashed = cover_text.replace(" ", "")
    assert "Languagecertificates:sprachzeugnis-德语.pdfpages6–7" in squashed
    assert "Lettersofrecommendation:Referee2page11" in squashed
    assert "could not be included" not in cover_text
    letter_text = pdf_text(reader, range(len(reader.pages) - 1, len(reader.pages)))
    assert "我强烈推荐这位候选人" in letter_text and "Referee 2" in letter_text
    assert letter_text.endswith(str(len(uploaded_widths) + 1))  # the footer numbers it as a page of the dossier

    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == dossiers.DOSSIER_DOWNLOADED, AuditEvent.target_id == setup.application_id
        )
    ).all()
    assert [(event.actor_id, event.target_type) for event in events] == [(setup.coordinator.id, "applications")]
    assert events[0].details["pages"] == len(reader.pages)


def test_scores_appear_only_for_those_who_may_see_the_reviews(app, client, cjk_font):
    setup = make_setup(app)

    texts = {}
    for user in (setup.coordinator, setup.reviewer, setup.waiting_reviewer):
        sign_in(client, user)
        response = download(client, dossier_url(setup.application_id))
        assert response.status_code == 200
        reader = PdfReader(io.BytesIO(response.data))
        texts[user.id] = pdf_text(reader, range(cover_pages(reader)))

    for seen_by in (setup.coordinator, setup.reviewer):  # the reviewer has submitted their own review
        assert "Reviewer Submitted" in texts[seen_by.id]
        assert "4.20" in texts[seen_by.id] and "Admit" in texts[seen_by.id]
        assert f"Comment: {REVIEW_COMMENT}" in texts[seen_by.id]  # the reviewer's words, under the scores
    assert "Reviewer Submitted" not in texts[setup.waiting_reviewer.id]
    assert REVIEW_COMMENT not in texts[setup.waiting_reviewer.id]
    assert "4.20" not in texts[setup.waiting_reviewer.id]
    assert "Reviews" not in texts[setup.waiting_reviewer.id]
    # The rest of the cover sheet is the same for the waiting reviewer.
    assert "王小明" in texts[setup.waiting_reviewer.id]


def test_a_broken_or_missing_document_is_named_on_the_cover_and_the_dossier_still_made(app, client, cjk_font):
    setup = make_setup(app)
    with app.test_request_context():
        application = db.session.get(Application, setup.application_id)
        broken = storage.save_bytes(b"%PDF-1.7 this is not really a PDF at all", suffix="pdf")
        vanished = storage.save_bytes(make_pdf(), suffix="pdf")
        storage.delete(vanished.key)
        for name, stored in (("broken-scan.pdf", broken), ("vanished.pdf", vanished)):
            application.documents.append(
                Document(
                    kind=DocumentKind.TRANSCRIPT,
                    original_filename=name,
                    storage_key=stored.key,
                    size_bytes=stored.size_bytes,
                    sha256=stored.sha256,
                    page_count=1,
                )
            )
        db.session.commit()
    sign_in(client, setup.coordinator)

    response = download(client, dossier_url(setup.application_id))

    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    cover = cover_pages(reader)
    assert len(reader.pages) == cover + 11  # the same documents as before, nothing of the two bad ones
    cover_text = pdf_text(reader, range(cover))
    assert "Documents that could not be included" in cover_text
    assert "Transcripts of records: broken-scan.pdf (the file is not a readable PDF)" in cover_text
    assert "Transcripts of records: vanished.pdf (the file is missing from the portal's storage)" in cover_text
    titles = [child for _, _, kids in outline(reader) for child, _ in kids]
    assert "transcript.pdf" in titles
    assert "broken-scan.pdf" not in titles and "vanished.pdf" not in titles
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == dossiers.DOSSIER_DOWNLOADED)).one()
    assert len(event.details["not_included"]) == 2


def test_a_file_pypdf_reads_but_cannot_copy_is_left_out_too(app, cjk_font, monkeypatch):
    setup = make_setup(app)
    original = PdfWriter.append

    def append(self, fileobj, *args, **kwargs):
        if isinstance(fileobj, PdfReader) and round(float(fileobj.pages[0].mediabox.width)) == 610:
            raise ValueError("cannot copy this one")
        return original(self, fileobj, *args, **kwargs)

    monkeypatch.setattr(PdfWriter, "append", append)
    with app.test_request_context():
        application = db.session.get(Application, setup.application_id)
        content, dossier = dossiers.dossier_pdf(db.session.get(User, setup.coordinator.id), application)

    reader = PdfReader(io.BytesIO(content))
    assert [part.title for part in dossier.not_included] == ["award.pdf"]
    assert len(reader.pages) == dossier.pages == dossier.cover_pages + 10
    assert "Other documents: award.pdf (the file is not a readable PDF)" in pdf_text(reader, range(dossier.cover_pages))


def test_a_draft_without_documents_still_gets_a_dossier_of_its_cover_sheet(app, client, cjk_font):
    with app.app_context():
        draft = ApplicationFactory()
        user = UserFactory(roles=[Role.COORDINATOR])
        db.session.commit()
    sign_in(client, user)

    response = download(client, dossier_url(draft.id))

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename=application-{draft.id}-dossier.pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == cover_pages(reader) >= 1
    assert outline(reader) == [("Cover sheet", 0, [])]
    assert "No documents have been uploaded." in pdf_text(reader)


# --- Who may download ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator", 200),
        ("reviewer", 200),
        ("waiting_reviewer", 200),
        ("unassigned", 404),
        ("conflicted", 404),
        ("applicant", 403),
        ("supervisor", 403),
    ],
)
def test_who_may_download_a_dossier(app, client, cjk_font, who, status):
    setup = make_setup(app)
    sign_in(client, getattr(setup, who))

    response = download(client, dossier_url(setup.application_id))

    assert response.status_code == status
    downloads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == dossiers.DOSSIER_DOWNLOADED)).all()
    assert len(downloads) == (1 if status == 200 else 0)


def test_an_unknown_application_is_404_and_anonymous_visitors_are_sent_to_sign_in(app, client):
    setup = make_setup(app)
    assert client.get(dossier_url(setup.application_id)).status_code == 302
    sign_in(client, setup.coordinator)
    assert client.get(dossier_url(setup.application_id + 1000)).status_code == 404


# --- Several dossiers in a ZIP -------------------------------------------------------------------------------------


def test_the_zip_holds_one_dossier_per_application_and_leaves_out_what_the_viewer_may_not_see(app, cjk_font):
    setup = make_setup(app)
    with app.test_request_context():
        first = db.session.get(Application, setup.application_id)
        second = submitted_application()
        reviewer = db.session.get(User, setup.reviewer.id)  # assigned to the first application only
        buffer = io.BytesIO()
        result = dossiers.write_dossier_zip(db.session.get(User, setup.coordinator.id), [first, second], buffer)
        partial = dossiers.write_dossier_zip(reviewer, [first, second], io.BytesIO())
        names = {first.reference, second.reference}

    with zipfile.ZipFile(buffer) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    assert sorted(entries) == sorted(f"{reference}-dossier.pdf" for reference in names)
    for name, content in entries.items():
        reader = PdfReader(io.BytesIO(content))
        assert name.startswith(reader.metadata.title.split()[1])  # "Dossier IPK-…"
        assert len(reader.pages) == cover_pages(reader) + int(reader.page_labels[-1])
    assert [dossier.application_id for dossier in result.dossiers] == [setup.application_id, second.id]
    assert result.skipped == []
    assert [dossier.application_id for dossier in partial.dossiers] == [setup.application_id]
    assert partial.skipped == [second.id]


def test_a_released_admission_leads_the_dossier_with_the_admission_letter(app, client, cjk_font):
    setup = make_setup(app)
    with app.app_context():
        application = db.session.get(Application, setup.application_id)
        application.decision = Decision(outcome=DecisionOutcome.ADMIT, released_at=utcnow())
        db.session.commit()
    sign_in(client, setup.coordinator)

    reader = PdfReader(io.BytesIO(download(client, dossier_url(setup.application_id)).data))

    first = cover_pages(reader)
    assert outline(reader)[1][0] == "Admission letter" and outline(reader)[1][1] == first
    assert "录取" in pdf_text(reader, range(first, first + 1))
    assert "Admission letter" in pdf_text(reader, range(0, first))  # named on the cover sheet's contents
