"""Nudges by email: one email per reviewer for a saved batch of assignments and one when an assignment is removed;
both chosen supervisors told of a withdrawal and of a released decision; coordinators and committee told once when
every review of a round is in. Each in the recipient's language, delivered to a real SMTP server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import db
from portal.applications import workflow
from portal.applications.models import ApplicationState, DecisionOutcome
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import assignments, decisions
from portal.review.models import RoundNotice
from portal.review.proposal_rules import EditedProposal
from portal.review.round_notices import notice_if_reviews_complete
from portal.review.services import save_review
from tests.factories import (
    IntakeRoundFactory,
    UserFactory,
    add_decision,
    committee_member,
    full_scores,
    judged,
    submitted_application,
    supervisor,
)

pytestmark = pytest.mark.usefixtures("plain_app_context")
S = ApplicationState


def outbox(template: str) -> list[OutboxEmail]:
    return list(
        db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == template).order_by(OutboxEmail.id))
    )


def test_a_saved_proposal_sends_one_email_per_reviewer(app, smtp_server):
    intake = IntakeRoundFactory()
    german = committee_member("UGOE", language="de")
    chinese = committee_member("SCU", language="zh")
    apps = [submitted_application(intake_round=intake) for _ in range(3)]
    proposal = assignments.propose(intake, per_application=2)
    edited = EditedProposal(proposal.id_pairs, proposal.per_application, proposal.basis)
    assert assignments.apply_proposal(intake, edited, by=UserFactory(roles=[Role.COORDINATOR]), now=utcnow()) == 6
    emails = outbox("review_assigned")
    assert sorted((e.recipient, e.language) for e in emails) == sorted([(german.email, "de"), (chinese.email, "zh")])
    for email in emails:
        assert all(a.reference in email.body for a in apps)
    german_email, chinese_email = german.email, chinese.email
    db.session.commit()
    smtp_server.deliver_outbox(app)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([german_email, chinese_email])
    german_mail = next(m for m in smtp_server.messages if m["To"] == german_email)
    assert german_mail["Subject"] == "Sie wurden um die Begutachtung von 3 Bewerbungen gebeten"


def test_assigning_by_hand_tells_once_and_removing_tells_the_reviewer():
    member = committee_member("UGOE")
    application = submitted_application()
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    assignment = assignments.assign_and_tell(application, member, by=coordinator, now=utcnow())
    assignments.assign_and_tell(application, member, by=coordinator, now=utcnow())  # already assigned: no email
    [email] = outbox("review_assigned")
    assert email.recipient == member.email and application.reference in email.body
    assignments.unassign(assignment, by=coordinator)
    [removed] = outbox("review_unassigned")
    assert removed.recipient == member.email and removed.application_id == application.id


def test_a_declared_conflict_removes_the_assignment_without_telling_the_declarer():
    member = committee_member("UGOE")
    application = submitted_application()
    assignments.assign(application, member, by=None, now=utcnow())
    assignments.declare_conflict(member, application, "My former student.", now=utcnow())
    assert outbox("review_unassigned") == []


def _supervised(intake, state=S.UNDER_REVIEW):
    german = supervisor("TUC", user=UserFactory(roles=[Role.SUPERVISOR], language="de"))
    chinese = supervisor("TONGJI", user=UserFactory(roles=[Role.SUPERVISOR], language="zh"))
    return judged(intake, state=state, german=german, chinese=chinese), german, chinese


def test_both_supervisors_are_told_of_a_withdrawal(app, smtp_server):
    application, german, chinese = _supervised(IntakeRoundFactory())
    workflow.withdraw(application, expected_version=application.version, now=utcnow())
    emails = outbox("supervisor_application_withdrawn")
    assert sorted((e.recipient, e.language) for e in emails) == sorted(
        [(german.user.email, "de"), (chinese.user.email, "zh")]
    )
    german_email, reference = german.user.email, application.reference
    db.session.commit()
    smtp_server.deliver_outbox(app)
    german_mail = next(m for m in smtp_server.messages if m["To"] == german_email)
    assert german_mail["Subject"] == f"Die Bewerbung {reference} wurde zurückgezogen"


def test_a_withdrawn_draft_tells_no_supervisor():
    draft, _german, _chinese = _supervised(IntakeRoundFactory(), state=S.DRAFT)
    workflow.withdraw(draft, expected_version=draft.version, now=utcnow())
    assert outbox("supervisor_application_withdrawn") == []


def test_both_supervisors_are_told_when_the_decision_is_released():
    intake = IntakeRoundFactory()
    application, german, chinese = _supervised(intake, state=S.DECIDED)
    add_decision(application, DecisionOutcome.WAITING_LIST)
    assert outbox("supervisor_decision_released") == []  # recorded, not released: nobody is told yet
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    decisions.release(intake, [application.id], by=coordinator, now=utcnow(), confirm_open=True)
    emails = {e.recipient: e for e in outbox("supervisor_decision_released")}
    assert set(emails) == {german.user.email, chinese.user.email}
    assert "Warteliste" in emails[german.user.email].subject and "候补" in emails[chinese.user.email].subject


def test_every_review_in_tells_coordinators_and_committee_once(app, smtp_server):
    intake = IntakeRoundFactory()
    first, second = committee_member("UGOE", language="de"), committee_member("SCU", language="zh")
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    UserFactory(roles=[Role.COMMITTEE], active=False)  # not told
    application = judged(intake, state=S.UNDER_REVIEW)
    one = assignments.assign(application, first, by=None, now=utcnow())
    two = assignments.assign(application, second, by=None, now=utcnow())
    save_review(one, full_scores(), submit=True, expected_version=0, now=utcnow())
    assert outbox("reviews_complete") == []
    save_review(two, full_scores(), submit=True, expected_version=0, now=utcnow())
    emails = outbox("reviews_complete")
    assert sorted(e.recipient for e in emails) == sorted([first.email, second.email, coordinator.email])
    assert f"/review/rounds/{intake.id}/ranking" in next(e.body for e in emails if e.recipient == coordinator.email)
    # A revision, or asking again, sends nothing more.
    save_review(two, full_scores(5), submit=True, expected_version=two.review.version, now=utcnow())
    assert notice_if_reviews_complete(intake, utcnow()) is False
    assert len(outbox("reviews_complete")) == 3
    assert db.session.scalar(select(RoundNotice.kind).where(RoundNotice.round_id == intake.id)) == "reviews_complete"
    db.session.commit()
    smtp_server.deliver_outbox(app)
    assert len(smtp_server.messages) == 3
