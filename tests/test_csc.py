"""The CSC paperwork: letter templates with the bulk mail's safe placeholders, the bilingual admission and invitation
letters, the package of both with the approved plan, the coordinators' CSC page and the daily reminders."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal import db
from portal.applications.models import DecisionOutcome
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.letters import documents, services, texts
from portal.letters.models import CscCandidate, CscWindow, LetterKind, LetterTemplate
from portal.letters.texts import LetterError
from portal.plans.services import plan_of
from tests.conftest import sign_in
from tests.factories import UserFactory, add_decision
from tests.test_plans import agreed_application, approved_plan, pdf_text

DAY = dt.timedelta(days=1)


def admitted(*, plan=True):
    application = agreed_application()
    add_decision(application, DecisionOutcome.ADMIT)
    if plan:
        approved_plan(application)
    db.session.flush()
    return application


# --- Templates and placeholders -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["Dear {name.__class__}", "Dear {0}", "Dear {name!r}", "Dear {name:>99}", "Your {password}", "Dear {name"],
)
@pytest.mark.usefixtures("app_context")
def test_a_template_with_an_unknown_placeholder_is_refused_and_changes_nothing(body):
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    with pytest.raises(LetterError) as refused:
        texts.save_template(LetterKind.ADMISSION, "en", body, by=coordinator, expected_version=0, now=utcnow())
    assert refused.value.field == "body"
    assert "placeholder" in refused.value.message.casefold() or "brace" in refused.value.message.casefold()
    assert db.session.scalar(select(func.count()).select_from(LetterTemplate)) == 0


@pytest.mark.usefixtures("app_context")
def test_a_saved_template_is_filled_in_with_plain_values_per_language():
    application = admitted()
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    texts.save_template(
        LetterKind.ADMISSION,
        "de",
        "Liebe(r) {name}, {reference} bei {german_supervisor} {{sic}}",
        by=coordinator,
        expected_version=0,
        now=utcnow(),
    )
    filled = texts.fill(LetterKind.ADMISSION, "de", application, texts.LetterFacts())
    german = application.german_supervisor.display_name
    assert filled == f"Liebe(r) {application.display_name}, {application.reference} bei {german} {{sic}}"
    built_in = texts.fill(LetterKind.ADMISSION, "zh", application, texts.LetterFacts())
    assert application.reference in built_in and application.chinese_supervisor.university.name_zh in built_in


# --- The letters and the package ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("app_context")
def test_the_admission_letter_is_bilingual_with_the_facts():
    application = admitted(plan=False)
    text = pdf_text(documents.admission_letter_pdf(application, acceptance_deadline=utcnow() + 30 * DAY))
    for fact in (
        application.reference,
        application.display_name,
        application.german_supervisor.display_name,
        application.chinese_supervisor.display_name,
        application.german_supervisor.university.name_zh,
    ):
        assert fact in text
    assert "录取" in text  # the Chinese heading and text


@pytest.mark.usefixtures("app_context")
def test_the_package_holds_admission_invitation_and_the_approved_plan():
    application = admitted()
    content = documents.package_pdf(application)
    reader = PdfReader(io.BytesIO(content))
    text = pdf_text(content)
    plan = plan_of(application)
    assert len(reader.pages) >= 3
    assert plan.current.title in text and plan.current.sha256[:16] in text
    assert "36" in text  # the duration: 24 + 12 months


@pytest.mark.usefixtures("app_context")
def test_no_invitation_without_an_approved_plan_and_no_letters_for_others():
    application = admitted(plan=False)
    with pytest.raises(LetterError, match="not been approved"):
        documents.invitation_letter_pdf(application)
    waiting = agreed_application()
    add_decision(waiting, DecisionOutcome.WAITING_LIST)
    with pytest.raises(LetterError, match="admitted candidates only"):
        documents.admission_letter_pdf(waiting)


# --- The CSC page -------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("plain_app_context")
def test_coordinators_set_the_window_mark_a_candidate_and_generate_the_package(client):
    application = admitted()
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    sign_in(client, coordinator)
    intake_id = application.round_id
    page = client.get(f"/csc/round/{intake_id}")
    assert page.status_code == 200 and application.reference in page.get_data(as_text=True)
    window = {"opens_at": "2027-03-01T00:00", "closes_at": "2027-03-31T23:59", "version": "0"}
    assert client.post(f"/csc/round/{intake_id}", data=window).status_code == 302
    assert client.post(f"/csc/application/{application.id}/mark", data={"marked": "1"}).status_code == 302
    response = client.post(f"/csc/application/{application.id}/package.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    db.session.expire_all()
    stored = db.session.scalars(select(CscWindow)).one()
    assert stored.closes_at == dt.datetime(2027, 3, 31, 21, 59, tzinfo=dt.UTC)  # 23:59 in Berlin summer time
    assert db.session.scalars(select(CscCandidate)).one().package_generated_at is not None


@pytest.mark.usefixtures("plain_app_context")
def test_a_window_that_closes_before_it_opens_is_refused(client):
    application = admitted(plan=False)
    db.session.commit()
    sign_in(client, UserFactory(roles=[Role.COORDINATOR]))
    window = {"opens_at": "2027-03-31T00:00", "closes_at": "2027-03-01T00:00", "version": "0"}
    response = client.post(f"/csc/round/{application.round_id}", data=window)
    assert response.status_code == 200 and "The window must close after it opens." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CscWindow)) == 0


@pytest.mark.usefixtures("plain_app_context")
def test_a_template_with_an_unknown_placeholder_is_refused_on_the_page(client):
    db.session.commit()
    sign_in(client, UserFactory(roles=[Role.COORDINATOR]))
    response = client.post("/csc/letters/admission/en", data={"body": "Hello {name.__init__}", "version": "0"})
    assert response.status_code == 200
    assert "Unknown placeholder: {name.__init__}" in response.get_data(as_text=True)
    assert "Hello {name.__init__}" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
@pytest.mark.usefixtures("plain_app_context")
def test_only_coordinators_open_the_csc_pages(client, role):
    application = admitted(plan=False)
    db.session.commit()
    sign_in(client, UserFactory(roles=[role]))
    for path in ("/csc/", f"/csc/round/{application.round_id}", f"/csc/application/{application.id}/admission.pdf"):
        assert client.get(path).status_code == 403


# --- Reminders ----------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("app_context")
def test_before_the_window_closes_candidate_and_supervisors_hear_what_is_missing_once_a_day(app):
    application = admitted(plan=False)
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    now = utcnow()
    services.set_window(application.intake_round, now - 10 * DAY, now + 5 * DAY, by=coordinator, expected_version=0)
    services.set_marked(application, True, by=coordinator, now=now)
    result = app.test_cli_runner().invoke(args=["portal", "daily"])
    assert "CSC reminders written to the outbox: 3" in result.output, result.output
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "csc_missing")).all()
    assert {e.recipient for e in emails} == {
        application.applicant.email,
        application.german_supervisor.user.email,
        application.chinese_supervisor.user.email,
    }
    body = next(e.body for e in emails if e.language == "en")
    assert "The joint research plan is not approved by both supervisors yet." in body
    assert services.send_csc_reminders(now + dt.timedelta(hours=2)) == 0


@pytest.mark.usefixtures("app_context")
def test_nothing_is_sent_when_nothing_is_missing_or_the_window_is_far():
    application = admitted()
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    now = utcnow()
    services.set_window(application.intake_round, now, now + 60 * DAY, by=coordinator, expected_version=0)
    services.set_marked(application, True, by=coordinator, now=now)
    assert services.send_csc_reminders(now) == 0  # the window closes in 60 days
    services.generate_package(application, now=now)
    assert services.send_csc_reminders(now + 50 * DAY) == 0  # nothing missing
