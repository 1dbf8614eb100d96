"""Intake rounds: create and edit in Berlin or Shanghai time (stored in UTC, shown in both), validation that keeps the
typed values and changes nothing, opening and closing early, no reopening after release, and who may not."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal import db
from portal.applications.models import ApplicationState, Decision, DecisionOutcome, IntakeRound
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.factories import ApplicationFactory, IntakeRoundFactory, UserFactory

UTC = dt.UTC
# 31 March 2027 23:59 in Berlin (summer time, UTC+2) and 1 April 2027 05:59 in Shanghai (UTC+8): the same instant.
DEADLINE_UTC = dt.datetime(2027, 3, 31, 21, 59, tzinfo=UTC)


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


def round_data(**overrides) -> dict[str, str]:
    data = {
        "name": "Intake 2027",
        "zone": "Europe/Berlin",
        "opens_at": "2027-01-15T09:00",
        "closes_at": "2027-03-31T23:59",
        "reviews_due": "2027-05-15T12:00",
        "decisions_on": "2027-06-30T10:00",
        "same_university_conflict": "y",  # the checkbox as the form shows it: ticked
        "reviews_required": "2",
    }
    data.update(overrides)
    return data


def count_rounds() -> int:
    return db.session.scalar(select(func.count(IntakeRound.id)))


def audit_actions(intake_id: int) -> list[str]:
    query = (
        select(AuditEvent.action)
        .where(AuditEvent.target_type == "intake_rounds", AuditEvent.target_id == intake_id)
        .order_by(AuditEvent.id)
    )
    return list(db.session.scalars(query))


def fresh(intake_id: int) -> IntakeRound:
    db.session.expire_all()
    return db.session.get(IntakeRound, intake_id)


# --- Creating and editing, with the zone conversion ----------------------------------------------------------------


def test_round_entered_in_berlin_time_is_stored_in_utc_and_shown_in_both_zones(client, coordinator):
    response = client.post("/coordination/rounds/new", data=round_data())
    assert response.status_code == 302 and response.headers["Location"].endswith("/coordination/rounds/")
    intake = db.session.scalars(select(IntakeRound)).one()
    assert intake.name == "Intake 2027"
    assert intake.closes_at == DEADLINE_UTC
    assert intake.opens_at == dt.datetime(2027, 1, 15, 8, 0, tzinfo=UTC)  # winter time, UTC+1
    assert intake.reviews_due == dt.datetime(2027, 5, 15, 10, 0, tzinfo=UTC)
    assert intake.decisions_on == dt.datetime(2027, 6, 30, 8, 0, tzinfo=UTC)
    assert audit_actions(intake.id) == ["round.created"]

    page = client.get("/coordination/rounds/").get_data(as_text=True)
    assert "31 Mar 2027, 23:59 (Berlin)" in page
    assert "1 Apr 2027, 05:59 (Shanghai)" in page


def test_round_entered_in_shanghai_time_is_the_same_instant(client, coordinator):
    data = round_data(
        zone="Asia/Shanghai",
        opens_at="2027-01-15T16:00",
        closes_at="2027-04-01T05:59",
        reviews_due="2027-05-15T18:00",
        decisions_on="",
    )
    assert client.post("/coordination/rounds/new", data=data).status_code == 302
    intake = db.session.scalars(select(IntakeRound)).one()
    assert intake.closes_at == DEADLINE_UTC
    assert intake.opens_at == dt.datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    assert intake.decisions_on is None


def test_edit_form_shows_the_saved_times_in_the_chosen_zone_and_saves_changes(client, coordinator):
    intake = IntakeRoundFactory(
        name="Intake 2027",
        opens_at=dt.datetime(2027, 1, 15, 8, 0, tzinfo=UTC),
        closes_at=DEADLINE_UTC,
        reviews_due=dt.datetime(2027, 5, 15, 10, 0, tzinfo=UTC),
    )
    db.session.commit()
    intake_id = intake.id
    berlin = client.get(f"/coordination/rounds/{intake_id}/edit").get_data(as_text=True)
    assert 'value="2027-03-31T23:59"' in berlin
    shanghai = client.get(f"/coordination/rounds/{intake_id}/edit?zone=Asia/Shanghai").get_data(as_text=True)
    assert 'value="2027-04-01T05:59"' in shanghai
    assert '<option selected value="Asia/Shanghai">' in shanghai

    data = round_data(name="Intake 2027 (spring)", zone="Asia/Shanghai", closes_at="2027-04-02T05:59")
    data.update(opens_at="2027-01-15T16:00", reviews_due="2027-05-15T18:00", decisions_on="")
    response = client.post(f"/coordination/rounds/{intake_id}/edit", data=data)
    assert response.status_code == 302
    saved = fresh(intake_id)
    assert saved.name == "Intake 2027 (spring)"
    assert saved.closes_at == DEADLINE_UTC + dt.timedelta(days=1)
    assert saved.opens_at == dt.datetime(2027, 1, 15, 8, 0, tzinfo=UTC)  # unchanged: the same instant re-entered
    assert audit_actions(intake_id) == ["round.updated"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.updated")).one()
    assert set(event.details["changes"]) == {"name", "closes_at"}
    assert event.actor_id == coordinator.id


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"closes_at": "2027-01-15T09:00"}, "closes_at", "must close after it opens"),
        ({"reviews_due": "2027-03-31T23:00"}, "reviews_due", "review deadline must be after the application deadline"),
        ({"decisions_on": "2027-05-15T11:59"}, "decisions_on", "decision date must be after the review deadline"),
        ({"closes_at": "31.03.2027 23:59"}, "closes_at", "like 2027-03-31 23:59"),
        ({"closes_at": ""}, "closes_at", "Please enter a date and time"),
        ({"closes_at": "2027-03-28T02:30"}, "closes_at", "does not exist in Berlin time"),  # clocks go forward
        ({"zone": "America/New_York"}, "zone", "Not a valid choice"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_invalid_round_shows_the_error_next_to_the_field_keeps_values_and_saves_nothing(
    client, coordinator, overrides, field, message
):
    data = round_data(**overrides)
    response = client.post("/coordination/rounds/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    error = page.split(f'id="{field}-error"')[1].split("</div>")[0]
    assert message in error
    for name in ("opens_at", "closes_at", "reviews_due", "decisions_on"):
        if data[name]:
            assert f'value="{data[name]}"' in page, name
    assert count_rounds() == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("round.%"))) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "intake 2028"}, "name", "Another round already has this name"),
        ({"name": "New name", "reviews_due": "2027-03-01T00:00"}, "reviews_due", "must be after the application"),
    ],
)
def test_invalid_edit_changes_nothing(client, coordinator, overrides, field, message):
    intake = IntakeRoundFactory(
        name="Intake 2027", opens_at=DEADLINE_UTC - dt.timedelta(days=60), closes_at=DEADLINE_UTC
    )
    IntakeRoundFactory(name="Intake 2028")
    db.session.commit()
    intake_id, before = intake.id, (intake.name, intake.opens_at, intake.closes_at, intake.reviews_due)
    response = client.post(f"/coordination/rounds/{intake_id}/edit", data=round_data(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page.split(f'id="{field}-error"')[1].split("</div>")[0]
    assert f'value="{overrides["name"]}"' in page
    saved = fresh(intake_id)
    assert (saved.name, saved.opens_at, saved.closes_at, saved.reviews_due) == before
    assert audit_actions(intake_id) == []


def test_saving_the_edit_form_unchanged_keeps_seconds_and_records_nothing(client, coordinator):
    intake = IntakeRoundFactory()  # opened and closing at times with seconds, as "open now" and "close now" set them
    db.session.commit()
    intake_id, before = intake.id, (intake.opens_at, intake.closes_at, intake.reviews_due)
    form = client.get(f"/coordination/rounds/{intake_id}/edit").get_data(as_text=True)
    data = {"name": intake.name, "zone": "Europe/Berlin", "decisions_on": "", "same_university_conflict": "y"}
    data["reviews_required"] = "2"
    for field in ("opens_at", "closes_at", "reviews_due"):
        data[field] = form.split(f'id="{field}"')[1].split('value="')[1].split('"')[0]
    response = client.post(f"/coordination/rounds/{intake_id}/edit", data=data, follow_redirects=True)
    assert "Nothing was changed" in response.get_data(as_text=True)
    saved = fresh(intake_id)
    assert (saved.opens_at, saved.closes_at, saved.reviews_due) == before
    assert audit_actions(intake_id) == []


def test_ambiguous_autumn_time_is_read_as_the_first_occurrence(client, coordinator):
    # 31 October 2027 02:30 happens twice in Berlin; the first is still summer time (UTC+2).
    data = round_data(opens_at="2027-10-01T09:00", closes_at="2027-10-31T02:30", reviews_due="", decisions_on="")
    assert client.post("/coordination/rounds/new", data=data).status_code == 302
    assert db.session.scalars(select(IntakeRound)).one().closes_at == dt.datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_unknown_round_is_not_found(client, coordinator):
    assert client.get("/coordination/rounds/999999/edit").status_code == 404
    assert client.post("/coordination/rounds/999999/close").status_code == 404


# --- Opening and closing early -------------------------------------------------------------------------------------


def test_open_an_upcoming_round_now(client, coordinator):
    intake = IntakeRoundFactory(opens_at=utcnow() + dt.timedelta(days=3), closes_at=utcnow() + dt.timedelta(days=30))
    db.session.commit()
    intake_id = intake.id
    before = utcnow()
    response = client.post(f"/coordination/rounds/{intake_id}/open", follow_redirects=True)
    assert "is open now" in response.get_data(as_text=True)
    saved = fresh(intake_id)
    assert before <= saved.opens_at <= utcnow()
    assert saved.is_open(utcnow())
    assert audit_actions(intake_id) == ["round.opened_early"]
    # Once open, opening again is refused with a message and changes nothing.
    again = client.post(f"/coordination/rounds/{intake_id}/open", follow_redirects=True)
    assert "already open" in again.get_data(as_text=True)
    assert audit_actions(intake_id) == ["round.opened_early"]


def test_close_an_open_round_now(client, coordinator):
    intake = IntakeRoundFactory()
    db.session.commit()
    intake_id, reviews_due = intake.id, intake.reviews_due
    before = utcnow()
    response = client.post(f"/coordination/rounds/{intake_id}/close", follow_redirects=True)
    assert "is closed now" in response.get_data(as_text=True)
    saved = fresh(intake_id)
    assert before <= saved.closes_at <= utcnow()
    assert not saved.is_open(utcnow())
    assert saved.reviews_due == reviews_due
    assert audit_actions(intake_id) == ["round.closed_early"]
    again = client.post(f"/coordination/rounds/{intake_id}/close", follow_redirects=True)
    assert "already closed" in again.get_data(as_text=True)


def test_an_upcoming_round_cannot_be_closed_early(client, coordinator):
    opens = utcnow() + dt.timedelta(days=3)
    intake = IntakeRoundFactory(opens_at=opens, closes_at=opens + dt.timedelta(days=30))
    db.session.commit()
    intake_id = intake.id
    response = client.post(f"/coordination/rounds/{intake_id}/close", follow_redirects=True)
    assert "has not opened yet" in response.get_data(as_text=True)
    assert fresh(intake_id).opens_at == opens


def test_list_offers_open_and_close_buttons_by_status(client, coordinator):
    upcoming = IntakeRoundFactory(opens_at=utcnow() + dt.timedelta(days=3), closes_at=utcnow() + dt.timedelta(days=9))
    current = IntakeRoundFactory()
    db.session.commit()
    page = client.get("/coordination/rounds/").get_data(as_text=True)
    assert f'action="/coordination/rounds/{upcoming.id}/open"' in page
    assert f'action="/coordination/rounds/{upcoming.id}/close"' not in page
    assert f'action="/coordination/rounds/{current.id}/close"' in page
    assert f'action="/coordination/rounds/{current.id}/open"' not in page


# --- No reopening once decisions are released ----------------------------------------------------------------------


def closed_round_with_decision(released: bool) -> int:
    closes = utcnow() - dt.timedelta(days=20)
    intake = IntakeRoundFactory(
        name="Intake 2026", opens_at=closes - dt.timedelta(days=60), closes_at=closes, reviews_due=None
    )
    application = ApplicationFactory(intake_round=intake)
    application.state = ApplicationState.DECIDED
    application.reference = f"IPK-2026-{application.id:04d}"
    db.session.add(
        Decision(application=application, outcome=DecisionOutcome.ADMIT, released_at=utcnow() if released else None)
    )
    db.session.commit()
    return intake.id


SHANGHAI_OFFSET = dt.timezone(dt.timedelta(hours=8))  # Shanghai has no summer time


def reopen_data(intake: IntakeRound) -> dict[str, str]:
    later = (utcnow() + dt.timedelta(days=10)).astimezone(SHANGHAI_OFFSET)
    opens = intake.opens_at.astimezone(SHANGHAI_OFFSET)
    return round_data(
        name=intake.name,
        zone="Asia/Shanghai",
        opens_at=opens.strftime("%Y-%m-%dT%H:%M"),
        closes_at=later.strftime("%Y-%m-%dT%H:%M"),
        reviews_due="",
        decisions_on="",
    )


def test_a_closed_round_cannot_be_reopened_once_decisions_are_released(client, coordinator):
    intake_id = closed_round_with_decision(released=True)
    intake = fresh(intake_id)
    closes_at = intake.closes_at
    response = client.post(f"/coordination/rounds/{intake_id}/edit", data=reopen_data(intake))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "cannot be reopened" in page.split('id="closes_at-error"')[1]
    assert fresh(intake_id).closes_at == closes_at
    assert "cannot be reopened" in client.post(
        f"/coordination/rounds/{intake_id}/open", follow_redirects=True
    ).get_data(as_text=True)
    assert fresh(intake_id).closes_at == closes_at
    assert audit_actions(intake_id) == []


def test_a_closed_round_without_released_decisions_can_be_reopened(client, coordinator):
    intake_id = closed_round_with_decision(released=False)
    response = client.post(f"/coordination/rounds/{intake_id}/edit", data=reopen_data(fresh(intake_id)))
    assert response.status_code == 302
    assert fresh(intake_id).is_open(utcnow())
    assert audit_actions(intake_id) == ["round.updated"]


def test_a_released_round_may_still_be_edited_while_it_stays_closed(client, coordinator):
    intake_id = closed_round_with_decision(released=True)
    data = reopen_data(fresh(intake_id))
    earlier = fresh(intake_id).closes_at - dt.timedelta(days=1)
    data.update(name="Intake 2026/I", closes_at=earlier.astimezone(SHANGHAI_OFFSET).strftime("%Y-%m-%dT%H:%M"))
    assert client.post(f"/coordination/rounds/{intake_id}/edit", data=data).status_code == 302
    saved = fresh(intake_id)
    assert saved.name == "Intake 2026/I" and saved.closes_at == earlier.replace(second=0, microsecond=0)


# --- Who may not ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_other_roles_may_not_manage_rounds(client, login_as, role):
    login_as(role)
    intake = IntakeRoundFactory(opens_at=utcnow() + dt.timedelta(days=3), closes_at=utcnow() + dt.timedelta(days=9))
    db.session.commit()
    intake_id, opens_at = intake.id, intake.opens_at
    assert client.get("/coordination/rounds/").status_code == 403
    assert client.get("/coordination/rounds/new").status_code == 403
    assert client.post("/coordination/rounds/new", data=round_data(name="Forged")).status_code == 403
    assert client.get(f"/coordination/rounds/{intake_id}/edit").status_code == 403
    assert client.post(f"/coordination/rounds/{intake_id}/edit", data=round_data(name="Forged")).status_code == 403
    assert client.post(f"/coordination/rounds/{intake_id}/open").status_code == 403
    assert client.post(f"/coordination/rounds/{intake_id}/close").status_code == 403
    saved = fresh(intake_id)
    assert saved.opens_at == opens_at and saved.name != "Forged"
    assert count_rounds() == 1


def test_an_admin_who_is_also_coordinator_may(client):
    from tests.conftest import sign_in

    user = UserFactory(roles=[Role.ADMIN, Role.COORDINATOR])
    db.session.commit()
    sign_in(client, user)
    assert client.get("/coordination/rounds/").status_code == 200
    assert client.post("/coordination/rounds/new", data=round_data()).status_code == 302
    assert count_rounds() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/coordination/rounds/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.post("/coordination/rounds/new", data=round_data()).status_code == 302
    assert count_rounds() == 0
