"""The supervisors' side: the dashboard of applications naming them, statements, the partner's, capacity, access."""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import insert, select

from portal import db
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome
from portal.core.audit import AuditEvent
from portal.core.outbox import queue_email
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review.models import StatementAnswer, SupervisorStatement
from portal.review.statements import StatementError, record_statement
from portal.supervisors.models import SupervisorProfile
from tests.conftest import sign_in
from tests.factories import IntakeRoundFactory, add_decision, add_statement, complete_application, supervisor

S = ApplicationState
_numbers = itertools.count(1)
pytestmark = pytest.mark.usefixtures("plain_app_context")


def make_application(
    german: SupervisorProfile | None = None,
    chinese: SupervisorProfile | None = None,
    *,
    state: ApplicationState = S.SUBMITTED,
    **kwargs,
) -> Application:
    """A complete application naming the two supervisors, in the given state (with a reference unless a draft)."""
    application = complete_application(
        german_supervisor=german or supervisor("TUC"), chinese_supervisor=chinese or supervisor("TONGJI"), **kwargs
    )
    application.state = state
    if state != S.DRAFT:
        application.reference = f"IPK-2027-{next(_numbers):04d}"
        application.submitted_at = utcnow()
    db.session.flush()
    return application


def statements_of(application_id: int) -> dict[int, SupervisorStatement]:
    """The application's statements by profile id, fresh from the database."""
    db.session.expire_all()
    rows = db.session.scalars(select(SupervisorStatement).where(SupervisorStatement.application_id == application_id))
    return {statement.profile_id: statement for statement in rows}


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def page_of(client, application: Application) -> str:
    response = client.get(f"/supervise/{application.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def dashboard_row(page: str, application: Application) -> str:
    """The dashboard's table row of one application."""
    match = re.search(rf'<tr id="application-{application.id}">(.*?)</tr>', page, re.S)
    assert match, f"application {application.id} is not listed"
    return match.group(1)


def post_statement(client, application: Application, **data):
    """Send the statement form as the page gives it (with the version it carries), with these values."""
    page = client.get(f"/supervise/{application.id}").get_data(as_text=True)
    shown = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    return client.post(f"/supervise/{application.id}", data={"version": shown.group(1) if shown else "", **data})


@pytest.fixture
def pair():
    """A German and a Chinese supervisor."""
    return supervisor("TUC", title="Prof. Dr.-Ing."), supervisor("TONGJI", title="Prof.")


# --- The dashboard ------------------------------------------------------------------------------------------------


def test_dashboard_lists_only_submitted_applications_naming_the_supervisor_with_the_partner(client, pair):
    german, chinese = pair
    other_german = supervisor("LUH")
    earlier, later = IntakeRoundFactory(name="Intake 2026"), IntakeRoundFactory(name="Intake 2027")
    later.closes_at = earlier.closes_at + (earlier.closes_at - earlier.opens_at)
    listed = {
        state: make_application(german, chinese, state=state, intake_round=later)
        for state in (S.SUBMITTED, S.UNDER_REVIEW, S.DECIDED)
    }
    older = make_application(german, chinese, intake_round=earlier)
    hidden = [
        make_application(german, chinese, state=S.DRAFT),
        make_application(german, chinese, state=S.WITHDRAWN),
        make_application(other_german, chinese),
    ]
    db.session.commit()
    sign_in(client, german.user)
    page = client.get("/supervise/").get_data(as_text=True)

    for application in [*listed.values(), older]:
        row = dashboard_row(page, application)
        assert application.reference in row and application.display_name in row
        assert chinese.display_name in row and chinese.university.name_en in row
        assert "Energy and Hydrogen" in row and "Not yet answered" in row
        assert f'href="/supervise/{application.id}"' in row
    for application in hidden:
        assert f'id="application-{application.id}"' not in page
        assert f"/supervise/{application.id}" not in page
    # Grouped by round, the latest round first.
    assert page.index("Intake 2027") < page.index(listed[S.SUBMITTED].reference) < page.index("Intake 2026")
    assert page.index("Intake 2026") < page.index(older.reference)


def test_the_chinese_supervisor_sees_the_german_partner(client, pair):
    german, chinese = pair
    application = make_application(german, chinese)
    db.session.commit()
    sign_in(client, chinese.user)
    row = dashboard_row(client.get("/supervise/").get_data(as_text=True), application)
    assert german.display_name in row and german.university.name_en in row
    assert chinese.display_name not in row
    assert "You: Chinese supervisor" in row


def test_general_dashboard_card_summarises_and_links(client, pair):
    german, chinese = pair
    answered, waiting = make_application(german, chinese), make_application(german, chinese)
    make_application(german, chinese, state=S.DRAFT)
    add_statement(answered, german, StatementAnswer.WILLING)
    add_statement(waiting, chinese, StatementAnswer.WILLING)  # the partner's answer does not count as mine
    db.session.commit()
    sign_in(client, german.user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "2 submitted applications name you as co-supervisor." in page
    assert "1 is waiting for your statement." in page
    assert 'href="/supervise/"' in page


def test_dashboard_costs_the_same_queries_for_few_and_many_applications(client, pair, count_queries):
    german_id, chinese_id = pair[0].id, pair[1].id

    def add_applications(count: int) -> None:
        # Profiles re-fetched: a request in between ends the session the earlier objects belonged to.
        german, chinese = db.session.get(SupervisorProfile, german_id), db.session.get(SupervisorProfile, chinese_id)
        for number in range(count):
            intake = IntakeRoundFactory()
            application = make_application(german, supervisor("SCU") if number % 2 else chinese, intake_round=intake)
            partner = application.chinese_supervisor
            if number % 3 == 0:
                add_statement(application, german, StatementAnswer.WILLING)
            if number % 2 == 0:
                add_statement(application, partner, StatementAnswer.CONDITIONAL, conditions="A lab place")
        db.session.commit()

    add_applications(2)
    sign_in(client, pair[0].user)
    client.get("/supervise/")  # signs in: the user is then kept for the test's application context
    db.session.remove()  # each measurement starts from an empty session, as a real request does
    few = count_queries(lambda: client.get("/supervise/"))
    add_applications(10)
    db.session.remove()
    many = count_queries(lambda: client.get("/supervise/"))
    page = client.get("/supervise/").get_data(as_text=True)
    assert page.count('<tr id="application-') == 12
    assert 0 < few == many


# --- Reading the application ----------------------------------------------------------------------------------------


def test_chosen_supervisor_reads_the_application_documents_and_letters(client, pair):
    german, chinese = pair
    application = make_application(german, chinese)
    referee = application.referees[0]
    referee.letter_text, referee.letter_received_at = "An outstanding and careful researcher.", utcnow()
    db.session.commit()
    sign_in(client, german.user)
    page = page_of(client, application)
    assert application.proposal_title in page and application.reference in page
    for document in application.documents:
        assert f'href="/application/documents/{document.id}"' in page
    assert "An outstanding and careful researcher." in page
    assert "The letter has not been received yet." in page  # the second referee's


# --- Recording statements -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "conditions", "stored_conditions"),
    [
        ("willing", "", ""),
        ("conditional", "  A place in my lab from October.  ", "A place in my lab from October."),
        ("unwilling", "ignored conditions", ""),
    ],
)
def test_recording_each_kind_of_statement(client, pair, answer, conditions, stored_conditions):
    german, chinese = pair
    application = make_application(german, chinese)
    db.session.commit()
    sign_in(client, german.user)
    response = post_statement(client, application, answer=answer, conditions=conditions, comment="For the committee.")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/supervise/{application.id}")
    statement = statements_of(application.id)[german.id]
    assert statement.answer == StatementAnswer(answer)
    assert statement.conditions == stored_conditions and statement.comment == "For the committee."
    (event,) = audit_events("statement.recorded")
    assert event.actor_id == german.user_id and event.target_id == application.id
    assert event.details["answer"] == answer and event.details["previous"] is None
    page = client.get(f"/supervise/{application.id}").get_data(as_text=True)
    assert "Your statement has been recorded." in page
    assert re.search(rf'value="{answer}"[^>]*checked|checked[^>]*value="{answer}"', page)


def test_conditions_are_required_when_willing_under_conditions(client, pair):
    german, chinese = pair
    application = make_application(german, chinese)
    db.session.commit()
    sign_in(client, german.user)
    response = post_statement(
        client, application, answer="conditional", conditions="   ", comment="My typed comment for the committee"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    error = re.search(r'id="conditions-error"[^>]*>(.*?)</div>', page, re.S)
    assert error and "Please state your conditions." in error.group(1)
    assert "My typed comment for the committee</textarea>" in page
    assert re.search(r'value="conditional"[^>]*checked|checked[^>]*value="conditional"', page)
    assert statements_of(application.id) == {}
    assert audit_events("statement.recorded") == []


@pytest.mark.parametrize("answer", ["", "maybe"])
def test_an_answer_must_be_chosen_from_the_list(client, pair, answer):
    german, chinese = pair
    application = make_application(german, chinese)
    db.session.commit()
    sign_in(client, german.user)
    response = post_statement(client, application, answer=answer, comment="Kept comment")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="answer-error"' in page and "Kept comment</textarea>" in page
    assert statements_of(application.id) == {}


def test_a_statement_can_be_changed(client, pair):
    german, chinese = pair
    application = make_application(german, chinese)
    db.session.commit()
    sign_in(client, german.user)
    post_statement(client, application, answer="conditional", conditions="Funding first", comment="First")
    response = post_statement(client, application, answer="willing", conditions="Funding first", comment="Second")
    assert response.status_code == 302
    statements = statements_of(application.id)
    assert list(statements) == [german.id]
    assert statements[german.id].answer == StatementAnswer.WILLING
    assert statements[german.id].conditions == "" and statements[german.id].comment == "Second"
    first, second = audit_events("statement.recorded")
    assert (first.details["answer"], second.details["answer"], second.details["previous"]) == (
        "conditional",
        "willing",
        "conditional",
    )


def test_statement_is_read_only_once_a_decision_is_recorded(client, pair):
    german, chinese = pair
    application = make_application(german, chinese, state=S.DECIDED)
    version = add_statement(application, german, StatementAnswer.WILLING, comment="Original comment").version
    add_decision(application, DecisionOutcome.ADMIT)
    db.session.commit()
    sign_in(client, german.user)
    page = page_of(client, application)
    assert "can no longer be changed" in page and "Original comment" in page
    assert 'name="answer"' not in page and 'name="comment"' not in page
    # A form kept open from before the decision (with the statement's current version) is refused all the same.
    response = post_statement(client, application, answer="unwilling", comment="Changed my mind", version=version)
    assert response.status_code == 200
    statement = statements_of(application.id)[german.id]
    assert (statement.answer, statement.comment) == (StatementAnswer.WILLING, "Original comment")
    assert audit_events("statement.recorded") == []
    assert "can no longer be changed" in response.get_data(as_text=True)


# --- The partner's statement ----------------------------------------------------------------------------------------


def test_partner_statement_is_hidden_until_both_have_answered(app, client, pair):
    german, chinese = pair
    application = make_application(german, chinese)
    db.session.commit()
    sign_in(client, german.user)
    assert "Your co-supervisor has not answered yet." in page_of(client, application)
    assert "Not yet answered" in dashboard_row(client.get("/supervise/").get_data(as_text=True), application)

    add_statement(
        application, chinese, StatementAnswer.CONDITIONAL, conditions="Secret condition", comment="Secret comment"
    )
    db.session.commit()
    page = page_of(client, application)
    assert "Your co-supervisor has answered." in page
    assert "Secret condition" not in page and "Secret comment" not in page and "Willing under conditions" in page
    assert 'data-answer="conditional"' not in page
    row = dashboard_row(client.get("/supervise/").get_data(as_text=True), application)
    assert "Answered" in row and "Willing under conditions" not in row

    post_statement(client, application, answer="unwilling", comment="Not my field")
    page = page_of(client, application)
    assert "Secret condition" in page and "Secret comment" in page and 'data-answer="conditional"' in page
    assert "Co-supervision agreed" not in page
    row = dashboard_row(client.get("/supervise/").get_data(as_text=True), application)
    assert "Willing under conditions" in row and "Not willing to supervise" in row

    # The partner, in turn, sees the German supervisor's statement now that both have answered.
    with app.app_context():  # a fresh context: Flask-Login keeps the signed-in user on `g` for the context's life
        sign_in(client, chinese.user)
        page = page_of(client, application)
    assert "You are named as Chinese supervisor" in page and "Not my field" in page


@pytest.mark.parametrize(
    ("own", "partner", "agreed"),
    [
        (StatementAnswer.WILLING, StatementAnswer.WILLING, True),
        (StatementAnswer.WILLING, StatementAnswer.CONDITIONAL, True),
        (StatementAnswer.CONDITIONAL, StatementAnswer.CONDITIONAL, True),
        (StatementAnswer.WILLING, StatementAnswer.UNWILLING, False),
        (StatementAnswer.UNWILLING, StatementAnswer.WILLING, False),
        (StatementAnswer.WILLING, None, False),
        (None, StatementAnswer.WILLING, False),
    ],
)
def test_co_supervision_agreed_only_when_both_are_willing(client, pair, own, partner, agreed):
    german, chinese = pair
    application = make_application(german, chinese)
    for profile, answer in ((german, own), (chinese, partner)):
        if answer is not None:
            conditions = "Conditions" if answer == StatementAnswer.CONDITIONAL else ""
            add_statement(application, profile, answer, conditions=conditions)
    db.session.commit()
    sign_in(client, german.user)
    assert ("Co-supervision agreed" in page_of(client, application)) is agreed
    row = dashboard_row(client.get("/supervise/").get_data(as_text=True), application)
    assert ("Co-supervision agreed" in row) is agreed


# --- Capacity ---------------------------------------------------------------------------------------------------


def test_capacity_counts_agreements_in_the_round_and_refuses_one_more_until_raised(client):
    german, chinese = supervisor("TUC", capacity=1), supervisor("TONGJI")
    intake, other_round = IntakeRoundFactory(), IntakeRoundFactory()
    first, second = (
        make_application(german, chinese, intake_round=intake),
        make_application(german, chinese, intake_round=intake),
    )
    withdrawn = make_application(german, chinese, state=S.WITHDRAWN, intake_round=intake)
    elsewhere = make_application(german, chinese, intake_round=other_round)
    declined = make_application(german, chinese, intake_round=intake)
    add_statement(withdrawn, german, StatementAnswer.WILLING)  # withdrawn: does not count
    add_statement(elsewhere, german, StatementAnswer.WILLING)  # another round
    add_statement(declined, german, StatementAnswer.UNWILLING)  # not an agreement
    db.session.commit()
    sign_in(client, german.user)
    assert 'data-capacity="0/1"' in page_of(client, first)

    response = post_statement(client, first, answer="willing")
    assert response.status_code == 302
    page = page_of(client, second)
    assert 'data-capacity="1/1"' in page and 'id="capacity-reached"' in page
    assert 'id="capacity-reached"' not in page_of(client, first)  # already agreed there

    for answer in ("willing", "conditional"):
        refused = post_statement(client, second, answer=answer, conditions="Only with a scholarship")
        text = refused.get_data(as_text=True)
        assert refused.status_code == 200
        assert "your capacity of 1. To agree to this one, first raise your capacity (at most 20)" in text
        assert german.id not in statements_of(second.id)  # nothing saved
    assert post_statement(client, second, answer="unwilling").status_code == 302  # declining is always possible
    assert post_statement(client, first, answer="conditional", conditions="A lab place").status_code == 302  # still 1

    # Beyond the portal's limit the capacity cannot be raised; within it, the agreement then goes through.
    client.post("/supervise/availability", data={"accepting": "y", "capacity": "21"})
    assert db.session.get(SupervisorProfile, german.id).capacity == 1
    client.post("/supervise/availability", data={"accepting": "y", "capacity": "2"})
    assert db.session.get(SupervisorProfile, german.id).capacity == 2
    assert post_statement(client, second, answer="willing").status_code == 302
    assert statements_of(second.id)[german.id].answer == StatementAnswer.WILLING
    dashboard = client.get("/supervise/").get_data(as_text=True)
    assert 'data-capacity="2/2"' in dashboard and 'data-capacity="1/2"' in dashboard  # this round, the other round
    assert "more candidates than your capacity" not in dashboard


# --- Who may not ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.COMMITTEE, Role.COORDINATOR, Role.ADMIN])
def test_other_roles_may_not_use_the_supervisor_pages(client, login_as, pair, role):
    application = make_application(*pair)
    db.session.commit()
    login_as(role)
    assert client.get("/supervise/").status_code == 403
    assert client.get(f"/supervise/{application.id}").status_code == 403
    assert post_statement(client, application, answer="willing").status_code == 403
    assert statements_of(application.id) == {}


def test_the_applicant_may_not_even_for_their_own_application(client, pair):
    application = make_application(*pair)
    db.session.commit()
    sign_in(client, application.applicant)
    assert client.get(f"/supervise/{application.id}").status_code == 403


def test_a_supervisor_who_is_not_chosen_sees_nothing(client, pair):
    application = make_application(*pair)
    stranger = supervisor("UGOE")
    db.session.commit()
    sign_in(client, stranger.user)
    assert client.get(f"/supervise/{application.id}").status_code == 404
    assert application.reference not in client.get("/supervise/").get_data(as_text=True)


@pytest.mark.parametrize("state", [S.DRAFT, S.WITHDRAWN])
def test_a_draft_or_withdrawn_application_is_404_even_for_the_chosen_supervisor(client, pair, state):
    german, chinese = pair
    application = make_application(german, chinese, state=state)
    db.session.commit()
    sign_in(client, german.user)
    assert client.get(f"/supervise/{application.id}").status_code == 404
    assert post_statement(client, application, answer="willing").status_code == 404
    assert statements_of(application.id) == {}


def test_a_forged_post_to_another_application_changes_nothing(client, pair):
    german, chinese = pair
    mine = make_application(german, chinese)
    theirs_german = supervisor("TUBS")
    theirs = make_application(theirs_german, chinese)
    add_statement(theirs, theirs_german, StatementAnswer.WILLING, comment="Their own words")
    db.session.commit()
    sign_in(client, german.user)
    response = post_statement(client, theirs, answer="unwilling", comment="Forged")
    assert response.status_code == 404
    statements = statements_of(theirs.id)
    assert list(statements) == [theirs_german.id]
    assert (statements[theirs_german.id].answer, statements[theirs_german.id].comment) == (
        StatementAnswer.WILLING,
        "Their own words",
    )
    assert statements_of(mine.id) == {}
    assert audit_events("statement.recorded") == []


# --- The email template for the chosen supervisors ----------------------------------------------------------------


def test_statement_request_email_renders_in_the_recipients_language(app, pair):
    german, chinese = pair
    application = make_application(german, chinese)
    with app.test_request_context("/"):
        email = queue_email(
            recipient=chinese.user.email,
            language="zh",
            template="statement_requested",
            context={
                "application": application,
                "user": chinese.user,
                "partner": german,
                "link": f"http://portal.test/supervise/{application.id}",
            },
            user_id=chinese.user_id,
        )
    assert email.language == "zh" and application.reference in email.subject
    assert f"http://portal.test/supervise/{application.id}" in email.body
    assert german.display_name in email.body and german.university.name_zh in email.body


def test_a_decision_recorded_while_the_form_is_open_wins(app, pair):
    german, chinese = pair
    application = make_application(german, chinese)
    db.session.commit()
    assert application.decision is None  # loaded when the supervisor opened the page
    db.session.execute(
        insert(Decision).values(application_id=application.id, outcome=DecisionOutcome.REJECT, decided_at=utcnow())
    )
    with app.test_request_context("/"), pytest.raises(StatementError, match="can no longer be changed"):
        record_statement(german.user, application, answer="willing", now=utcnow(), expected_version=0)
    assert statements_of(application.id) == {}


def test_a_supervisor_sets_their_own_availability(client):
    profile = supervisor("TUC")
    db.session.commit()
    profile_id = profile.id
    sign_in(client, profile.user)
    page = client.get("/supervise/").get_data(as_text=True)
    assert "Your availability in the supervisor directory" in page
    response = client.post("/supervise/availability", data={"capacity": "0"})  # unticked: not taking candidates
    assert response.status_code == 302
    saved = db.session.get(SupervisorProfile, profile_id)
    assert (saved.accepting_candidates, saved.capacity) == (False, 0)
    assert db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.target_type == "supervisor_profiles", AuditEvent.target_id == profile_id
        )
    ).all() == ["supervisor.availability_changed"]
    client.post("/supervise/availability", data={"accepting": "y", "capacity": "99"})
    assert db.session.get(SupervisorProfile, profile_id).capacity == 0  # refused: nothing changed
