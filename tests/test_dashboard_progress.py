"""Where things stand on the dashboard (issue 11): the applicant's timeline of their newest application and the tasks
they must do next, each linked, per state; the supervisor's statements due with dates and where each application
naming them stands (the decision's outcome only once released); empty states that say what to do; a fixed number of
queries whatever the number of applications."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from portal import db
from portal.applications.invitations import MAX_INVITATIONS
from portal.applications.models import ApplicationState, DecisionOutcome
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.offers.models import Offer, OfferState
from portal.review.models import StatementAnswer
from tests.conftest import sign_in
from tests.factories import (
    ApplicationFactory,
    IntakeRoundFactory,
    UserFactory,
    add_decision,
    add_statement,
    complete_application,
    judged,
    supervisor,
)
from tests.interview_factories import booked, future, make_interview
from tests.test_remind import invited

S = ApplicationState
DAY = dt.timedelta(days=1)
pytestmark = pytest.mark.usefixtures("plain_app_context")


def applicant(**attributes):
    return UserFactory(roles=[Role.APPLICANT], name="Zhang Wei", **attributes)


def dashboard(client, user) -> str:
    db.session.commit()
    sign_in(client, user)
    return client.get("/dashboard").get_data(as_text=True)


def milestones(page: str) -> dict[str, str]:
    """Each milestone of the timeline: its key and whether it is done, next or ahead."""
    return {
        key: where for where, key in re.findall(r'class="timeline-item timeline-(\w+)" data-milestone="(\w+)"', page)
    }


def milestone_text(page: str, key: str) -> str:
    found = re.search(rf'data-milestone="{key}".*?</li>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))) if found else ""


def tasks(page: str) -> dict[str, str]:
    """Each task: its key and its link."""
    return dict(re.findall(r'data-task="([\w-]+)">\s*<a href="([^"]+)"', page))


def test_before_any_application_the_card_says_how_to_start(client):
    page = dashboard(client, applicant())
    assert "You have not started an application yet." in page and "Open “My application” to start one" in page
    assert 'href="/application/"' in page and "applicant-timeline" not in page


def test_a_draft_lists_the_steps_still_open_and_the_timeline_stands_at_filling_in(client):
    user = applicant()
    draft = ApplicationFactory(applicant=user, intake_round=IntakeRoundFactory(name="Intake 2028"))
    draft.family_name = "Zhang"  # not enough for step 1
    page = dashboard(client, user)

    assert milestones(page) == {
        "account": "done",
        "steps": "current",
        "submitted": "ahead",
        "letters": "ahead",
        "review": "ahead",
        "decision": "ahead",
    }
    assert "0 of 7 steps complete" in milestone_text(page, "steps")
    assert 'data-milestone="steps" aria-current="step"' in page
    found = tasks(page)
    assert list(found) == [
        f"step-{key}"
        for key in ("personal", "education", "languages", "proposal", "supervisors", "documents", "referees")
    ]
    assert found["step-documents"] == f"/application/{draft.id}/documents"
    assert "Complete step 6: Documents" in page


def test_a_complete_draft_asks_to_submit_by_the_deadline_in_the_users_format(client):
    user = applicant(language="de")
    intake = IntakeRoundFactory(closes_at=dt.datetime(2030, 4, 14, 21, 59, tzinfo=dt.UTC))
    draft = complete_application(ApplicationFactory(applicant=user, intake_round=intake))
    page = dashboard(client, user)

    assert tasks(page) == {"submit": f"/application/{draft.id}/submit"}
    assert "bis 14.04.2030, 23:59 (Berlin)" in page  # the applicant's zone and the German format
    assert milestones(page)["steps"] == "done" and milestones(page)["submitted"] == "current"


def test_a_draft_past_the_deadline_has_no_tasks_and_says_so(client):
    user = applicant()
    intake = IntakeRoundFactory(opens_at=utcnow() - 40 * DAY, closes_at=utcnow() - DAY)
    ApplicationFactory(applicant=user, intake_round=intake)
    page = dashboard(client, user)
    assert tasks(page) == {} and "The application deadline has passed" in page


def test_submitted_shows_the_letters_received_and_asks_for_the_missing_ones(client):
    user = applicant()
    intake = IntakeRoundFactory(opens_at=utcnow() - 40 * DAY, closes_at=utcnow() - DAY)
    application = judged(intake, applicant=user)
    invited(application, 1, expires_in=DAY, letter_received_at=utcnow() - DAY)
    page = dashboard(client, user)

    assert milestones(page)["submitted"] == "done" and application.reference in milestone_text(page, "submitted")
    assert milestones(page)["letters"] == "current" and "1 of 2" in milestone_text(page, "letters")
    assert tasks(page) == {"referee-2": f"/application/{application.id}/referees"}
    assert "Send the invitation to Referee 2" in page  # named, never invited

    invited(application, 2, expires_in=DAY)
    page = dashboard(client, user)
    assert "Ask Referee 2 again for the letter of recommendation" in page

    # Not once the referee was invited as often as the rules allow, nor after the letters' deadline.
    second = next(referee for referee in application.referees if referee.position == 2)
    second.invitations_sent = MAX_INVITATIONS
    assert tasks(dashboard(client, user)) == {}
    second.invitations_sent = 1
    intake.referees_due = utcnow() - DAY
    assert tasks(dashboard(client, user)) == {}


def test_under_review_with_an_interview_to_book_then_booked(client):
    user = applicant()
    intake = IntakeRoundFactory(opens_at=utcnow() - 40 * DAY, closes_at=utcnow() - DAY)
    application = judged(intake, state=S.UNDER_REVIEW, applicant=user)
    for position in (1, 2):
        invited(application, position, expires_in=DAY, letter_received_at=utcnow())
    interview, invitation = make_interview(application, [UserFactory(roles=[Role.COMMITTEE])], [future(10)])
    page = dashboard(client, user)

    assert tasks(page) == {"interview": "/interviews/mine"}
    assert milestones(page)["letters"] == "done" and milestones(page)["review"] == "done"
    assert milestones(page)["interview"] == "current"

    booked(invitation, interview.slots[0])
    page = dashboard(client, user)
    assert tasks(page) == {} and "the selection committee is at work" in page
    assert milestones(page)["interview"] == "done"


def test_an_unreleased_decision_shows_nothing_of_it(client):
    user = applicant()
    intake = IntakeRoundFactory(opens_at=utcnow() - 40 * DAY, closes_at=utcnow() - DAY)
    application = judged(intake, state=S.DECIDED, applicant=user)
    add_decision(application, DecisionOutcome.REJECT)
    page = dashboard(client, user)
    assert milestones(page)["decision"] != "done" and "Reject" not in page and "Under review" in page


def test_a_released_admission_asks_to_answer_the_offer_and_then_shows_the_answer(client):
    user = applicant()
    intake = IntakeRoundFactory(opens_at=utcnow() - 40 * DAY, closes_at=utcnow() - DAY)
    application = judged(intake, state=S.DECIDED, applicant=user)
    add_decision(application, DecisionOutcome.ADMIT, released_at=utcnow() - DAY)
    offer = Offer(application=application, round_id=intake.id, deadline=utcnow() + 14 * DAY)
    db.session.add(offer)
    page = dashboard(client, user)

    assert tasks(page) == {"offer": f"/application/{application.id}#offer"}
    assert milestones(page)["decision"] == "done" and "Admit" in milestone_text(page, "decision")
    assert milestones(page)["offer"] == "current" and "Please answer by" in milestone_text(page, "offer")

    offer.state, offer.answered_at = OfferState.ACCEPTED, utcnow()
    page = dashboard(client, user)
    assert tasks(page) == {} and milestones(page)["offer"] == "done"
    assert "Accepted" in milestone_text(page, "offer")


def test_a_withdrawn_application_ends_its_timeline(client):
    user = applicant()
    application = judged(IntakeRoundFactory(), applicant=user)
    application.state, application.withdrawn_at = S.WITHDRAWN, utcnow()
    page = dashboard(client, user)
    assert list(milestones(page)) == ["account", "steps", "submitted", "withdrawn"]
    assert tasks(page) == {} and "You have withdrawn this application" in page


def test_the_applicants_card_costs_the_same_queries_with_more_applications(client, count_queries):
    user = applicant()
    old = IntakeRoundFactory(name="Intake 2025", opens_at=utcnow() - 400 * DAY, closes_at=utcnow() - 300 * DAY)
    judged(old, applicant=user)
    current = complete_application(ApplicationFactory(applicant=user, intake_round=IntakeRoundFactory()))
    db.session.commit()
    sign_in(client, user)
    client.get("/dashboard")  # the session's first page after signing in does more (its record is refreshed)
    few = count_queries(lambda: client.get("/dashboard"))
    for year in (2022, 2023, 2024):
        earlier = IntakeRoundFactory(
            name=f"Intake {year}", opens_at=utcnow() - (3060 - year) * DAY, closes_at=utcnow() - (3000 - year) * DAY
        )
        judged(earlier, applicant=db.session.get(type(user), user.id))
    db.session.commit()
    # The session with its user, the applications with what is theirs alone, their referees: tests/test_page_queries.py
    assert count_queries(lambda: client.get("/dashboard")) == few <= 4
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Earlier applications" in page and "Intake 2022" in page and f"/application/{current.id}/submit" in page


# --- Supervisors --------------------------------------------------------------------------------------------------


@pytest.fixture
def supervised():
    now = utcnow()
    soon = IntakeRoundFactory(
        name="Intake soon", opens_at=now - 40 * DAY, closes_at=now - 2 * DAY, reviews_due=now + 5 * DAY
    )
    later = IntakeRoundFactory(
        name="Intake later", opens_at=now - 30 * DAY, closes_at=now - DAY, reviews_due=now + 20 * DAY
    )
    german = supervisor("TUC", user=UserFactory(roles=[Role.SUPERVISOR], name="Anna Weber", language="de"))
    chinese = supervisor("TONGJI", user=UserFactory(roles=[Role.SUPERVISOR]))
    waiting_later = judged(later, state=S.SUBMITTED, family="Later", german=german, chinese=chinese)
    waiting_soon = judged(soon, state=S.UNDER_REVIEW, family="Soon", german=german, chinese=chinese)
    answered = judged(soon, state=S.UNDER_REVIEW, family="Answered", german=german, chinese=chinese)
    add_statement(answered, german, StatementAnswer.WILLING)
    hidden = judged(soon, state=S.DECIDED, family="Hidden", german=german, chinese=chinese)
    add_statement(hidden, german, StatementAnswer.CONDITIONAL)
    add_decision(hidden, DecisionOutcome.REJECT)
    released = judged(soon, state=S.DECIDED, family="Released", german=german, chinese=chinese)
    add_statement(released, german, StatementAnswer.WILLING)
    add_decision(released, DecisionOutcome.ADMIT, released_at=now)
    judged(soon, state=S.DRAFT, family="Draft", german=german, chinese=chinese)
    db.session.commit()
    return {
        "german": german,
        "waiting_soon": waiting_soon,
        "waiting_later": waiting_later,
        "answered": answered,
        "hidden": hidden,
        "released": released,
    }


def standing(page: str, application) -> str:
    found = re.search(rf'data-application="{application.id}">(.*?)</li>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))) if found else ""


def test_the_supervisor_sees_statements_due_soonest_first_with_dates(client, supervised):
    page = dashboard(client, supervised["german"].user)
    todo = page[page.index('id="todo-statements"') : page.index("</ul>", page.index('id="todo-statements"'))]
    assert todo.index(supervised["waiting_soon"].reference) < todo.index(supervised["waiting_later"].reference)
    assert f'/supervise/{supervised["waiting_soon"].id}"' in todo
    due = supervised["waiting_soon"].intake_round.reviews_due.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"fällig {due:%d.%m.%Y, %H:%M} (Berlin)" in todo  # the supervisor's zone and the German format


def test_the_supervisor_sees_where_each_application_stands(client, supervised):
    supervised["german"].user.language = "en"
    page = dashboard(client, supervised["german"].user)
    assert "Your statement is due" in standing(page, supervised["waiting_soon"])
    assert f"Your statement: {StatementAnswer.WILLING.label}" in standing(page, supervised["answered"])
    hidden = standing(page, supervised["hidden"])
    assert "Decision not yet released" in hidden and "Reject" not in hidden and "Under review" in hidden
    released = standing(page, supervised["released"])
    assert "Decision released: Admit" in released and "Decided" in released and "Under review" not in released
    assert "Draft" not in page.split('id="supervisor-standings"')[1].split("</ul>")[0]


def test_the_supervisors_empty_card_says_what_to_do(client):
    profile = supervisor("TUC", user=UserFactory(roles=[Role.SUPERVISOR]))
    page = dashboard(client, profile.user)
    assert "No statement is due." in page and "Keep your capacity and research areas up to date" in page


def test_the_supervisors_card_costs_the_same_queries_for_more_applications(client, supervised, count_queries):
    sign_in(client, supervised["german"].user)
    client.get("/dashboard")
    few = count_queries(lambda: client.get("/dashboard"))
    intake = supervised["waiting_soon"].intake_round
    for family in ("More", "Others", "Again"):
        judged(
            db.session.get(type(intake), intake.id),
            state=S.UNDER_REVIEW,
            family=family,
            german=db.session.get(type(supervised["german"]), supervised["german"].id),
        )
    db.session.commit()
    assert count_queries(lambda: client.get("/dashboard")) == few
