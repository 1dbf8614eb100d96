"""Interviews: booking, moving and cancelling with emails and calendar files in each recipient's language, bad input
changing nothing, the reminder 24 hours before, and the panel's private calendar feed."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from portal import db
from portal.core.outbox import OutboxAttachment, OutboxEmail
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.core.tokens import hash_token
from portal.interviews import booking, feeds
from portal.interviews.calendar import event_uid
from portal.interviews.models import CalendarFeed, InterviewBooking, InterviewInvitation
from portal.interviews.reminders import send_interview_reminders
from tests.factories import UserFactory, committee_member, submitted_application
from tests.interview_factories import future, make_interview

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def setting():
    """A submitted application by an applicant in Shanghai writing in Chinese, a panel member writing in German, and
    an interview offering three times ten days ahead."""
    application = submitted_application()
    application.applicant.language, application.applicant.timezone = "zh", "Asia/Shanghai"
    member = committee_member("LUH", language="de", name="Dr. Anna Berg")
    starts = [future(10, 7), future(10, 8), future(11, 7)]
    interview, invitation = make_interview(application, [member], starts)
    return application, member, interview, invitation


def emails(template: str) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == template).order_by("id")))


def calendar_of(email: OutboxEmail) -> Calendar:
    (attachment,) = email.attachments
    assert attachment.filename == "interview.ics"
    return Calendar.from_ical(attachment.content)


def event_of(calendar: Calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def test_booking_emails_the_applicant_and_the_panel_in_their_languages_with_a_calendar_entry(setting):
    application, member, interview, invitation = setting
    slot = interview.slots[0]
    booking.book(invitation, slot, now=future(0))
    to_applicant, to_member = emails("interview_booked")
    assert (to_applicant.recipient, to_applicant.language) == (application.applicant.email, "zh")
    assert (to_member.recipient, to_member.language) == (member.email, "de")
    assert "面试" in to_applicant.subject and "Auswahlgespräch" in to_member.subject
    assert "上海" in to_applicant.body and "柏林" in to_applicant.body  # every zone, named in Chinese
    assert "https://meet.example.org/ipk-1" in to_applicant.body
    calendar = calendar_of(to_applicant)
    assert str(calendar["METHOD"]) == "REQUEST"
    event = event_of(calendar)
    assert str(event["UID"]) == event_uid(invitation.id)
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART") == slot.starts_at
    assert calendar.walk("VTIMEZONE"), "the zone's definition travels with the event"
    assert db.session.scalar(select(func.count()).select_from(InterviewBooking)) == 1


def test_moving_keeps_the_uid_and_counts_the_sequence_and_cancelling_sends_method_cancel(setting):
    _application, _member, interview, invitation = setting
    first, second = interview.slots[0], interview.slots[2]
    booking.book(invitation, first, now=future(0))
    booking.move(invitation, second, now=future(0))
    moved = emails("interview_moved")
    assert len(moved) == 2
    event = event_of(calendar_of(moved[0]))
    assert str(event["UID"]) == event_uid(invitation.id) and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == second.starts_at
    assert invitation.booking.slot_id == second.id
    booking.cancel(invitation, by=invitation.application.applicant, now=future(0))
    cancelled = emails("interview_cancelled")
    calendar = calendar_of(cancelled[0])
    assert str(calendar["METHOD"]) == "CANCEL"
    event = event_of(calendar)
    assert str(event["UID"]) == event_uid(invitation.id) and int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert invitation.booking is None
    # The slot is free again: the applicant may book anew.
    booking.book(invitation, first, now=future(0))
    assert invitation.booking.slot_id == first.id


def _state(invitation):
    db.session.flush()
    return (
        db.session.scalar(select(func.count()).select_from(InterviewBooking)),
        db.session.scalar(select(func.count()).select_from(OutboxEmail)),
        invitation.sequence,
    )


def test_a_slot_in_the_past_changes_nothing(setting):
    _application, _member, interview, invitation = setting
    before = _state(invitation)
    with pytest.raises(RuleViolation, match="already passed"):
        booking.book(invitation, interview.slots[0], now=interview.slots[0].starts_at + dt.timedelta(minutes=1))
    assert _state(invitation) == before


def test_booking_twice_changes_nothing(setting):
    _application, _member, interview, invitation = setting
    booking.book(invitation, interview.slots[0], now=future(0))
    before = _state(invitation)
    with pytest.raises(RuleViolation, match="already booked"):
        booking.book(invitation, interview.slots[1], now=future(0))
    assert _state(invitation) == before
    assert invitation.booking.slot_id == interview.slots[0].id


def test_a_slot_taken_by_another_applicant_is_refused(setting):
    _application, _member, interview, invitation = setting
    other = submitted_application()
    rival = InterviewInvitation(interview=interview, application=other)
    db.session.add(rival)
    booking.book(invitation, interview.slots[0], now=future(0))
    with pytest.raises(RuleViolation, match="Someone else has just booked"):
        booking.book(rival, interview.slots[0], now=future(0))
    assert rival.booking is None


def test_a_slot_of_another_interview_is_refused(setting):
    _application, member, _interview, invitation = setting
    other_interview, _ = make_interview(submitted_application(), [member], [future(12)])
    with pytest.raises(RuleViolation, match="not offered"):
        booking.book_slot(invitation, other_interview.slots[0].id, now=future(0))
    assert invitation.booking is None


def test_moving_and_cancelling_end_48_hours_before(setting):
    application, _member, interview, invitation = setting
    slot = interview.slots[0]
    booking.book(invitation, slot, now=future(0))
    late = slot.starts_at - dt.timedelta(hours=47)
    with pytest.raises(RuleViolation, match="48 hours"):
        booking.move(invitation, interview.slots[2], now=late)
    with pytest.raises(RuleViolation, match="48 hours"):
        booking.cancel(invitation, by=application.applicant, now=late)
    assert invitation.booking.slot_id == slot.id
    # Just in time, it can still move.
    booking.move(invitation, interview.slots[2], now=slot.starts_at - dt.timedelta(hours=48))
    # A coordinator may cancel at any time.
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    booking.cancel(invitation, by=coordinator, now=interview.slots[2].starts_at - dt.timedelta(hours=1))
    assert invitation.booking is None


def test_the_reminder_goes_once_to_the_applicant_and_the_panel(setting):
    _application, _member, interview, invitation = setting
    slot = interview.slots[0]
    booking.book(invitation, slot, now=future(0))
    assert send_interview_reminders(slot.starts_at - dt.timedelta(days=3)) == 0
    now = slot.starts_at - dt.timedelta(hours=30)  # due (24 h before) before the next daily run
    assert send_interview_reminders(now) == 1
    assert send_interview_reminders(now + dt.timedelta(hours=1)) == 0
    reminders = emails("interview_reminder")
    assert {email.language for email in reminders} == {"zh", "de"}
    assert all(email.attachments for email in reminders)


def test_the_calendar_feed_is_private_hashed_and_revocable(setting, client):
    _application, member, interview, invitation = setting
    booking.book(invitation, interview.slots[0], now=future(0))
    token = feeds.issue_feed(member)
    feed = db.session.scalars(select(CalendarFeed)).one()
    assert feed.token_hash == hash_token(token) and token not in feed.token_hash
    assert feeds.feed_owner(member.id, token) == member
    assert feeds.feed_owner(member.id, token + "x") is None
    calendar = Calendar.from_ical(feeds.feed_calendar(member, now=future(0)))
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [event_uid(invitation.id)]
    newer = feeds.issue_feed(member)  # a new link revokes the old one
    assert feeds.feed_owner(member.id, token) is None and feeds.feed_owner(member.id, newer) == member
    member.active = False  # a deactivated account's feed stops too
    assert feeds.feed_owner(member.id, newer) is None
    member.active = True
    feeds.revoke_feed(member)
    assert feeds.feed_owner(member.id, newer) is None


def test_attachments_reach_a_real_smtp_server(app, setting, smtp_server):
    _application, _member, interview, invitation = setting
    booking.book(invitation, interview.slots[0], now=future(0))
    db.session.commit()
    report = smtp_server.deliver_outbox(app)
    assert report.sent == 2
    for message in smtp_server.messages:
        (part,) = list(message.iter_attachments())
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == "REQUEST"
        assert part.get_filename() == "interview.ics"
        assert b"BEGIN:VEVENT" in part.get_content().encode() if isinstance(part.get_content(), str) else True
    # Once sent, neither the body nor the attachment (it carries the meeting link) is kept.
    assert db.session.scalar(select(func.count()).select_from(OutboxAttachment)) == 0
