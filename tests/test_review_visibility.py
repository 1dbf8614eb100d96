"""Who sees what of the committee's work: assigned, unassigned and conflicted members, other roles, coordinators."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User, UserRole
from portal.applications.models import Application
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import services
from portal.review.models import CRITERIA, Recommendation, Review
from portal.review.permissions import can_see_reviews
from tests.conftest import sign_in
from tests.factories import (
    SupervisorProfileFactory,
    UserFactory,
    assigned,
    committee_member,
    full_scores,
    submitted_application,
    university,
)

pytestmark = pytest.mark.usefixtures("plain_app_context")

B_VERDICT = "B thinks the proposal is outstanding."
B_DRAFT = "B is still unsure (draft)."


def review_of(assignment_id: int) -> Review | None:
    return db.session.scalars(select(Review).where(Review.assignment_id == assignment_id)).first()


def page_url(application: Application) -> str:
    return f"/review/application/{application.id}"


def form_data(value: int, comment: str, button: str = "submit", version: int = 0) -> dict:
    data = {name: str(value) for name in CRITERIA}
    return {
        **data,
        "recommendation": Recommendation.ADMIT.value,
        "comment": comment,
        "version": str(version),
        button: "y",
    }


@pytest.fixture
def committee():
    """A submitted application reviewed by A (nothing written yet) and B (submitted B_VERDICT)."""
    application = submitted_application()
    member_a, member_b = committee_member("TUBS"), committee_member("ZZU")
    assignment_a = assigned(member_a, application)
    assignment_b = assigned(member_b, application)
    services.save_review(assignment_b, full_scores(5, comment=B_VERDICT), submit=True, expected_version=0, now=utcnow())
    db.session.commit()
    return application, member_a, member_b, assignment_a, assignment_b


def test_an_assigned_member_sees_the_application_and_the_review_form(client, committee):
    application, member_a, *_ = committee
    sign_in(client, member_a)
    assert application.reference in client.get("/review/").get_data(as_text=True)
    response = client.get(page_url(application))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert application.reference in page and "Hydrogen embrittlement of pipeline steels" in page
    assert 'name="submit"' in page and 'name="score_academic"' in page


def test_an_unassigned_member_sees_nothing(client, committee):
    application, *_, assignment_b = committee
    outsider = committee_member()
    db.session.commit()
    sign_in(client, outsider)
    assert application.reference not in client.get("/review/").get_data(as_text=True)
    assert client.get(page_url(application)).status_code == 404
    assert client.post(page_url(application), data=form_data(1, "Forged")).status_code == 404
    conflict = client.post(f"{page_url(application)}/conflict", data={"conflict-note": "x", "conflict-confirm": "y"})
    assert conflict.status_code == 404
    assert review_of(assignment_b.id).comment == B_VERDICT
    assert client.get("/review/application/999999").status_code == 404


def _chosen_supervisor(member: User, application: Application) -> None:
    member.roles.append(UserRole(role=Role.SUPERVISOR))  # a committee member who also supervises
    application.german_supervisor = SupervisorProfileFactory(user=member, university=university("LUH"))


def _named_referee(member: User, application: Application) -> None:
    application.referees[1].email = member.email


@pytest.mark.parametrize("reason", ["chosen_supervisor", "referee", "declared"])
def test_a_conflicted_member_sees_nothing_of_the_application_nor_its_reviews(client, committee, reason):
    application, member_a, _member_b, assignment_a, assignment_b = committee
    # A has submitted a review: without the conflict, A would now see B's.
    services.save_review(
        assignment_a, full_scores(2, comment="A's view"), submit=True, expected_version=0, now=utcnow()
    )
    db.session.commit()
    sign_in(client, member_a)
    assert B_VERDICT in client.get(page_url(application)).get_data(as_text=True)

    if reason == "declared":
        response = client.post(
            f"{page_url(application)}/conflict", data={"conflict-note": "I know the family", "conflict-confirm": "y"}
        )
        assert response.status_code == 302
    else:
        {"chosen_supervisor": _chosen_supervisor, "referee": _named_referee}[reason](
            db.session.get(User, member_a.id), db.session.get(Application, application.id)
        )
        db.session.commit()
        sign_in(client, db.session.get(User, member_a.id))

    assert client.get(page_url(application)).status_code == 404
    assert application.reference not in client.get("/review/").get_data(as_text=True)
    forged = client.post(page_url(application), data=form_data(1, "Changed while conflicted", "revise", 99))
    assert forged.status_code == 404
    assert not can_see_reviews(db.session.get(User, member_a.id), db.session.get(Application, application.id))
    assert review_of(assignment_b.id).comment == B_VERDICT
    if reason != "declared":  # a declaration removes the assignment and its review; otherwise A's review stays
        assert review_of(assignment_a.id).comment == "A's view"


def test_others_reviews_show_only_after_the_members_own_submission(client, committee):
    application, member_a, *_ = committee
    sign_in(client, member_a)
    before = client.get(page_url(application)).get_data(as_text=True)
    assert B_VERDICT not in before and "once you have submitted your own" in before
    draft = client.post(page_url(application), data=form_data(3, "A's draft", "save_draft"))
    assert draft.status_code == 302
    assert B_VERDICT not in client.get(page_url(application)).get_data(as_text=True)  # a draft is not enough
    version = db.session.scalar(select(Review.version).join(Review.assignment).where(Review.comment == "A's draft"))
    submitted = client.post(page_url(application), data=form_data(3, "A's review", "submit", version))
    assert submitted.status_code == 302
    after = client.get(page_url(application)).get_data(as_text=True)
    assert B_VERDICT in after


def test_another_members_draft_is_never_shown_nor_changed(client, committee):
    application, member_a, _member_b, assignment_a, assignment_b = committee
    third = committee_member("SCU")
    assignment_c = assigned(third, application)
    services.save_review(assignment_c, {"comment": B_DRAFT}, submit=False, expected_version=0, now=utcnow())
    services.save_review(
        assignment_a, full_scores(4, comment="A's review"), submit=True, expected_version=0, now=utcnow()
    )
    boss = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    events = db.session.scalar(select(func.count(AuditEvent.id)))

    sign_in(client, member_a)
    page = client.get(page_url(application)).get_data(as_text=True)
    assert B_VERDICT in page and B_DRAFT not in page and third.name not in page

    # A's POST can only ever change A's own review: there is no way to name another one.
    version_a = review_of(assignment_a.id).version
    client.post(page_url(application), data={**form_data(1, "A revised"), "version": str(version_a), "revise": "y"})
    assert review_of(assignment_c.id).comment == B_DRAFT and review_of(assignment_c.id).score_academic is None
    assert review_of(assignment_b.id).comment == B_VERDICT
    assert review_of(assignment_a.id).comment == "A revised"

    # Neither an unassigned member nor a coordinator can write a review through the page.
    sign_in(client, committee_member())
    assert client.post(page_url(application), data=form_data(1, "Forged")).status_code == 404
    sign_in(client, db.session.get(User, boss.id))
    assert client.post(page_url(application), data=form_data(1, "Forged")).status_code == 403
    coordinator_page = client.get(page_url(application)).get_data(as_text=True)
    assert B_DRAFT not in coordinator_page and third.name in coordinator_page  # the coordinator sees the status
    assert review_of(assignment_c.id).comment == B_DRAFT
    assert db.session.scalar(select(func.count(Review.id)).where(Review.comment == "Forged")) == 0
    # Only A's revision was recorded.
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events + 1


@pytest.mark.parametrize("who", ["applicant", "chosen_supervisor", "admin"])
def test_other_roles_are_refused(client, committee, who):
    application = committee[0]
    user = {
        "applicant": lambda: application.applicant,
        "chosen_supervisor": lambda: application.german_supervisor.user,
        "admin": lambda: UserFactory(roles=[Role.ADMIN]),
    }[who]()
    db.session.commit()
    sign_in(client, user)
    assert client.get("/review/").status_code == 403
    # None of them has a role that reviews: refused for the role (403), before the application is even looked up.
    assert client.get(page_url(application)).status_code == 403
    assert client.post(page_url(application), data=form_data(1, "Forged")).status_code == 403
    conflict = client.post(f"{page_url(application)}/conflict", data={"conflict-note": "x", "conflict-confirm": "y"})
    assert conflict.status_code == 403
    assert db.session.scalar(select(func.count(Review.id)).where(Review.comment == "Forged")) == 0


def test_coordinators_see_every_submitted_review_but_get_no_form(client, committee):
    application, member_a, member_b, assignment_a, _assignment_b = committee
    services.save_review(
        assignment_a, full_scores(1, comment="A says no"), submit=True, expected_version=0, now=utcnow()
    )
    boss = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    sign_in(client, boss)
    assert client.get("/review/").status_code == 403  # the list is the members' own
    response = client.get(page_url(application))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert B_VERDICT in page and "A says no" in page
    assert member_a.name in page and member_b.name in page
    assert 'name="score_academic"' not in page and 'name="conflict-confirm"' not in page


def test_a_coordinator_on_the_committee_gets_a_form_only_when_assigned(client, committee):
    application = committee[0]
    both = UserFactory(roles=[Role.COORDINATOR, Role.COMMITTEE])
    db.session.commit()
    sign_in(client, both)
    page = client.get(page_url(application)).get_data(as_text=True)
    assert B_VERDICT in page and 'name="score_academic"' not in page
    assigned(db.session.get(User, both.id), db.session.get(Application, application.id))
    db.session.commit()
    sign_in(client, db.session.get(User, both.id))
    page = client.get(page_url(application)).get_data(as_text=True)
    assert B_VERDICT in page and 'name="score_academic"' in page
