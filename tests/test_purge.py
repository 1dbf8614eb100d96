"""Data retention: `flask portal purge --round NAME` deletes the not-admitted applicants' data and files of a round."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import AccountToken, TokenPurpose, User
from portal.applications.models import (
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    Document,
    DocumentKind,
    Education,
    RefereeInvitation,
)
from portal.core import audit, storage
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review.models import (
    Conflict,
    ConflictReason,
    Recommendation,
    Review,
    ReviewAssignment,
    ReviewRevision,
    StatementAnswer,
    SupervisorStatement,
)
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
CHILDREN = (Education, Document, RefereeInvitation, SupervisorStatement, ReviewAssignment, Conflict, Decision)


def closed_round(name: str = "Intake 2026"):
    now = utcnow()
    return IntakeRoundFactory(
        name=name,
        opens_at=now - 420 * DAY,
        closes_at=now - 300 * DAY,
        reviews_due=now - 270 * DAY,
        decisions_on=now - 250 * DAY,
    )


def judged(intake, reviewer: User, outcome: DecisionOutcome | None, released_days_ago: int | None, **kwargs):
    """A submitted application with everything judging adds: a letter (a file), a statement, a review with a
    revision, a declared conflict, and the decision (released that many days ago, if given)."""
    application = submitted_application(intake_round=intake, **kwargs)
    letter = add_document(application, DocumentKind.REFEREE_LETTER)
    referee = application.referees[0]
    referee.letter_document, referee.letter_received_at = letter, utcnow() - 280 * DAY
    db.session.add(
        SupervisorStatement(
            application=application, profile=application.german_supervisor, answer=StatementAnswer.WILLING
        )
    )
    scores = dict.fromkeys(("score_academic", "score_proposal", "score_fit", "score_language", "score_references"), 4)
    review = Review(**scores, recommendation=Recommendation.ADMIT, submitted_at=utcnow() - 270 * DAY)
    review.revisions.append(ReviewRevision(number=1, **scores, recommendation=Recommendation.ADMIT))
    db.session.add(ReviewAssignment(application=application, reviewer=reviewer, review=review))
    db.session.add(Conflict(application_id=application.id, user_id=UserFactory().id, reason=ConflictReason.DECLARED))
    if outcome is not None:
        application.state = ApplicationState.DECIDED
        released = utcnow() - released_days_ago * DAY if released_days_ago is not None else None
        application.decision = Decision(outcome=outcome, released_at=released)
    else:
        application.state = ApplicationState.UNDER_REVIEW
    db.session.flush()
    audit.record("application.submitted", application, details={"reference": application.reference})
    return application


@dataclass
class Scenario:
    intake: object
    admitted: Application
    not_admitted: list[Application]
    other_round_application: Application
    keys: dict[int, list[str]]  # application id -> storage keys of its files
    emails: dict[int, str]  # application id -> applicant's email

    def ids(self, applications: list[Application]) -> list[int]:
        return [a.id for a in applications]


@pytest.fixture
def scenario(app_context) -> Scenario:
    intake = closed_round()
    reviewer = committee_member()
    admitted = judged(intake, reviewer, DecisionOutcome.ADMIT, 200)
    waiting = judged(intake, reviewer, DecisionOutcome.WAITING_LIST, 200)
    # Also an applicant of the open round: the account stays, and so does that application.
    rejected = judged(intake, reviewer, DecisionOutcome.REJECT, 190)
    other = ApplicationFactory(applicant=rejected.applicant, intake_round=IntakeRoundFactory(name="Intake 2027"))
    add_document(other, DocumentKind.CV)
    # Withdrawn after submission by someone who also sits on the committee: the account stays.
    withdrawn = submitted_application(
        intake_round=intake, applicant=UserFactory(roles=[Role.APPLICANT, Role.COMMITTEE])
    )
    withdrawn.state, withdrawn.withdrawn_at = ApplicationState.WITHDRAWN, utcnow() - 310 * DAY
    draft = complete_application(intake_round=intake)  # never submitted
    for application in (admitted, waiting, draft):
        db.session.add(
            OutboxEmail(
                user_id=application.applicant_id,
                recipient=application.applicant.email,
                language="en",
                template="application_submitted",
                subject="Your application",
                body="…",
            )
        )
        db.session.add(
            AccountToken(
                user_id=application.applicant_id,
                purpose=TokenPurpose.RESET_PASSWORD,
                token_hash="0" * 64,
                expires_at=utcnow() + DAY,
            )
        )
    db.session.flush()
    everything = [admitted, waiting, rejected, withdrawn, draft, other]
    return Scenario(
        intake=intake,
        admitted=admitted,
        not_admitted=[waiting, rejected, withdrawn, draft],
        other_round_application=other,
        keys={a.id: [d.storage_key for d in a.documents] for a in everything},
        emails={a.id: a.applicant.email for a in everything},
    )


def purge(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["portal", "purge", *args], input=input)


def remaining(model, application_ids: list[int]) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.application_id.in_(application_ids)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot() -> dict[str, int]:
    models = (Application, *CHILDREN, Review, ReviewRevision, User, OutboxEmail, AccountToken, audit.AuditEvent)
    return {model.__name__: count(model) for model in models}


def purge_events() -> list[audit.AuditEvent]:
    return list(db.session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "round.purged")))


# --- Deleting -----------------------------------------------------------------------------------------------------


def test_purge_deletes_the_not_admitted_applicants_data_and_files(app, scenario):
    gone = scenario.ids(scenario.not_admitted)
    gone_keys = [key for application_id in gone for key in scenario.keys[application_id]]
    assert len(gone_keys) >= 4 * 4 and all(storage.exists(key) for key in gone_keys)
    events_before = count(audit.AuditEvent)

    result = purge(app, "--round", "Intake 2026", "--yes")
    assert result.exit_code == 0, result.output
    assert "4 applications" in result.output and "1 waiting list, 1 not admitted, 1 withdrawn, 1 never submitted" in (
        result.output
    )
    assert "Kept: 1 admitted" in result.output

    assert db.session.scalar(select(func.count(Application.id)).where(Application.id.in_(gone))) == 0
    for model in CHILDREN:
        assert remaining(model, gone) == 0, model.__name__
    assert count(Review) == count(ReviewRevision) == 1  # the admitted candidate's
    assert not any(storage.exists(key) for key in gone_keys)
    # The earlier audit events stay (they hold ids, not personal data); one event more records the purge.
    assert count(audit.AuditEvent) == events_before + 1
    about_gone = select(func.count(audit.AuditEvent.id)).where(
        audit.AuditEvent.target_type == "applications", audit.AuditEvent.target_id.in_(gone)
    )
    assert db.session.scalar(about_gone) == len(gone) - 2  # the withdrawn application and the draft had none
    details_left = db.session.scalars(about_gone.with_only_columns(audit.AuditEvent.details)).all()
    assert details_left and all(details == {"scrubbed": True} for details in details_left)  # no file names or notes

    # Accounts: gone when nothing else is left; kept with another application or another role.
    emails = {scenario.emails[i] for i in gone}
    left = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    waiting, rejected, withdrawn, draft = scenario.not_admitted
    assert left == {scenario.emails[rejected.id], scenario.emails[withdrawn.id]}
    deleted_ids = {waiting.applicant_id, draft.applicant_id}
    assert db.session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.user_id.in_(deleted_ids))) == 0
    assert db.session.scalar(select(func.count(AccountToken.id)).where(AccountToken.user_id.in_(deleted_ids))) == 0


def test_purge_keeps_admitted_candidates_intact(app, scenario):
    admitted = scenario.admitted
    before = {model.__name__: remaining(model, [admitted.id]) for model in CHILDREN}
    account = admitted.applicant_id

    assert purge(app, "--round", "Intake 2026", "--yes").exit_code == 0

    application = db.session.get(Application, admitted.id)
    assert application is not None and application.decision.outcome == DecisionOutcome.ADMIT
    assert {model.__name__: remaining(model, [admitted.id]) for model in CHILDREN} == before
    assert all(storage.exists(key) for key in scenario.keys[admitted.id])
    assert db.session.get(User, account) is not None
    assert db.session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.user_id == account)) == 1
    other = db.session.get(Application, scenario.other_round_application.id)
    assert other is not None and all(storage.exists(key) for key in scenario.keys[other.id])


def test_purge_writes_an_audit_event_with_counts_only(app, scenario):
    names = [f"{a.given_names} {a.family_name}" for a in (scenario.admitted, *scenario.not_admitted)]
    names += [a.applicant.name for a in (scenario.admitted, *scenario.not_admitted)]
    assert purge(app, "--round", "Intake 2026", "--yes").exit_code == 0

    (event,) = purge_events()
    assert (event.target_type, event.target_id) == ("intake_rounds", scenario.intake.id)
    details = event.details
    assert details["applications"] == 4 and details["kept_admitted"] == 1 and details["purge_after_days"] == 180
    assert details["applications_waiting_list"] == details["applications_reject"] == 1
    assert details["applications_withdrawn"] == details["applications_draft"] == 1
    assert details["accounts"] == 2 and details["documents"] >= 16 and details["reviews"] == 2
    assert details["statements"] == 2 and details["decisions"] == 2 and details["conflicts"] == 2
    assert all(isinstance(value, int) for value in details.values())
    text = json.dumps(details, ensure_ascii=False).lower()
    assert not any(email.lower() in text for email in scenario.emails.values())
    assert not any(name.lower() in text for name in names)


def test_a_second_purge_finds_nothing_more(app, scenario):
    assert purge(app, "--round", "Intake 2026", "--yes").exit_code == 0
    before = snapshot()
    result = purge(app, "--round", "Intake 2026", "--yes")
    assert result.exit_code == 0 and "nothing to delete" in result.output
    assert snapshot() == before and len(purge_events()) == 1


# --- Asking, refusing ---------------------------------------------------------------------------------------------


def test_purge_asks_for_confirmation_and_no_changes_nothing(app, scenario):
    before = snapshot()
    result = purge(app, "--round", "Intake 2026", input="n\n")
    assert result.exit_code != 0
    assert "Delete these records and files for good? [y/N]" in result.output and "Aborted" in result.output
    assert snapshot() == before
    assert all(storage.exists(key) for keys in scenario.keys.values() for key in keys)
    assert purge_events() == []


def test_purge_asks_for_confirmation_and_yes_deletes(app, scenario):
    result = purge(app, "--round", "Intake 2026", input="y\n")
    assert result.exit_code == 0, result.output
    assert "Deleted 4 applications" in result.output
    assert db.session.scalar(select(func.count(Application.id))) == 2


def test_purge_refuses_before_the_period_has_passed(app, app_context):
    intake = closed_round()
    reviewer = committee_member()
    early = judged(intake, reviewer, DecisionOutcome.REJECT, 200)
    late = judged(intake, reviewer, DecisionOutcome.WAITING_LIST, 100)
    keys = [d.storage_key for a in (early, late) for d in a.documents]
    before = snapshot()

    result = purge(app, "--round", "Intake 2026", "--yes")
    assert result.exit_code != 0
    assert "Nothing was deleted" in result.output and "180 days" in result.output
    assert late.reference in result.output and early.reference not in result.output
    may_from = (late.decision.released_at + 180 * DAY).strftime("%Y-%m-%d")
    assert f"may be purged from {may_from}" in result.output
    assert snapshot() == before and all(storage.exists(key) for key in keys)


def test_the_period_is_configurable(app, app_context, monkeypatch):
    intake = closed_round()
    judged(intake, committee_member(), DecisionOutcome.REJECT, 100)
    assert purge(app, "--round", "Intake 2026", "--yes").exit_code != 0
    monkeypatch.setitem(app.config, "PURGE_AFTER_DAYS", 90)
    result = purge(app, "--round", "Intake 2026", "--yes")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Application.id))) == 0


@pytest.mark.parametrize("pending", ["under_review", "unreleased"])
def test_purge_refuses_while_decisions_are_pending(app, app_context, pending):
    intake = closed_round()
    reviewer = committee_member()
    judged(intake, reviewer, DecisionOutcome.REJECT, 200)
    waiting = (
        judged(intake, reviewer, None, None)
        if pending == "under_review"
        else judged(intake, reviewer, DecisionOutcome.REJECT, None)
    )
    before = snapshot()
    result = purge(app, "--round", "Intake 2026", "--yes")
    assert result.exit_code != 0
    assert "no released decision yet" in result.output and waiting.reference in result.output
    assert snapshot() == before


def test_purge_refuses_without_any_release_and_for_an_open_round(app, app_context):
    intake = closed_round()
    complete_application(intake_round=intake)
    result = purge(app, "--round", "Intake 2026", "--yes")
    assert result.exit_code != 0 and "has been released" in result.output
    IntakeRoundFactory(name="Intake 2027")  # open now
    result = purge(app, "--round", "Intake 2027", "--yes")
    assert result.exit_code != 0 and "still open" in result.output
    assert db.session.scalar(select(func.count(Application.id))) == 1


def test_an_unknown_round_is_a_clear_error(app, app_context):
    closed_round("Intake 2026")
    result = purge(app, "--round", "Intake 1999", "--yes")
    assert result.exit_code != 0
    assert "There is no intake round named 'Intake 1999'" in result.output and "Intake 2026" in result.output
    assert purge_events() == []


def test_the_help_says_when_accounts_are_deleted(app):
    result = purge(app, "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "no other application left and holds no other role" in text and "PURGE_AFTER_DAYS" in text
