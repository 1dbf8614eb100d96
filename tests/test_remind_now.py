""" "Remind now": who of a round still owes a letter, a statement or reviews, reminding one or all of them, the
24-hour rule shared with the nightly reminders, a reminder clicked twice, and who may not."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal import db
from portal.applications.models import ApplicationState
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import remind_now, reminders
from portal.review.models import Reminder, ReminderKind
from tests.factories import IntakeRoundFactory, UserFactory, add_review, add_statement, judged, supervisor
from tests.test_remind import invited

S = ApplicationState
DAY = dt.timedelta(days=1)
pytestmark = pytest.mark.usefixtures("plain_app_context")


def outbox(template: str | None = None) -> list[OutboxEmail]:
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if template:
        query = query.where(OutboxEmail.template == template)
    return list(db.session.scalars(query))


@pytest.fixture
def round_owing():
    """A round whose referee, supervisor and reviewer still owe something (and one of each who does not)."""
    now = utcnow()
    intake = IntakeRoundFactory(opens_at=now - 40 * DAY, closes_at=now - 2 * DAY, reviews_due=now + 20 * DAY)
    german = supervisor("TUC", user=UserFactory(roles=[Role.SUPERVISOR], language="de", name="Anna Weber"))
    chinese = supervisor("TONGJI", user=UserFactory(roles=[Role.SUPERVISOR], language="zh", name="Li Wei"))
    application = judged(intake, state=S.UNDER_REVIEW, german=german, chinese=chinese)
    add_statement(application, chinese, "willing")
    referee = invited(application, 1, expires_in=10 * DAY, language="zh")
    invited(application, 2, expires_in=10 * DAY, letter_received_at=now)
    expired = invited(judged(intake, state=S.UNDER_REVIEW, german=german, chinese=chinese), 1, expires_in=-DAY)
    reviewer = UserFactory(roles=[Role.COMMITTEE], language="de", name="Karl Kommission")
    add_review(application, reviewer=reviewer)
    add_review(application, 4)  # submitted: nothing owed
    db.session.commit()
    return {
        "intake": intake,
        "application": application,
        "referee": referee,
        "expired": expired,
        "german": german,
        "chinese": chinese,
        "reviewer": reviewer,
    }


def test_the_list_shows_who_still_owes_what(round_owing):
    listing = remind_now.outstanding(round_owing["intake"], utcnow())
    assert [o.key for o in listing.referees] == sorted([round_owing["referee"].id, round_owing["expired"].id])
    # The Chinese supervisor has answered on the first application, not on the second.
    owing = {o.key: [a.id for a in o.applications] for o in listing.supervisors}
    assert owing[round_owing["german"].id] == sorted(owing[round_owing["german"].id])
    assert len(owing[round_owing["german"].id]) == 2 and len(owing[round_owing["chinese"].id]) == 1
    assert round_owing["application"].id not in owing[round_owing["chinese"].id]
    assert [o.key for o in listing.reviewers] == [round_owing["reviewer"].id]
    expired = next(o for o in listing.referees if o.key == round_owing["expired"].id)
    assert expired.blocked and expired not in listing.due_now
    assert all(o.last is None for o in listing.everyone)


def test_remind_one_then_twice_within_24_hours_sends_nothing_more(round_owing):
    intake, coordinator = round_owing["intake"], UserFactory(roles=[Role.COORDINATOR])
    now = utcnow()
    remind_now.remind_one(intake, "reviewer", round_owing["reviewer"].id, by=coordinator, now=now)
    [email] = outbox("reminder_review")
    assert email.recipient == round_owing["reviewer"].email and email.language == "de"
    assert round_owing["application"].reference in email.body
    with pytest.raises(remind_now.ReminderRefused, match="less than 24 hours"):
        remind_now.remind_one(intake, "reviewer", round_owing["reviewer"].id, by=coordinator, now=now + DAY / 2)
    assert len(outbox()) == 1
    listing = remind_now.outstanding(intake, now + DAY / 2)
    assert listing.reviewers[0].last == now and listing.reviewers[0].blocked
    # After a day the reminder may go again.
    remind_now.remind_one(
        intake, "reviewer", round_owing["reviewer"].id, by=coordinator, now=now + DAY + 1 * dt.timedelta(minutes=1)
    )
    assert len(outbox("reminder_review")) == 2


def test_remind_all_reminds_each_person_once_and_the_nightly_run_respects_it(round_owing):
    intake, coordinator = round_owing["intake"], UserFactory(roles=[Role.COORDINATOR])
    now = utcnow()
    assert remind_now.remind_all(intake, by=coordinator, now=now) == 4  # referee, both supervisors, reviewer
    assert [e.recipient for e in outbox("reminder_referee")] == [round_owing["referee"].email]
    statements = outbox("reminder_statement")
    by_language = sorted((e.language, e.recipient) for e in statements)
    assert by_language == [("de", round_owing["german"].user.email)] * 2 + [("zh", round_owing["chinese"].user.email)]
    assert all("/supervise/" in e.body for e in statements)
    kinds = db.session.scalars(select(Reminder.kind).where(Reminder.sent_by_id == coordinator.id)).all()
    assert sorted(kinds) == sorted(
        [
            ReminderKind.REFEREE,
            ReminderKind.SUPERVISOR,
            ReminderKind.SUPERVISOR,
            ReminderKind.SUPERVISOR,
            ReminderKind.REVIEWER,
        ]
    )
    with pytest.raises(remind_now.ReminderRefused, match="Nothing was sent"):
        remind_now.remind_all(intake, by=coordinator, now=now + dt.timedelta(hours=3))
    # The nightly run, with the referee's link about to expire, does not remind them again the same day.
    round_owing["referee"].token_expires_at = now + 2 * DAY
    assert reminders.send_due_reminders(now + dt.timedelta(hours=5)).referees == 0
    assert reminders.send_due_reminders(now + DAY + dt.timedelta(hours=1)).referees == 0  # same thing: a week
    count = len(outbox())
    db.session.commit()
    assert count == 5


def test_a_nightly_reminder_blocks_remind_now_for_a_day(round_owing):
    now = utcnow()
    round_owing["referee"].token_expires_at = now + 3 * DAY
    assert reminders.send_due_reminders(now).referees == 1
    with pytest.raises(remind_now.ReminderRefused, match="less than 24 hours"):
        remind_now.remind_one(
            round_owing["intake"],
            "referee",
            round_owing["referee"].id,
            by=UserFactory(roles=[Role.COORDINATOR]),
            now=now + dt.timedelta(hours=1),
        )


class TestPages:
    def test_remind_now_from_the_page_and_a_second_click(self, app, client, login_as, round_owing, smtp_server):
        login_as(Role.COORDINATOR)
        intake_id, reviewer = round_owing["intake"].id, round_owing["reviewer"]
        page = client.get(f"/review/rounds/{intake_id}/reminders").get_data(as_text=True)
        assert "Karl Kommission" in page and "Anna Weber" in page and "never" in page
        assert "The upload link has expired." in page
        url = f"/review/rounds/{intake_id}/reminders/reviewer/{reviewer.id}"
        done = client.post(url, follow_redirects=True).get_data(as_text=True)
        assert "Karl Kommission has been reminded." in done
        again = client.post(url, follow_redirects=True).get_data(as_text=True)
        assert "was not reminded: Reminded less than 24 hours ago. Nothing was sent." in again
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == 1
        smtp_server.deliver_outbox(app)
        [message] = smtp_server.messages
        assert message["To"] == reviewer.email and message["Content-Language"] == "de"
        assert round_owing["application"].reference in smtp_server.body_of(message)

    def test_remind_all_from_the_page(self, client, login_as, round_owing):
        login_as(Role.COORDINATOR)
        intake_id = round_owing["intake"].id
        page = client.get(f"/review/rounds/{intake_id}/reminders").get_data(as_text=True)
        assert "Remind all overdue (4 people)" in page
        done = client.post(f"/review/rounds/{intake_id}/reminders/all", follow_redirects=True).get_data(as_text=True)
        assert "4 people have been reminded." in done
        assert "Remind all overdue (0 people)" in done

    def test_unknown_people_and_rounds(self, client, login_as, round_owing):
        coordinator = login_as(Role.COORDINATOR)
        intake_id = round_owing["intake"].id
        assert client.post(f"/review/rounds/{intake_id}/reminders/nobody/1").status_code == 404
        assert client.post("/review/rounds/999999/reminders/all").status_code == 404
        assert client.post(f"/review/rounds/{intake_id}/reminders/reviewer/999999").status_code == 404
        # Someone who exists but owes nothing in this round, or cannot be reminded: a clear message, nothing sent.
        nothing = client.post(f"/review/rounds/{intake_id}/reminders/reviewer/{coordinator.id}", follow_redirects=True)
        assert "There is nothing to remind this person of any more. Nothing was sent." in nothing.get_data(as_text=True)
        expired = client.post(
            f"/review/rounds/{intake_id}/reminders/referee/{round_owing['expired'].id}", follow_redirects=True
        )
        assert "was not reminded: The upload link has expired. Nothing was sent." in expired.get_data(as_text=True)
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0

    @pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
    def test_others_may_not_remind(self, client, login_as, round_owing, role):
        login_as(role)
        intake_id = round_owing["intake"].id
        assert client.get(f"/review/rounds/{intake_id}/reminders").status_code == 403
        assert client.post(f"/review/rounds/{intake_id}/reminders/all").status_code == 403
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
