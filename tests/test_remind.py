"""`flask portal remind`: due referee and reviewer reminders through the outbox, once; nothing for received letters,
submitted reviews or far deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from portal import db
from portal.applications.models import ApplicationState, RefereeInvitation
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import reminders
from portal.review.models import Reminder, ReminderKind
from tests.factories import IntakeRoundFactory, UserFactory, add_review, judged

S = ApplicationState
DAY = dt.timedelta(days=1)
pytestmark = pytest.mark.usefixtures("plain_app_context")


def closed_round(reviews_due: dt.datetime):
    now = utcnow()
    return IntakeRoundFactory(opens_at=now - 40 * DAY, closes_at=now - 2 * DAY, reviews_due=reviews_due)


def invited(application, position: int, *, expires_in: dt.timedelta, **attributes) -> RefereeInvitation:
    """Mark the application's referee at position as invited, with a link expiring after expires_in."""
    referee = next(r for r in application.referees if r.position == position)
    referee.token_hash = "0" * 64
    referee.token_expires_at = utcnow() + expires_in
    referee.invited_at = utcnow() - 20 * DAY
    referee.invitations_sent = 1
    referee.language = application.applicant.language  # as step 7 proposes by default
    reminded_at = attributes.pop("reminded_at", None)
    if reminded_at is not None:  # an earlier nightly reminder, in the one record of reminders
        db.session.add(
            Reminder(
                kind=ReminderKind.REFEREE,
                recipient=referee.email.lower(),
                referee_id=referee.id,
                application_id=application.id,
                sent_at=reminded_at,
            )
        )
    for name, value in attributes.items():
        setattr(referee, name, value)
    db.session.flush()
    return referee


def outbox(template: str) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == template)))


def run_remind(app) -> str:
    result = app.test_cli_runner().invoke(args=["portal", "remind"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def situation():
    """Referees and reviewers, some due for a reminder and some not."""
    now = utcnow()
    soon = closed_round(reviews_due=now + 5 * DAY)
    later = closed_round(reviews_due=now + 20 * DAY)

    german_applicant = UserFactory(roles=[Role.APPLICANT], language="de")
    application = judged(soon, state=S.UNDER_REVIEW, applicant=german_applicant)
    due_referee = invited(application, 1, expires_in=3 * DAY)
    invited(application, 2, expires_in=3 * DAY, letter_received_at=now - DAY)  # letter arrived

    other = judged(soon, state=S.SUBMITTED)
    invited(other, 1, expires_in=20 * DAY)  # far from expiring
    invited(other, 2, expires_in=-DAY)  # expired already
    reminded_long_ago = judged(soon, state=S.SUBMITTED)
    again = invited(reminded_long_ago, 1, expires_in=2 * DAY, reminded_at=now - 8 * DAY)
    invited(reminded_long_ago, 2, expires_in=2 * DAY, reminded_at=now - 2 * DAY)  # reminded recently
    withdrawn = judged(soon, state=S.WITHDRAWN)
    invited(withdrawn, 1, expires_in=2 * DAY)

    chinese_reviewer = UserFactory(roles=[Role.COMMITTEE], language="zh")
    not_started = add_review(application, reviewer=chinese_reviewer)
    drafting = add_review(other, (3, None, None, None, None), submitted=False, reviewer=chinese_reviewer)
    done = add_review(application, 4)  # submitted: no reminder
    far = add_review(judged(later, state=S.UNDER_REVIEW))  # reviews due in 20 days
    db.session.commit()
    return {
        "referees": {due_referee.email: "de", again.email: "en"},
        "reviewer": chinese_reviewer.email,
        "reminded_assignments": {not_started.id, drafting.id},
        "quiet_assignments": {done.id, far.id},
        "references": {application.reference, other.reference},
    }


def test_remind_sends_due_reminders_once(app, situation):
    output = run_remind(app)
    assert "Reminders written to the outbox: 3 (2 to referees, 1 to reviewers)." in output

    referee_emails = outbox("reminder_referee")
    assert {email.recipient: email.language for email in referee_emails} == situation["referees"]
    for email in referee_emails:
        with app.test_request_context(), force_locale(email.language):
            hint = gettext(
                "For your security this reminder contains no link: please use the link from the invitation email, "
                "or ask the applicant to resend it."
            )
        assert hint in " ".join(email.body.split())
        assert "http" not in email.body and "/letter" not in email.body  # no new link: only its hash is stored

    [review_email] = outbox("reminder_review")
    assert review_email.recipient == situation["reviewer"] and review_email.language == "zh"
    for reference in situation["references"]:
        assert reference in review_email.body
    assert "http://portal.test/review/" in review_email.body

    reminded = set(db.session.scalars(select(Reminder.assignment_id).where(Reminder.kind == ReminderKind.REVIEWER)))
    assert reminded == situation["reminded_assignments"]
    recent = utcnow() - dt.timedelta(minutes=5)
    referees_reminded_now = set(
        db.session.scalars(
            select(RefereeInvitation.email)
            .join(Reminder, Reminder.referee_id == RefereeInvitation.id)
            .where(Reminder.sent_at > recent)
        )
    )
    assert referees_reminded_now == set(situation["referees"])

    # Running it again sends nothing twice.
    assert "Reminders written to the outbox: 0 (0 to referees, 0 to reviewers)." in run_remind(app)
    assert len(outbox("reminder_referee")) == 2 and len(outbox("reminder_review")) == 1


def test_no_second_reminder_within_a_week_even_when_the_deadline_moves(app):
    with app.test_request_context("/"):
        now = utcnow()
        intake = closed_round(reviews_due=now + 6 * DAY)
        application = judged(intake, state=S.UNDER_REVIEW)
        referee = invited(application, 1, expires_in=6 * DAY)
        assignment = add_review(application)
        assert reminders.send_due_reminders(now) == reminders.ReminderReport(referees=1, reviewers=1)
        assert reminders.send_due_reminders(now + 3 * DAY).total == 0
        # The deadlines are extended: still nothing within a week of the last reminder, then one more.
        intake.reviews_due = referee.token_expires_at = now + 12 * DAY
        assert reminders.send_due_reminders(now + 6 * DAY).total == 0
        later = now + 7 * DAY + dt.timedelta(hours=1)
        assert reminders.send_due_reminders(later) == reminders.ReminderReport(referees=1, reviewers=1)
        latest = db.session.scalars(select(Reminder).where(Reminder.sent_at == later)).all()
        assert {(r.referee_id, r.assignment_id) for r in latest} == {(referee.id, None), (None, assignment.id)}
        assert len(outbox("reminder_referee")) == 2 and len(outbox("reminder_review")) == 2


def test_nothing_is_sent_when_nothing_is_due(app):
    with app.test_request_context("/"):
        now = utcnow()
        application = judged(closed_round(reviews_due=now + 30 * DAY), state=S.UNDER_REVIEW)
        invited(application, 1, expires_in=30 * DAY)
        invited(application, 2, expires_in=3 * DAY, letter_received_at=now)
        add_review(application, 5)
        add_review(application)
        decided = judged(closed_round(reviews_due=now + 2 * DAY), state=S.DECIDED)
        invited(decided, 1, expires_in=2 * DAY)
        add_review(decided)
        db.session.commit()
    assert "Reminders written to the outbox: 0 " in run_remind(app)
    assert outbox("reminder_referee") == [] and outbox("reminder_review") == []


def test_no_reminder_names_an_application_the_reviewer_is_now_in_conflict_with(app):
    soon = closed_round(reviews_due=utcnow() + 5 * DAY)
    reviewer = UserFactory(roles=[Role.COMMITTEE])
    still_fine = judged(soon, state=S.UNDER_REVIEW)
    conflicted = judged(soon, state=S.UNDER_REVIEW)
    add_review(still_fine, reviewer=reviewer)
    add_review(conflicted, reviewer=reviewer)
    invited(conflicted, 1, expires_in=30 * DAY).email = reviewer.email  # became a referee after the assignment
    db.session.commit()
    run_remind(app)
    [email] = outbox("reminder_review")
    assert still_fine.reference in email.body and conflicted.reference not in email.body
