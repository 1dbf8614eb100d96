"""The portal's role names; the models and the decorator both speak them."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from portal.core.i18n import translated


class Role(enum.StrEnum):
    """A role a user can hold; one user may hold several."""

    APPLICANT = "applicant"
    SUPERVISOR = "supervisor"
    COMMITTEE = "committee"
    COORDINATOR = "coordinator"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return translated(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.APPLICANT: _l("Applicant"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.COMMITTEE: _l("Selection committee"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
}
