"""The applicant's downloads: the PDF summary of the submitted application and all their personal data."""

from __future__ import annotations

from flask_login import current_user

from portal.applications.permissions import application_for, is_owner
from portal.core.permissions import applicant_only
from portal.reporting import services
from portal.reporting.permissions import may_download_summary
from portal.reporting.views import bp, send_attachment


@bp.get("/application/<int:application_id>/summary.pdf")
@applicant_only
def summary_pdf(application_id: int):
    application = application_for(current_user, application_id, may_download_summary)
    return send_attachment(services.application_summary(application))


@bp.get("/application/<int:application_id>/my-data.zip")
@applicant_only
def personal_data(application_id: int):
    application = application_for(current_user, application_id, is_owner)
    return send_attachment(services.personal_data_zip(current_user._get_current_object(), application))
