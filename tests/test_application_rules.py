"""Service-level rules of the application: deadlines in both zones, supervisors, capacity, completeness, locking."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal import db
from portal.applications import services, workflow
from portal.applications.consent import PRIVACY_NOTICE_VERSION
from portal.applications.models import (
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    IntakeRound,
)
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.timeutil import utcnow
from portal.core.versions import StaleVersion
from tests.factories import (
    ApplicationFactory,
    IntakeRoundFactory,
    UserFactory,
    complete_application,
    supervisor,
)

BERLIN = ZoneInfo("Europe/Berlin")
# 31 March 2027, 23:59 in Berlin (summer time) is 21:59 UTC and 05:59 on 1 April in Shanghai.
CLOSES = dt.datetime(2027, 3, 31, 23, 59, tzinfo=BERLIN).astimezone(dt.UTC)


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield


def round_closing_at(closes_at: dt.datetime) -> IntakeRound:
    return IntakeRoundFactory(opens_at=closes_at - dt.timedelta(days=60), closes_at=closes_at)


def test_round_is_open_until_the_closing_second_in_either_zone(ctx):
    intake = round_closing_at(CLOSES)
    assert intake.is_open(CLOSES - dt.timedelta(seconds=1))
    assert not intake.is_open(CLOSES)
    shanghai = CLOSES.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (shanghai.date(), shanghai.hour, shanghai.minute) == (dt.date(2027, 4, 1), 5, 59)
    # The same instant expressed in Shanghai time is just as closed.
    assert not intake.is_open(shanghai)
    assert intake.is_open(intake.opens_at) and not intake.is_open(intake.opens_at - dt.timedelta(seconds=1))


def test_saving_a_step_follows_the_deadline_to_the_second(ctx):
    application = ApplicationFactory(intake_round=round_closing_at(CLOSES))
    services.save_step(
        application,
        "proposal",
        {"proposal_title": "Before"},
        expected_version=application.version,
        now=CLOSES - dt.timedelta(seconds=1),
    )
    with pytest.raises(services.ApplicationError, match="deadline has passed"):
        services.save_step(
            application, "proposal", {"proposal_title": "After"}, expected_version=application.version, now=CLOSES
        )
    assert db.session.get(Application, application.id).proposal_title == "Before"


def test_submission_follows_the_deadline(ctx):
    application = complete_application(intake_round=round_closing_at(CLOSES))
    with pytest.raises(services.ApplicationError, match="deadline has passed"):
        workflow.submit(
            application, declaration=True, expected_version=application.version, now=CLOSES + dt.timedelta(seconds=1)
        )
    assert application.state == ApplicationState.DRAFT and application.reference is None
    workflow.submit(
        application, declaration=True, expected_version=application.version, now=CLOSES - dt.timedelta(seconds=1)
    )
    assert application.state == ApplicationState.SUBMITTED


def test_stale_version_is_refused_and_changes_nothing(ctx):
    application = ApplicationFactory()
    services.save_step(
        application, "proposal", {"proposal_title": "First"}, expected_version=application.version, now=utcnow()
    )
    old_version = application.version - 1
    with pytest.raises(StaleVersion):
        services.save_step(
            application, "proposal", {"proposal_title": "Second"}, expected_version=old_version, now=utcnow()
        )
    assert db.session.get(Application, application.id).proposal_title == "First"


def test_every_save_bumps_the_version(ctx):
    application = ApplicationFactory()
    db.session.flush()
    before = application.version
    services.add_education(
        application,
        {
            "level": "master",
            "degree": "MSc",
            "subject": "Physics",
            "institution": "Tongji",
            "country": "CN",
            "year": 2024,
            "grade": "1.3",
            "grading_scale": "1-5",
        },
        expected_version=before,
        now=utcnow(),
    )
    assert application.version == before + 1


@pytest.mark.parametrize(
    ("german_code", "chinese_code", "field"),
    [("TONGJI", "TONGJI", "german_supervisor"), ("TUC", "LUH", "chinese_supervisor")],
)
def test_one_german_and_one_chinese_supervisor(ctx, german_code, chinese_code, field):
    application = ApplicationFactory()
    german, chinese = supervisor(german_code), supervisor(chinese_code)
    with pytest.raises(services.ApplicationError) as refused:
        services.choose_supervisors(
            application,
            german_id=german.id,
            chinese_id=chinese.id,
            motivation="x",
            expected_version=application.version,
            now=utcnow(),
        )
    assert refused.value.field == field
    assert application.german_supervisor_id is None and application.chinese_supervisor_id is None


def admit(application: Application) -> None:
    application.state = ApplicationState.DECIDED
    application.reference = application.reference or f"IPK-T-{application.id}"
    application.decision = Decision(outcome=DecisionOutcome.ADMIT)
    db.session.flush()


def test_capacity_reached_by_admitted_candidates_blocks_the_choice(ctx):
    full = supervisor("LUH", capacity=1)
    chinese = supervisor("SCU")
    earlier = ApplicationFactory(german_supervisor=full, chinese_supervisor=chinese)
    admit(earlier)
    application = ApplicationFactory(intake_round=earlier.intake_round)
    with pytest.raises(services.ApplicationError, match="cannot take further candidates") as refused:
        services.choose_supervisors(
            application,
            german_id=full.id,
            chinese_id=chinese.id,
            motivation="x",
            expected_version=application.version,
            now=utcnow(),
        )
    assert refused.value.field == "german_supervisor"
    # The Chinese supervisor (capacity 2) still has room; and in another round the German one is free again.
    other_round = ApplicationFactory()
    services.choose_supervisors(
        other_round,
        german_id=full.id,
        chinese_id=chinese.id,
        motivation="x",
        expected_version=other_round.version,
        now=utcnow(),
    )
    assert other_round.german_supervisor_id == full.id


def test_capacity_counts_the_chinese_side_too(ctx):
    german = supervisor("UOS")
    chinese = supervisor("ZZU", capacity=1)
    admit(ApplicationFactory(german_supervisor=german, chinese_supervisor=chinese))
    directory = services.supervisor_directory(
        services.DirectoryFilter(country="CN"), db.session.scalars(select(IntakeRound)).one().id
    )
    entry = next(e for e in directory if e.profile.id == chinese.id)
    assert entry.admitted == 1 and not entry.available


def test_supervisor_not_taking_candidates_cannot_be_chosen(ctx):
    closed = supervisor("TUBS", accepting_candidates=False)
    application = ApplicationFactory()
    with pytest.raises(services.ApplicationError, match="cannot take further candidates"):
        services.choose_supervisors(
            application,
            german_id=closed.id,
            chinese_id=None,
            motivation="",
            expected_version=application.version,
            now=utcnow(),
        )


def test_deactivated_supervisor_is_not_in_the_directory(ctx):
    gone = supervisor("UGOE")
    gone.user.active = False
    db.session.flush()
    ids = [e.profile.id for e in services.supervisor_directory(services.DirectoryFilter(), None)]
    assert gone.id not in ids


def test_incomplete_application_cannot_be_submitted(ctx):
    application = ApplicationFactory()
    with pytest.raises(services.ApplicationError, match="not complete") as refused:
        workflow.submit(application, declaration=True, expected_version=application.version, now=utcnow())
    assert "Personal data" in str(refused.value) and "Referees" in str(refused.value)
    assert application.state == ApplicationState.DRAFT


def test_master_or_equivalent_is_required(ctx):
    application = complete_application()
    application.education[0].level = "bachelor"
    db.session.flush()
    db.session.expire(application)
    with pytest.raises(services.ApplicationError, match="Education"):
        workflow.submit(application, declaration=True, expected_version=application.version, now=utcnow())


def test_declaration_is_required(ctx):
    application = complete_application()
    with pytest.raises(services.ApplicationError, match="declaration"):
        workflow.submit(application, declaration=False, expected_version=application.version, now=utcnow())


def test_submission_numbers_locks_audits_and_emails(ctx):
    intake = IntakeRoundFactory(
        closes_at=dt.datetime(2027, 3, 31, 21, 59, tzinfo=dt.UTC), opens_at=utcnow() - dt.timedelta(days=1)
    )
    first = complete_application(intake_round=intake, applicant=UserFactory(language="zh"))
    second = complete_application(intake_round=intake)
    workflow.submit(first, declaration=True, expected_version=first.version, now=utcnow())
    workflow.submit(second, declaration=True, expected_version=second.version, now=utcnow())
    assert (first.reference, second.reference) == ("IPK-2027-0001", "IPK-2027-0002")
    assert first.state == ApplicationState.SUBMITTED and first.submitted_at is not None
    with pytest.raises(services.ApplicationError, match="submitted and can no longer be changed"):
        services.save_step(
            first, "proposal", {"proposal_title": "Changed"}, expected_version=first.version, now=utcnow()
        )
    with pytest.raises(services.ApplicationError):
        workflow.submit(first, declaration=True, expected_version=first.version, now=utcnow())
    assert first.reference == "IPK-2027-0001"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "application.submitted", AuditEvent.target_id == first.id)
    ).one()
    assert event.details == {"from": "draft", "to": "submitted", "reference": "IPK-2027-0001"}
    confirmation = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.template == "application_submitted", OutboxEmail.recipient == first.applicant.email
        )
    ).one()
    assert confirmation.language == "zh" and "IPK-2027-0001" in confirmation.subject + confirmation.body
    invitations = db.session.scalar(
        select(func.count(OutboxEmail.id)).where(OutboxEmail.template == "referee_invitation")
    )
    assert invitations == 4  # two referees for each of the two applications


def test_withdraw_until_a_decision_is_released(ctx):
    application = complete_application()
    workflow.submit(application, declaration=True, expected_version=application.version, now=utcnow())
    workflow.withdraw(application, expected_version=application.version, now=utcnow())
    assert application.state == ApplicationState.WITHDRAWN and application.withdrawn_at is not None
    with pytest.raises(services.ApplicationError):
        workflow.withdraw(application, expected_version=application.version, now=utcnow())

    # Decided but not released: to the applicant it is still under review, so they may withdraw (and learn nothing).
    unreleased = complete_application()
    workflow.submit(unreleased, declaration=True, expected_version=unreleased.version, now=utcnow())
    admit(unreleased)
    workflow.withdraw(unreleased, expected_version=unreleased.version, now=utcnow())
    assert unreleased.state == ApplicationState.WITHDRAWN

    released = complete_application()
    workflow.submit(released, declaration=True, expected_version=released.version, now=utcnow())
    admit(released)
    released.decision.released_at = utcnow()
    db.session.flush()
    with pytest.raises(services.ApplicationError, match="released"):
        workflow.withdraw(released, expected_version=released.version, now=utcnow())
    assert released.state == ApplicationState.DECIDED


def test_a_withdrawn_admission_does_not_use_up_capacity(ctx):
    full = supervisor("LUH", capacity=1)
    earlier = ApplicationFactory(german_supervisor=full, chinese_supervisor=supervisor("SCU"))
    admit(earlier)
    earlier.state = ApplicationState.WITHDRAWN
    db.session.flush()
    entry = next(
        e
        for e in services.supervisor_directory(services.DirectoryFilter(), earlier.round_id)
        if e.profile.id == full.id
    )
    assert entry.admitted == 0 and entry.available


def test_one_application_per_applicant_and_round(ctx):
    user = UserFactory()
    intake = IntakeRoundFactory()
    first = services.start_application(user, intake, utcnow())
    assert services.start_application(user, intake, utcnow()).id == first.id
    assert db.session.scalar(select(func.count(Application.id))) == 1


def test_starting_needs_a_confirmed_email_and_an_open_round(ctx):
    with pytest.raises(services.ApplicationError, match="confirm your email"):
        services.start_application(UserFactory(email_confirmed_at=None), IntakeRoundFactory(), utcnow())
    closed = IntakeRoundFactory(opens_at=utcnow() - dt.timedelta(days=20), closes_at=utcnow() - dt.timedelta(days=1))
    with pytest.raises(services.ApplicationError, match="not accepted"):
        services.start_application(UserFactory(), closed, utcnow())


def test_consents_are_recorded_with_time_and_version_and_can_be_withdrawn(ctx):
    application = ApplicationFactory()
    now = utcnow()
    services.save_step(
        application,
        "personal",
        {"privacy_consent": True, "transfer_consent": False},
        expected_version=application.version,
        now=now,
    )
    assert application.privacy_consent_at == now and application.privacy_consent_version == PRIVACY_NOTICE_VERSION
    assert application.transfer_consent_at is None
    services.save_step(
        application,
        "personal",
        {"privacy_consent": False, "transfer_consent": True},
        expected_version=application.version,
        now=now,
    )
    assert application.privacy_consent_at is None and application.transfer_consent_at == now


def test_a_draft_can_be_withdrawn(ctx):
    application = ApplicationFactory()
    workflow.withdraw(application, expected_version=application.version, now=utcnow())
    db.session.flush()
    assert db.session.get(Application, application.id).state == ApplicationState.WITHDRAWN


def test_submission_asks_both_supervisors_for_a_statement_in_their_language(ctx):
    german = supervisor("TUC")
    german.user.language = "de"
    chinese = supervisor("TONGJI")
    chinese.user.language = "zh"
    application = complete_application(german_supervisor=german, chinese_supervisor=chinese)
    workflow.submit(application, declaration=True, expected_version=application.version, now=utcnow())
    mails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "statement_requested")).all()
    assert {(m.recipient, m.language) for m in mails} == {(german.user.email, "de"), (chinese.user.email, "zh")}
    assert all(f"/supervise/{application.id}" in m.body for m in mails)


@pytest.mark.parametrize(
    ("text", "words"),
    [("", 0), ("hydrogen storage in steel", 4), ("氢能 储存", 4), ("Wasserstoff 氢能", 3), ("  a\tb\nc  ", 3)],
)
def test_words_are_counted_like_the_browser_counts_them(text, words):
    from portal.applications.steps import count_words

    assert count_words(text) == words


def test_closing_a_round_puts_its_submitted_applications_under_review(ctx):
    application = complete_application()
    workflow.submit(application, declaration=True, expected_version=application.version, now=utcnow())
    draft = ApplicationFactory(intake_round=application.intake_round)
    assert workflow.begin_review_of_closed_rounds(utcnow()) == 0  # still open
    assert workflow.begin_review_of_closed_rounds(application.intake_round.closes_at) == 1
    assert application.state == ApplicationState.UNDER_REVIEW and draft.state == ApplicationState.DRAFT
    assert workflow.begin_review_of_closed_rounds(application.intake_round.closes_at) == 0
