"""The one join of an application with its applicant and both chosen supervisors (profile, account, university).

The coordinators' list, the pairing list and a reviewer's assigned list all read applications with both supervisors
and their universities in one narrow query; each picks its columns from these aliases and adds its own conditions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import aliased

from portal.accounts.models import User
from portal.applications.models import Application
from portal.supervisors.models import Country, SupervisorProfile, University


def university_name(university: Any, language: str) -> Any:
    """The university's name column in the viewer's language (one column, not all three)."""
    return {"de": university.name_de, "zh": university.name_zh}.get(language, university.name_en)


@dataclass(frozen=True)
class Side:
    """One chosen supervisor of an application: their profile, account and university (aliases)."""

    profile: Any
    user: Any
    university: Any


def _side(name: str) -> Side:
    return Side(
        aliased(SupervisorProfile, name=name),
        aliased(User, name=f"{name}_user"),
        aliased(University, name=f"{name}_uni"),
    )


@dataclass(frozen=True)
class SupervisedApplications:
    """Aliases for the applicant and the two supervisors, and the joins that bring them to a query of applications."""

    applicant: Any = field(default_factory=lambda: aliased(User, name="applicant"))
    german: Side = field(default_factory=lambda: _side("german"))
    chinese: Side = field(default_factory=lambda: _side("chinese"))

    def side(self, country: Country) -> Side:
        """The German or the Chinese supervisor's aliases."""
        return self.german if country == Country.DE else self.chinese

    def join(self, query: Select) -> Select:
        """query (which reads Application) with the applicant and both supervisors joined; a missing choice is NULL."""
        query = query.join(self.applicant, self.applicant.id == Application.applicant_id)
        for side, column in (
            (self.german, Application.german_supervisor_id),
            (self.chinese, Application.chinese_supervisor_id),
        ):
            query = (
                query.outerjoin(side.profile, side.profile.id == column)
                .outerjoin(side.user, side.user.id == side.profile.user_id)
                .outerjoin(side.university, side.university.id == side.profile.university_id)
            )
        return query
