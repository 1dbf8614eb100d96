"""An applicant's personal data also holds what later steps added: the interview (never the panel's notes), the joint
research plan with its versions, approvals and comments, and the offer of a place (on the demo data)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.core.timeutil import utcnow
from portal.interviews.models import InterviewInvitation, InterviewNote
from portal.offers.models import Offer
from portal.plans.models import JointPlan
from portal.reporting.personal_data import personal_data
from tests.test_cli import seed

pytestmark = pytest.mark.usefixtures("plain_app_context")
PANEL_NOTE = "For the panel only: convincing on methods."


def exported(user: User, application_id: int) -> dict:
    return next(a for a in personal_data(user)["applications"] if a["id"] == application_id)


def test_the_interview_and_the_joint_plan_are_in_the_applicants_data(app):
    seed(app)
    applicant = db.session.scalars(select(User).where(User.email == "applicant@example.org")).one()
    plan = next(p for p in db.session.scalars(select(JointPlan)) if p.application.applicant_id == applicant.id)
    invitation = next(
        i for i in db.session.scalars(select(InterviewInvitation)) if i.application.applicant_id == applicant.id
    )
    data = exported(applicant, invitation.application_id)
    assert data["interview"]["starts_at"] == invitation.booking.slot.starts_at.isoformat()
    assert data["interview"]["duration_minutes"] == invitation.interview.duration_minutes
    panel_member = invitation.interview.panel[0].user
    db.session.add(InterviewNote(invitation_id=invitation.id, author_id=panel_member.id, score=4, notes=PANEL_NOTE))
    db.session.flush()
    assert PANEL_NOTE not in str(exported(applicant, invitation.application_id))

    assert data["offer"] is None  # under review: no decision released, no offer
    shown = exported(applicant, plan.application_id)["joint_research_plan"]
    assert [v["number"] for v in shown["versions"]] == [v.number for v in plan.versions] and len(plan.versions) == 2
    assert shown["versions"][-1]["sha256"] == plan.current.sha256
    assert [(a["side"], a["version"]) for a in shown["approvals"]] == [
        (a.side, a.version.number) for a in plan.approvals
    ] and len(plan.approvals) >= 2
    assert [c["text"] for c in shown["comments"]] == [c.text for c in plan.comments]


def test_the_offer_is_in_the_admitted_applicants_data(app):
    seed(app)
    offer = db.session.scalars(select(Offer)).first()
    assert offer is not None, "the demo has an admitted applicant with an offer"
    data = exported(offer.application.applicant, offer.application_id)
    assert data["offer"]["deadline"] == offer.deadline.isoformat()
    assert data["offer"]["state"] == offer.status(utcnow()).value
    assert data["offer"]["answered_at"] == (offer.answered_at.isoformat() if offer.answered_at else None)
