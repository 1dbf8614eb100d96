"""One demo draft whose consents were given to the privacy notice's previous version: its applicant
(guo.zhiqiang@example.com, a draft that still lacks a referee) is asked on the personal step to read the new notice
and consent again, and cannot submit before."""

from __future__ import annotations

from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.consent import CONSENTS
from portal.applications.models import Application, ApplicationState

OUTDATED_CONSENT_OWNER = "guo.zhiqiang@example.com"
PREVIOUS_NOTICE_VERSION = "2026-11"


def outdate_one_consent() -> None:
    """Mark the demo draft's consents as given to the previous version of the notice (run once, when it is made)."""
    query = (
        select(Application)
        .join(User, User.id == Application.applicant_id)
        .where(User.email == OUTDATED_CONSENT_OWNER, Application.state == ApplicationState.DRAFT)
    )
    for application in db.session.scalars(query):
        for _field, at, version in CONSENTS:
            if getattr(application, at) is not None:
                setattr(application, version, PREVIOUS_NOTICE_VERSION)
    db.session.flush()
