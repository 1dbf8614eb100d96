"""A supervisor's capacity in a round, written once: the admitted candidates of the round, on either side of the pair,
who still hold their place (a declined or expired offer gives it up: the rule the factory adds from portal.offers).

The directory offers only supervisors below their capacity, a decision that admits beyond it is refused until the
coordinator confirms it, and every page that speaks of capacity uses `capacity_message`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, not_, or_, select

from portal import db
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome
from portal.supervisors.models import SupervisorProfile

# Conditions over Application under which an admitted candidate no longer holds a place (the offer declined or
# expired: portal.offers), added by the factory (`add_place_given_up_rule`).
_GIVEN_UP: list[Callable[[], ColumnElement[bool]]] = []


def add_place_given_up_rule(condition: Callable[[], ColumnElement[bool]]) -> None:
    """Count no admitted application for which condition() holds (registered once per rule)."""
    if condition not in _GIVEN_UP:
        _GIVEN_UP.append(condition)


def _admitted(round_id: int | None) -> Select:
    """The admitted, not withdrawn applications of the round that still hold their place."""
    query = (
        select(Application.id, Application.german_supervisor_id, Application.chinese_supervisor_id)
        .join(Decision, Decision.application_id == Application.id)
        .where(
            Decision.outcome == DecisionOutcome.ADMIT,
            Application.round_id == round_id,
            Application.state != ApplicationState.WITHDRAWN,
        )
    )
    for condition in _GIVEN_UP:
        query = query.where(not_(condition()))
    return query


def admitted_counts(round_id: int | None):
    """A subquery: per supervisor profile (profile_id), the admitted candidates of the round (admitted)."""
    admitted = _admitted(round_id).subquery()
    return (
        select(SupervisorProfile.id.label("profile_id"), func.count(admitted.c.id).label("admitted"))
        .join(
            admitted,
            or_(
                admitted.c.german_supervisor_id == SupervisorProfile.id,
                admitted.c.chinese_supervisor_id == SupervisorProfile.id,
            ),
        )
        .group_by(SupervisorProfile.id)
        .subquery()
    )


def admitted_count(profile: SupervisorProfile, round_id: int, *, excluding: int | None = None) -> int:
    """The supervisor's admitted candidates in the round (leaving out one application, when given)."""
    admitted = _admitted(round_id).where(
        or_(Application.german_supervisor_id == profile.id, Application.chinese_supervisor_id == profile.id)
    )
    if excluding is not None:
        admitted = admitted.where(Application.id != excluding)
    return db.session.scalar(select(func.count()).select_from(admitted.subquery())) or 0


def has_room(profile: SupervisorProfile, admitted: int) -> bool:
    """Whether the supervisor can take one more candidate: takes candidates, active, below the capacity."""
    return profile.accepting_candidates and profile.user.active and admitted < profile.capacity


@dataclass(frozen=True)
class CapacityLoad:
    """A supervisor's admitted candidates in a round (the application at hand, if any, not counted)."""

    profile: SupervisorProfile
    admitted: int

    @property
    def capacity(self) -> int:
        return self.profile.capacity

    @property
    def available(self) -> bool:
        """Whether the supervisor can be chosen: they have room for one more candidate in the round."""
        return has_room(self.profile, self.admitted)


def loads_beyond_capacity(application: Application, pending: Counter[int] | None = None) -> list[CapacityLoad]:
    """The chosen supervisors whose capacity admitting this application would exceed; `pending` adds admissions not
    yet written (earlier rows of the same bulk decision), per profile id."""
    loads = []
    for profile in (application.german_supervisor, application.chinese_supervisor):
        if profile is None:
            continue
        admitted = admitted_count(profile, application.round_id, excluding=application.id)
        admitted += (pending or Counter())[profile.id]
        if admitted + 1 > profile.capacity:
            loads.append(CapacityLoad(profile, admitted))
    return loads


def capacity_message(profile: SupervisorProfile) -> str:
    """The one sentence that says a supervisor has no room left in a round."""
    return _(
        "%(name)s cannot take further candidates in this round (capacity: %(capacity)d).",
        name=profile.display_name,
        capacity=profile.capacity,
    )
