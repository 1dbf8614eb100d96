"""The round form's selection settings (issue 10): the reviews a decision requires, the referees' deadline (shown to
referees, ending their links), and an edit that would close a round with released decisions for good asks first."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal import db
from portal.applications.models import ApplicationState, Decision, DecisionOutcome, IntakeRound
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.factories import ApplicationFactory, IntakeRoundFactory

pytestmark = pytest.mark.usefixtures("plain_app_context")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))  # no summer time


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


def local(moment: dt.datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M") if moment else ""


def form_data(intake: IntakeRound, **overrides) -> dict[str, str]:
    data = {
        "name": intake.name,
        "zone": "Asia/Shanghai",
        "opens_at": local(intake.opens_at),
        "closes_at": local(intake.closes_at),
        "referees_due": local(intake.referees_due),
        "reviews_due": local(intake.reviews_due),
        "decisions_on": local(intake.decisions_on),
        "same_university_conflict": "y",
        "reviews_required": str(intake.reviews_required),
    }
    return {**data, **overrides}


def fresh(intake_id: int) -> IntakeRound:
    db.session.expire_all()
    return db.session.get(IntakeRound, intake_id)


def edit(client, intake_id, data):
    return client.post(f"/coordination/rounds/{intake_id}/edit", data=data)


def test_the_form_shows_and_saves_the_reviews_required_and_the_referees_deadline(client, coordinator):
    intake = IntakeRoundFactory()
    db.session.commit()
    page = client.get(f"/coordination/rounds/{intake.id}/edit").get_data(as_text=True)
    assert 'name="reviews_required"' in page and 'value="2"' in page and 'name="referees_due"' in page
    due = (intake.closes_at + dt.timedelta(days=14)).replace(second=0, microsecond=0)
    assert edit(client, intake.id, form_data(intake, reviews_required="3", referees_due=local(due))).status_code == 302
    saved = fresh(intake.id)
    assert saved.reviews_required == 3 and saved.referees_due == due
    # The date referees see and their links end at: the referees' deadline, before the review deadline.
    assert saved.letters_due == due
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.updated")).one()
    assert event.details["changes"]["reviews_required"] == [2, 3]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reviews_required": "11"}, "reviews_required", "Number must be between 0 and 10."),
        ({"reviews_required": "-1"}, "reviews_required", "Number must be between 0 and 10."),
        ({"reviews_required": ""}, "reviews_required", "Please give a number from 0 to 10."),
        ({"referees_due": "2020-01-01T10:00"}, "referees_due", "must be after the round opens"),
        ({"referees_due": "2099-01-01T10:00"}, "referees_due", "must be before the review deadline"),
    ],
)
def test_bad_settings_are_refused_next_to_their_field(client, coordinator, overrides, field, message):
    intake = IntakeRoundFactory()
    db.session.commit()
    response = edit(client, intake.id, form_data(intake, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page.split(f'id="{field}-error"')[1][:300]
    assert fresh(intake.id).reviews_required == 2 and fresh(intake.id).referees_due is None


def released_open_round() -> IntakeRound:
    """An open round (closes in 30 days) with one released decision."""
    intake = IntakeRoundFactory(reviews_due=None)
    application = ApplicationFactory(intake_round=intake)
    application.state = ApplicationState.DECIDED
    application.reference = f"IPK-2027-{application.id:04d}"
    db.session.add(Decision(application=application, outcome=DecisionOutcome.REJECT, released_at=utcnow()))
    db.session.commit()
    return intake


def test_moving_the_deadline_into_the_past_after_a_release_asks_first(client, coordinator):
    intake = released_open_round()
    before = intake.closes_at
    past = local(utcnow() - dt.timedelta(hours=2))
    response = edit(client, intake.id, form_data(intake, closes_at=past))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="close-for-good"' in page and 'name="confirm_close"' in page
    assert "can never be reopened. Please confirm that you want this." in page
    assert fresh(intake.id).closes_at == before

    assert edit(client, intake.id, form_data(intake, closes_at=past, confirm_close="y")).status_code == 302
    assert not fresh(intake.id).is_open(utcnow())
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.updated")).one()
    assert event.details["closed_for_good_confirmed"] is True


def test_no_question_without_a_release_or_when_the_deadline_stays_ahead(client, coordinator):
    intake = released_open_round()
    later = local(intake.closes_at + dt.timedelta(days=3))
    assert edit(client, intake.id, form_data(intake, closes_at=later)).status_code == 302
    plain = IntakeRoundFactory(reviews_due=None)
    db.session.commit()
    past = local(utcnow() - dt.timedelta(hours=2))
    assert edit(client, plain.id, form_data(plain, closes_at=past)).status_code == 302
    assert not fresh(plain.id).is_open(utcnow())
