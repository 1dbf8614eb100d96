"""`flask portal daily`: reviews begin, reminders go out, rounds past their retention period are purged, old texts
are removed; each step in its own transaction, idempotent. The coordinators' retention page says what goes when,
with the counts the purge then really deletes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from portal import db
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome, DocumentKind
from portal.core import audit, storage
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail, OutboxState
from portal.core.roles import Role
from portal.core.templating import format_date_in_zone
from portal.core.timeutil import utcnow
from portal.notifications.bulkmail import AUDIT_ACTION as BULK_MAIL_SENT
from portal.privacy.retention import retention_schedule
from portal.review.models import Recommendation, Review, ReviewAssignment, StatementAnswer, SupervisorStatement
from tests.conftest import sign_in
from tests.factories import (
    ApplicationFactory,
    IntakeRoundFactory,
    UserFactory,
    add_document,
    committee_member,
    complete_application,
    submitted_application,
)

DAY = dt.timedelta(days=1)


def closed_round(name: str, closed_days_ago: int = 300):
    now = utcnow()
    return IntakeRoundFactory(
        name=name,
        opens_at=now - (closed_days_ago + 100) * DAY,
        closes_at=now - closed_days_ago * DAY,
        reviews_due=now - (closed_days_ago - 20) * DAY,
    )


def decided(intake, outcome, released_days_ago, *, reviewer=None):
    """A submitted application with a letter, a statement, a review and a decision released that many days ago."""
    application = submitted_application(intake_round=intake)
    letter = add_document(application, DocumentKind.REFEREE_LETTER)
    application.referees[0].letter_document, application.referees[0].letter_received_at = letter, utcnow()
    db.session.add(
        SupervisorStatement(
            application=application, profile=application.german_supervisor, answer=StatementAnswer.WILLING
        )
    )
    scores = dict.fromkeys(("score_academic", "score_proposal", "score_fit", "score_language", "score_references"), 4)
    review = Review(**scores, recommendation=Recommendation.ADMIT, submitted_at=utcnow())
    db.session.add(ReviewAssignment(application=application, reviewer=reviewer or committee_member(), review=review))
    application.state = ApplicationState.DECIDED
    released = utcnow() - released_days_ago * DAY if released_days_ago is not None else None
    application.decision = Decision(outcome=outcome, released_at=released)
    db.session.flush()
    return application


def settled_round(name: str, released_days_ago: int):
    """A closed round: one admitted, one on the waiting list, one not admitted, one withdrawn, one never submitted."""
    intake = closed_round(name)
    admitted = decided(intake, DecisionOutcome.ADMIT, released_days_ago)
    decided(intake, DecisionOutcome.WAITING_LIST, released_days_ago)
    decided(intake, DecisionOutcome.REJECT, released_days_ago + 2)
    withdrawn = submitted_application(intake_round=intake)
    withdrawn.state = ApplicationState.WITHDRAWN
    complete_application(intake_round=intake)
    db.session.flush()
    return intake, admitted


def applications_of(intake) -> list[Application]:
    return list(db.session.scalars(select(Application).where(Application.round_id == intake.id)))


def bulk_mail(intake, days_ago: int) -> AuditEvent:
    event = audit.record(BULK_MAIL_SENT, intake, details={"subject": "Dates", "body": "Dear applicants, …", "count": 3})
    event.created_at = utcnow() - days_ago * DAY
    return event


def sent_email(days_ago: int, state=OutboxState.SENT) -> OutboxEmail:
    email = OutboxEmail(
        recipient="someone@example.org",
        language="en",
        template="x",
        subject="s",
        body="b",
        state=state,
        created_at=utcnow() - days_ago * DAY,
    )
    db.session.add(email)
    return email


def daily(app):
    return app.test_cli_runner().invoke(args=["portal", "daily"])


def test_daily_purges_the_rounds_that_are_due_as_the_retention_page_foretold(app, app_context):
    due, kept = settled_round("Intake 2025", released_days_ago=200)
    recent, _ = settled_round("Intake 2026", released_days_ago=20)
    forecast = {entry.intake.name: entry for entry in retention_schedule()}
    assert forecast["Intake 2025"].status(utcnow()) == "due"
    assert forecast["Intake 2026"].status(utcnow()) == "scheduled"
    files = [d.storage_key for a in applications_of(due) if a.id != kept.id for d in a.documents]
    assert files and all(storage.path_of(key).exists() for key in files)

    result = daily(app)
    assert result.exit_code == 0, result.output
    assert "purged Intake 2025: 4 applications" in result.output
    assert "Intake 2026" not in result.output
    db.session.expire_all()
    assert [a.id for a in db.session.scalars(select(Application).where(Application.round_id == due.id))] == [kept.id]
    assert not any(storage.path_of(key).exists() for key in files)
    assert db.session.scalar(select(func.count(Application.id)).where(Application.round_id == recent.id)) == 5

    # The page's counts are the purge's own.
    purged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.purged")).one().details
    expected = forecast["Intake 2025"].counts
    assert {
        "applications": purged["applications"],
        "documents": purged["documents"],
        "statements": purged["statements"],
        "reviews": purged["reviews"],
        "accounts": purged["accounts"],
        "letters": purged["letters"],
    } == {
        "applications": forecast["Intake 2025"].applications,
        "documents": expected["documents"],
        "statements": expected["statements"],
        "reviews": expected["reviews"],
        "accounts": expected["accounts"],
        "letters": expected["letters"],
    }
    assert purged["applications_waiting_list"] == expected["waiting_list"] == 1
    assert purged["applications_draft"] == expected["draft"] == 1

    # Idempotent: a second run the same day finds nothing more to do.
    again = daily(app)
    assert again.exit_code == 0
    assert "purged" not in again.output
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "round.purged")) == 1


def test_daily_moves_closed_rounds_under_review_and_reminds_once(app, app_context):
    intake = closed_round("Intake 2026", closed_days_ago=1)
    waiting = submitted_application(intake_round=intake)
    member = committee_member()
    db.session.add(ReviewAssignment(application=waiting, reviewer=member))
    intake.reviews_due = utcnow() + 3 * DAY
    db.session.flush()

    first = daily(app)
    assert first.exit_code == 0, first.output
    assert "applications of closed rounds now under review: 1" in first.output
    assert "reminders written to the outbox: 1 (0 to referees, 1 to reviewers)" in first.output
    assert db.session.get(Application, waiting.id).state == ApplicationState.UNDER_REVIEW
    second = daily(app)
    assert "now under review: 0" in second.output and "reminders written to the outbox: 0" in second.output


def test_texts_go_after_the_retention_period_counted_from_sending(app, app_context, monkeypatch):
    monkeypatch.setitem(app.config, "PURGE_AFTER_DAYS", 30)
    intake = IntakeRoundFactory()
    old_mail, new_mail = bulk_mail(intake, 31), bulk_mail(intake, 29)
    old_sent, old_failed, new_sent = sent_email(31), sent_email(40, OutboxState.FAILED), sent_email(29)
    old_waiting = sent_email(60, OutboxState.WAITING)  # not delivered yet: it stays until it is
    db.session.flush()

    result = daily(app)
    assert "1 bulk mail texts in the audit log, 2 sent emails" in result.output
    db.session.expire_all()
    assert db.session.get(AuditEvent, old_mail.id).details == {"subject": "Dates", "count": 3, "body_removed": True}
    assert db.session.get(AuditEvent, new_mail.id).details["body"] == "Dear applicants, …"
    remaining = set(db.session.scalars(select(OutboxEmail.id)))
    assert {old_sent.id, old_failed.id} & remaining == set()
    assert {new_sent.id, old_waiting.id} <= remaining
    assert "0 bulk mail texts in the audit log, 0 sent emails" in daily(app).output


def test_on_sqlite_the_daily_job_refreshes_the_planners_statistics(app, app_context):
    submitted_application(intake_round=closed_round("Intake 2026", closed_days_ago=1))
    result = daily(app)
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    assert ("query planner statistics refreshed (ANALYZE)" in result.output) == sqlite
    if sqlite:  # the statistics the planner reads: a row per index of the tables that hold rows
        tables = set(db.session.scalars(text("SELECT tbl FROM sqlite_stat1")))
        assert {"applications", "intake_rounds"} <= tables


def test_a_failing_step_is_reported_and_the_others_still_run(app, app_context, monkeypatch):
    settled_round("Intake 2025", released_days_ago=200)

    def broken(now):
        raise RuntimeError("the mail templates are missing")

    monkeypatch.setattr("portal.daily.send_due_reminders", broken)
    result = daily(app)
    assert result.exit_code == 1
    assert "daily reminders: failed, nothing of it was kept: the mail templates are missing" in result.output
    assert "purged Intake 2025" in result.output


def test_the_retention_page_tells_coordinators_what_goes_when(app, client, plain_app_context):
    settled_round("Intake 2025", released_days_ago=200)
    scheduled, _ = settled_round("Intake 2026", released_days_ago=20)
    pending = closed_round("Intake 2027", closed_days_ago=10)
    submitted_application(intake_round=pending)
    IntakeRoundFactory(name="Intake 2028")
    coordinator = UserFactory(roles=[Role.COORDINATOR], language="en", timezone="Europe/Berlin")
    db.session.commit()
    sign_in(client, coordinator)

    page = client.get("/coordination/retention")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    release = max(a.decision.released_at for a in applications_of(scheduled) if a.decision)
    for expected in (
        "Intake 2025",
        "the next daily run deletes what is listed here",
        "Intake 2026",
        "To be deleted from",
        "Intake 2027",
        "No date yet: 1 application waits for a decision or for its release.",
        "Intake 2028",
        "The round is still open",
        "4 applications",
        "1 on the waiting list",
        "1 not admitted",
        "1 withdrawn",
        "1 never submitted",
        "Kept: 1 admitted candidate.",
    ):
        assert expected in text, expected
    with app.test_request_context():
        assert format_date_in_zone(release + 180 * DAY, "Asia/Shanghai") + " (Shanghai)" in text
        assert format_date_in_zone(release + 180 * DAY, "Europe/Berlin") + " (Berlin)" in text


def test_the_retention_page_asks_the_same_few_queries_however_many_rounds(
    app, client, plain_app_context, count_queries
):
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    settled_round("Intake 2025", released_days_ago=200)
    db.session.commit()
    sign_in(client, coordinator)
    one = count_queries(lambda: client.get("/coordination/retention"))
    for year in (2026, 2027, 2028):
        settled_round(f"Intake {year}", released_days_ago=20)
    db.session.commit()
    sign_in(client, coordinator)  # the held app context caches the signed-in user: forget it, as for the first count
    assert count_queries(lambda: client.get("/coordination/retention")) == one


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.COMMITTEE, Role.SUPERVISOR, Role.ADMIN])
def test_only_coordinators_see_the_retention_page(app, client, login_as, role):
    login_as(role)
    assert client.get("/coordination/retention").status_code == 403


def test_the_retention_page_needs_a_sign_in(client):
    assert client.get("/coordination/retention").status_code == 302


def test_an_application_of_another_round_keeps_an_applicants_account(app, app_context):
    intake, _ = settled_round("Intake 2025", released_days_ago=200)
    rejected = next(a for a in applications_of(intake) if a.decision and a.decision.outcome == DecisionOutcome.REJECT)
    ApplicationFactory(applicant=rejected.applicant, intake_round=IntakeRoundFactory(name="Intake 2027"))
    db.session.flush()
    (entry,) = [e for e in retention_schedule() if e.intake.id == intake.id]
    assert entry.counts["accounts"] == 3  # waiting list, withdrawn, never submitted: not the one with another round
