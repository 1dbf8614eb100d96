"""The staff record of one application: who may open it (404/403 exactly as DESIGN's table says), what each viewer
sees of it, the emails linked to it, a fixed number of queries, and that reading it changes nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal import db
from portal.applications.models import Application, ApplicationState, DecisionOutcome, DocumentKind
from portal.core import audit
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail, notify, queue_email
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review.models import Conflict, ConflictReason, StatementAnswer
from tests.conftest import sign_in
from tests.factories import (
    IntakeRoundFactory,
    UserFactory,
    add_decision,
    add_document,
    add_review,
    add_statement,
    committee_member,
    judged,
    make_pdf,
)

pytestmark = pytest.mark.usefixtures("plain_app_context")

S = ApplicationState
COMMENT_A = "A: the proposal is original; the methods section is thin."
COMMENT_B = "B: strong grades, a convincing plan for the first year."
DRAFT_COMMENT = "C is still thinking (a draft)."
DECISION_NOTE = "Start in October; a German course in the first semester."
CONFLICT_NOTE = "I supervised her master thesis."
STATEMENT_DE = "The topic fits my group very well."
STATEMENT_CN = "Only with a scholarship from the CSC."
TEXT_LETTER = "I recommend the candidate without reservation."
EMAIL_SUBJECT = "A note about your application"


def url(application_id: int) -> str:
    return f"/staff/applications/{application_id}"


@pytest.fixture
def record():
    """A decided application with everything a record shows: documents, a PDF and a text letter, both statements,
    two submitted reviews with comments and a draft, a declared conflict, a decision with its note, emails, history."""
    coordinator = UserFactory(roles=[Role.COORDINATOR], name="Julia Coordinator")
    intake = IntakeRoundFactory()
    application = judged(intake, state=S.DECIDED, family="Wang")
    letter = add_document(application, DocumentKind.REFEREE_LETTER, make_pdf(2), "letter-referee-1.pdf")
    first, second = application.referees
    first.letter_document, first.letter_received_at = letter, utcnow()
    second.letter_text, second.letter_received_at = TEXT_LETTER, utcnow()
    add_statement(application, application.german_supervisor, StatementAnswer.WILLING, comment=STATEMENT_DE)
    add_statement(application, application.chinese_supervisor, StatementAnswer.CONDITIONAL, conditions=STATEMENT_CN)
    member_a, member_b, member_c = committee_member("TUBS"), committee_member("ZZU"), committee_member("UOS")
    for member, scores, comment in ((member_a, (5, 4, 4, 3, 4), COMMENT_A), (member_b, 4, COMMENT_B)):
        add_review(application, scores, reviewer=member).review.comment = comment
    add_review(application, 3, reviewer=member_c, submitted=False).review.comment = DRAFT_COMMENT
    conflicted = committee_member("TUC", name="Dr. Conflicted")
    db.session.add(
        Conflict(
            application_id=application.id, user_id=conflicted.id, reason=ConflictReason.DECLARED, note=CONFLICT_NOTE
        )
    )
    add_decision(application, DecisionOutcome.ADMIT, note=DECISION_NOTE, decided_by_id=coordinator.id)
    notify(application.applicant, "application_submitted", application=application, link="http://portal.test/x")
    audit.record("application.submitted", application, actor_id=application.applicant_id, details={})
    other = judged(intake, state=S.SUBMITTED, family="Other")
    notify(other.applicant, "application_submitted", application=other, link="http://portal.test/y")
    db.session.commit()
    return {
        "id": application.id,
        "reference": application.reference,
        "coordinator": coordinator,
        "members": (member_a, member_b, member_c),
        "conflicted": conflicted,
        "german": application.german_supervisor.user,
        "chinese": application.chinese_supervisor.user,
        "applicant": application.applicant,
        "other": other.id,
        "letter": letter.id,
    }


def page_for(client, user, application_id: int) -> str:
    sign_in(client, user)
    response = client.get(url(application_id))
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- Who may open the record ----------------------------------------------------------------------------------------


def _applicant(r):
    return r["applicant"]


def _owner_with_a_staff_role(r):
    from portal.accounts.models import UserRole

    r["applicant"].roles.append(UserRole(role=Role.SUPERVISOR))
    return r["applicant"]


def _role(role: Role):
    return lambda r: UserFactory(roles=[role])


def _with_roles(*roles: Role):
    return lambda r: UserFactory(roles=list(roles))


def _unassigned_member(r):
    return committee_member("LUH")


REFUSED = [
    # (who, what DESIGN's table says, expected status)
    ("the applicant, owner", _applicant, 403),
    ("the applicant, owner, who is also a supervisor", _owner_with_a_staff_role, 403),
    ("another applicant", _role(Role.APPLICANT), 403),
    ("an administrator", _role(Role.ADMIN), 403),
    ("a supervisor not chosen", _role(Role.SUPERVISOR), 404),
    ("a committee member not assigned", _unassigned_member, 404),
    ("a conflicted committee member", lambda r: r["conflicted"], 404),
    ("a committee member who is also an administrator, not assigned", _with_roles(Role.COMMITTEE, Role.ADMIN), 404),
]


@pytest.mark.parametrize(("who", "make_user", "status"), REFUSED, ids=[row[0] for row in REFUSED])
def test_role_x_may_not_open_the_record(client, record, who, make_user, status):
    user = make_user(record)
    db.session.commit()
    sign_in(client, user)
    response = client.get(url(record["id"]))
    assert response.status_code == status, who
    assert COMMENT_A not in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client, record):
    response = client.get(url(record["id"]))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_an_unknown_application_is_404_even_for_coordinators(client, record):
    sign_in(client, record["coordinator"])
    assert client.get(url(999_999)).status_code == 404
    assert client.get("/staff/applications/abc").status_code == 404


def test_a_conflicted_member_who_was_assigned_is_404(client, record):
    """A member assigned before a conflict arose (they became a referee, say) no longer sees the application."""
    member = record["members"][1]
    application = db.session.get(Application, record["id"])
    application.referees[0].email = member.email
    db.session.commit()
    sign_in(client, member)
    assert client.get(url(record["id"])).status_code == 404


@pytest.mark.parametrize("state", [S.DRAFT, S.WITHDRAWN])
def test_drafts_and_withdrawn_applications_are_404_for_supervisors_and_committee(client, record, state):
    application = db.session.get(Application, record["id"])
    application.state = state
    application.withdrawn_at = utcnow() if state == S.WITHDRAWN else None
    db.session.commit()
    for user in (record["german"], record["chinese"], record["members"][0]):
        sign_in(client, user)
        assert client.get(url(record["id"])).status_code == 404
    # Coordinators see what there is, and are told what it is.
    page = page_for(client, record["coordinator"], record["id"])
    expected = "This application is a draft" if state == S.DRAFT else "The applicant withdrew this application"
    assert expected in page


# --- What each viewer sees --------------------------------------------------------------------------------------------


def test_a_coordinator_sees_everything(client, record):
    page = page_for(client, record["coordinator"], record["id"])
    for text in (
        record["reference"],
        "Hydrogen embrittlement of pipeline steels",
        "王小明",
        "Master of Engineering",
        "cv.pdf",
        "letter-referee-1.pdf",
        TEXT_LETTER,
        STATEMENT_DE,
        STATEMENT_CN,
        COMMENT_A,
        COMMENT_B,
        CONFLICT_NOTE,
        "Dr. Conflicted",
        DECISION_NOTE,
        "Julia Coordinator",
        "Application submitted",  # the history
        "Your application",  # the subject of the email about it
    ):
        assert text in page, text
    # Every member's status, but never a draft's content.
    assert page.count('class="border rounded p-2 mb-2 record-review"') == 3
    assert 'data-status="draft"' in page and DRAFT_COMMENT not in page
    # The means per review and over the reviews: (5+4+4+3+4)/5 = 4.00 and 4.00; 2 of 3 submitted.
    assert "2 of 3 submitted" in page and "<strong>4.00</strong>" in page
    # Documents open in the browser or download; the dossier, the decision and the assignments are a click away.
    assert f"/application/documents/{record['letter']}?disposition=inline" in page
    assert re.search(rf'href="/application/documents/{record["letter"]}" download', page)
    for link in (
        f"/coordination/applications/{record['id']}/dossier.pdf",
        f"/review/application/{record['id']}/decision",
    ):
        assert f'href="{link}"' in page, link
    # Only the emails about this application: not the other applicant's.
    emails = re.findall(r'class="record-email" data-template="([^"]+)"', page)
    assert emails == ["application_submitted"]


def test_a_chosen_supervisor_sees_the_application_and_the_statements_but_no_judging(client, record):
    page = page_for(client, record["german"], record["id"])
    for text in (record["reference"], "cv.pdf", "letter-referee-1.pdf", TEXT_LETTER, STATEMENT_DE, STATEMENT_CN):
        assert text in page, text
    # Not the reviews, the conflicts, the emails, the history, the dossier, nor the unreleased decision.
    for text in (COMMENT_A, COMMENT_B, CONFLICT_NOTE, DECISION_NOTE, "Application submitted", 'id="reviews"'):
        assert text not in page, text
    assert 'id="emails"' not in page and 'id="history"' not in page and 'id="conflicts"' not in page
    assert "dossier.pdf" not in page
    # The state as the supervisors know it: "decided" only once the decision is released.
    assert re.search(r'record-state">Under review<', page)
    assert "The decision is shown here once it is released." in page
    assert f'href="/supervise/{record["id"]}"' in page


def test_a_chosen_supervisor_reads_the_partners_statement_only_once_both_answered(client, record):
    from portal.review.models import SupervisorStatement

    application = db.session.get(Application, record["id"])
    own = db.session.scalars(
        select(SupervisorStatement).where(SupervisorStatement.profile_id == application.german_supervisor_id)
    ).one()
    db.session.delete(own)
    db.session.commit()
    page = page_for(client, record["german"], record["id"])
    assert STATEMENT_CN not in page
    assert "your partner’s once you have both answered" in page


def test_after_release_a_supervisor_sees_the_outcome_but_not_the_note(client, record):
    application = db.session.get(Application, record["id"])
    application.decision.released_at = utcnow()
    db.session.commit()
    page = page_for(client, record["chinese"], record["id"])
    assert re.search(r'record-state">Decided<', page) and "Admitted" in page
    assert DECISION_NOTE not in page


def test_an_assigned_member_who_submitted_reads_the_others_reviews_and_the_decision(client, record):
    page = page_for(client, record["members"][0], record["id"])
    for text in (COMMENT_A, COMMENT_B, STATEMENT_DE, STATEMENT_CN, DECISION_NOTE, TEXT_LETTER):
        assert text in page, text
    assert DRAFT_COMMENT not in page and 'data-status="draft"' not in page  # others' drafts: not even the status
    for text in (CONFLICT_NOTE, 'id="emails"', 'id="history"', 'id="conflicts"'):
        assert text not in page, text
    assert f'href="/review/application/{record["id"]}"' in page  # their own review's page
    assert f"/coordination/applications/{record['id']}/dossier.pdf" in page


def test_an_assigned_member_who_has_not_submitted_sees_only_their_own_draft(client, record):
    page = page_for(client, record["members"][2], record["id"])
    assert DRAFT_COMMENT in page and "only you see it" in page
    assert COMMENT_A not in page and COMMENT_B not in page
    assert "shown here once you have submitted your own" in page


# --- The emails about an application ----------------------------------------------------------------------------------


def test_emails_name_the_application_they_are_about(record):
    application = db.session.get(Application, record["id"])
    about = notify(application.applicant, "application_withdrawn", application=application)
    referee = queue_email(
        recipient="someone@example.org",
        language="de",
        template="application_withdrawn",
        context={"application": application, "user": application.applicant},
        application_id=record["other"],  # said explicitly: wins over the context
    )
    unrelated = notify(application.applicant, "confirm_email", link="http://portal.test/c", hours=72)
    assert about.application_id == record["id"] and referee.application_id == record["other"]
    assert unrelated.application_id is None


def test_a_referees_invitation_names_its_application(record):
    from portal.applications.invitations import send_invitation

    application = db.session.get(Application, record["other"])
    send_invitation(application.referees[0], now=utcnow())
    email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "referee_invitation")).one()
    assert email.application_id == record["other"]


def test_the_emails_part_never_shows_a_body(client, record):
    application = db.session.get(Application, record["id"])
    notify(application.applicant, "reset_password", link="http://portal.test/secret-token-42", hours=2)
    queue_email(
        recipient="referee@example.org",
        language="en",
        template="referee_invitation",
        context={
            "referee": application.referees[0],
            "applicant_name": application.display_name,
            "due": utcnow(),
            "intake": application.intake_round,
            "link": "http://portal.test/secret-token-43",
            "resent": False,
        },
        application_id=application.id,
    )
    db.session.commit()
    page = page_for(client, record["coordinator"], record["id"])
    assert "referee@example.org" in page and "secret-token" not in page


# --- Cost and side effects --------------------------------------------------------------------------------------------


def _grow(application_id: int, times: int) -> None:
    """More of everything the record lists: documents, reviews, conflicts, emails, events naming people."""
    application = db.session.get(Application, application_id)
    for _ in range(times):
        add_document(application, DocumentKind.OTHER)
        member = committee_member("BUAA")
        add_review(application, 4, reviewer=member).review.comment = "More words."
        conflict = Conflict(
            application_id=application.id, user_id=committee_member("SCU").id, reason=ConflictReason.DECLARED
        )
        db.session.add(conflict)
        notify(application.applicant, "application_submitted", application=application, link="http://portal.test/z")
        audit.record("review.assigned", application, details={"reviewer_id": member.id})
    db.session.commit()


@pytest.mark.parametrize("viewer", ["coordinator", "member", "supervisor"])
def test_the_record_costs_the_same_number_of_queries_however_much_it_holds(client, record, count_queries, viewer):
    accounts = {"coordinator": record["coordinator"], "member": record["members"][0], "supervisor": record["german"]}
    user = accounts[viewer]
    big = db.session.get(Application, record["id"])
    small = judged(big.intake_round, state=S.DECIDED, family="Small", german=big.german_supervisor)
    add_review(small, 4, reviewer=record["members"][0]).review.comment = "Short."
    add_statement(small, small.german_supervisor, StatementAnswer.WILLING)
    add_statement(small, small.chinese_supervisor, StatementAnswer.WILLING)
    add_decision(small, DecisionOutcome.REJECT, decided_by_id=record["coordinator"].id)
    db.session.commit()
    small_id = small.id
    _grow(small_id, 1)
    _grow(record["id"], 5)
    sign_in(client, user)
    client.get("/dashboard")  # the first request also loads the signed-in user: warm up

    def fetch(application_id: int) -> None:
        assert client.get(url(application_id)).status_code == 200

    # The same parts (a decision, statements, reviews, conflicts, emails, events naming people), one of each or many.
    few, many = count_queries(lambda: fetch(small_id)), count_queries(lambda: fetch(record["id"]))
    assert few == many
    # A reviewer's standing is read once for every part's check (tests/test_page_queries.py names each statement).
    assert many <= {"coordinator": 17, "member": 14, "supervisor": 9}[viewer]


def test_reading_the_record_changes_nothing(client, record):
    counts = (
        lambda: db.session.scalar(select(func.count(AuditEvent.id))),
        lambda: db.session.scalar(select(func.count(OutboxEmail.id))),
    )
    before = [count() for count in counts]
    page_for(client, record["coordinator"], record["id"])
    page_for(client, record["members"][0], record["id"])
    assert client.post(url(record["id"])).status_code == 405
    db.session.expire_all()
    assert [count() for count in counts] == before


def test_a_decided_applications_record_keeps_its_times_in_the_viewers_zone(client, record):
    coordinator = record["coordinator"]
    coordinator.timezone = "Asia/Shanghai"
    application = db.session.get(Application, record["id"])
    application.submitted_at = dt.datetime(2027, 1, 31, 20, 30, tzinfo=dt.UTC)
    db.session.commit()
    page = page_for(client, coordinator, record["id"])
    assert "submitted on 1 Feb 2027, 04:30 (Shanghai)" in page  # 20:30 UTC is 04:30 the next day in Shanghai
