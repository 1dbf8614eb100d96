"""Shared set-up of the offers' tests: a round whose admissions and waiting list have been released."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal import db
from portal.applications.models import ApplicationState, DecisionOutcome
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.offers.models import Offer
from portal.review import decisions
from tests.factories import IntakeRoundFactory, UserFactory, add_decision, add_review, judged, supervisor


def released_round(*, languages=("zh", "de"), waiting_scores=(4, 5)) -> dict:
    """A round with two admitted applicants (in the given languages) and two on the waiting list (their reviews'
    scores given), all released; the admitted ones have offers. The ids and people, committed."""
    intake = IntakeRoundFactory(closes_at=utcnow() - dt.timedelta(days=5), opens_at=utcnow() - dt.timedelta(days=40))
    coordinator = UserFactory(roles=[Role.COORDINATOR], language="de")
    german, chinese = supervisor("TUC", capacity=1), supervisor("TONGJI", capacity=3)
    german.user.language, chinese.user.language = "de", "zh"
    admitted = []
    for index, language in enumerate(languages):
        applicant = UserFactory(roles=[Role.APPLICANT], language=language)
        application = judged(
            intake,
            state=ApplicationState.DECIDED,
            family=f"Admitted{index}",
            german=german if index == 0 else supervisor("LUH"),
            chinese=chinese,
            applicant=applicant,
        )
        add_decision(application, DecisionOutcome.ADMIT)
        admitted.append(application)
    waiting = []
    for index, score in enumerate(waiting_scores):
        application = judged(
            intake, state=ApplicationState.DECIDED, family=f"Waiting{index}", german=german, chinese=chinese
        )
        add_review(application, score)
        add_decision(application, DecisionOutcome.WAITING_LIST)
        waiting.append(application)
    db.session.flush()
    decisions.release(intake, [a.id for a in admitted + waiting], by=coordinator, now=utcnow())
    db.session.commit()
    return {
        "intake": intake.id,
        "coordinator": coordinator.id,
        "admitted": [a.id for a in admitted],
        "waiting": [a.id for a in waiting],
        "german": german.id,
        "chinese": chinese.id,
    }


def offer_for(application_id: int) -> Offer | None:
    db.session.expire_all()
    return db.session.scalar(select(Offer).where(Offer.application_id == application_id))


def emails(template_prefix: str = "offer_") -> list[OutboxEmail]:
    query = select(OutboxEmail).where(OutboxEmail.template.like(f"{template_prefix}%")).order_by(OutboxEmail.id)
    return list(db.session.scalars(query))


def actions(prefix: str) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.action.like(f"{prefix}%")).order_by(AuditEvent.id)
    return list(db.session.scalars(query))
