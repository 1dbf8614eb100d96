"""The `flask portal` commands: seed-demo, create-user, sync-universities."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import (
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    Document,
    IntakeRound,
    RefereeInvitation,
)
from portal.applications.steps import is_complete
from portal.core import pdfcheck, storage
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail, OutboxState
from portal.core.timeutil import utcnow
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.review.models import Conflict, Review, ReviewAssignment, SupervisorStatement
from portal.review.services import ReviewStatus, assigned_applications
from portal.review.statements import summary_for
from portal.supervisors.models import SupervisorProfile, University
from tests.conftest import sign_in

COUNTED = (
    University,
    User,
    SupervisorProfile,
    IntakeRound,
    Application,
    Document,
    RefereeInvitation,
    SupervisorStatement,
    ReviewAssignment,
    Review,
    Decision,
    Conflict,
    AuditEvent,
    OutboxEmail,
)


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def seed(app) -> str:
    result = app.test_cli_runner().invoke(args=["portal", "seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def rounds() -> tuple[IntakeRound, IntakeRound]:
    """The open demo round and the closed one."""
    now = utcnow()
    all_rounds = db.session.scalars(select(IntakeRound)).all()
    (open_round,) = [r for r in all_rounds if r.is_open(now)]
    (closed,) = [r for r in all_rounds if r.closes_at < now]
    return open_round, closed


def applications(intake: IntakeRound, state: ApplicationState | None = None) -> list[Application]:
    query = select(Application).where(Application.round_id == intake.id).order_by(Application.reference)
    if state is not None:
        query = query.where(Application.state == state)
    return list(db.session.scalars(query))


def test_seed_demo_is_idempotent_and_complete(app):
    output = seed(app)
    assert "applicant@example.org" in output and DEMO_PASSWORD in output
    assert "Applications: 43 (" in output
    after_first = counts()
    seed(app)
    assert counts() == after_first

    assert after_first["University"] == 9 and after_first["SupervisorProfile"] >= 20
    assert after_first["IntakeRound"] == 2 and after_first["Application"] >= 40
    covered = db.session.scalar(select(func.count(func.distinct(SupervisorProfile.university_id))))
    assert covered == 9
    open_round, closed = rounds()
    assert open_round.is_open(utcnow()) and closed.decisions_on < utcnow()

    expected = {
        "applicant@example.org": "applicant",
        "supervisor.de@example.org": "supervisor",
        "supervisor.cn@example.org": "supervisor",
        "committee@example.org": "committee",
        "coordinator@example.org": "coordinator",
        "admin@example.org": "admin",
    }
    for email, role in expected.items():
        account = user(email)
        assert account.has_role(role) and account.check_password(DEMO_PASSWORD)
    de = db.session.scalars(select(SupervisorProfile).join(User).where(User.email == "supervisor.de@example.org")).one()
    cn = db.session.scalars(select(SupervisorProfile).join(User).where(User.email == "supervisor.cn@example.org")).one()
    assert (de.university.code, cn.university.code) == ("TUC", "TONGJI")
    # Demo applicants sign in with the demo password too.
    assert user("wang.haoran@example.com").check_password(DEMO_PASSWORD)


def test_seed_demo_creates_applications_in_every_state(app, app_context):
    seed(app)
    open_round, closed = rounds()
    S = ApplicationState
    drafts = applications(open_round, S.DRAFT)
    assert len(drafts) >= 4
    assert any(is_complete(a) for a in drafts) and sum(not is_complete(a) for a in drafts) >= 3
    for state in (S.SUBMITTED, S.UNDER_REVIEW, S.DECIDED, S.WITHDRAWN):
        assert applications(open_round, state), state
    assert all(not a.decision_released for a in applications(open_round, S.DECIDED))
    released = applications(closed, S.DECIDED)
    assert all(a.decision_released for a in released)
    assert {a.decision.outcome for a in released} == set(DecisionOutcome)
    assert applications(closed, S.WITHDRAWN) and applications(closed, S.DRAFT)

    submitted = [a for a in applications(open_round) + applications(closed) if a.reference]
    assert all(a.submitted_at is not None and len(a.referees) == 2 for a in submitted)
    letters = [r.letter_received for a in submitted for r in a.referees]
    assert any(letters) and not all(letters)
    names = {a.native_name for a in submitted}
    assert "李伟" in names and any(a.nationality != "CN" for a in submitted)

    # Real PDFs on disk, stored through portal.core.storage.
    documents = db.session.scalars(select(Document)).all()
    assert len(documents) >= 150
    for document in documents[:: max(1, len(documents) // 20)]:
        content = storage.read_bytes(document.storage_key)
        assert pdfcheck.check_pdf(content, 10_000_000) >= 1 and len(content) == document.size_bytes

    reviews = db.session.scalars(select(Review)).all()
    assert any(r.submitted for r in reviews) and any(not r.submitted for r in reviews)
    assert any(len(r.revisions) > 1 for r in reviews)
    assert db.session.scalar(select(func.count(Conflict.id))) >= 1

    # Written by the services: an audit trail dated in the past, with the acting users, and no flood of waiting mail.
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "application.submitted").order_by(AuditEvent.created_at)
    ).all()
    assert len(events) == len(submitted)
    assert all(e.actor_id is not None and e.created_at < utcnow() for e in events)
    assert events[0].created_at < closed.closes_at
    assert db.session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.state == OutboxState.WAITING)) == 0
    assert db.session.scalar(select(func.count(OutboxEmail.id))) > 100


def test_every_demo_account_has_content(app, client):
    seed(app)
    open_round, closed = rounds()
    applicant = user("applicant@example.org")
    own = {a.round_id: a for a in applicant_applications(applicant)}
    assert own[open_round.id].state == ApplicationState.UNDER_REVIEW
    assert own[closed.id].decision_released and own[closed.id].decision.outcome == DecisionOutcome.WAITING_LIST

    for email in ("supervisor.de@example.org", "supervisor.cn@example.org"):
        summary = summary_for(user(email))
        assert summary.awaiting >= 2 and summary.candidates - summary.awaiting >= 2, email

    committee = user("committee@example.org")
    statuses = [row.status for group in assigned_applications(committee) for row in group.rows]
    assert {ReviewStatus.NOT_STARTED, ReviewStatus.DRAFT, ReviewStatus.SUBMITTED} <= set(statuses)
    assert len(assigned_applications(committee)) == 2  # both rounds

    def reference_of(email: str, intake: IntakeRound) -> str:
        found = db.session.scalars(
            select(Application.reference).join(User).where(User.email == email, Application.round_id == intake.id)
        ).one()
        assert found is not None
        return found

    released = applications(closed, ApplicationState.DECIDED)
    undecided_release = applications(open_round, ApplicationState.DECIDED)
    pages = {
        "applicant@example.org": [("/dashboard", [own[open_round.id].reference, own[closed.id].reference])],
        "supervisor.de@example.org": [("/supervise/", [own[open_round.id].reference])],
        "supervisor.cn@example.org": [("/supervise/", [reference_of("chen.yuxin@example.com", open_round)])],
        "committee@example.org": [("/review/", [own[open_round.id].reference, own[closed.id].reference])],
        "coordinator@example.org": [
            (f"/review/rounds/{closed.id}/ranking", [a.reference for a in released]),
            (f"/review/rounds/{open_round.id}/decisions", [a.reference for a in undecided_release]),
            (f"/review/application/{own[closed.id].id}/history", ["IPK-"]),
        ],
        "admin@example.org": [("/coordination/outbox", ["applicant@example.org"])],
    }
    for email, visits in pages.items():
        sign_in(client, user(email))
        for url, expected in visits:
            response = client.get(url)
            assert response.status_code == 200, (email, url)
            page = response.get_data(as_text=True)
            assert all(text in page for text in expected), (email, url)


def test_the_demo_shows_a_rich_record_and_a_disagreement_on_the_dashboard(app, client):
    seed(app)
    open_round, _closed = rounds()
    # Almost every email is about one application (the failed demo email to an unknown address is not, nor are the
    # notices about a whole round: every review of last year's round is in).
    about_one = OutboxEmail.template != "reviews_complete"
    linked = db.session.scalar(
        select(func.count(OutboxEmail.id)).where(OutboxEmail.application_id.is_not(None), about_one)
    )
    assert linked >= db.session.scalar(select(func.count(OutboxEmail.id)).where(about_one)) - 1
    sign_in(client, user("coordinator@example.org"))
    dashboard = client.get(f"/coordination/?round={open_round.id}").get_data(as_text=True)
    disputed = db.session.scalars(
        select(Application)
        .join(User)
        .where(User.email == "chen.yuxin@example.com", Application.round_id == open_round.id)
    ).one()
    assert f'href="/staff/applications/{disputed.id}"' in dashboard and "Reviewers disagree strongly" in dashboard
    page = client.get(f"/staff/applications/{disputed.id}").get_data(as_text=True)
    for part in ("record-document", "record-letter", "record-statement"):
        assert part in page, part
    assert "too broad for a doctorate" in page and "hydrogen test rig" in page  # both comments
    assert page.count('class="record-email"') >= 3 and page.count('class="history-event"') >= 5
    assert "large disagreement" in page and "2 submitted versions" in page


def test_the_demo_has_a_booked_interview_for_the_demo_applicant(app, client):
    seed(app)
    open_round, _closed = rounds()
    own = {a.round_id: a for a in applicant_applications(user("applicant@example.org"))}[open_round.id]
    sign_in(client, user("applicant@example.org"))
    status = client.get(f"/application/{own.id}").get_data(as_text=True)
    start = status.index("/interviews/invitation/")
    ics = client.get(status[start : status.index('"', start)])
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.data and b"TZID=Europe/Berlin" in ics.data
    for email in ("committee@example.org", "supervisor.de@example.org"):  # the panel
        sign_in(client, user(email))
        assert own.reference in client.get("/interviews/panel").get_data(as_text=True), email


def applicant_applications(applicant: User) -> list[Application]:
    return list(db.session.scalars(select(Application).where(Application.applicant_id == applicant.id)))


def test_seed_demo_is_deterministic(app, app_context):
    """Two runs on an empty database give the same applications (only the times move with the clock)."""

    def snapshot() -> list[tuple]:
        rows = db.session.scalars(select(Application).order_by(Application.reference, Application.id)).all()
        return [
            (
                a.applicant.email,
                a.intake_round.name,
                a.state.value,
                a.reference,
                a.proposal_title,
                a.german_supervisor.user.email if a.german_supervisor else None,
                a.chinese_supervisor.user.email if a.chinese_supervisor else None,
                a.decision.outcome.value if a.decision else None,
                json.dumps(sorted((d.kind.value, d.original_filename, d.size_bytes > 0) for d in a.documents)),
            )
            for a in rows
        ]

    seed_demo()
    first = snapshot()
    db.session.remove()  # rolls back all the test did so far
    assert db.session.scalar(select(func.count(Application.id))) == 0
    seed_demo()
    assert snapshot() == first and len(first) >= 40


def test_seed_demo_refuses_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    result = app.test_cli_runner().invoke(args=["portal", "seed-demo"])
    assert result.exit_code != 0
    assert "refuses to run in production" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_create_user_asks_for_the_password(app):
    result = app.test_cli_runner().invoke(
        args=["portal", "create-user", "Office@Example.org", "--name", "Office", "--role", "coordinator"],
        input="Kolleg-Winter-Semester-2027\nKolleg-Winter-Semester-2027\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.email == "office@example.org")).one()
    assert user.has_role("coordinator") and user.check_password("Kolleg-Winter-Semester-2027")


def test_create_user_refuses_a_weak_password_and_a_supervisor_without_university(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["portal", "create-user", "a@example.org", "--name", "A", "--role", "admin"], input="password\npassword\n"
    )
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    no_uni = runner.invoke(args=["portal", "create-user", "b@example.org", "--name", "B", "--role", "supervisor"])
    assert no_uni.exit_code != 0 and "university" in no_uni.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_create_supervisor_gets_a_profile(app):
    result = app.test_cli_runner().invoke(
        args=[
            "portal",
            "create-user",
            "prof@example.org",
            "--name",
            "Prof",
            "--role",
            "supervisor",
            "--university",
            "tongji",
        ],
        input="Kolleg-Winter-Semester-2027\nKolleg-Winter-Semester-2027\n",
    )
    assert result.exit_code == 0, result.output
    profile = db.session.scalars(select(SupervisorProfile)).one()
    assert profile.university.code == "TONGJI"
