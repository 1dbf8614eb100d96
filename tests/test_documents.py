"""Step 6 (documents): uploads checked by content, stored with random names, replaced and deleted only in an open
draft, files removed only after commit; and the download, for those allowed to see the document and nobody else."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from pypdf import PdfWriter
from sqlalchemy import select, text
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from portal import db
from portal.accounts.models import User
from portal.applications import documents
from portal.applications.models import Application, ApplicationState, Document, DocumentKind, IntakeRound
from portal.applications.services import ApplicationError
from portal.core import audit, pdfcheck, storage
from portal.core.roles import Role
from portal.core.templating import format_local
from portal.core.timeutil import utcnow
from portal.core.versions import StaleVersion
from tests.conftest import sign_in
from tests.factories import ApplicationFactory, add_document, complete_application, make_pdf, supervisor

# Requests must not run inside a test's own application context (Flask would reuse it, and with it `g` and the
# session), so tests that send requests enter one only for the set-up that needs it, and commit before leaving it.

# --- Helpers ----------------------------------------------------------------------------------------------------------


def file_path(app, key: str) -> Path:
    return Path(app.config["PORTAL_DATA_DIR"]) / "files" / key


def stored_files(app) -> set[str]:
    """Every file under PORTAL_DATA_DIR/files, as paths relative to it."""
    root = Path(app.config["PORTAL_DATA_DIR"]) / "files"
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def encrypted_pdf(user_password: str = "secret", owner_password: str | None = None) -> bytes:  # noqa: S107
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password, owner_password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def draft_for(user: User, intake: IntakeRound) -> int:
    """A committed draft of user in the round; its id (objects do not outlive the next request's session)."""
    application = ApplicationFactory(applicant=db.session.get(User, user.id), intake_round=intake)
    db.session.commit()
    return application.id


def get_application(application_id: int) -> Application:
    return db.session.get(Application, application_id)


def upload(
    client, application_id: int, content: bytes, filename: str = "cv.pdf", kind: str = "cv", version=None, headers=None
):
    if version is None:
        version = get_application(application_id).version
    # Encoded here in memory: the test client would spool a large body to a temporary file it never closes.
    body, length, boundary = stream_encode_multipart(
        {"kind": kind, "file": FileStorage(io.BytesIO(content), filename), "version": str(version)}, use_tempfile=False
    )
    return client.post(
        f"/application/{application_id}/documents",
        input_stream=body,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers,
    )


def documents_of(application_id: int, kind: DocumentKind | None = None) -> list[Document]:
    query = select(Document).where(Document.application_id == application_id).order_by(Document.id)
    if kind is not None:
        query = query.where(Document.kind == kind)
    return list(db.session.scalars(query))


def field_error(response, field: str) -> str:
    """The error text shown right under a form field."""
    found = re.search(rf'<div id="{field}-error"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S)
    return found.group(1).strip() if found else ""


def download(client, document_id: int):
    """GET the download and close the response (the file handle is released): status, headers, body."""
    with client.get(f"/application/documents/{document_id}") as response:
        return response.status_code, response.headers, response.get_data()


def audit_events(action: str, target_id: int) -> list[audit.AuditEvent]:
    return list(
        db.session.scalars(
            select(audit.AuditEvent).where(audit.AuditEvent.action == action, audit.AuditEvent.target_id == target_id)
        )
    )


def submit_directly(application_id: int) -> None:
    """Put the application into the submitted state (the workflow itself is tested elsewhere)."""
    application = get_application(application_id)
    application.state = ApplicationState.SUBMITTED
    application.reference = f"IPK-2028-{application_id:04d}"
    application.submitted_at = utcnow()
    db.session.commit()


def close_round(intake_id: int) -> None:
    intake = db.session.get(IntakeRound, intake_id)
    intake.opens_at = utcnow() - dt.timedelta(days=60)
    intake.closes_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()


@pytest.fixture
def applicant(login_as):
    return login_as(Role.APPLICANT)


@pytest.fixture
def draft_id(applicant, open_round) -> int:
    return draft_for(applicant, open_round)


# --- Uploading --------------------------------------------------------------------------------------------------------


def test_valid_pdf_is_stored_under_the_data_dir_with_a_random_name(app, client, applicant, draft_id):
    content = make_pdf(pages=3)
    version = get_application(draft_id).version
    before = stored_files(app)

    response = upload(client, draft_id, content, filename="Lebenslauf Müller.pdf", kind="cv")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/application/{draft_id}/documents#documents-cv")  # back at the slot
    [document] = documents_of(draft_id)
    assert document.kind == DocumentKind.CV
    assert document.original_filename == "Lebenslauf Müller.pdf"
    assert document.size_bytes == len(content) and document.page_count == 3
    assert re.fullmatch(r"[a-f0-9]{2}/[a-f0-9]{2}/[a-f0-9]{40}\.pdf", document.storage_key)
    assert stored_files(app) - before == {document.storage_key}
    path = file_path(app, document.storage_key)
    assert path.read_bytes() == content
    assert "Lebenslauf" not in str(path) and "static" not in path.parts
    assert get_application(draft_id).version == version + 1
    [event] = audit_events("document.uploaded", document.id)
    assert event.actor_id == applicant.id
    assert event.details["kind"] == "cv" and event.details["application_id"] == draft_id
    assert event.details["sha256"] == document.sha256


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"Dear committee,\nplease find my CV attached.\n", "cv.pdf", "This file is not a PDF"),
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "cv.pdf", "This file is not a PDF"),
        (b"", "cv.pdf", "The file is empty"),
        (encrypted_pdf(), "cv.pdf", "encrypted or password-protected"),
        (encrypted_pdf("", "owner-only"), "cv.pdf", "encrypted or password-protected"),
        (make_pdf(pages=2)[:-60], "cv.pdf", "damaged and cannot be read"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\n", "cv.pdf", "damaged and cannot be read"),
    ],
    ids=["text-named-pdf", "html", "empty", "encrypted", "owner-password-only", "truncated", "broken"],
)
def test_unusable_files_are_refused_next_to_the_file_field(app, client, draft_id, content, filename, message):
    before = stored_files(app)
    version = get_application(draft_id).version

    response = upload(client, draft_id, content, filename=filename)

    assert response.status_code == 200
    assert message in field_error(response, "file-cv")
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert documents_of(draft_id) == []
    assert stored_files(app) == before
    assert get_application(draft_id).version == version


def test_a_pdf_named_otherwise_is_accepted_by_its_content(client, draft_id):
    assert upload(client, draft_id, make_pdf(), filename="scan.jpg", kind="transcript").status_code == 302
    [document] = documents_of(draft_id)
    assert document.kind == DocumentKind.TRANSCRIPT
    assert document.original_filename == "scan.jpg.pdf"


def test_file_over_the_limit_gets_a_message_in_the_form_not_a_413(app, client, draft_id, monkeypatch):
    content = make_pdf(pages=30)
    assert len(content) < app.config["MAX_CONTENT_LENGTH"]
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", len(content) - 1)
    before = stored_files(app)

    response = upload(client, draft_id, content)

    assert response.status_code == 200
    assert "The file is too large" in field_error(response, "file-cv")
    assert documents_of(draft_id) == []
    assert stored_files(app) == before

    # Exactly at the limit is fine.
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", len(content))
    assert upload(client, draft_id, content).status_code == 302
    assert len(documents_of(draft_id)) == 1


def test_with_the_default_limits_a_file_just_over_10_mb_gets_the_message_too(app, client, draft_id):
    assert app.config["UPLOAD_MAX_BYTES"] == 10 * 1024 * 1024
    response = upload(client, draft_id, b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))
    assert response.status_code == 200
    assert "The file is too large (10.1 MB); at most 10 MB are allowed." in field_error(response, "file-cv")
    assert documents_of(draft_id) == []


def test_the_page_states_the_configured_limit(app, client, draft_id, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 3 * 1024 * 1024)
    page = client.get(f"/application/{draft_id}/documents").get_data(as_text=True)
    assert "at most 3 MB per file" in page


def test_missing_file_or_kind_is_asked_for(app, client, draft_id):
    before = stored_files(app)
    response = client.post(
        f"/application/{draft_id}/documents",
        data={"kind": "cv", "version": str(get_application(draft_id).version)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "Please choose a file" in field_error(response, "file-cv")

    response = upload(client, draft_id, make_pdf(), kind="")
    assert response.status_code == 200
    assert "Please choose what kind of document" in field_error(response, "kind")
    assert documents_of(draft_id) == [] and stored_files(app) == before


def test_referee_letters_cannot_be_uploaded_on_the_applicants_step(app, client, draft_id):
    before = stored_files(app)
    response = upload(client, draft_id, make_pdf(), kind="referee_letter")
    assert response.status_code == 200
    assert field_error(response, "kind")
    assert documents_of(draft_id) == [] and stored_files(app) == before

    # Nor through the service.
    application = get_application(draft_id)
    with pytest.raises(ApplicationError) as refused:
        documents.upload_document(
            application,
            DocumentKind.REFEREE_LETTER,
            "letter.pdf",
            io.BytesIO(make_pdf()),
            expected_version=application.version,
            now=utcnow(),
        )
    assert refused.value.field == "kind"
    assert stored_files(app) == before


def test_file_names_lose_directories_and_keep_chinese_characters(client, draft_id):
    assert upload(client, draft_id, make_pdf(), filename="../../../etc/passwd.pdf", kind="other").status_code == 302
    assert (
        upload(client, draft_id, make_pdf(), filename="研究计划 王小明.pdf", kind="research_proposal").status_code
        == 302
    )
    names = {document.original_filename for document in documents_of(draft_id)}
    assert names == {"passwd.pdf", "研究计划 王小明.pdf"}

    traversal, chinese = documents_of(draft_id)
    status, headers, _body = download(client, traversal.id)
    assert status == 200
    assert headers["Content-Disposition"] == "attachment; filename=passwd.pdf"

    status, headers, _body = download(client, chinese.id)
    assert status == 200
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    assert encoded and unquote(encoded.group(1)) == "研究计划 王小明.pdf"
    assert "/" not in unquote(encoded.group(1))


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\wang\\简历.PDF", "简历.pdf"),
        ("..", "document.pdf"),
        ("", "document.pdf"),
        ("report\x00\x1f.pdf", "report.pdf"),
        ("a\x00b.pdf", "a_b.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe.pdf"),
        ("a<b>c:d|e?.pdf", "a_b_c_d_e.pdf"),
        ("résumé.pdf", "résumé.pdf"),
        ("x" * 300 + ".pdf", "x" * 150 + ".pdf"),
        ("notes", "notes.pdf"),
    ],
)
def test_safe_filename(original, expected):
    assert storage.safe_filename(original) == expected


# --- One or several files per kind ------------------------------------------------------------------------------------


def test_a_new_cv_replaces_the_old_one_and_its_file_goes_after_commit(app, client, draft_id):
    assert upload(client, draft_id, make_pdf(text="first"), filename="cv-2025.pdf").status_code == 302
    [old] = documents_of(draft_id)
    old_path = file_path(app, old.storage_key)
    assert old_path.exists()

    assert upload(client, draft_id, make_pdf(text="second"), filename="cv-2026.pdf").status_code == 302

    [new] = documents_of(draft_id, DocumentKind.CV)
    assert new.id != old.id and new.original_filename == "cv-2026.pdf"
    assert not old_path.exists()
    assert file_path(app, new.storage_key).exists()
    [deleted] = audit_events("document.deleted", old.id)
    assert deleted.details["replaced_by"] == new.id
    [uploaded] = audit_events("document.uploaded", new.id)
    assert uploaded.details["replaces"] == [old.id]


def test_research_proposal_is_replaced_too_but_transcripts_add_up(client, draft_id):
    for name in ("proposal-1.pdf", "proposal-2.pdf"):
        assert upload(client, draft_id, make_pdf(), filename=name, kind="research_proposal").status_code == 302
    for name in ("bachelor.pdf", "master.pdf"):
        assert upload(client, draft_id, make_pdf(), filename=name, kind="transcript").status_code == 302
    assert [d.original_filename for d in documents_of(draft_id, DocumentKind.RESEARCH_PROPOSAL)] == ["proposal-2.pdf"]
    assert [d.original_filename for d in documents_of(draft_id, DocumentKind.TRANSCRIPT)] == [
        "bachelor.pdf",
        "master.pdf",
    ]


def test_files_per_kind_are_capped(app, client, draft_id, monkeypatch):
    monkeypatch.setattr(documents, "MAX_FILES_PER_KIND", 2)
    for number in (1, 2):
        assert upload(client, draft_id, make_pdf(), filename=f"cert-{number}.pdf", kind="other").status_code == 302
    before = stored_files(app)

    response = upload(client, draft_id, make_pdf(), filename="cert-3.pdf", kind="other")

    assert response.status_code == 200
    assert "at most 2 files of this kind" in field_error(response, "file-other")
    assert len(documents_of(draft_id, DocumentKind.OTHER)) == 2
    assert stored_files(app) == before


# --- Deleting ---------------------------------------------------------------------------------------------------------


def test_delete_removes_the_row_and_then_the_file(app, client, applicant, draft_id):
    assert upload(client, draft_id, make_pdf(), filename="toefl.pdf", kind="language_certificate").status_code == 302
    [document] = documents_of(draft_id)
    document_id, path = document.id, file_path(app, document.storage_key)
    version = get_application(draft_id).version

    response = client.post(f"/application/{draft_id}/documents/{document_id}/delete", data={"version": str(version)})

    assert response.status_code == 302
    assert documents_of(draft_id) == []
    assert not path.exists()
    assert get_application(draft_id).version == version + 1
    [event] = audit_events("document.deleted", document_id)
    assert event.actor_id == applicant.id and event.details["filename"] == "toefl.pdf"
    assert "“toefl.pdf” has been deleted." in client.get(f"/application/{draft_id}/documents").get_data(as_text=True)


def test_cannot_delete_a_document_of_another_application_or_a_referee_letter(app, client, applicant, draft_id):
    with app.app_context():
        other = complete_application()
        letter = add_document(get_application(draft_id), DocumentKind.REFEREE_LETTER, filename="letter.pdf")
        db.session.commit()
    foreign = other.documents[0]
    ids = {"foreign": foreign.id, "letter": letter.id, "other_app": other.id}
    paths = [file_path(app, foreign.storage_key), file_path(app, letter.storage_key)]

    for document_id in (ids["foreign"], ids["letter"]):
        # With the current version, as the page sends it: refused for whose document it is, not for being outdated.
        response = client.post(
            f"/application/{draft_id}/documents/{document_id}/delete",
            data={"version": str(get_application(draft_id).version)},
        )
        assert response.status_code == 302
    # Through the other applicant's application the page does not exist at all.
    response = client.post(f"/application/{ids['other_app']}/documents/{ids['foreign']}/delete", data={})
    assert response.status_code == 404

    assert db.session.get(Document, ids["foreign"]) is not None
    assert db.session.get(Document, ids["letter"]) is not None
    assert all(path.exists() for path in paths)


# --- No changes after submission, after the deadline, or from an outdated page ----------------------------------------


def test_no_upload_or_delete_after_submission(app, client, draft_id):
    assert upload(client, draft_id, make_pdf(), kind="transcript").status_code == 302
    [document] = documents_of(draft_id)
    document_id, path = document.id, file_path(app, document.storage_key)
    submit_directly(draft_id)
    before = stored_files(app)

    response = upload(client, draft_id, make_pdf(), kind="transcript")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/application/{draft_id}")
    response = client.post(
        f"/application/{draft_id}/documents/{document_id}/delete",
        data={"version": str(get_application(draft_id).version)},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/application/{draft_id}")

    assert [d.id for d in documents_of(draft_id)] == [document_id]
    assert path.exists() and stored_files(app) == before
    # The step itself is closed too.
    assert client.get(f"/application/{draft_id}/documents").status_code == 302


def test_no_upload_or_delete_after_the_deadline(app, client, open_round, draft_id):
    assert upload(client, draft_id, make_pdf(), kind="transcript").status_code == 302
    [document] = documents_of(draft_id)
    document_id, path = document.id, file_path(app, document.storage_key)
    close_round(open_round.id)
    version = get_application(draft_id).version
    before = stored_files(app)

    assert upload(client, draft_id, make_pdf(), kind="transcript").status_code == 302
    response = client.post(f"/application/{draft_id}/documents/{document_id}/delete", data={"version": str(version)})
    assert response.status_code == 302

    assert [d.id for d in documents_of(draft_id)] == [document_id]
    assert path.exists() and stored_files(app) == before
    assert get_application(draft_id).version == version


@pytest.mark.parametrize("state", ["submitted", "closed"])
@pytest.mark.usefixtures("app_context")
def test_the_services_refuse_too(app, open_round, draft_id, state):
    existing = add_document(get_application(draft_id), DocumentKind.TRANSCRIPT)
    db.session.commit()
    existing_id = existing.id
    if state == "submitted":
        submit_directly(draft_id)
    else:
        close_round(open_round.id)
    application = get_application(draft_id)
    before = stored_files(app)

    with pytest.raises(ApplicationError, match="can no longer be changed"):
        documents.upload_document(
            application, "cv", "cv.pdf", io.BytesIO(make_pdf()), expected_version=application.version, now=utcnow()
        )
    with pytest.raises(ApplicationError, match="can no longer be changed"):
        documents.delete_document(application, existing_id, expected_version=application.version, now=utcnow())
    db.session.commit()
    assert stored_files(app) == before
    assert [d.id for d in documents_of(draft_id)] == [existing_id]


def test_upload_and_delete_from_an_outdated_page_change_nothing(app, client, draft_id):
    outdated = get_application(draft_id).version
    assert upload(client, draft_id, make_pdf(), filename="cv.pdf").status_code == 302  # in another tab
    [document] = documents_of(draft_id)
    document_id = document.id
    current = get_application(draft_id).version
    before = stored_files(app)

    response = upload(client, draft_id, make_pdf(), filename="transcript.pdf", kind="transcript", version=outdated)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "changed in another tab or window" in page
    assert f'name="version" type="hidden" value="{current}"' in page  # the form now carries the current version

    response = client.post(f"/application/{draft_id}/documents/{document_id}/delete", data={"version": str(outdated)})
    assert response.status_code == 302

    assert [d.original_filename for d in documents_of(draft_id)] == ["cv.pdf"]
    assert stored_files(app) == before
    assert get_application(draft_id).version == current


@pytest.mark.usefixtures("app_context")
def test_a_save_racing_past_the_version_check_keeps_no_file(app, draft_id):
    application = get_application(draft_id)
    version = application.version
    # Another request saves the application after this one loaded it (the ORM object still has the old version).
    db.session.connection().execute(
        text("UPDATE applications SET version = version + 1 WHERE id = :id"), {"id": draft_id}
    )
    before = stored_files(app)

    with pytest.raises(StaleVersion):
        documents.upload_document(
            application, "cv", "cv.pdf", io.BytesIO(make_pdf()), expected_version=version, now=utcnow()
        )

    assert stored_files(app) == before  # not even written before the transaction ends
    db.session.rollback()  # as the view helper or the error handler does with a refusal
    assert stored_files(app) == before
    assert documents_of(draft_id) == []


# --- Files follow the transaction -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("app_context")
def test_a_rolled_back_upload_leaves_no_file_and_a_rolled_back_delete_keeps_it(app, draft_id):
    before = stored_files(app)
    application = get_application(draft_id)
    documents.upload_document(
        application, "cv", "cv.pdf", io.BytesIO(make_pdf()), expected_version=application.version, now=utcnow()
    )
    assert len(stored_files(app) - before) == 1  # written at once …
    db.session.rollback()
    assert stored_files(app) == before  # … and gone with the transaction

    application = get_application(draft_id)
    document = documents.upload_document(
        application, "cv", "cv.pdf", io.BytesIO(make_pdf()), expected_version=application.version, now=utcnow()
    )
    db.session.commit()
    key = document.storage_key
    assert storage.exists(key)

    application = get_application(draft_id)
    documents.delete_document(application, document.id, expected_version=application.version, now=utcnow())
    assert storage.exists(key)  # not before the commit
    db.session.rollback()
    assert storage.exists(key)
    assert [d.storage_key for d in documents_of(draft_id)] == [key]

    application = get_application(draft_id)
    documents.upload_document(  # a new CV replaces the old one: its file too stays until the commit
        application, "cv", "cv.pdf", io.BytesIO(make_pdf()), expected_version=application.version, now=utcnow()
    )
    assert storage.exists(key)
    db.session.rollback()
    assert storage.exists(key)
    assert [d.storage_key for d in documents_of(draft_id)] == [key]

    application = get_application(draft_id)
    documents.delete_document(application, document.id, expected_version=application.version, now=utcnow())
    assert storage.exists(key)
    db.session.commit()
    assert not storage.exists(key)


@pytest.mark.usefixtures("app_context")
def test_savepoints_undo_what_was_registered_inside_them(app):
    kept = storage.save_bytes(make_pdf()).key
    nested = db.session.begin_nested()
    storage.delete_after_commit(kept)
    fresh = storage.save_bytes(make_pdf()).key
    storage.forget_if_rolled_back(fresh)
    nested.rollback()
    assert not storage.exists(fresh)  # its savepoint is gone
    db.session.commit()
    assert storage.exists(kept)  # the deletion was undone with the savepoint

    released = storage.save_bytes(make_pdf()).key
    nested = db.session.begin_nested()
    storage.forget_if_rolled_back(released)
    nested.commit()
    assert storage.exists(released)
    db.session.rollback()  # the outer transaction decides
    assert not storage.exists(released)

    # What the outer transaction registered survives the rollback of a savepoint inside it.
    outer_new = storage.save_bytes(make_pdf()).key
    storage.forget_if_rolled_back(outer_new)
    outer_gone = storage.save_bytes(make_pdf()).key
    storage.delete_after_commit(outer_gone)
    db.session.begin_nested().rollback()
    assert storage.exists(outer_new) and storage.exists(outer_gone)
    db.session.commit()
    assert storage.exists(outer_new) and not storage.exists(outer_gone)


@pytest.mark.usefixtures("app_context")
def test_a_session_closed_without_commit_keeps_no_new_file(app):
    key = storage.save_bytes(make_pdf()).key
    storage.forget_if_rolled_back(key)
    db.session.remove()
    assert not storage.exists(key)


# --- The step page ----------------------------------------------------------------------------------------------------


def test_step_page_lists_documents_per_kind_without_referee_letters(app, client, draft_id):
    with app.test_request_context("/"):  # the viewer's zone and language are the defaults: Berlin, English
        application = get_application(draft_id)
        cv = add_document(application, DocumentKind.CV, filename="mein-lebenslauf.pdf")
        add_document(application, DocumentKind.REFEREE_LETTER, filename="confidential-letter.pdf")
        db.session.commit()
        expected_time = format_local(cv.uploaded_at)

    response = client.get(f"/application/{draft_id}/documents")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    for kind in documents.UPLOAD_KINDS:
        assert f'value="{kind.value}"' in page and kind.label in page
    assert "referee_letter" not in page and "confidential-letter.pdf" not in page
    assert "Letter of recommendation" not in page
    assert "mein-lebenslauf.pdf" in page
    assert f"{cv.size_bytes} bytes" in page
    assert expected_time in page
    assert f"/application/documents/{cv.id}" in page
    assert f"/application/{draft_id}/documents/{cv.id}/delete" in page
    assert f"/application/{draft_id}/referees" in page  # continue to the next step


def test_the_pages_own_forms_work_with_csrf_protection_on(app, client, draft_id, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    url = f"/application/{draft_id}/documents"
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {"csrf_token": token, "version": version, "kind": "cv", "file": (io.BytesIO(make_pdf()), "cv.pdf")}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 302
    [document] = documents_of(draft_id)

    page = client.get(url).get_data(as_text=True)
    delete_form = re.search(rf'action="{url}/{document.id}/delete">(.*?)</form>', page, re.S).group(1)
    fields = dict(re.findall(r'name="(csrf_token|version)" value="([^"]+)"', delete_form))
    assert set(fields) == {"csrf_token", "version"}
    assert client.post(f"{url}/{document.id}/delete", data={"version": fields["version"]}).status_code == 400
    assert client.post(f"{url}/{document.id}/delete", data=fields).status_code == 302
    assert documents_of(draft_id) == []


def test_the_documents_step_is_complete_with_the_four_required_kinds(client, draft_id):
    def step_complete() -> bool:
        page = client.get(f"/application/{draft_id}").get_data(as_text=True)
        return re.search(r"6\. Documents</a>.*?badge text-bg-(\w+)", page, re.S).group(1) == "success"

    assert not step_complete()
    for kind in ("cv", "degree_certificate", "transcript", "research_proposal"):
        assert upload(client, draft_id, make_pdf(), kind=kind).status_code == 302
    assert step_complete()


def test_only_the_owner_uses_the_step(app, client, login_as, open_round, draft_id):
    before = stored_files(app)
    login_as(Role.APPLICANT)
    assert client.get(f"/application/{draft_id}/documents").status_code == 404
    assert upload(client, draft_id, make_pdf(), version=1).status_code == 404
    login_as(Role.COORDINATOR)
    assert client.get(f"/application/{draft_id}/documents").status_code == 403
    assert upload(client, draft_id, make_pdf(), version=1).status_code == 403
    assert documents_of(draft_id) == [] and stored_files(app) == before


# --- Downloading ------------------------------------------------------------------------------------------------------


@pytest.fixture
def complete(app, applicant, open_round):
    """A complete draft of the signed-in applicant, with a referee's letter: ids of everything the tests need."""
    with app.app_context():
        application = complete_application(applicant=db.session.get(User, applicant.id), intake_round=open_round)
        cv = next(d for d in application.documents if d.kind == DocumentKind.CV)
        letter = add_document(application, DocumentKind.REFEREE_LETTER, filename="letter.pdf")
        db.session.commit()
        return {
            "application": application.id,
            "cv": cv.id,
            "cv_key": cv.storage_key,
            "cv_bytes": storage.read_bytes(cv.storage_key),
            "letter": letter.id,
            "german_supervisor": application.german_supervisor.user_id,
            "chinese_supervisor": application.chinese_supervisor.user_id,
        }


def test_owner_downloads_with_safe_headers(client, complete):
    status, headers, body = download(client, complete["cv"])
    assert status == 200
    assert body == complete["cv_bytes"]
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == "attachment; filename=cv.pdf"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "private, no-store"


def test_another_applicant_gets_404(client, login_as, complete):
    login_as(Role.APPLICANT)
    assert download(client, complete["cv"])[0] == 404
    assert download(client, complete["letter"])[0] == 404


def test_unknown_document_is_404_and_anonymous_visitors_are_sent_to_sign_in(app, client, complete):
    assert download(client, 987654321)[0] == 404
    anonymous = app.test_client()
    with anonymous.get(f"/application/documents/{complete['cv']}") as response:
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("side", ["german_supervisor", "chinese_supervisor"])
def test_chosen_supervisor_downloads_only_after_submission(client, complete, side):
    sign_in(client, db.session.get(User, complete[side]))
    assert download(client, complete["cv"])[0] == 404
    assert download(client, complete["letter"])[0] == 404

    submit_directly(complete["application"])

    status, _headers, body = download(client, complete["cv"])
    assert status == 200 and body == complete["cv_bytes"]
    assert download(client, complete["letter"])[0] == 200


def test_a_supervisor_not_chosen_gets_404(client, complete):
    submit_directly(complete["application"])
    stranger = supervisor("LUH")
    db.session.commit()
    sign_in(client, db.session.get(User, stranger.user_id))
    assert download(client, complete["cv"])[0] == 404
    assert download(client, complete["letter"])[0] == 404


def test_coordinator_downloads(client, login_as, complete):
    login_as(Role.COORDINATOR)
    assert download(client, complete["cv"])[0] == 200
    submit_directly(complete["application"])
    assert download(client, complete["cv"])[0] == 200
    assert download(client, complete["letter"])[0] == 200


def test_admin_who_is_not_coordinator_gets_404(client, login_as, complete):
    submit_directly(complete["application"])
    login_as(Role.ADMIN)
    assert download(client, complete["cv"])[0] == 404
    assert download(client, complete["letter"])[0] == 404


def test_referee_letter_is_never_downloadable_by_the_applicant(client, applicant, complete):
    assert download(client, complete["letter"])[0] == 404
    submit_directly(complete["application"])
    sign_in(client, db.session.get(User, applicant.id))
    assert download(client, complete["letter"])[0] == 404
    assert download(client, complete["cv"])[0] == 200  # while the own documents stay available


def test_download_name_is_sanitized_whatever_was_stored(app, client, complete):
    with app.app_context():  # as another page (a referee's upload, say) might have stored it
        odd = add_document(get_application(complete["application"]), DocumentKind.OTHER, filename="../../x/..\\y.pdf")
        db.session.commit()
        odd_id = odd.id
    status, headers, _body = download(client, odd_id)
    assert status == 200
    assert headers["Content-Disposition"] == "attachment; filename=y.pdf"


def test_a_missing_file_is_404_not_an_error_page(app, client, complete):
    file_path(app, complete["cv_key"]).unlink()
    assert download(client, complete["cv"])[0] == 404


# --- The PDF check ----------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("app_context")
def test_check_pdf_counts_pages_and_refuses_a_pdf_without_pages():
    assert pdfcheck.check_pdf(make_pdf(pages=4), 10_000_000) == 4
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    with pytest.raises(pdfcheck.UploadRejected, match="no pages"):
        pdfcheck.check_pdf(buffer.getvalue(), 10_000_000)


class ReadCounter(io.BytesIO):
    """A stream that remembers how much it was asked for."""

    def __init__(self, content: bytes) -> None:
        super().__init__(content)
        self.requested: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.requested.append(-1 if size is None else size)
        return super().read(size)


@pytest.mark.usefixtures("app_context")
def test_read_upload_reads_no_further_than_the_limit_and_reports_the_real_size():
    stream = ReadCounter(b"%PDF-" + b"x" * (3 * 1024 * 1024))
    with pytest.raises(pdfcheck.UploadRejected, match=r"too large \(3\.1 MB\); at most 1 MB are allowed"):
        pdfcheck.read_upload(stream, 1024 * 1024)
    assert stream.requested and all(0 <= size <= 1024 * 1024 + 1 for size in stream.requested)
    assert pdfcheck.read_upload(io.BytesIO(b"%PDF-1.7"), 100) == b"%PDF-1.7"


def test_a_user_is_refused_in_their_own_language_format(app, client, login_as, open_round, monkeypatch):
    user = login_as(Role.APPLICANT, language="de")
    draft_id = draft_for(user, open_round)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1536)  # 1.5 KB: the decimal comma shows the German locale
    response = upload(client, draft_id, make_pdf(pages=30))
    assert response.status_code == 200
    assert "1,5" in field_error(response, "file-cv")
