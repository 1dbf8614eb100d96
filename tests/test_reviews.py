"""The committee member's reviews: drafts, submission, revisions with history, the deadline, stale forms, conflicts."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, IntakeRound
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.templating import format_in_zone
from portal.core.timeutil import utcnow
from portal.core.versions import StaleVersion
from portal.review import services
from portal.review.models import (
    CRITERIA,
    Conflict,
    ConflictReason,
    Recommendation,
    Review,
    ReviewAssignment,
    ReviewRevision,
)
from portal.supervisors.models import ResearchField
from tests.conftest import sign_in
from tests.factories import (
    ApplicationFactory,
    IntakeRoundFactory,
    UserFactory,
    assigned,
    committee_member,
    full_scores,
    submitted_application,
    supervisor,
)

pytestmark = pytest.mark.usefixtures("plain_app_context")


def review_of(assignment_id: int) -> Review | None:
    return db.session.scalars(select(Review).where(Review.assignment_id == assignment_id)).first()


def save(assignment: ReviewAssignment, data: dict, *, submit: bool = False, now: dt.datetime | None = None):
    review = review_of(assignment.id)
    return services.save_review(
        assignment,
        data,
        submit=submit,
        expected_version=review.version if review else 0,
        now=now or utcnow(),
    )


def audit_actions(application: Application) -> list[str]:
    query = select(AuditEvent.action).where(
        AuditEvent.target_type == "applications", AuditEvent.target_id == application.id
    )
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


@pytest.fixture
def setup():
    """A submitted application with one assigned committee member."""
    application = submitted_application()
    member = committee_member()
    assignment = assigned(member, application)
    db.session.commit()
    return application, member, assignment


# --- The rules (service) ----------------------------------------------------------------------------------------------


def test_a_draft_keeps_incomplete_values(setup):
    application, _member, assignment = setup
    outcome = save(assignment, {"score_academic": 3, "recommendation": "", "comment": "  First thoughts.  "})
    assert outcome == services.SaveOutcome.SAVED
    review = review_of(assignment.id)
    assert (review.score_academic, review.score_proposal, review.recommendation) == (3, None, None)
    assert review.comment == "First thoughts."
    assert not review.submitted and review.revisions == []
    assert services.status_of(review) == services.ReviewStatus.DRAFT
    assert audit_actions(application)[-1] == "review.saved"
    # A second draft save changes the values and stays a draft.
    save(assignment, {"score_academic": 5, "score_fit": 2})
    review = review_of(assignment.id)
    assert (review.score_academic, review.score_fit, review.comment) == (5, 2, "")
    assert not review.submitted


def test_an_incomplete_submission_is_refused_with_every_missing_field(setup):
    _application, _member, assignment = setup
    save(assignment, {"score_academic": 3, "comment": "Draft text"})
    with pytest.raises(services.ReviewError) as refused:
        save(assignment, {"score_academic": 3, "score_proposal": 4, "comment": "Draft text"}, submit=True)
    assert set(refused.value.fields) == {"score_fit", "score_language", "score_references", "recommendation"}
    review = review_of(assignment.id)
    assert not review.submitted and review.score_proposal is None and review.revisions == []


def test_submission_snapshots_revision_one(setup):
    application, member, assignment = setup
    outcome = save(assignment, full_scores(4, Recommendation.STRONGLY_ADMIT, "Excellent fit."), submit=True)
    assert outcome == services.SaveOutcome.SUBMITTED
    review = review_of(assignment.id)
    assert review.submitted and review.mean == 4
    (revision,) = review.revisions
    assert revision.number == 1
    assert [getattr(revision, name) for name in CRITERIA] == [4] * 5
    assert revision.recommendation == Recommendation.STRONGLY_ADMIT and revision.comment == "Excellent fit."
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.submitted")).one()
    assert event.actor_id == member.id and event.target_id == application.id
    assert event.details == {"review_id": review.id, "reviewer_id": member.id, "revision": 1}
    assert "Excellent fit." not in str(event.details)  # the audit log never carries the review's content


def test_revisions_append_numbered_snapshots_and_keep_the_old_ones(setup):
    application, _member, assignment = setup
    save(assignment, full_scores(3, Recommendation.BORDERLINE, "Unsure."), submit=True)
    first_submitted_at = review_of(assignment.id).submitted_at
    later = utcnow() + dt.timedelta(minutes=5)
    changed = {**full_scores(3, Recommendation.ADMIT, "After the interview: admit."), "score_fit": 5, "note": "Talk"}
    assert save(assignment, changed, submit=True, now=later) == services.SaveOutcome.REVISED
    assert save(assignment, full_scores(2, Recommendation.REJECT, "No."), now=later) == services.SaveOutcome.REVISED
    review = review_of(assignment.id)
    assert [r.number for r in review.revisions] == [1, 2, 3]
    first, second, third = review.revisions
    assert (first.recommendation, first.comment, first.score_fit) == (Recommendation.BORDERLINE, "Unsure.", 3)
    assert (second.recommendation, second.score_fit, second.note) == (Recommendation.ADMIT, 5, "Talk")
    assert (third.recommendation, third.score_fit) == (Recommendation.REJECT, 2)
    assert (review.recommendation, review.comment, review.score_academic) == (Recommendation.REJECT, "No.", 2)
    assert review.submitted_at == first_submitted_at  # the first submission stays on record
    assert audit_actions(application)[-3:] == ["review.submitted", "review.revised", "review.revised"]


def test_after_submission_a_save_is_a_revision_and_must_stay_complete(setup):
    _application, _member, assignment = setup
    save(assignment, full_scores(4), submit=True)
    incomplete = {**full_scores(4), "score_language": "", "recommendation": ""}
    with pytest.raises(services.ReviewError) as refused:
        save(assignment, incomplete)  # "save draft" is no longer possible
    assert set(refused.value.fields) == {"score_language", "recommendation"}
    review = review_of(assignment.id)
    assert review.submitted and review.score_language == 4 and len(review.revisions) == 1


def test_saving_a_submitted_review_unchanged_adds_no_revision(setup):
    _application, _member, assignment = setup
    save(assignment, full_scores(4, comment="Same"), submit=True)
    assert save(assignment, full_scores(4, comment="Same"), submit=True) == services.SaveOutcome.UNCHANGED
    assert len(review_of(assignment.id).revisions) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"score_academic": 6}, "score_academic"),
        ({"score_fit": 0}, "score_fit"),
        ({"score_proposal": "many"}, "score_proposal"),
        ({"recommendation": "maybe"}, "recommendation"),
        ({"comment": "x" * (services.COMMENT_MAX_LENGTH + 1)}, "comment"),
    ],
)
def test_values_out_of_range_are_refused(setup, data, field):
    _application, _member, assignment = setup
    with pytest.raises(services.ReviewError) as refused:
        save(assignment, data)
    assert field in refused.value.fields
    assert review_of(assignment.id) is None


def test_nothing_changes_after_the_review_deadline(setup):
    application, _member, assignment = setup
    save(assignment, full_scores(4, comment="Before"), submit=True)
    intake = db.session.get(IntakeRound, application.round_id)
    after = intake.reviews_due + dt.timedelta(seconds=1)
    with pytest.raises(services.ReviewClosed, match="deadline has passed"):
        save(assignment, full_scores(1, comment="After"), submit=True, now=after)
    review = review_of(assignment.id)
    assert review.comment == "Before" and len(review.revisions) == 1
    # Just before the deadline, a revision still works.
    before = intake.reviews_due - dt.timedelta(seconds=1)
    assert save(assignment, full_scores(2), submit=True, now=before) == services.SaveOutcome.REVISED


def test_a_round_without_review_deadline_stays_open(setup):
    application, _member, assignment = setup
    db.session.get(IntakeRound, application.round_id).reviews_due = None
    db.session.flush()
    far_future = utcnow() + dt.timedelta(days=3650)
    assert save(assignment, full_scores(3), submit=True, now=far_future) == services.SaveOutcome.SUBMITTED


def test_a_decided_application_closes_its_reviews(setup):
    application, _member, assignment = setup
    application.state = ApplicationState.DECIDED
    db.session.flush()
    with pytest.raises(services.ReviewClosed, match="decision"):
        save(assignment, full_scores(3))
    assert review_of(assignment.id) is None


def test_a_stale_version_is_refused(setup):
    _application, _member, assignment = setup
    save(assignment, {"comment": "Tab one"})
    loaded = review_of(assignment.id).version
    save(assignment, {"comment": "Tab one, again"})
    with pytest.raises(StaleVersion):
        services.save_review(assignment, {"comment": "Tab two"}, submit=False, expected_version=loaded, now=utcnow())
    assert review_of(assignment.id).comment == "Tab one, again"


def test_two_tabs_starting_the_same_review_do_not_overwrite(setup):
    _application, _member, assignment = setup
    services.save_review(assignment, {"comment": "First tab"}, submit=False, expected_version=0, now=utcnow())
    with pytest.raises(StaleVersion):
        services.save_review(assignment, {"comment": "Second tab"}, submit=False, expected_version=0, now=utcnow())
    assert review_of(assignment.id).comment == "First tab"


def test_a_member_who_became_conflicted_cannot_save(setup):
    application, member, assignment = setup
    application.referees[0].email = member.email  # the applicant named the member as a referee afterwards
    db.session.flush()
    with pytest.raises(services.ReviewClosed):
        save(assignment, full_scores(3))
    assert review_of(assignment.id) is None


# --- The dashboard ----------------------------------------------------------------------------------------------------


def test_dashboard_lists_assigned_applications_per_round_with_review_state_and_deadline(app, client):
    member = committee_member(timezone="America/Sao_Paulo")
    autumn = IntakeRoundFactory(name="Autumn intake")
    spring = IntakeRoundFactory(
        name="Spring intake",
        opens_at=utcnow() - dt.timedelta(days=100),
        closes_at=utcnow() - dt.timedelta(days=50),
        reviews_due=dt.datetime(2027, 3, 31, 21, 59, tzinfo=dt.UTC),
    )
    first = submitted_application(intake_round=autumn)
    second = submitted_application(intake_round=autumn)
    third = submitted_application(intake_round=spring)
    third.research_field = ResearchField.BIG_DATA
    third.chinese_supervisor = supervisor("BUAA")
    unassigned = submitted_application(intake_round=autumn)
    services.save_review(assigned(member, first), {"comment": "x"}, submit=False, expected_version=0, now=utcnow())
    assigned(member, second)
    services.save_review(assigned(member, third), full_scores(3), submit=True, expected_version=0, now=utcnow())
    other = committee_member()
    assigned(other, unassigned)
    db.session.commit()

    page = sign_in(client, member).get("/review/").get_data(as_text=True)
    assert page.index("Autumn intake") < page.index("Spring intake")  # the newest round first
    spring_start = page.index(f'id="round-{spring.id}"')
    autumn_part, spring_part = page[:spring_start], page[spring_start:]
    for application, part, state in ((first, autumn_part, "draft"), (second, autumn_part, "not started")):
        row = part.split(application.reference)[1].split("</tr>")[0]
        assert "Xiaoming WANG" in row and "Energy and Hydrogen" in row and state in row
        assert "Clausthal University of Technology" in row and "Tongji University" in row
    third_row = spring_part.split(third.reference)[1].split("</tr>")[0]
    assert "submitted" in third_row and "Big Data" in third_row and "Beihang University" in third_row
    assert unassigned.reference not in page
    # The spring round's review deadline in Berlin, Shanghai and the member's own zone.
    assert "(Berlin)" in spring_part and "(Shanghai)" in spring_part and "(São Paulo)" in spring_part
    with app.test_request_context(headers={"Accept-Language": "en"}):
        expected = [format_in_zone(spring.reviews_due, zone) for zone in ("Europe/Berlin", "Asia/Shanghai")]
    assert expected == ["31 Mar 2027, 23:59 (Berlin)", "1 Apr 2027, 05:59 (Shanghai)"]
    assert all(text in spring_part for text in expected)


def test_dashboard_speaks_the_members_language(client):
    member = committee_member(language="zh")
    application = submitted_application()
    assigned(member, application)
    db.session.commit()
    page = sign_in(client, member).get("/review/").get_data(as_text=True)
    assert '<html lang="zh">' in page
    assert "克劳斯塔尔工业大学" in page and "同济大学" in page


def test_dashboard_costs_the_same_queries_for_few_and_many_applications(client, count_queries):
    member_id, round_id = committee_member().id, IntakeRoundFactory().id

    def add(count: int) -> None:
        # Objects are fetched again by id: a request ends the session the test shares with it.
        member, intake = db.session.get(User, member_id), db.session.get(IntakeRound, round_id)
        for _ in range(count):
            application = ApplicationFactory(
                intake_round=intake,
                family_name="Li",
                given_names="Na",
                german_supervisor=supervisor("UGOE"),
                chinese_supervisor=supervisor("ZZU"),
            )
            application.state = ApplicationState.SUBMITTED
            application.reference = f"IPK-2030-{application.id:04d}"
            db.session.flush()
            assignment = assigned(member, application)
            services.save_review(assignment, {"comment": "d"}, submit=False, expected_version=0, now=utcnow())
        db.session.commit()

    add(2)
    sign_in(client, db.session.get(User, member_id))
    few = count_queries(lambda: client.get("/review/"))
    add(10)
    sign_in(client, db.session.get(User, member_id))
    many_page: list[str] = []
    many = count_queries(lambda: many_page.append(client.get("/review/").get_data(as_text=True)))
    assert many_page[0].split('id="assigned-all"')[1].count("Na LI") == 12  # the list, after the next open review
    assert 0 < few == many


# --- The application page ---------------------------------------------------------------------------------------------


def test_page_shows_the_application_letters_statements_and_the_form(client):
    from portal.review.models import StatementAnswer, SupervisorStatement
    from tests.factories import add_document

    application = submitted_application()
    member = committee_member()
    assigned(member, application)
    first, second = application.referees
    first.letter_text, first.letter_received_at = "I recommend Ms Wang without reservation.", utcnow()
    from portal.applications.models import DocumentKind

    letter = add_document(application, DocumentKind.REFEREE_LETTER, filename="letter-referee-2.pdf")
    second.letter_document, second.letter_received_at = letter, utcnow()
    db.session.add(
        SupervisorStatement(
            application=application,
            profile=application.german_supervisor,
            answer=StatementAnswer.CONDITIONAL,
            conditions="A German course in the first year.",
            comment="A strong candidate.",
        )
    )
    db.session.commit()
    page = sign_in(client, member).get(f"/review/application/{application.id}").get_data(as_text=True)
    assert application.reference in page and "Hydrogen embrittlement of pipeline steels" in page
    cv = next(d for d in application.documents if d.kind == DocumentKind.CV)
    assert f"/application/documents/{cv.id}" in page
    assert "I recommend Ms Wang without reservation." in page
    assert f"/application/documents/{letter.id}" in page and "letter-referee-2.pdf" in page
    assert "A German course in the first year." in page and "Willing under conditions" in page
    for label in CRITERIA.values():
        assert str(label) in page
    assert 'name="save_draft"' in page and 'name="submit"' in page and 'name="version" type="hidden" value="0"' in page
    assert 'name="conflict-confirm"' in page


def checked_score(page: str, name: str) -> str | None:
    """The value of the radio button of a score that the page shows chosen, if any."""
    found = re.findall(rf'<input checked[^>]* name="{name}" type="radio" value="(\d)"', page)
    assert len(found) <= 1
    return found[0] if found else None


def test_saving_a_draft_and_submitting_through_the_page(client, setup):
    application, member, assignment = setup
    url = f"/review/application/{application.id}"
    sign_in(client, member)
    draft = client.post(url, data={"version": "0", "score_academic": "2", "comment": "Half done", "save_draft": "y"})
    assert draft.status_code == 302
    review = review_of(assignment.id)
    assert (review.score_academic, review.comment, review.submitted) == (2, "Half done", False)
    assert f"Your draft review of {application.reference} has been saved." in client.get(url).get_data(as_text=True)

    incomplete = client.post(
        url,
        data={
            "version": str(review.version),
            "score_academic": "2",
            "score_fit": "5",
            "comment": "Typed",
            "submit": "y",
        },
    )
    page = incomplete.get_data(as_text=True)
    assert incomplete.status_code == 200
    assert "Please give a score." in page.split('id="score_proposal-0"')[1].split('id="score_fit-0"')[0]
    assert checked_score(page, "score_proposal") is None
    assert checked_score(page, "score_fit") == "5"  # typed values are kept
    assert "Typed</textarea>" in page and "Please choose a recommendation." in page
    assert review_of(assignment.id).comment == "Half done"

    review = review_of(assignment.id)
    complete = {k: str(v) for k, v in full_scores(5, Recommendation.STRONGLY_ADMIT, "Outstanding").items()}
    submitted = client.post(url, data={**complete, "version": str(review.version), "submit": "y"})
    assert submitted.status_code == 302
    review = review_of(assignment.id)
    assert review.submitted and review.comment == "Outstanding" and len(review.revisions) == 1
    page = client.get(url).get_data(as_text=True)
    assert f"Thank you! Your review of {application.reference} has been submitted." in page
    assert 'name="revise"' in page and 'name="save_draft"' not in page and 'name="note"' in page


def test_a_stale_form_keeps_the_typed_values_and_says_why(client, setup):
    application, member, assignment = setup
    url = f"/review/application/{application.id}"
    sign_in(client, member)
    assert client.post(url, data={"version": "0", "comment": "From tab one", "save_draft": "y"}).status_code == 302
    stale = client.post(url, data={"version": "0", "comment": "From tab two", "score_fit": "3", "save_draft": "y"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 200
    assert "changed in another tab or window" in page
    assert "From tab two</textarea>" in page and checked_score(page, "score_fit") == "3"
    current = review_of(assignment.id)
    assert current.comment == "From tab one"
    assert f'name="version" type="hidden" value="{current.version}"' in page  # saving again from here works


def test_replaying_an_old_form_after_the_deadline_changes_nothing(client, setup):
    application, member, assignment = setup
    url = f"/review/application/{application.id}"
    sign_in(client, member)
    complete = {k: str(v) for k, v in full_scores(3, comment="In time").items()}
    client.post(url, data={**complete, "version": "0", "submit": "y"})
    version = review_of(assignment.id).version
    db.session.get(IntakeRound, application.round_id).reviews_due = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    late = {k: str(v) for k, v in full_scores(1, Recommendation.REJECT, "Too late").items()}
    response = client.post(url, data={**late, "version": str(version), "revise": "y"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The review deadline has passed" in page
    assert 'name="revise"' not in page and "In time" in page  # shown read-only
    review = review_of(assignment.id)
    assert review.comment == "In time" and len(review.revisions) == 1


@pytest.mark.committing
def test_two_simultaneous_revisions_from_two_tabs_give_one_revision(app):
    application = submitted_application()
    member = committee_member()
    assignment = assigned(member, application)
    services.save_review(assignment, full_scores(3), submit=True, expected_version=0, now=utcnow())
    url, version, assignment_id = f"/review/application/{application.id}", assignment.review.version, assignment.id
    db.session.commit()
    db.session.remove()  # no open transaction of the test may hold a lock while the tabs write
    tabs = [sign_in(app.test_client(), member) for _ in range(2)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def revise(tab: FlaskClient, value: int) -> None:
        data = {k: str(v) for k, v in full_scores(value, comment=f"Tab {value}").items()}
        barrier.wait()
        statuses.append(tab.post(url, data={**data, "version": str(version), "revise": "y"}).status_code)

    threads = [threading.Thread(target=revise, args=(tab, value)) for tab, value in zip(tabs, (4, 5), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 302]  # the loser sees its form again, with the message
    db.session.remove()
    review = review_of(assignment_id)
    assert [revision.number for revision in review.revisions] == [1, 2]
    assert review.comment == review.revisions[-1].comment in {"Tab 4", "Tab 5"}
    db.session.remove()


def test_declaring_a_conflict_needs_confirmation_then_removes_the_assignment(client, setup):
    application, member, assignment = setup
    UserFactory(roles=[Role.COORDINATOR], language="de")
    save(assignment, {"comment": "Started"})
    db.session.commit()
    url = f"/review/application/{application.id}/conflict"
    sign_in(client, member)
    unconfirmed = client.post(url, data={"conflict-note": "My former student"})
    page = unconfirmed.get_data(as_text=True)
    assert unconfirmed.status_code == 200 and "Please tick the box to confirm." in page
    assert "My former student</textarea>" in page
    assert "Started</textarea>" in page  # the review form beside it still shows the saved draft
    assert db.session.get(ReviewAssignment, assignment.id) is not None

    response = client.post(url, data={"conflict-note": "My former student", "conflict-confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/")
    assert db.session.get(ReviewAssignment, assignment.id) is None
    conflict = db.session.scalars(select(Conflict).where(Conflict.user_id == member.id)).one()
    assert (conflict.application_id, conflict.reason, conflict.note) == (
        application.id,
        ConflictReason.DECLARED,
        "My former student",
    )
    email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "conflict_declared")).one()
    assert email.language == "de" and "My former student" in email.body
    assert "review.conflict_declared" in audit_actions(application)
    assert db.session.scalar(select(func.count(Review.id))) == 0
    assert db.session.scalar(select(func.count(ReviewRevision.id))) == 0
    assert client.get(f"/review/application/{application.id}").status_code == 404
    assert application.reference not in client.get("/review/").get_data(as_text=True)


def test_a_withdrawn_application_leaves_the_members_list(client, setup):
    application, member, _assignment = setup
    application.state = ApplicationState.WITHDRAWN
    db.session.commit()
    sign_in(client, member)
    assert application.reference not in client.get("/review/").get_data(as_text=True)
    assert client.get(f"/review/application/{application.id}").status_code == 404


def test_service_rows_name_the_applicant_even_without_entered_names(setup):
    application, member, _assignment = setup
    application.family_name = application.given_names = ""
    db.session.flush()
    (group,) = services.assigned_applications(db.session.get(User, member.id))
    (row,) = group.rows
    assert row.name == application.applicant.name and row.status == services.ReviewStatus.NOT_STARTED
