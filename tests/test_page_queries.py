"""The pages about one application cost a few SQL statements, the same for a small application and a large one
(issue 13): the reviewer's assigned list led by the next open review, the review page, the staff record and the
applicant's dashboard. Each bound counts every statement of the request (its session's lookup too, transaction control
such as SAVEPOINT left out, as the benchmark counts them); a page that loads something per row fails here."""

from __future__ import annotations

from portal import db
from portal.applications.levels import DegreeLevel
from portal.applications.models import Application, ApplicationState, DecisionOutcome, DocumentKind, Education
from portal.core import audit
from portal.core.outbox import notify
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import rubric
from portal.review.models import Conflict, ConflictReason, StatementAnswer
from portal.review.services import save_review
from tests.factories import (
    IntakeRoundFactory,
    UserFactory,
    add_decision,
    add_document,
    add_review,
    add_statement,
    assigned,
    committee_member,
    full_scores,
    judged,
)
from tests.test_list_queries import _signed_in, statements  # noqa: F401 - the fixture

# The most statements each page may cost (issue 13: at most 4). The reviewer's list with the next open review: the
# session, the list, the application with the member's standing (assignment, review, conflict), and one for the rest
# of the workspace (portal/core/one_trip.py): its education, documents, referees, statements and rubric.
REVIEWERS_LIST = 4
# The review page: the same without the list (the reviewer's progress through the round comes with the rest).
REVIEW_PAGE = 3
# The applicant's dashboard: the session, the applications with what is theirs alone, the referees.
APPLICANTS_DASHBOARD = 3
# The staff record for a coordinator: the session, the application (with decision, supervisors and the viewer's
# standing), one for every part of the record (its lists, the assignments with their reviews and revisions, the
# statements, the ranking's figures, the conflicts, the emails, the history, the interview, the offer), and the names
# of the people its history mentions.
STAFF_RECORD = 4


def _more_of_everything(application: Application, times: int) -> None:
    """More documents, degrees and reviewers on the application, and a letter from its first referee."""
    for n in range(times):
        add_document(application, DocumentKind.OTHER)
        add_document(application, DocumentKind.LANGUAGE_CERTIFICATE)
        application.education.append(
            Education(
                level=DegreeLevel.BACHELOR,
                degree=f"Bachelor {n}",
                subject="Physics",
                institution="Sichuan University",
                country="CN",
                year=2015 + n,
                grade="90",
                grading_scale="100 best",
            )
        )
        add_review(application, 4, reviewer=committee_member("BUAA"))
    if times:
        referee = application.referees[0]
        referee.letter_document = add_document(application, DocumentKind.REFEREE_LETTER)
        referee.letter_received_at = utcnow()
    db.session.flush()


def _assigned_list(size: int, name: str, *, grow: int) -> tuple[int, int]:
    """A member assigned to `size` applications of a round, the first review still open and the others submitted; one
    more application they are in conflict with; the open one grown `grow` times. (member id, open application id)"""
    intake = IntakeRoundFactory(name=name)
    member = committee_member("LUH", name=f"Member {name}")
    applications = [judged(intake, family=f"{name}{n:03d}") for n in range(size)]
    for position, application in enumerate(applications):
        assignment = assigned(member, application)
        add_statement(application, application.german_supervisor, StatementAnswer.WILLING)
        add_statement(application, application.chinese_supervisor, StatementAnswer.CONDITIONAL)
        if position > 0:
            save_review(assignment, full_scores(), submit=True, expected_version=0, now=utcnow())
    conflicted = judged(intake, family=f"{name}Conflicted")
    add_review(conflicted, reviewer=member)
    db.session.add(Conflict(application_id=conflicted.id, user_id=member.id, reason=ConflictReason.DECLARED))
    _more_of_everything(applications[0], grow)
    db.session.commit()
    return member.id, applications[0].id


def _counted(statements, app, user_id: int, address: str) -> int:  # noqa: F811
    """The statements of a signed-in GET, each request in its own application context as in production."""
    client = _signed_in(app, user_id)
    client.get(address)  # the session's first page does more (its record is refreshed)
    return statements(client, address)


def _rubric_of_its_own(application_id: int) -> None:
    """The application's round gets a rubric of its own (its levels come with it)."""
    intake = db.session.get(Application, application_id).intake_round
    texts = rubric.texts_for_editing(intake)[1]
    rubric.save_rubric(intake, texts, expected_version=0, by=UserFactory(roles=[Role.COORDINATOR]), now=utcnow())
    db.session.commit()


def test_the_reviewers_list_with_the_next_open_review_costs_a_few_statements_whatever_its_size(app, statements):  # noqa: F811
    # Built in an application context of its own: the requests then load the signed-in user as in production.
    with app.app_context():
        small = _assigned_list(3, "Small", grow=0)
        large = _assigned_list(12, "Large", grow=4)
        _rubric_of_its_own(large[1])
    few, many = (_counted(statements, app, member, "/review/") for member, _open in (small, large))
    assert few == many <= REVIEWERS_LIST
    page_few, page_many = (
        _counted(statements, app, member, f"/review/application/{open_id}") for member, open_id in (small, large)
    )
    assert page_few == page_many <= REVIEW_PAGE
    # What the counts are of: the list leads with the open review; the conflicted application is left out.
    page = _signed_in(app, large[0]).get("/review/").get_data(as_text=True)
    assert 'id="next-review"' in page and "LARGE000" in page and "CONFLICTED" not in page
    assert "11 of 12 submitted" in page


def _applicant(name: str, earlier: int, grow: int) -> int:
    """An applicant with `earlier` decided applications of past rounds and one under review, grown `grow` times."""
    user = UserFactory(roles=[Role.APPLICANT], name=name)
    for year in range(earlier):
        old = IntakeRoundFactory(name=f"{name} {2020 + year}")
        add_decision(judged(old, applicant=user), DecisionOutcome.REJECT, released_at=utcnow())
    current = judged(IntakeRoundFactory(name=f"{name} now"), state=ApplicationState.UNDER_REVIEW, applicant=user)
    _more_of_everything(current, grow)
    db.session.commit()
    return user.id


def test_the_applicants_dashboard_costs_a_few_statements_whatever_they_did(app, statements):  # noqa: F811
    with app.app_context():
        few, many = _applicant("Few", 0, 0), _applicant("Many", 3, 3)
    assert _counted(statements, app, few, "/dashboard") == _counted(statements, app, many, "/dashboard")
    assert _counted(statements, app, many, "/dashboard") <= APPLICANTS_DASHBOARD


def _decided(intake, coordinator, name: str, grow: int) -> int:
    """A released decision with a statement, grown `grow` times, with as many declared conflicts, emails and events
    naming people."""
    application = judged(intake, state=ApplicationState.DECIDED, family=name)
    add_statement(application, application.german_supervisor, StatementAnswer.WILLING)
    add_decision(application, DecisionOutcome.ADMIT, decided_by_id=coordinator.id, released_at=utcnow())
    _more_of_everything(application, grow)
    for _ in range(grow):
        member = committee_member("SCU")
        db.session.add(Conflict(application_id=application.id, user_id=member.id, reason=ConflictReason.DECLARED))
        notify(application.applicant, "application_submitted", application=application, link="http://portal.test/z")
        audit.record("review.assigned", application, details={"reviewer_id": member.id})
    db.session.commit()
    return application.id


def test_the_staff_record_costs_a_few_statements_whatever_it_holds(app, statements):  # noqa: F811
    with app.app_context():
        coordinator = UserFactory(roles=[Role.COORDINATOR])
        intake = IntakeRoundFactory()
        few, many = _decided(intake, coordinator, "Few", 1), _decided(intake, coordinator, "Many", 5)
        coordinator_id = coordinator.id
    counts = [_counted(statements, app, coordinator_id, f"/staff/applications/{i}") for i in (few, many)]
    assert counts[0] == counts[1] <= STAFF_RECORD
