"""Step 6 (documents): upload, replace, delete; and the permission-checked download of any document, shown in the
browser with `?disposition=inline` (the review page frames it) or downloaded."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.applications import documents
from portal.applications.forms import ApplicationForm, UploadForm
from portal.applications.models import Application
from portal.applications.permissions import document_for
from portal.applications.views import bp, editable_application, next_step_url, render_step, save_sent
from portal.core.operations import attempt
from portal.core.pdfcheck import human_size
from portal.core.permissions import applicant_only, login_required
from portal.core.timeutil import utcnow
from portal.core.uploads import send_upload


def _render(application: Application, form: UploadForm):
    return render_step(
        application,
        "documents",
        form,
        groups=documents.documents_by_kind(application),
        max_files=documents.MAX_FILES_PER_KIND,
        human_size=human_size,
        next_url=next_step_url(application, "documents"),
    )


@bp.route("/<int:application_id>/documents", methods=["GET", "POST"])
@applicant_only
def step_documents(application_id: int):
    application = editable_application(application_id)
    form = UploadForm.for_page(application)
    uploaded = save_sent(form, lambda **when: documents.upload_document(application, **form.upload_arguments(), **when))
    if uploaded:
        flash(_("“%(name)s” has been uploaded.", name=uploaded.value.original_filename), "success")
        return redirect(url_for("applications.step_documents", application_id=application.id))
    return _render(application, form)


@bp.post("/<int:application_id>/documents/<int:document_id>/delete")
@applicant_only
def delete_document(application_id: int, document_id: int):
    application = editable_application(application_id)
    version = ApplicationForm().expected_version
    deleted = attempt(
        lambda: documents.delete_document(application, document_id, expected_version=version, now=utcnow())
    )
    if deleted:
        flash(_("“%(name)s” has been deleted.", name=deleted.value.original_filename), "success")
    return redirect(url_for("applications.step_documents", application_id=application.id))


@bp.get("/documents/<int:document_id>")
@login_required
def download_document(document_id: int):
    document = document_for(current_user, document_id)
    handle = documents.open_stored(document) or abort(404)
    inline = request.args.get("disposition") == "inline"
    return send_upload(
        handle, documents.download_name(document), inline=inline, mimetype="application/pdf", default="document.pdf"
    )
