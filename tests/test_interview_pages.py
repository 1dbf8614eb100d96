"""The interview pages: a coordinator invites from the record, the portal proposes slots, the applicant books through
the page and finds the .ics on the status page, bad input changes nothing, the panel's feed link, who may not."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal import db
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import BERLIN, utcnow
from portal.interviews.models import Interview, InterviewBooking, InterviewInvitation, InterviewSlot
from tests.conftest import sign_in
from tests.factories import UserFactory, committee_member, submitted_application
from tests.interview_factories import booked, future, make_interview

pytestmark = pytest.mark.usefixtures("plain_app_context")


def _next_monday() -> dt.date:
    day = (future(7)).date()
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_coordinator_invites_from_the_record_and_the_portal_proposes_slots(client):
    application = submitted_application()
    application.applicant.timezone = "Asia/Shanghai"
    member, coordinator = committee_member("LUH"), UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    sign_in(client, coordinator)
    record = client.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert f"/interviews/invite/{application.id}" in record
    form = client.get(f"/interviews/invite/{application.id}").get_data(as_text=True)
    assert member.name in form and application.german_supervisor.user.name in form
    response = client.post(
        f"/interviews/invite/{application.id}",
        data={
            "interview": 0,
            "panel": [member.id],
            "duration": 45,
            "first_day": _next_monday().isoformat(),
            "days": 2,
            "meeting_link": "https://meet.example.org/room",
        },
    )
    assert response.status_code == 302
    interview = db.session.scalars(select(Interview)).one()
    assert [user.id for user in interview.panel_users] == [member.id]
    assert len(interview.slots) in (6, 8)  # Berlin from 08:00, Shanghai until 18:00: 3 or 4 a day (summer time)
    page = client.get(response.location).get_data(as_text=True)
    assert "Berlin" in page and "Shanghai" in page and "outside working hours" not in page
    invited = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "interview_invited")).one()
    assert invited.recipient == application.applicant.email
    # Inviting again changes nothing and says why.
    again = client.post(f"/interviews/invite/{application.id}", data={"interview": interview.id})
    assert "already been invited" in again.get_data(as_text=True)
    assert _count(InterviewInvitation) == 1


def test_a_time_in_the_past_is_refused_and_nothing_changes(client):
    application = submitted_application()
    interview, _invitation = make_interview(application, [committee_member()], [future(10)])
    db.session.commit()
    sign_in(client, UserFactory(roles=[Role.COORDINATOR]))
    yesterday = (utcnow() - dt.timedelta(days=1)).astimezone(BERLIN)
    response = client.post(
        f"/interviews/{interview.id}/slots", data={"day": yesterday.date().isoformat(), "time": "10:00"}
    )
    assert response.status_code == 422 and "already passed" in response.get_data(as_text=True)
    assert _count(InterviewSlot) == 1
    evening = client.post(
        f"/interviews/{interview.id}/slots", data={"day": _next_monday().isoformat(), "time": "20:00"}
    )
    assert evening.status_code == 302
    page = client.get(f"/interviews/{interview.id}").get_data(as_text=True)
    assert "outside working hours" in page  # 20:00 in Berlin is 03:00 in Shanghai


def test_the_applicant_books_sees_every_zone_and_finds_the_ics_on_the_status_page(client):
    application = submitted_application()
    application.applicant.timezone = "America/New_York"
    interview, invitation = make_interview(application, [committee_member()], [future(10, 7), future(11, 8)])
    db.session.commit()
    sign_in(client, application.applicant)
    page = client.get("/interviews/mine").get_data(as_text=True)
    assert "Berlin" in page and "Shanghai" in page and "New York" in page
    assert "outside working hours" in page  # 07:00 UTC is 02:00 or 03:00 in New York
    assert "https://meet.example.org" not in page  # the link comes with a booking
    slot = interview.slots[0]
    assert client.post(f"/interviews/invitation/{invitation.id}/book", data={"slot": slot.id}).status_code == 302
    assert db.session.scalars(select(InterviewBooking)).one().slot_id == slot.id
    status = client.get(f"/application/{application.id}").get_data(as_text=True)
    ics_url = f"/interviews/invitation/{invitation.id}/interview.ics"
    assert ics_url in status
    ics = client.get(ics_url)
    assert ics.mimetype == "text/calendar" and b"TZID=Europe/Berlin" in ics.data
    mine = client.get("/interviews/mine").get_data(as_text=True)
    assert "https://meet.example.org/ipk-1" in mine
    # Booking twice, or an unknown slot, changes nothing and says why.
    emails = _count(OutboxEmail)
    client.post(f"/interviews/invitation/{invitation.id}/book", data={"slot": interview.slots[1].id})
    client.post(f"/interviews/invitation/{invitation.id}/book", data={"slot": "99999999999"})
    page = client.get("/interviews/mine").get_data(as_text=True)
    assert "You have already booked a time" in page
    assert db.session.scalars(select(InterviewBooking)).one().slot_id == slot.id
    assert _count(OutboxEmail) == emails


def test_the_panel_members_feed_link_works_until_revoked(client):
    application = submitted_application()
    member = committee_member()
    interview, invitation = make_interview(application, [member], [future(10)])
    booked(invitation, interview.slots[0])
    db.session.commit()
    sign_in(client, member)
    listing = client.get("/interviews/panel").get_data(as_text=True)
    assert application.reference in listing and "https://meet.example.org/ipk-1" in listing
    page = client.post("/interviews/panel/feed").get_data(as_text=True)
    start = page.index("http://portal.test/interviews/feed/")
    url = page[start : page.index('"', start)].removeprefix("http://portal.test")
    feed = client.get(url)
    assert feed.status_code == 200 and f"interview-{invitation.id}@portal.test".encode() in feed.data
    assert client.get(url.replace(".ics", "x.ics")).status_code == 404
    client.post("/interviews/panel/feed/revoke")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (Role.ADMIN, "/interviews/invite/{application}", 403),
        (Role.COMMITTEE, "/interviews/invite/{application}", 403),
        (Role.SUPERVISOR, "/interviews/{interview}", 403),
        (Role.APPLICANT, "/interviews/panel", 403),
        (Role.COMMITTEE, "/interviews/mine", 403),
        (Role.COMMITTEE, "/interviews/invitation/{invitation}/notes", 404),  # not on this panel
        (Role.APPLICANT, "/interviews/invitation/{invitation}/interview.ics", 404),  # another applicant's
        (Role.COORDINATOR, "/interviews/invitation/{invitation}/notes", 403),
    ],
)
def test_who_may_not(client, role, path, status):
    application = submitted_application()
    interview, invitation = make_interview(application, [committee_member()], [future(10)])
    booked(invitation, interview.slots[0])
    user = UserFactory(roles=[role])
    db.session.commit()
    sign_in(client, user)
    url = path.format(application=application.id, interview=interview.id, invitation=invitation.id)
    assert client.get(url).status_code == status
