"""Step 6 (documents): upload, replace and delete the applicant's PDFs (who may download one: permissions.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _

from portal import db
from portal.applications import services
from portal.applications.models import Application, Document, DocumentKind
from portal.applications.services import ApplicationError
from portal.applications.steps import REQUIRED_DOCUMENTS
from portal.core import audit, pdfcheck, storage

# What the applicant uploads on step 6, in the order shown; referees' letters come in through the referees' page.
UPLOAD_KINDS: tuple[DocumentKind, ...] = (
    DocumentKind.CV,
    DocumentKind.DEGREE_CERTIFICATE,
    DocumentKind.TRANSCRIPT,
    DocumentKind.RESEARCH_PROPOSAL,
    DocumentKind.LANGUAGE_CERTIFICATE,
    DocumentKind.OTHER,
)
# One file each: a new upload replaces the previous one.
SINGLE_FILE_KINDS = frozenset({DocumentKind.CV, DocumentKind.RESEARCH_PROPOSAL})
MAX_FILES_PER_KIND = 10


@dataclass(frozen=True)
class KindGroup:
    """One kind of document on the step page, with the files uploaded so far."""

    kind: DocumentKind
    documents: list[Document]
    required: bool
    single: bool

    @property
    def full(self) -> bool:
        return not self.single and len(self.documents) >= MAX_FILES_PER_KIND


def upload_limit() -> int:
    """The largest accepted document, in bytes (UPLOAD_MAX_BYTES)."""
    return int(current_app.config["UPLOAD_MAX_BYTES"])


def applicant_documents(application: Application) -> list[Document]:
    """The documents the applicant uploaded (never the referees' letters)."""
    return [document for document in application.documents if document.kind in UPLOAD_KINDS]


def documents_by_kind(application: Application) -> list[KindGroup]:
    """Step 6's list: every kind the applicant may upload, with its files in upload order."""
    mine = applicant_documents(application)
    return [
        KindGroup(
            kind=kind,
            documents=[document for document in mine if document.kind == kind],
            required=kind in REQUIRED_DOCUMENTS,
            single=kind in SINGLE_FILE_KINDS,
        )
        for kind in UPLOAD_KINDS
    ]


def _upload_kind(value: DocumentKind | str) -> DocumentKind:
    kind = DocumentKind(value) if value in set(DocumentKind) else None
    if kind not in UPLOAD_KINDS:
        raise ApplicationError(_("Please choose what kind of document this is."), field="kind")
    return kind


def upload_document(
    application: Application,
    kind: DocumentKind | str,
    filename: str,
    stream: BinaryIO,
    *,
    expected_version: int | None,
    now: dt.datetime,
) -> Document:
    """Check and store an uploaded PDF as a document of the draft; a CV or proposal replaces the previous one.

    Raises ApplicationError (with `field` "kind" or "file") when the file is refused, StaleVersion when the
    application changed since the form was loaded; in both cases nothing is stored.
    """
    services.ensure_editable(application, expected_version, now)
    kind = _upload_kind(kind)
    existing = [document for document in application.documents if document.kind == kind]
    if kind not in SINGLE_FILE_KINDS and len(existing) >= MAX_FILES_PER_KIND:
        raise ApplicationError(
            _(
                "You can upload at most %(count)d files of this kind. Please delete one before adding another.",
                count=MAX_FILES_PER_KIND,
            ),
            field="kind",
        )
    content, page_count = _checked_pdf(stream)
    services.touch(application, now)  # a save that lost the race to another tab is refused before a file is written
    document = _stored_document(kind, filename, content, page_count, now)
    replaced = existing if kind in SINGLE_FILE_KINDS else []
    for old in replaced:
        application.documents.remove(old)
        storage.delete_after_commit(old.storage_key)
    application.documents.append(document)
    db.session.flush()
    for old in replaced:
        audit.record("document.deleted", old, details={**_details(application, old), "replaced_by": document.id})
    audit.record(
        "document.uploaded",
        document,
        details={**_details(application, document), "replaces": [old.id for old in replaced]},
    )
    return document


def _checked_pdf(stream: BinaryIO) -> tuple[bytes, int]:
    """The upload's content and page count, if it is a readable PDF within the size limit."""
    try:
        content = pdfcheck.read_upload(stream, upload_limit())
        return content, pdfcheck.check_pdf(content, upload_limit())
    except pdfcheck.UploadRejected as error:
        raise ApplicationError(str(error), field="file") from error


def _stored_document(kind: DocumentKind, filename: str, content: bytes, page_count: int, now: dt.datetime) -> Document:
    """A document for the content, its file written now and deleted again if the transaction is rolled back."""
    stored = storage.save_bytes(content)
    storage.forget_if_rolled_back(stored.key)
    return Document(
        kind=kind,
        original_filename=storage.safe_filename(filename),
        storage_key=stored.key,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        page_count=page_count,
        uploaded_at=now,
    )


def delete_document(
    application: Application, document_id: int, *, expected_version: int | None, now: dt.datetime
) -> Document:
    """Remove one of the draft's documents; its file goes once the change has committed."""
    services.ensure_editable(application, expected_version, now)
    document = next((d for d in applicant_documents(application) if d.id == document_id), None)
    if document is None:
        raise ApplicationError(_("This document is not part of your application."))
    application.documents.remove(document)
    storage.delete_after_commit(document.storage_key)
    services.touch(application, now)
    audit.record("document.deleted", document, details=_details(application, document))
    return document


def _details(application: Application, document: Document) -> dict:
    return {
        "application_id": application.id,
        "kind": document.kind.value,
        "filename": document.original_filename,
        "size_bytes": document.size_bytes,
        "sha256": document.sha256,
    }


def open_stored(document: Document) -> BinaryIO | None:
    """The document's file, opened for reading; None (and an error in the log) when the file is missing."""
    try:
        return storage.open_file(document.storage_key)
    except FileNotFoundError:
        current_app.logger.error("The file of document %s is missing (%s)", document.id, document.storage_key)
        return None


def download_name(document: Document) -> str:
    """The name offered in the download: the original one, sanitized (any script kept, no directories)."""
    return storage.safe_filename(document.original_filename)
