"""Step 6 (documents): upload, replace, delete; and the permission-checked download of any document, shown in the
browser with `?disposition=inline` (the review page frames it) or downloaded.

Each kind has its own slot and form on the page. Without JavaScript a slot's form posts and the page comes back; with
JavaScript (static/js/documents.js) choosing a file posts the same form in the background and the answer is JSON
carrying the re-rendered slots, with the message in the slot and the application's new version in every form."""

from __future__ import annotations

from flask import abort, flash, get_flashed_messages, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.applications import documents
from portal.applications.forms import ApplicationForm, UploadForm
from portal.applications.models import Application, Document
from portal.applications.permissions import document_for
from portal.applications.steps import step_statuses
from portal.applications.views import bp, editable_application, next_step_url, render_step, save_sent
from portal.core.operations import Outcome, attempt
from portal.core.pdfcheck import human_size
from portal.core.permissions import applicant_only, login_required
from portal.core.timeutil import utcnow
from portal.core.uploads import send_upload
from portal.core.versions import StaleVersion


def _slots(application: Application, form: UploadForm, messages: list[str] | None = None, uploaded=None) -> dict:
    """What the slots' template needs: every kind with its files, and the posted kind's errors or success."""
    return {
        "groups": documents.documents_by_kind(application),
        "max_files": documents.MAX_FILES_PER_KIND,
        "human_size": human_size,
        "upload_limit": human_size(documents.upload_limit()),
        "posted_kind": (form.kind.data or "") if request.method == "POST" else None,
        "slot_messages": messages or [],
        "uploaded": uploaded,
    }


def _errors(form: UploadForm) -> list[str]:
    return [str(error) for field in form for error in field.errors]


def _render(application: Application, form: UploadForm):
    context = _slots(application, form, _errors(form))  # a flashed refusal shows above the page, as everywhere
    return render_step(application, "documents", form, next_url=next_step_url(application, "documents"), **context)


def _answer_in_background(application: Application, form: UploadForm, outcome: Outcome[Document] | None):
    """The JSON answer to a slot that uploaded by itself: the slots as they are now, the message in the posted one."""
    messages = _errors(form) + [str(message) for message in get_flashed_messages()]
    uploaded = outcome.value if outcome else None
    html = render_template(
        "applications/_document_slots.html",
        application=application,
        form=form,
        **_slots(application, form, messages, uploaded),
    )
    # The steps' navigation too: the documents step may have become complete (or not, after a conflict).
    statuses = step_statuses(application)
    steps = render_template("applications/_steps_nav.html", application=application, statuses=statuses)
    stale = outcome is not None and isinstance(outcome.error, StaleVersion)
    body = {"saved": bool(outcome), "stale": stale, "version": application.version, "errors": messages}
    body |= {"html": html, "steps": steps}
    return jsonify(body), 200 if outcome else 409


@bp.route("/<int:application_id>/documents", methods=["GET", "POST"])
@applicant_only
def step_documents(application_id: int):
    application = editable_application(application_id)
    form = UploadForm.for_page(application)
    uploaded = save_sent(form, lambda **when: documents.upload_document(application, **form.upload_arguments(), **when))
    if request.method == "POST" and request.headers.get("X-Upload") == "1":
        return _answer_in_background(application, form, uploaded)
    if uploaded:
        flash(_("“%(name)s” has been uploaded.", name=uploaded.value.original_filename), "success")
        anchor = f"documents-{uploaded.value.kind.value}"
        return redirect(url_for("applications.step_documents", application_id=application.id, _anchor=anchor))
    return _render(application, form)


@bp.post("/<int:application_id>/documents/<int:document_id>/delete")
@applicant_only
def delete_document(application_id: int, document_id: int):
    application = editable_application(application_id)
    version = ApplicationForm().expected_version
    deleted = attempt(
        lambda: documents.delete_document(application, document_id, expected_version=version, now=utcnow())
    )
    anchor = None
    if deleted:
        flash(_("“%(name)s” has been deleted.", name=deleted.value.original_filename), "success")
        anchor = f"documents-{deleted.value.kind.value}"
    return redirect(url_for("applications.step_documents", application_id=application.id, _anchor=anchor))


@bp.get("/documents/<int:document_id>")
@login_required
def download_document(document_id: int):
    document = document_for(current_user, document_id)
    handle = documents.open_stored(document) or abort(404)
    inline = request.args.get("disposition") == "inline"
    return send_upload(
        handle, documents.download_name(document), inline=inline, mimetype="application/pdf", default="document.pdf"
    )
