"""The coordinators' view of a round's offers (offered, accepted, declined, expired, with counts) and the waiting list,
from which a freed place is offered to the next applicant.

The waiting list is the round's released "waiting list" decisions in the ranking's order (the reviews' mean score,
highest first; the reference number breaks ties): its first is the next.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, defaultload

from portal import db
from portal.accounts.models import User
from portal.applications.capacity import loads_beyond_capacity
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome, IntakeRound
from portal.core import audit
from portal.core.versions import flush_or_stale
from portal.offers.models import Offer, OfferState
from portal.offers.services import OfferError, make_offer
from portal.review.decisions import lock_supervisors
from portal.review.ranking import RankingFilter, RankingRow, RankingSort, ranking


@dataclass(frozen=True)
class Acceptances:
    """A round's offers with their state now, and how many are in each state."""

    offers: list[tuple[Offer, OfferState]]
    counts: Counter

    def count(self, state: OfferState) -> int:
        return self.counts.get(state, 0)

    @property
    def free_places(self) -> int:
        """Places given up (declined or expired) and not yet offered to someone on the waiting list."""
        given_up = self.count(OfferState.DECLINED) + self.count(OfferState.EXPIRED)
        return max(0, given_up - sum(1 for offer, _state in self.offers if offer.from_waiting_list))


def acceptances(intake: IntakeRound, now: dt.datetime) -> Acceptances:
    """The round's offers, by reference, with the applicants (one query)."""
    query = (
        select(Offer)
        .join(Offer.application)
        .options(
            contains_eager(Offer.application),
            defaultload(Offer.application).defaultload(Application.applicant).lazyload(User.roles),
        )
        .where(Offer.round_id == intake.id)
        .order_by(Application.reference, Offer.id)
    )
    offers = [(offer, offer.status(now)) for offer in db.session.scalars(query)]
    return Acceptances(offers, Counter(state for _offer, state in offers))


def waiting_list(intake: IntakeRound) -> list[RankingRow]:
    """The round's applicants on the waiting list (decision released), the next first."""
    rows = ranking(intake.id, RankingFilter.from_values(None, None, RankingSort.MEAN.value))
    return [
        row
        for row in rows
        if row.application.state == ApplicationState.DECIDED
        and row.decision is not None
        and row.decision.outcome == DecisionOutcome.WAITING_LIST
        and row.decision.released_at is not None
    ]


def offer_to_next(
    intake: IntakeRound,
    application_id: int | None,
    *,
    deadline: dt.datetime | None,
    confirm_capacity: bool,
    by: User,
    now: dt.datetime,
) -> Offer:
    """Admit the next on the waiting list and offer them the place until deadline (they are emailed).

    The page named whom it would offer the place to: if the list has changed since (someone else was offered it), the
    offer is refused. Exceeding a chosen supervisor's capacity needs confirm_capacity, as for any admission.
    """
    rows = waiting_list(intake)
    if not rows:
        raise OfferError(_("Nobody is on the waiting list of this round."))
    application = rows[0].application
    if application.id != application_id:
        raise OfferError(_("The waiting list has changed since you opened the page. Please check who is next."))
    if deadline is None or deadline <= now:
        raise OfferError(_("Please give an answer deadline in the future."), field="deadline")
    lock_supervisors([application])  # counted after any admission being written at the same instant
    if loads_beyond_capacity(application) and not confirm_capacity:
        raise OfferError(
            _("Please confirm that you want to admit the candidate beyond the supervisors' capacity."),
            field="confirm_capacity",
        )
    _admit_from_waiting_list(application, by, now)
    return make_offer(application, deadline=deadline, now=now, by=by, waiting=True)


def _admit_from_waiting_list(application: Application, by: User, now: dt.datetime) -> None:
    decision = db.session.scalar(select(Decision).where(Decision.application_id == application.id).with_for_update())
    if decision is None or decision.outcome != DecisionOutcome.WAITING_LIST:
        raise OfferError(_("The waiting list has changed since you opened the page. Please check who is next."))
    decision.outcome, decision.decided_by_id, decision.decided_at = DecisionOutcome.ADMIT, by.id, now
    application.updated_at = now  # bumps the version: an open form about the application notices the change
    flush_or_stale()
    audit.record(
        "decision.changed",
        application,
        actor_id=by.id,
        details={
            "outcome": DecisionOutcome.ADMIT.value,
            "previous": DecisionOutcome.WAITING_LIST.value,
            "reason": "place offered from the waiting list",
        },
    )


def answerable_offers(intake: IntakeRound, now: dt.datetime) -> list[Offer]:
    """The round's offers still open for an answer (for the settings page's count)."""
    query = select(Offer).where(Offer.round_id == intake.id, Offer.state == OfferState.OFFERED, Offer.deadline > now)
    return list(db.session.scalars(query))
