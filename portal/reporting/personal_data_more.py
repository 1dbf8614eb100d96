"""The parts of an applicant's personal data that later steps add: the offer of a place, the interview and the joint
research plan. Only what the applicant may see of them on their own pages: never a panel's notes or scores."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import select

from portal import db
from portal.applications.models import Application
from portal.interviews.models import InterviewInvitation
from portal.offers.models import Offer
from portal.plans.models import JointPlan

PLAN_VERSION_FIELDS = (
    "number", "title", "summary", "work_packages", "months_germany", "months_china", "milestones", "sha256",
    "created_at",
)  # fmt: skip


def plain(value: Any) -> Any:
    """A value as JSON holds it: dates in ISO 8601, enums by their value."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value.value if isinstance(value, enum.Enum) else value


def offer_data(application: Application, now: dt.datetime) -> dict[str, Any] | None:
    """The offer of a place once the admission is released: its state, deadline, answer and reason."""
    if not application.decision_released:
        return None
    offer = db.session.scalar(select(Offer).where(Offer.application_id == application.id))
    if offer is None:
        return None
    return {
        "state": offer.status(now).value,
        "offered_at": plain(offer.offered_at),
        "deadline": plain(offer.deadline),
        "answered_at": plain(offer.answered_at),
        "decline_reason": offer.decline_reason,
    }


def interview_data(application: Application) -> dict[str, Any] | None:
    """The invitation to an interview and the booked time (the panel's notes and scores stay with the panel)."""
    query = select(InterviewInvitation).where(InterviewInvitation.application_id == application.id)
    invitation = db.session.scalar(query)
    if invitation is None:
        return None
    booking = invitation.booking
    return {
        "invited_at": plain(invitation.invited_at),
        "duration_minutes": invitation.interview.duration_minutes,
        "booked_at": plain(booking.booked_at) if booking else None,
        "starts_at": plain(booking.slot.starts_at) if booking else None,
    }


def plan_data(application: Application) -> dict[str, Any] | None:
    """The joint research plan: every version, the supervisors' approvals and the comments, as the plan page shows."""
    plan = db.session.scalar(select(JointPlan).where(JointPlan.application_id == application.id))
    if plan is None:
        return None
    return {
        "versions": [{name: plain(getattr(v, name)) for name in PLAN_VERSION_FIELDS} for v in plan.versions],
        "approvals": [
            {
                "side": approval.side,
                "version": approval.version.number,
                "approved_at": plain(approval.approved_at),
                "withdrawn_at": plain(approval.withdrawn_at),
            }
            for approval in plan.approvals
        ],
        "comments": [
            {
                "version": comment.version_number,
                "author": comment.author.name if comment.author else None,
                "text": comment.text,
                "created_at": plain(comment.created_at),
            }
            for comment in plan.comments
        ],
    }
