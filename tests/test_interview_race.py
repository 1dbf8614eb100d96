"""A slot holds one applicant, on SQLite and on PostgreSQL alike: the database's unique constraint decides, and the
one who loses gets one clear message and nothing changes for them."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import db
from portal.core.outbox import OutboxEmail
from portal.core.rules import RuleViolation
from portal.interviews import booking
from portal.interviews.models import InterviewBooking
from tests.conftest import sign_in
from tests.factories import committee_member, submitted_application
from tests.interview_factories import future, invite_too, make_interview

TAKEN = "Someone else has just booked this time"


def _two_invited_to_one_slot():
    member = committee_member("LUH")
    first, second = submitted_application(), submitted_application()
    interview, one = make_interview(first, [member], [future(10)])
    other = invite_too(interview, second)
    return interview.slots[0], one, other


@pytest.mark.usefixtures("app_context")
def test_the_database_refuses_a_second_booking_of_a_slot():
    slot, one, other = _two_invited_to_one_slot()
    db.session.add(InterviewBooking(invitation=one, slot=slot))
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(InterviewBooking(invitation=other, slot_id=slot.id))
        db.session.flush()


@pytest.mark.usefixtures("app_context")
def test_a_booking_that_loses_the_race_to_the_constraint_gets_the_clear_message(monkeypatch):
    slot, one, other = _two_invited_to_one_slot()
    booking.book(one, slot, now=future(0))
    db.session.expire(slot, ["booking"])
    # The other request read the slot while it was still free: its checks pass, only the constraint stops it.
    monkeypatch.setattr(booking, "_check_slot", lambda *args: None)
    with pytest.raises(RuleViolation, match=TAKEN):
        booking.book(other, slot, now=future(0))


@pytest.mark.committing
def test_two_applicants_booking_the_same_slot_at_the_same_instant_get_one_booking_and_one_message(app):
    with app.app_context():
        slot, one, other = _two_invited_to_one_slot()
        db.session.commit()
        slot_id = slot.id
        people = [(one.id, one.application.applicant), (other.id, other.application.applicant)]
        db.session.remove()
    tabs = [(invitation_id, sign_in(app.test_client(), user)) for invitation_id, user in people]
    barrier = threading.Barrier(2)
    pages: dict[int, str] = {}

    def book(invitation_id, tab):
        barrier.wait()
        tab.post(f"/interviews/invitation/{invitation_id}/book", data={"slot": slot_id})
        pages[invitation_id] = tab.get("/interviews/mine").get_data(as_text=True)

    threads = [threading.Thread(target=book, args=tab) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    messages = sorted(TAKEN in page for page in pages.values())
    assert messages == [False, True]
    with app.app_context():
        (winner,) = db.session.scalars(select(InterviewBooking)).all()
        assert winner.slot_id == slot_id
        loser = next(i for i, _tab in tabs if i != winner.invitation_id)
        assert "Your booked time" in pages[winner.invitation_id] and "Your booked time" not in pages[loser]
        # Only the winner's booking was announced (applicant and panel member): the loser's emails were rolled back.
        assert (
            db.session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.template == "interview_booked")) == 2
        )
        db.session.remove()
