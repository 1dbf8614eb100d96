"""Review assignments: conflicts never assigned, the proposal covers, balances and mixes sides."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from portal import db
from portal.applications.models import ApplicationState, IntakeRound
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import assignments
from portal.review.models import Conflict, ConflictReason, ReviewAssignment
from portal.review.permissions import conflict_reasons
from portal.review.proposal_rules import EditedProposal, ProposalRefused
from tests.factories import (
    IntakeRoundFactory,
    UserFactory,
    committee_member,
    submitted_application,
    supervisor,
)

pytestmark = pytest.mark.usefixtures("app_context")


def test_conflict_reasons_chosen_supervisor_referee_and_declared():
    member = committee_member("TUC")
    own_profile = supervisor("TUC", user=member)
    application = submitted_application(german_supervisor=own_profile)
    # Chosen, and therefore also at the same university as a chosen supervisor.
    assert conflict_reasons(member, application) == {ConflictReason.CHOSEN_SUPERVISOR, ConflictReason.SAME_UNIVERSITY}

    referee = committee_member("SCU")
    application.referees[0].email = referee.email
    db.session.flush()
    assert conflict_reasons(referee, application) == {ConflictReason.REFEREE}

    declaring = committee_member("LUH")
    assert conflict_reasons(declaring, application) == set()
    db.session.add(Conflict(application_id=application.id, user_id=declaring.id, reason=ConflictReason.DECLARED))
    db.session.flush()
    assert conflict_reasons(declaring, application) == {ConflictReason.DECLARED}


def test_assign_refuses_conflicts_and_non_members():
    member = committee_member("TUC")
    application = submitted_application(german_supervisor=supervisor("TUC", user=member))
    with pytest.raises(assignments.AssignmentError, match="conflict of interest"):
        assignments.assign(application, member, by=None, now=utcnow())
    with pytest.raises(assignments.AssignmentError, match="not an active member"):
        assignments.assign(application, UserFactory(roles=[Role.SUPERVISOR]), by=None, now=utcnow())
    assert db.session.scalar(select(func.count(ReviewAssignment.id))) == 0


def test_first_assignment_starts_the_review_and_is_audited():
    application = submitted_application()
    member = committee_member("LUH")
    assignments.assign(application, member, by=None, now=utcnow())
    assert application.state == ApplicationState.UNDER_REVIEW
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == application.id)))
    assert {"review.assigned", "application.review_started"} <= actions


def test_drafts_cannot_be_assigned():
    from tests.factories import ApplicationFactory

    with pytest.raises(assignments.AssignmentError):
        assignments.assign(ApplicationFactory(), committee_member(), by=None, now=utcnow())


def test_declaring_a_conflict_removes_the_assignment_and_tells_the_coordinators():
    coordinator = UserFactory(roles=[Role.COORDINATOR], language="de")
    application = submitted_application()
    member = committee_member("LUH")
    assignments.assign(application, member, by=None, now=utcnow())
    assignments.declare_conflict(member, application, "Former colleague of the applicant", now=utcnow())
    assert db.session.scalar(select(func.count(ReviewAssignment.id))) == 0
    assert conflict_reasons(member, application) == {ConflictReason.DECLARED}
    mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "conflict_declared")).one()
    assert mail.recipient == coordinator.email and mail.language == "de"
    with pytest.raises(assignments.AssignmentError):
        assignments.assign(application, member, by=None, now=utcnow())


def make_round_with(applications: int, german_members: int, chinese_members: int):
    intake = IntakeRoundFactory()
    # Seats away from the applications' supervisors (TUC, Tongji): the same-university conflict is not in the way.
    members = [committee_member(code) for code in (["UGOE", "LUH", "TUBS", "UOS"] * 3)[:german_members]]
    members += [committee_member(code) for code in (["SCU", "ZZU", "BUAA"] * 3)[:chinese_members]]
    apps = [submitted_application(intake_round=intake) for _ in range(applications)]
    return intake, members, apps


def test_proposal_covers_balances_mixes_and_never_conflicts():
    intake, members, apps = make_round_with(applications=9, german_members=3, chinese_members=3)
    # One German member is the chosen supervisor of the first application: a conflict.
    apps[0].german_supervisor = supervisor("TUC", user=members[0])
    db.session.flush()
    proposal = assignments.propose(intake, per_application=2)
    per_application = Counter(application.id for application, _member in proposal.pairs)
    assert all(per_application[a.id] == 2 for a in apps)  # coverage
    assert (apps[0].id, members[0].id) not in {(a.id, m.user_id) for a, m in proposal.pairs}  # no conflict
    loads = Counter(m.user_id for _a, m in proposal.pairs)
    assert max(loads.values()) - min(loads.values()) <= 1  # balance (18 reviews over 6 members)
    for application in apps:  # one German and one Chinese member each
        sides = {m.university.country.value for a, m in proposal.pairs if a.id == application.id}
        assert sides == {"DE", "CN"}
    assert db.session.scalar(select(func.count(ReviewAssignment.id))) == 0  # nothing saved


def test_proposal_counts_existing_assignments_and_reports_shortfalls():
    intake, members, apps = make_round_with(applications=2, german_members=1, chinese_members=0)
    assignments.assign(apps[0], members[0], by=None, now=utcnow())
    proposal = assignments.propose(intake, per_application=2)
    assert [(a.id, m.user_id) for a, m in proposal.pairs] == [(apps[1].id, members[0].id)]
    assert proposal.short == {apps[0].id: 1, apps[1].id: 1}


def test_saved_proposal_is_checked_again():
    intake, _members, _apps = make_round_with(applications=2, german_members=1, chinese_members=1)
    proposal = assignments.propose(intake)
    edited = EditedProposal(proposal.id_pairs, proposal.per_application, proposal.basis)
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    assert assignments.apply_proposal(intake, edited, by=coordinator, now=utcnow()) == 4
    # A conflict declared in between makes a stale proposal fail as a whole.
    other_intake, other_members, other_apps = make_round_with(applications=1, german_members=1, chinese_members=0)
    other = assignments.propose(other_intake, per_application=5)
    stale = EditedProposal([(other_apps[0].id, other_members[0].id)], 5, other.basis)
    assert stale.pairs[0] in other.id_pairs
    assignments.declare_conflict(other_members[0], other_apps[0], "", now=utcnow())
    with pytest.raises(ProposalRefused, match="marked rows"):
        assignments.apply_proposal(other_intake, stale, by=coordinator, now=utcnow())


class TestPages:
    def test_coordinator_sees_the_board_computes_and_saves_a_proposal(self, client, login_as):
        intake, _members, _apps = make_round_with(applications=2, german_members=1, chinese_members=1)
        db.session.commit()
        intake_id = intake.id
        login_as(Role.COORDINATOR)
        page = client.get(f"/review/rounds/{intake_id}/assignments?per_application=2")
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "Proposed new assignments" in text
        assert db.session.scalar(select(func.count(ReviewAssignment.id))) == 0
        basis = re.search(r'name="basis" type="hidden" value="([0-9a-f]+)"', text).group(1)
        pairs = re.findall(r'<option value="(\d+:\d+)" selected>', text)
        assert len(pairs) == 4
        data = {"pair": pairs, "basis": basis, "per_application": "2"}
        response = client.post(f"/review/rounds/{intake_id}/assignments/proposal", data=data)
        assert response.status_code == 302
        assert db.session.scalar(select(func.count(ReviewAssignment.id))) == 4

    def test_manual_assignment_refuses_a_conflict_with_a_message(self, client, login_as):
        member = committee_member("TUC")
        application = submitted_application(german_supervisor=supervisor("TUC", user=member))
        db.session.commit()
        application_id, round_id, member_id = application.id, application.round_id, member.id
        login_as(Role.COORDINATOR)
        response = client.post(
            f"/review/rounds/{round_id}/assignments/add",
            data={"application_id": application_id, "reviewer_id": member_id},
            follow_redirects=True,
        )
        assert "conflict of interest" in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count(ReviewAssignment.id))) == 0

    @pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
    def test_others_may_not_assign(self, client, login_as, role):
        intake, members, apps = make_round_with(applications=1, german_members=1, chinese_members=0)
        db.session.commit()
        intake_id, pairs = intake.id, f"{apps[0].id}:{members[0].id}"
        login_as(role)
        assert client.get(f"/review/rounds/{intake_id}/assignments").status_code == 403
        data = {"pair": [pairs], "basis": "0" * 24, "per_application": "1"}
        assert client.post(f"/review/rounds/{intake_id}/assignments/proposal", data=data).status_code == 403
        assert db.session.scalar(select(func.count(ReviewAssignment.id))) == 0

    def test_board_queries_do_not_grow_with_the_round(self, client, login_as, count_queries):
        login_as(Role.COORDINATOR)
        intake, _members, _apps = make_round_with(applications=2, german_members=2, chinese_members=1)
        db.session.commit()
        client.get(f"/review/rounds/{intake.id}/assignments?per_application=2")  # warm-up: first-request work
        few = count_queries(lambda: client.get(f"/review/rounds/{intake.id}/assignments?per_application=2"))
        for _ in range(8):
            submitted_application(intake_round=db.session.get(IntakeRound, intake.id))
        db.session.commit()
        many = count_queries(lambda: client.get(f"/review/rounds/{intake.id}/assignments?per_application=2"))
        assert 0 < few == many
