"""The offer of a place: made when an admission is released, answered once by the applicant before its deadline, and
the rule that a declined or expired offer gives the place up (for the supervisors' capacity).

Every answer is an outbox email to the applicant, the coordinators and both chosen supervisors, each in their own
language, and an audit event, in the answer's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, or_, select

from portal import db
from portal.accounts.models import User, UserRole
from portal.applications.models import Application, DecisionOutcome, IntakeRound
from portal.core import audit
from portal.core.one_trip import OneTrip, Pending
from portal.core.outbox import notify
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.core.templating import format_local
from portal.core.timeutil import utcnow
from portal.core.urls import absolute_url
from portal.core.versions import check_version, flush_or_stale, version_of
from portal.offers.models import Offer, OfferSettings, OfferState

# Without a deadline set for the round (or with one already past), an offer may be answered for this long.
DEFAULT_ANSWER_DAYS = 14
REASON_MAX = 2000


class OfferError(RuleViolation):
    """An offer rule was broken; the message is for the person, next to `field` when given."""


def place_given_up() -> ColumnElement[bool]:
    """Over Application: the admitted candidate declined the offer, or let it expire (their place is free again)."""
    return exists(
        select(Offer.id).where(
            Offer.application_id == Application.id,
            or_(
                Offer.state == OfferState.DECLINED,
                and_(Offer.state == OfferState.OFFERED, Offer.deadline <= utcnow()),
            ),
        )
    )


def settings_of(intake: IntakeRound) -> OfferSettings | None:
    return db.session.scalar(select(OfferSettings).where(OfferSettings.round_id == intake.id))


def deadline_for(intake: IntakeRound, now: dt.datetime) -> dt.datetime:
    """The deadline of an offer made now: the round's, unless it has none or it has passed."""
    settings = settings_of(intake)
    if settings is not None and settings.deadline is not None and settings.deadline > now:
        return settings.deadline
    return now + dt.timedelta(days=DEFAULT_ANSWER_DAYS)


def offer_of(application: Application) -> Offer | None:
    return db.session.scalar(select(Offer).where(Offer.application_id == application.id))


@dataclass(frozen=True)
class OfferSummary:
    """Where an offer stands as staff and supervisors read it (the record, the dossier, the supervisor's page)."""

    state: OfferState
    deadline: dt.datetime
    answered_at: dt.datetime | None
    decline_reason: str
    from_waiting_list: bool


def offer_summary(application: Application, now: dt.datetime) -> OfferSummary | None:
    """The offer of a released admission, its state as of now (an unanswered offer past its deadline is expired)."""
    return OneTrip.alone(db.session, offer_summary_in, application, now)


def offer_summary_in(trip: OneTrip, application: Application, now: dt.datetime) -> Pending[OfferSummary | None]:
    """offer_summary, read in the trip (nothing is read before a decision is released)."""
    if not application.decision_released:
        return trip.then(lambda: None)
    offers = trip.objects(select(Offer).where(Offer.application_id == application.id))

    def build(offers: list[Offer]) -> OfferSummary | None:
        if not offers:
            return None
        offer = offers[0]
        return OfferSummary(
            offer.status(now), offer.deadline, offer.answered_at, offer.decline_reason, offer.from_waiting_list
        )

    return trip.then(build, offers)


def make_offer(application: Application, *, deadline: dt.datetime, now: dt.datetime, by: User | None, waiting: bool):
    """Offer the admitted applicant a place until deadline; they are emailed in their language."""
    offer = Offer(
        application=application,
        round_id=application.round_id,
        deadline=deadline,
        offered_at=now,
        from_waiting_list=waiting,
    )
    db.session.add(offer)
    db.session.flush()
    notify(
        application.applicant,
        "offer_made",
        application=application,
        offer=offer,
        link=absolute_url("applications.overview", application_id=application.id),
    )
    audit.record(
        "offer.made",
        application,
        actor_id=by.id if by is not None else None,
        details={"offer_id": offer.id, "deadline": deadline.isoformat(), "from_waiting_list": waiting},
    )
    return offer


def offer_on_release(application: Application, now: dt.datetime) -> bool:
    """A released admission offers the place (once), until the round's deadline; the offer's email is also the one
    that tells the applicant of the admission (returns True then)."""
    decision = application.decision
    if decision is None or decision.outcome != DecisionOutcome.ADMIT or offer_of(application) is not None:
        return False
    make_offer(application, deadline=deadline_for(application.intake_round, now), now=now, by=None, waiting=False)
    return True


def _ensure_answerable(offer: Offer, now: dt.datetime) -> None:
    if offer.state != OfferState.OFFERED:
        raise OfferError(_("You have already answered this offer: %(state)s.", state=offer.state.label.lower()))
    if not offer.answerable(now):
        raise OfferError(
            _(
                "The deadline for answering this offer passed on %(deadline)s. An answer is no longer possible; "
                "please write to the coordination office.",
                deadline=format_local(offer.deadline),
            )
        )


def answer(
    offer: Offer, *, accept: bool, reason: str, by: User, now: dt.datetime, expected_version: int | None
) -> Offer:
    """The applicant accepts or declines the offer (a reason optional when declining), once, before its deadline."""
    _ensure_answerable(offer, now)
    check_version(offer, expected_version)
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise OfferError(_("Please keep the reason under %(count)d characters.", count=REASON_MAX), field="reason")
    offer.state = OfferState.ACCEPTED if accept else OfferState.DECLINED
    offer.answered_at = now
    offer.decline_reason = "" if accept else reason
    flush_or_stale(lambda: version_of(offer))
    _tell_about_answer(offer)
    audit.record(
        f"offer.{offer.state.value}",
        offer.application,
        actor_id=by.id,
        details={"offer_id": offer.id, "reason_given": bool(offer.decline_reason)},
    )
    return offer


def coordinators() -> list[User]:
    query = select(User).join(UserRole).where(UserRole.role == Role.COORDINATOR, User.active.is_(True))
    return list(db.session.scalars(query.order_by(User.id)))


def _tell_about_answer(offer: Offer) -> None:
    """The applicant's confirmation; the coordinators and both chosen supervisors are told (each in their language)."""
    application = offer.application
    notify(
        application.applicant,
        f"offer_{offer.state.value}",
        application=application,
        offer=offer,
        link=absolute_url("applications.overview", application_id=application.id),
    )
    accepted = offer.state == OfferState.ACCEPTED
    told: set[int] = set()
    # The coordinators read the reason on their list of acceptances; the supervisors are told the answer only.
    for user in coordinators():
        told.add(user.id)
        link = absolute_url("offers.acceptances", round_id=application.round_id)
        notify(user, "offer_answered", application=application, offer=offer, accepted=accepted, link=link, staff=True)
    for profile in (application.german_supervisor, application.chinese_supervisor):
        if profile is None or not profile.user.active or profile.user.id in told:
            continue
        told.add(profile.user.id)
        link = absolute_url("applications.overview", application_id=application.id)
        notify(profile.user, "offer_answered", application=application, offer=offer, accepted=accepted, link=link)
