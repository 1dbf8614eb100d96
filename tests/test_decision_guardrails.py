"""Decision guardrails (issue 10): the warnings (too few reviews, co-supervision not agreed, a contrary recommendation,
capacity), their confirmation with a reason on the single and the bulk path, the personal note to the applicant, and
the release while the round is still open."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal import db
from portal.applications.capacity import loads_beyond_capacity as capacity_loads
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review.decisions import row_for
from portal.review.guardrails import WarningKind, warnings_for
from portal.review.models import Recommendation, StatementAnswer
from tests.conftest import sign_in
from tests.factories import (
    IntakeRoundFactory,
    UserFactory,
    add_decision,
    add_review,
    add_statement,
    judged,
    supervisor,
)

S = ApplicationState
Out = DecisionOutcome
W = WarningKind
pytestmark = pytest.mark.usefixtures("plain_app_context")


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


def prepared(intake, *, reviews=2, recommendation=Recommendation.ADMIT, answers=("willing", "willing"), **kwargs):
    """An application under review with `reviews` submitted reviews and the supervisors' answers (None: none)."""
    application = judged(intake, state=S.UNDER_REVIEW, **kwargs)
    for _ in range(reviews):
        review = add_review(application, 4).review
        review.recommendation = recommendation
    profiles = (application.german_supervisor, application.chinese_supervisor)
    for profile, answer in zip(profiles, answers, strict=True):
        if answer is not None:
            add_statement(application, profile, StatementAnswer(answer))
    db.session.flush()
    return application


def kinds(application, outcome) -> list[WarningKind]:
    return [w.kind for w in warnings_for(row_for(application), outcome, capacity_loads(application))]


# --- The one function that computes the warnings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "outcome", "expected"),
    [
        ({}, Out.ADMIT, []),
        ({}, Out.REJECT, [W.CONTRADICTED]),  # both reviewers recommend admitting
        ({}, Out.WAITING_LIST, []),
        ({"reviews": 1}, Out.WAITING_LIST, [W.FEW_REVIEWS]),
        ({"reviews": 0}, Out.ADMIT, [W.FEW_REVIEWS]),
        ({"answers": ("willing", "unwilling")}, Out.ADMIT, [W.NOT_AGREED]),
        ({"answers": ("conditional", None)}, Out.ADMIT, [W.NOT_AGREED]),
        ({"answers": ("willing", "unwilling")}, Out.REJECT, [W.CONTRADICTED]),
        ({"recommendation": Recommendation.REJECT}, Out.ADMIT, [W.CONTRADICTED]),
        ({"recommendation": Recommendation.REJECT}, Out.REJECT, []),
        ({"recommendation": Recommendation.STRONGLY_ADMIT}, Out.REJECT, [W.CONTRADICTED]),
        ({"recommendation": Recommendation.BORDERLINE}, Out.REJECT, []),
        (
            {"recommendation": Recommendation.REJECT, "reviews": 1, "answers": (None, None)},
            Out.ADMIT,
            [W.FEW_REVIEWS, W.NOT_AGREED, W.CONTRADICTED],
        ),
    ],
)
def test_the_warnings_of_each_outcome(setup, outcome, expected):
    application = prepared(IntakeRoundFactory(), **setup)
    assert kinds(application, outcome) == expected


def test_the_number_of_reviews_is_a_setting_of_the_round():
    application = prepared(IntakeRoundFactory(reviews_required=3))
    assert kinds(application, Out.WAITING_LIST) == [W.FEW_REVIEWS]
    application.intake_round.reviews_required = 0
    assert prepared(application.intake_round, reviews=0, family="Li") and kinds(application, Out.WAITING_LIST) == []


def test_capacity_counts_the_admitted_of_the_round_on_either_side():
    intake = IntakeRoundFactory()
    full = supervisor("TONGJI", capacity=1)
    add_decision(judged(intake, state=S.DECIDED, chinese=full), Out.ADMIT)
    add_decision(judged(IntakeRoundFactory(), state=S.DECIDED, chinese=full), Out.ADMIT)  # another round
    application = prepared(intake, chinese=full)
    assert kinds(application, Out.ADMIT) == [W.CAPACITY]
    assert kinds(application, Out.WAITING_LIST) == []
    warning = warnings_for(row_for(application), Out.ADMIT, capacity_loads(application))[0]
    assert full.display_name in warning.message and "the capacity is 1" in warning.message


# --- The single decision -----------------------------------------------------------------------------------------


def post_decision(client, application_id, outcome, **extra):
    version = db.session.scalar(select(Application.version).where(Application.id == application_id))
    data = {"version": version, "outcome": outcome, "note": "", **extra}
    return client.post(f"/review/application/{application_id}/decision", data=data)


def test_a_warning_not_shown_when_confirming_refuses_again(client, coordinator):
    intake = IntakeRoundFactory()
    profile = supervisor("LUH", capacity=1)
    application = prepared(intake, reviews=1, german=profile)
    rival = prepared(intake, german=profile, family="Li")
    db.session.commit()
    page = post_decision(client, application.id, "admit").get_data(as_text=True)
    assert 'data-warning="few_reviews"' in page and 'data-warning="capacity"' not in page
    # Meanwhile another candidate of the same supervisor is admitted: the capacity is full now.
    assert post_decision(client, rival.id, "admit").status_code == 302
    again = post_decision(client, application.id, "admit", confirmed="few_reviews", reason="One review is enough.")
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and 'data-warning="capacity"' in page
    assert 'name="confirmed" type="hidden" value="capacity,few_reviews"' in page
    assert db.session.scalar(select(Decision.id).where(Decision.application_id == application.id)) is None
    done = post_decision(client, application.id, "admit", confirmed="capacity,few_reviews", reason="Both known.")
    assert done.status_code == 302
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.target_id == application.id, AuditEvent.action == "decision.recorded")
    ).one()
    assert (
        event.details["warnings"] == ["few_reviews", "capacity"] and event.details["confirmed_reason"] == "Both known."
    )


def test_a_personal_note_goes_with_the_released_decision_as_written(client, coordinator):
    intake = IntakeRoundFactory(opens_at=utcnow() - dt.timedelta(days=60), closes_at=utcnow() - dt.timedelta(days=1))
    applicant = UserFactory(roles=[Role.APPLICANT], language="zh")
    application = prepared(intake, applicant=applicant)
    db.session.commit()
    note = "Herzlichen Glückwunsch! Wir freuen uns auf Sie.\nBitte melden Sie sich bei Prof. Wang."
    assert post_decision(client, application.id, "admit", personal_note=note).status_code == 302
    decision = db.session.scalars(select(Decision).where(Decision.application_id == application.id)).one()
    assert decision.personal_note == note
    assert "Herzlichen Glückwunsch!" in client.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    # Not before the release: neither an email nor the applicant's page.
    sign_in(client, applicant)
    assert "Herzlichen" not in client.get(f"/application/{application.id}").get_data(as_text=True)
    sign_in(client, coordinator)
    url = f"/review/rounds/{intake.id}/release"
    assert client.post(url, data={"application_ids": [application.id], "confirm": "y"}).status_code == 302
    email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "offer_made")).one()
    assert email.language == "zh" and note in email.body and "录取" in email.subject + email.body
    sign_in(client, applicant)
    page = client.get(f"/application/{application.id}").get_data(as_text=True)
    assert "Herzlichen Glückwunsch! Wir freuen uns auf Sie." in page and 'id="personal-note"' in page


def test_the_email_without_a_personal_note_has_no_empty_paragraph(client, coordinator):
    intake = IntakeRoundFactory(opens_at=utcnow() - dt.timedelta(days=60), closes_at=utcnow() - dt.timedelta(days=1))
    application = prepared(intake)
    db.session.commit()
    post_decision(client, application.id, "admit")
    client.post(f"/review/rounds/{intake.id}/release", data={"application_ids": [application.id], "confirm": "y"})
    email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "offer_made")).one()
    assert "\n\n\n" not in email.body and "personal note" not in email.body


# --- Release while the round is open -----------------------------------------------------------------------------


def test_releasing_while_the_round_is_open_needs_its_own_confirmation(client, coordinator):
    intake = IntakeRoundFactory(name="Intake 2031")  # open: closes in 30 days
    application = prepared(intake)
    add_decision(application, Out.REJECT)
    application.state = S.DECIDED
    db.session.commit()
    url = f"/review/rounds/{intake.id}/release"
    preview = client.post(url, data={"application_ids": [application.id], "preview_selected": "y"})
    page = preview.get_data(as_text=True)
    assert "The round Intake 2031 is still open for applications, until" in page and 'name="confirm_open"' in page

    refused = client.post(url, data={"application_ids": [application.id], "confirm": "y"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and 'id="round-still-open"' in page and 'name="confirm_open"' in page
    assert db.session.scalar(select(Decision.released_at).where(Decision.application_id == application.id)) is None
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0

    done = client.post(url, data={"application_ids": [application.id], "confirm": "y", "confirm_open": "y"})
    assert done.status_code == 302
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "decisions.released")).one()
    assert event.details["round_still_open"] is True


# --- Bulk decisions from the ranking -----------------------------------------------------------------------------


@pytest.fixture
def bulk_round():
    """A round with a clean application, one short of reviews, and two of a supervisor with room for one."""
    intake = IntakeRoundFactory()
    shared = supervisor("TUBS", capacity=1)
    rows = {
        "clean": prepared(intake, family="Adler"),
        "short": prepared(intake, reviews=1, family="Bauer"),
        "first": prepared(intake, german=shared, family="Chen"),
        "second": prepared(intake, german=shared, family="Dong"),
    }
    db.session.commit()
    return intake.id, {key: application.id for key, application in rows.items()}


def bulk_url(round_id: int) -> str:
    return f"/review/rounds/{round_id}/bulk-decision"


def seen_tokens(page: str) -> list[str]:
    import re

    return re.findall(r'name="seen" value="([^"]+)"', page)


def decided() -> dict[int, DecisionOutcome]:
    return dict(db.session.execute(select(Decision.application_id, Decision.outcome)).all())


def test_the_ranking_offers_the_bulk_decision(client, coordinator, bulk_round):
    round_id, ids = bulk_round
    page = client.get(f"/review/rounds/{round_id}/ranking").get_data(as_text=True)
    assert f'action="{bulk_url(round_id)}"' in page
    for application_id in ids.values():
        assert f'name="application_ids" value="{application_id}"' in page


def test_bulk_admission_lists_each_rows_warnings_then_saves_all_with_the_reason(client, coordinator, bulk_round):
    round_id, ids = bulk_round
    chosen = list(ids.values())
    preview = client.post(bulk_url(round_id), data={"application_ids": chosen, "outcome": "admit", "preview": "y"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Decide 4 applications" in page and "2 of them have warnings." in page
    tokens = seen_tokens(page)
    by_id = {int(token.split(":")[0]): token.split(":")[2] for token in tokens}
    # The second candidate of the full supervisor is warned about the first one admitted in the same set.
    assert by_id == {ids["clean"]: "", ids["short"]: "few_reviews", ids["first"]: "", ids["second"]: "capacity"}
    assert decided() == {}

    confirm = {"application_ids": chosen, "outcome": "admit", "seen": tokens, "confirm": "y"}
    refused = client.post(bulk_url(round_id), data=confirm)
    assert "Please give a reason for deciding despite the warnings." in refused.get_data(as_text=True)
    assert decided() == {}

    done = client.post(bulk_url(round_id), data={**confirm, "reason": "Agreed in the committee on 3 March."})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/review/rounds/{round_id}/ranking")
    assert decided() == dict.fromkeys(chosen, DecisionOutcome.ADMIT)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.recorded")).all()
    details = {event.target_id: event.details for event in events}
    assert details[ids["second"]]["warnings"] == ["capacity"]
    assert details[ids["second"]]["confirmed_reason"] == "Agreed in the committee on 3 March."
    assert "warnings" not in details[ids["clean"]]
    bulk = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "decisions.bulk_recorded")).one()
    assert sorted(bulk.details["application_ids"]) == sorted(chosen) and bulk.actor_id == coordinator.id

    # The same confirmation posted twice changes nothing and says why.
    count = db.session.scalar(select(func.count(AuditEvent.id)))
    twice = client.post(bulk_url(round_id), data={**confirm, "reason": "Again"}, follow_redirects=True)
    assert "changed in another tab or window, or by someone else" in twice.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditEvent.id))) == count


def test_bulk_without_warnings_needs_no_reason(client, coordinator, bulk_round):
    round_id, ids = bulk_round
    chosen = [ids["clean"], ids["first"]]
    page = client.post(bulk_url(round_id), data={"application_ids": chosen, "outcome": "waiting_list", "preview": "y"})
    text = page.get_data(as_text=True)
    assert "None of them has a warning." in text and 'name="reason"' not in text
    data = {"application_ids": chosen, "outcome": "waiting_list", "seen": seen_tokens(text), "confirm": "y"}
    assert client.post(bulk_url(round_id), data=data).status_code == 302
    assert decided() == dict.fromkeys(chosen, DecisionOutcome.WAITING_LIST)


def test_a_warning_arising_after_the_preview_refuses_the_whole_set(client, coordinator, bulk_round):
    round_id, ids = bulk_round
    chosen = [ids["clean"], ids["second"]]
    page = client.post(bulk_url(round_id), data={"application_ids": chosen, "outcome": "admit", "preview": "y"})
    tokens = seen_tokens(page.get_data(as_text=True))
    assert all(token.endswith(":") for token in tokens)  # no warnings yet
    assert post_decision(client, ids["first"], "admit").status_code == 302  # fills the shared supervisor
    confirm = {"application_ids": chosen, "outcome": "admit", "seen": tokens, "confirm": "y"}
    again = client.post(bulk_url(round_id), data=confirm).get_data(as_text=True)
    assert "Please read the warnings and confirm the decision with a reason." in again
    assert 'data-warning="capacity"' in again
    assert decided() == {ids["first"]: DecisionOutcome.ADMIT}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"outcome": "admit"}, "Please select at least one application."),
        ({"application_ids": ["{clean}"]}, "Please choose a decision."),
        ({"application_ids": ["{clean}"], "outcome": "maybe"}, "Not a valid choice"),
        ({"application_ids": ["{clean}", "99999"], "outcome": "admit"}, "not in this round"),
        ({"application_ids": ["{other}"], "outcome": "admit"}, "not in this round"),
        ({"application_ids": ["{released}"], "outcome": "admit"}, "can no longer be decided"),
        ({"application_ids": ["abc"], "outcome": "admit"}, "not in this round"),
    ],
)
def test_bad_bulk_input_changes_nothing_with_a_clear_message(client, coordinator, bulk_round, data, message):
    round_id, ids = bulk_round
    other = prepared(IntakeRoundFactory(), family="Other")
    released = prepared(db.session.get(Application, ids["clean"]).intake_round, family="Released")
    add_decision(released, DecisionOutcome.REJECT, released_at=utcnow())
    released.state = S.DECIDED
    db.session.commit()
    names = {**ids, "other": other.id, "released": released.id}
    if "application_ids" in data:
        data = {**data, "application_ids": [value.format(**names) for value in data["application_ids"]]}
    before = decided()
    response = client.post(bulk_url(round_id), data={**data, "preview": "y"}, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert decided() == before


def test_bulk_confirmation_with_a_forged_token_is_refused(client, coordinator, bulk_round):
    round_id, ids = bulk_round
    data = {"application_ids": [ids["short"]], "outcome": "admit", "seen": [f"{ids['short']}:1:"], "confirm": "y"}
    data["reason"] = "Trying"
    response = client.post(bulk_url(round_id), data=data, follow_redirects=True)
    assert response.status_code == 200 and decided() == {}


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_other_roles_may_not_decide_in_bulk(client, login_as, bulk_round, role):
    round_id, ids = bulk_round
    login_as(role)
    data = {"application_ids": list(ids.values()), "outcome": "admit", "preview": "y"}
    assert client.post(bulk_url(round_id), data=data).status_code == 403
    seen = [f"{i}:{db.session.get(Application, i).version}:few_reviews,capacity" for i in ids.values()]
    forged = {**data, "seen": seen, "confirm": "y", "reason": "forged"}
    assert client.post(bulk_url(round_id), data=forged).status_code == 403
    assert decided() == {}


def test_bulk_decision_of_an_unknown_round_is_404(client, coordinator):
    assert client.post(bulk_url(999999), data={"application_ids": ["1"], "outcome": "admit"}).status_code == 404
