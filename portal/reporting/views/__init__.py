"""The reporting pages: the coordinators' lists and their exports, dossiers and background exports with their pages,
and the applicant's own downloads. Their addresses predate this package and stay as they are (emails link to them)."""

from __future__ import annotations

from flask import Blueprint, Response, send_file

from portal.reporting.services import Attachment

bp = Blueprint("reporting", __name__)


def send_attachment(attachment: Attachment) -> Response:
    """Send a file as a download that neither a shared cache nor the browser keeps (it holds personal data)."""
    response = send_file(
        attachment.content,
        mimetype=attachment.mimetype,
        as_attachment=True,
        download_name=attachment.filename,
        etag=False,
        conditional=False,
    )
    if attachment.size is not None:
        response.content_length = attachment.size
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response



from portal.reporting.views import applicant, dossiers, lists, record  # noqa: E402, F401 - the pages, on this blueprint
