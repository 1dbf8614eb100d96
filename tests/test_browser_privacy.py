"""In a real browser: an applicant whose draft predates the privacy notice in force reads the new one and consents
again; a coordinator reads the retention schedule. Full-page screenshots at 1280 and 390 px in two languages go to
tests/artifacts/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from portal import db
from portal.applications.consent import PRIVACY_NOTICE_VERSION
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.conftest import enrol_second_factor, sign_in_in_browser
from tests.factories import PASSWORD, IntakeRoundFactory, UserFactory, complete_application, submitted_application

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
WIDTHS = (1280, 390)
LANGUAGE_BUTTONS = {"de": "Deutsch", "zh": "中文", "en": "English"}


def shoot(page, name: str, language: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"privacy-{name}-{language}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page, email: str) -> None:
    page.goto("/account/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit], main form input[type=submit]").last.click()
    page.wait_for_url("**/dashboard")


def switch_language(page, language: str) -> None:
    page.get_by_role("button", name=LANGUAGE_BUTTONS[language]).click()
    assert page.locator("html").get_attribute("lang") == language


def test_an_applicant_reads_the_new_notice_and_consents_again(app, page):
    with app.app_context():
        person = UserFactory(roles=[Role.APPLICANT], email="li.ming@example.org", name="Li Ming", language="de")
        draft = complete_application(applicant=person, intake_round=IntakeRoundFactory(name="Intake 2027"))
        draft.privacy_consent_version = draft.transfer_consent_version = "2026-11"
        db.session.commit()
        draft_id = draft.id

    sign_in(page, "li.ming@example.org")
    page.goto(f"/application/{draft_id}")
    assert "Die Datenschutzhinweise haben sich geändert." in page.content()
    page.get_by_role("link", name="Bitte lesen Sie sie und erteilen Sie Ihre Einwilligung erneut").click()
    assert page.get_by_text("Art. 49 Abs. 1 lit. a DSGVO").first.is_visible()  # the new notice, open on the step
    shoot(page, "personal-step", "de")
    switch_language(page, "zh")
    shoot(page, "personal-step", "zh")

    page.locator("input[name=privacy_consent]").check()
    page.locator("input[name=transfer_consent]").check()
    page.locator("input[name=save]").click()
    page.goto(f"/application/{draft_id}")
    assert "隐私声明已更新" not in page.content()
    with app.app_context():
        saved = db.session.get(Application, draft_id)
        assert saved.privacy_consent_version == saved.transfer_consent_version == PRIVACY_NOTICE_VERSION
        assert saved.family_name == "Wang" and len(saved.documents) == 4


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_coordinator_reads_the_retention_schedule_and_the_notice(app, page, language):
    now = utcnow()
    with app.app_context():
        closed = IntakeRoundFactory(
            name="Intake 2026", opens_at=now - dt.timedelta(days=400), closes_at=now - dt.timedelta(days=300)
        )
        for outcome in (DecisionOutcome.ADMIT, DecisionOutcome.WAITING_LIST, DecisionOutcome.REJECT):
            application = submitted_application(intake_round=closed)
            application.state = ApplicationState.DECIDED
            application.decision = Decision(outcome=outcome, released_at=now - dt.timedelta(days=40))
        IntakeRoundFactory(name="Intake 2027")
        coordinator = UserFactory(roles=[Role.COORDINATOR], email="office@example.org", language=language)
        db.session.commit()
        secret = enrol_second_factor(app, coordinator)

    sign_in_in_browser(page, app, "office@example.org", PASSWORD, secret=secret)
    page.get_by_role("link", name="Data retention" if language == "en" else "Löschfristen").click()
    content = page.content()
    assert "Intake 2026" in content and "Intake 2027" in content
    shoot(page, "retention", language)
    page.goto("/privacy")
    assert page.locator("html").get_attribute("lang") == language
    shoot(page, "notice", language)
