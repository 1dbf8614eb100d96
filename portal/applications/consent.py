"""The privacy notice's version, and whether an application's consents are to the version in force.

The notice (templates/main/_privacy_notice.html) and the consent texts of the personal step change together: a new
version gets a new id and date here, and from then on the consents of every draft given to an older version count as
not given. The personal step then shows the new notice and asks again, the submit check wants the current version,
and nothing else the applicant entered changes. Submitted applications keep the version they were submitted with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PrivacyNotice:
    version: str
    published: dt.date


# The version in force: change both when the notice or the consent texts change.
PRIVACY_NOTICE = PrivacyNotice(version="2026-12", published=dt.date(2026, 12, 5))
PRIVACY_NOTICE_VERSION = PRIVACY_NOTICE.version

# The consents the personal step asks for: (form field, time column, version column).
CONSENTS = (
    ("privacy_consent", "privacy_consent_at", "privacy_consent_version"),
    ("transfer_consent", "transfer_consent_at", "transfer_consent_version"),
)


def consent_current(application: Any, at: str, version: str) -> bool:
    """Whether the consent kept in these columns was given to the notice in force."""
    return getattr(application, at) is not None and getattr(application, version) == PRIVACY_NOTICE_VERSION


def consents_current(application: Any) -> bool:
    """Whether both consents were given to the notice in force."""
    return all(consent_current(application, at, version) for _field, at, version in CONSENTS)


def consent_outdated(application: Any) -> bool:
    """Whether the applicant consented to an older notice and has not yet consented to the one in force."""
    given = any(getattr(application, at) is not None for _field, at, _version in CONSENTS)
    return given and not consents_current(application)


def record_consents(application: Any, data: dict[str, Any], now: dt.datetime) -> None:
    """Keep what the personal step's boxes say: a ticked box is a consent to the notice in force (given now unless it
    was already given to this version), an unticked one withdraws it."""
    for field, at, version in CONSENTS:
        if not data.get(field):
            setattr(application, at, None)
            setattr(application, version, None)
        elif not consent_current(application, at, version):
            setattr(application, at, now)
            setattr(application, version, PRIVACY_NOTICE_VERSION)
