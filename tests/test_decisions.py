"""Decisions: record and change until released, the capacity warning, the release (emails in each applicant's
language, only then), what the applicant sees, the history, and who may not."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from flask import render_template
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.capacity import loads_beyond_capacity as capacity_loads
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.offers.services import offer_of
from portal.review import decisions
from portal.review.guardrails import NeedsConfirmation, WarningKind
from portal.review.models import StatementAnswer
from tests.conftest import sign_in
from tests.factories import IntakeRoundFactory, UserFactory, add_decision, add_review, add_statement, judged, supervisor

S = ApplicationState
pytestmark = pytest.mark.usefixtures("plain_app_context")


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


def decision_url(application_id: int) -> str:
    return f"/review/application/{application_id}/decision"


def decision_of(application_id: int) -> Decision | None:
    return db.session.scalars(select(Decision).where(Decision.application_id == application_id)).first()


def state_of(application_id: int) -> ApplicationState:
    return db.session.scalar(select(Application.state).where(Application.id == application_id))


def actions_of(application_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_type == "applications", AuditEvent.target_id == application_id)
            .order_by(AuditEvent.id)
        )
    )


def decision_emails() -> list[OutboxEmail]:
    # An admission released is told by the offer of the place (portal.offers), in one email.
    query = select(OutboxEmail).where(OutboxEmail.template.like("decision_%") | (OutboxEmail.template == "offer_made"))
    return list(db.session.scalars(query))


def decide(client, application_id: int, outcome: str, note: str = "", **extra):
    version = db.session.scalar(select(Application.version).where(Application.id == application_id))
    data = {"version": version, "outcome": outcome, "note": note, **extra}
    return client.post(decision_url(application_id), data=data)


def closed_round():
    """A round whose application deadline has passed (releasing asks nothing more)."""
    return IntakeRoundFactory(opens_at=utcnow() - dt.timedelta(days=60), closes_at=utcnow() - dt.timedelta(days=1))


def without_warnings(application, reviews: int = 1):
    """Make deciding the application raise no warning: the round's required reviews in, both supervisors willing."""
    application.intake_round.reviews_required = reviews
    for _ in range(reviews):
        add_review(application, 4)
    for profile in (application.german_supervisor, application.chinese_supervisor):
        add_statement(application, profile, StatementAnswer.WILLING)
    return application


@pytest.fixture
def candidate():
    """An application under review with one submitted review (all the round requires) and agreed co-supervision."""
    application = without_warnings(judged(IntakeRoundFactory(), state=S.UNDER_REVIEW))
    db.session.commit()
    return application.id


# --- Recording and changing ---------------------------------------------------------------------------------------


def test_page_shows_the_reviews_and_the_form(client, coordinator, candidate):
    response = client.get(decision_url(candidate))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1 of 1 submitted" in page and "4.00" in page
    for outcome in ("admit", "waiting_list", "reject"):
        assert f'value="{outcome}"' in page
    assert 'name="reason"' not in page  # only asked for when there are warnings to confirm


def test_record_a_decision(client, coordinator, candidate):
    response = decide(client, candidate, "admit", "Excellent proposal.")
    assert response.status_code == 302
    decision = decision_of(candidate)
    assert decision.outcome == DecisionOutcome.ADMIT and decision.note == "Excellent proposal."
    assert decision.decided_by_id == coordinator.id and decision.decided_at is not None
    assert decision.released_at is None
    assert state_of(candidate) == S.DECIDED
    assert actions_of(candidate)[-2:] == ["application.decided", "decision.recorded"]
    assert decision_emails() == []  # nobody is told before the release


def test_change_a_decision_before_release(client, coordinator, candidate):
    decide(client, candidate, "admit")
    assert decide(client, candidate, "waiting_list", "Second thoughts.").status_code == 302
    decision = decision_of(candidate)
    assert decision.outcome == DecisionOutcome.WAITING_LIST and decision.note == "Second thoughts."
    assert db.session.scalar(select(func.count(Decision.id))) == 1
    changed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.changed")).one()
    assert changed.details["previous"] == "admit" and changed.details["outcome"] == "waiting_list"
    assert changed.actor_id == coordinator.id
    assert decision_emails() == []


def test_a_decision_is_required_and_the_note_kept(client, coordinator, candidate):
    response = client.post(decision_url(candidate), data={"version": 1, "outcome": "", "note": "Typed note"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Please choose a decision." in page and "Typed note</textarea>" in page
    assert decision_of(candidate) is None


def test_a_form_from_before_another_change_is_refused(client, coordinator, candidate):
    old_version = db.session.scalar(select(Application.version).where(Application.id == candidate))
    decide(client, candidate, "admit")
    response = client.post(decision_url(candidate), data={"version": old_version, "outcome": "reject"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed in another tab or window, or by someone else" in page
    assert decision_of(candidate).outcome == DecisionOutcome.ADMIT
    # The form now carries the current version: sending it again is a deliberate change.
    current = db.session.scalar(select(Application.version).where(Application.id == candidate))
    assert f'name="version" type="hidden" value="{current}"' in page


@pytest.mark.parametrize("state", [S.DRAFT, S.WITHDRAWN])
def test_drafts_and_withdrawn_applications_cannot_be_decided(client, coordinator, state):
    application = judged(IntakeRoundFactory(), state=state)
    db.session.commit()
    assert "No decision can be recorded" in client.get(decision_url(application.id)).get_data(as_text=True)
    client.post(decision_url(application.id), data={"outcome": "admit"})
    assert decision_of(application.id) is None and state_of(application.id) == state


def test_unknown_application_is_404(client, coordinator):
    assert client.get(decision_url(999999)).status_code == 404
    assert client.get("/review/application/999999/history").status_code == 404


# --- Capacity -----------------------------------------------------------------------------------------------------


@pytest.fixture
def full_supervisor():
    """A German supervisor with capacity 1 who already has one admitted candidate in the round."""
    intake = IntakeRoundFactory()
    profile = supervisor("LUH", capacity=1)
    admitted = judged(intake, state=S.DECIDED, german=profile)
    add_decision(admitted, DecisionOutcome.ADMIT)
    # Admissions in another round do not count.
    other_round = judged(IntakeRoundFactory(), state=S.DECIDED, chinese=supervisor("SCU", capacity=1))
    add_decision(other_round, DecisionOutcome.ADMIT)
    candidate = judged(intake, state=S.UNDER_REVIEW, german=profile, chinese=supervisor("SCU", capacity=1))
    fresh_pair = judged(intake, state=S.UNDER_REVIEW)
    for application in (candidate, fresh_pair):
        without_warnings(application)
    db.session.commit()
    return {"candidate": candidate.id, "fresh_pair": fresh_pair.id, "name": profile.display_name}


def test_admitting_beyond_capacity_needs_confirmation_with_a_reason(client, coordinator, full_supervisor):
    candidate = full_supervisor["candidate"]
    response = decide(client, candidate, "admit", "Worth it.")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "already has 1 admitted candidates in this round; the capacity is 1." in page
    assert full_supervisor["name"] in page and 'data-warning="capacity"' in page
    assert 'name="reason"' in page and "Please read the warnings and confirm the decision with a reason." in page
    assert 'name="confirmed" type="hidden" value="capacity"' in page
    assert "Worth it.</textarea>" in page and re.search(r'<input checked[^>]*value="admit"', page)
    # Nothing was saved.
    assert decision_of(candidate) is None and state_of(candidate) == S.UNDER_REVIEW
    assert "decision.recorded" not in actions_of(candidate)

    # Confirmed without a reason: asked again, nothing saved.
    again = decide(client, candidate, "admit", "Worth it.", confirmed="capacity", reason="  ")
    assert "Please give a reason for deciding despite the warnings." in again.get_data(as_text=True)
    assert decision_of(candidate) is None

    confirmed = decide(client, candidate, "admit", "Worth it.", confirmed="capacity", reason="The lab grows.")
    assert confirmed.status_code == 302
    assert decision_of(candidate).outcome == DecisionOutcome.ADMIT
    recorded = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.recorded")).one()
    assert recorded.details["warnings"] == ["capacity"]
    assert recorded.details["confirmed_reason"] == "The lab grows."


def test_no_warning_for_other_outcomes_or_free_supervisors(client, coordinator, full_supervisor):
    assert decide(client, full_supervisor["candidate"], "waiting_list").status_code == 302
    assert decision_of(full_supervisor["candidate"]).outcome == DecisionOutcome.WAITING_LIST
    assert decide(client, full_supervisor["fresh_pair"], "admit").status_code == 302
    assert decision_of(full_supervisor["fresh_pair"]).outcome == DecisionOutcome.ADMIT
    recorded = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.recorded")).all()
    assert all("warnings" not in event.details for event in recorded)


def test_capacity_counts_both_sides_of_the_pair(app):
    with app.test_request_context("/"):
        intake = IntakeRoundFactory()
        chinese = supervisor("TONGJI", capacity=2)
        for _ in range(2):
            done = judged(intake, state=S.DECIDED, chinese=chinese)
            add_decision(done, DecisionOutcome.ADMIT)
        candidate = without_warnings(judged(intake, state=S.UNDER_REVIEW, chinese=chinese))
        loads = capacity_loads(candidate)
        assert [(w.profile.id, w.admitted, w.capacity) for w in loads] == [(chinese.id, 2, 2)]
        with pytest.raises(NeedsConfirmation) as refused:
            decisions.record_decision(
                candidate,
                outcome=DecisionOutcome.ADMIT,
                note="",
                by=UserFactory(),
                now=utcnow(),
                expected_version=candidate.version,
            )
        assert [w.kind for w in refused.value.warnings] == [WarningKind.CAPACITY]
        assert candidate.decision is None
        # Other outcomes are not about capacity.
        decisions.record_decision(
            candidate,
            outcome=DecisionOutcome.WAITING_LIST,
            note="",
            by=UserFactory(),
            now=utcnow(),
            expected_version=candidate.version,
        )
        assert candidate.decision.outcome == DecisionOutcome.WAITING_LIST


# --- Release ------------------------------------------------------------------------------------------------------


@pytest.fixture
def decided_round():
    """A closed round with two decided, unreleased applications (applicants writing German and Chinese) and one
    undecided."""
    intake = closed_round()
    german_speaker = UserFactory(roles=[Role.APPLICANT], language="de")
    chinese_speaker = UserFactory(roles=[Role.APPLICANT], language="zh")
    admitted = judged(intake, state=S.DECIDED, applicant=german_speaker)
    add_decision(admitted, DecisionOutcome.ADMIT)
    rejected = judged(intake, state=S.DECIDED, applicant=chinese_speaker)
    add_decision(rejected, DecisionOutcome.REJECT)
    pending = judged(intake, state=S.UNDER_REVIEW)
    db.session.commit()
    return {
        "intake": intake.id,
        "admitted": admitted.id,
        "rejected": rejected.id,
        "pending": pending.id,
        "admitted_applicant": german_speaker.id,
    }


def released_ids() -> set[int]:
    return set(db.session.scalars(select(Decision.application_id).where(Decision.released_at.is_not(None))))


def test_decisions_page_offers_the_unreleased_for_release(client, coordinator, decided_round):
    page = client.get(f"/review/rounds/{decided_round['intake']}/decisions").get_data(as_text=True)
    for key in ("admitted", "rejected"):
        assert f'name="application_ids" value="{decided_round[key]}"' in page
    assert f'value="{decided_round["pending"]}"' not in page
    assert "2 decisions are waiting for release." in page


def test_release_shows_a_preview_first_then_releases_and_writes_emails_in_each_language(
    client, coordinator, decided_round
):
    url = f"/review/rounds/{decided_round['intake']}/release"
    preview = client.post(url, data={"preview_all": "y"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "You are about to release 2 decisions." in page
    assert released_ids() == set() and decision_emails() == []

    ids = re.findall(r'type="hidden" name="application_ids" value="(\d+)"', page)
    assert sorted(map(int, ids)) == sorted([decided_round["admitted"], decided_round["rejected"]])
    response = client.post(url, data={"application_ids": ids, "confirm": "y"})
    assert response.status_code == 302
    assert released_ids() == {decided_round["admitted"], decided_round["rejected"]}

    emails = {email.template: email for email in decision_emails()}
    assert set(emails) == {"offer_made", "decision_reject"}
    for template, application_id, language in (
        ("offer_made", decided_round["admitted"], "de"),
        ("decision_reject", decided_round["rejected"], "zh"),
    ):
        application = db.session.get(Application, application_id)
        email = emails[template]
        assert email.language == language and email.recipient == application.applicant.email
        with force_locale(language):
            offer = offer_of(application)  # the admission's email is the offer's
            expected = render_template(
                f"notifications/email/{template}.subject.txt", application=application, offer=offer
            )
        assert email.subject == " ".join(expected.split()) and application.reference in email.subject
        assert f"/application/{application_id}" in email.body
        assert actions_of(application_id)[-1] == "decision.released"
    release_event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "decisions.released")).one()
    assert release_event.details["count"] == 2 and release_event.actor_id == coordinator.id


def test_release_only_the_selected(client, coordinator, decided_round):
    url = f"/review/rounds/{decided_round['intake']}/release"
    preview = client.post(url, data={"application_ids": [decided_round["admitted"]], "preview_selected": "y"})
    assert "You are about to release 1 decision." in preview.get_data(as_text=True)
    client.post(url, data={"application_ids": [decided_round["admitted"]], "confirm": "y"})
    assert released_ids() == {decided_round["admitted"]}
    assert [email.template for email in decision_emails()] == ["offer_made"]


def test_release_needs_a_selection_and_never_sends_twice(client, coordinator, decided_round):
    url = f"/review/rounds/{decided_round['intake']}/release"
    response = client.post(url, data={"preview_selected": "y"})
    assert response.status_code == 200 and "Please select at least one decision" in response.get_data(as_text=True)
    # An undecided application cannot be slipped in.
    client.post(url, data={"application_ids": [decided_round["pending"]], "confirm": "y"})
    assert released_ids() == set() and decision_emails() == []

    client.post(url, data={"application_ids": [decided_round["admitted"]], "confirm": "y"})
    client.post(url, data={"application_ids": [decided_round["admitted"]], "confirm": "y"})
    assert len(decision_emails()) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "decision.released")) == 1


def test_applicant_sees_the_decision_only_after_release(client, decided_round):
    applicant = db.session.get(User, decided_round["admitted_applicant"])
    overview = f"/application/{decided_round['admitted']}"
    with force_locale(applicant.language):  # German: the page speaks the applicant's language
        shown = re.compile(re.escape(f"{gettext('Decision')}:</strong> {DecisionOutcome.ADMIT.label}"))
        still_under_review = f">{ApplicationState.UNDER_REVIEW.label}</span>"

    sign_in(client, applicant)
    before = client.get(overview).get_data(as_text=True)
    assert not shown.search(before) and still_under_review in before

    # The coordinator releases (through the service: the test client stays signed in as the applicant).
    intake = db.session.get(Application, decided_round["admitted"]).intake_round
    decisions.release(intake, [decided_round["admitted"]], by=UserFactory(roles=[Role.COORDINATOR]), now=utcnow())
    db.session.commit()
    after = client.get(overview).get_data(as_text=True)
    assert shown.search(after) and still_under_review not in after


def test_released_decisions_cannot_be_changed(client, coordinator, decided_round):
    url = f"/review/rounds/{decided_round['intake']}/release"
    client.post(url, data={"application_ids": [decided_round["admitted"]], "confirm": "y"})
    page = client.get(decision_url(decided_round["admitted"])).get_data(as_text=True)
    assert "can no longer be changed" in page and 'name="outcome"' not in page

    response = decide(client, decided_round["admitted"], "reject", "Changed my mind.")
    assert response.status_code == 200 and "can no longer be changed" in response.get_data(as_text=True)
    decision = decision_of(decided_round["admitted"])
    assert decision.outcome == DecisionOutcome.ADMIT and decision.note == ""
    assert "decision.changed" not in actions_of(decided_round["admitted"])

    application = db.session.get(Application, decided_round["admitted"])
    with pytest.raises(decisions.DecisionError):
        decisions.record_decision(
            application,
            outcome=DecisionOutcome.REJECT,
            note="",
            by=db.session.get(User, coordinator.id),
            now=utcnow(),
            expected_version=application.version,
        )


def test_decisions_page_costs_the_same_queries_for_few_and_many(client, coordinator, count_queries):
    def round_with(count: int) -> int:
        intake = IntakeRoundFactory()
        for _ in range(count):
            application = judged(intake, state=S.DECIDED)
            add_decision(application, DecisionOutcome.ADMIT)
        db.session.commit()
        return intake.id

    few, many = round_with(2), round_with(7)
    client.get("/review/rounds/")  # warm up: the first request also loads the signed-in user
    assert count_queries(lambda: client.get(f"/review/rounds/{few}/decisions")) == count_queries(
        lambda: client.get(f"/review/rounds/{many}/decisions")
    )


# --- History ------------------------------------------------------------------------------------------------------


def test_history_lists_the_events_with_actor_and_time_in_the_viewers_zone(client, login_as, candidate):
    coordinator_user = login_as(Role.COORDINATOR, name="Clara Coordinator", timezone="Asia/Shanghai")
    decide(client, candidate, "waiting_list")
    other = judged(IntakeRoundFactory(), state=S.SUBMITTED)
    db.session.add(AuditEvent(action="referee.invited", target_type="applications", target_id=other.id))
    db.session.commit()

    response = client.get(f"/review/application/{candidate}/history")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    actions = re.findall(r'class="history-event" data-action="([^"]+)"', page)
    assert actions == actions_of(candidate)  # all of them, oldest first, and only this application's
    assert "decision.recorded" in actions and "referee.invited" not in actions
    assert "Decision recorded" in page and coordinator_user.name in page
    recorded = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.recorded")).one()
    local = recorded.created_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{local:%H:%M} (Shanghai)" in page


def test_admins_may_read_the_history(client, login_as, candidate):
    login_as(Role.ADMIN)
    db.session.add(AuditEvent(action="application.submitted", target_type="applications", target_id=candidate))
    db.session.commit()
    response = client.get(f"/review/application/{candidate}/history")
    assert response.status_code == 200 and "Application submitted" in response.get_data(as_text=True)
    # ... but not the decision page, and no link to the application itself.
    assert f'href="/application/{candidate}"' not in response.get_data(as_text=True)
    assert client.get(decision_url(candidate)).status_code == 403


# --- Who may not --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE])
def test_other_roles_may_not_decide_release_or_read_the_history(client, login_as, decided_round, role):
    user = login_as(role)
    if role == Role.APPLICANT:
        # Even the application's own applicant.
        application = db.session.get(Application, decided_round["pending"])
        application.applicant_id = user.id
        db.session.commit()
    pending, admitted, intake = decided_round["pending"], decided_round["admitted"], decided_round["intake"]
    assert client.get(decision_url(pending)).status_code == 403
    assert client.post(decision_url(pending), data={"outcome": "admit", "confirm_capacity": "y"}).status_code == 403
    assert client.post(decision_url(admitted), data={"outcome": "reject"}).status_code == 403
    assert client.get(f"/review/rounds/{intake}/decisions").status_code == 403
    forged = client.post(f"/review/rounds/{intake}/release", data={"application_ids": [admitted], "confirm": "y"})
    assert forged.status_code == 403
    assert client.get(f"/review/application/{pending}/history").status_code == 403

    assert decision_of(pending) is None and state_of(pending) == S.UNDER_REVIEW
    assert decision_of(admitted).outcome == DecisionOutcome.ADMIT
    assert released_ids() == set() and decision_emails() == []


def test_history_names_the_people_in_the_details(client, login_as, candidate):
    reviewer = UserFactory(roles=[Role.COMMITTEE], name="Rita Reviewer")
    db.session.add(
        AuditEvent(
            action="review.assigned",
            target_type="applications",
            target_id=candidate,
            details={"reviewer_id": reviewer.id},
        )
    )
    db.session.commit()
    login_as(Role.COORDINATOR)
    page = client.get(f"/review/application/{candidate}/history").get_data(as_text=True)
    assert "Reviewer: Rita Reviewer" in page and "reviewer_id" not in page
