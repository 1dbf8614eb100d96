"""Step 6 (documents): upload, replace, delete; and the permission-checked download of any document."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SubmitField
from wtforms.validators import DataRequired

from portal import db
from portal.applications import documents, services
from portal.applications.forms import VersionedForm, with_blank
from portal.applications.models import Application, Document
from portal.applications.views import applicant_only, bp, next_step_url, own_application, render_step
from portal.core import storage
from portal.core.pdfcheck import human_size
from portal.core.permissions import roles_required
from portal.core.timeutil import utcnow

# --- The form of the screen -----------------------------------------------------------------------------------------


def kind_options():
    return with_blank([(kind.value, kind.label) for kind in documents.UPLOAD_KINDS])


class UploadForm(VersionedForm):
    kind = SelectField(
        _l("Kind of document"),
        choices=kind_options,
        validators=[DataRequired(message=_l("Please choose what kind of document this is."))],
        description=_l(
            "A new curriculum vitae or research proposal replaces the previous one; "
            "of the other kinds you can upload several files."
        ),
    )
    file = FileField(
        _l("PDF file"),
        validators=[FileRequired(message=_l("Please choose a file to upload."))],
        render_kw={"accept": "application/pdf,.pdf"},
    )
    upload = SubmitField(_l("Upload"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.file.description = _(
            "PDF only, at most %(limit)s per file. Password-protected PDFs cannot be accepted.",
            limit=human_size(documents.upload_limit()),
        )


# --- Views ------------------------------------------------------------------------------------------------------------


def _editable(application: Application) -> bool:
    return application.is_draft and application.intake_round.is_open(utcnow())


def _no_longer_editable(application: Application):
    flash(_("This application can no longer be changed."), "warning")
    return redirect(url_for("applications.overview", application_id=application.id))


@bp.route("/<int:application_id>/documents", methods=["GET", "POST"])
@applicant_only
def step_documents(application_id: int):
    application = own_application(application_id)
    if not _editable(application):
        return _no_longer_editable(application)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            document = documents.upload_document(
                application,
                form.kind.data,
                upload.filename or "",
                upload.stream,
                expected_version=form.expected_version,
                now=utcnow(),
            )
        except services.StaleApplication as error:
            flash(str(error), "warning")
            form.version.data = str(services.refreshed(application).version)
        except services.ApplicationError as error:
            target = getattr(form, error.field, None) if error.field else None
            (target.errors.append(str(error)) if target is not None else flash(str(error), "danger"))
        else:
            flash(_("“%(name)s” has been uploaded.", name=document.original_filename), "success")
            return redirect(url_for("applications.step_documents", application_id=application.id))
    elif request.method == "GET":
        form.version.data = str(application.version)
        if request.args.get("kind") in {kind.value for kind in documents.UPLOAD_KINDS}:
            form.kind.data = request.args["kind"]
    return render_step(
        application,
        "documents",
        form,
        groups=documents.documents_by_kind(application),
        max_files=documents.MAX_FILES_PER_KIND,
        human_size=human_size,
        next_url=next_step_url(application, "documents"),
    )


@bp.post("/<int:application_id>/documents/<int:document_id>/delete")
@applicant_only
def delete_document(application_id: int, document_id: int):
    application = own_application(application_id)
    if not _editable(application):
        return _no_longer_editable(application)
    form = VersionedForm()
    try:
        document = documents.delete_document(
            application, document_id, expected_version=form.expected_version, now=utcnow()
        )
    except services.StaleApplication as error:
        flash(str(error), "warning")
    except services.ApplicationError as error:
        flash(str(error), "danger")
    else:
        flash(_("“%(name)s” has been deleted.", name=document.original_filename), "success")
    return redirect(url_for("applications.step_documents", application_id=application.id))


@bp.get("/documents/<int:document_id>")
@roles_required()
def download_document(document_id: int):
    document = db.session.get(Document, document_id)
    if document is None or not documents.can_download(current_user, document):
        abort(404)
    try:
        handle = storage.open_file(document.storage_key)
    except FileNotFoundError:
        current_app.logger.error("The file of document %s is missing (%s)", document.id, document.storage_key)
        abort(404)
    response = send_file(
        handle,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=documents.download_name(document),
        conditional=False,
        etag=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
