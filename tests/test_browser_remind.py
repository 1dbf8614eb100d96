"""Remind now in a real browser: a coordinator goes from the dashboard's to-dos to the round's reminders page, reminds
one reviewer in German, meets the clear refusal when the same reminder is clicked again in another tab (nothing is
sent), then reminds everyone overdue in Chinese. Screenshots at 1280 and 390 px go to tests/artifacts/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from portal import db
from portal.applications.models import ApplicationState
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.conftest import enrol_second_factor, sign_in_in_browser
from tests.factories import PASSWORD, IntakeRoundFactory, UserFactory, add_review, judged, supervisor
from tests.fixtures_browser import save_screenshots
from tests.test_remind import invited

pytestmark = pytest.mark.browser
DAY = dt.timedelta(days=1)
REMIND_KRUEGER = re.compile(r"Jetzt erinnern\W+Thomas Krüger")


@pytest.fixture
def owing(app):
    with app.test_request_context():
        now = utcnow()
        intake = IntakeRoundFactory(
            name="Intake 2027", opens_at=now - 40 * DAY, closes_at=now - 2 * DAY, reviews_due=now + 12 * DAY
        )
        coordinator = UserFactory(roles=[Role.COORDINATOR], name="Julia Hoffmann", language="de")
        german = supervisor("TUC", user__name="Anna Weber", user__language="de")
        chinese = supervisor("TONGJI", user__name="Li Wei", user__language="zh")
        application = judged(intake, state=ApplicationState.UNDER_REVIEW, german=german, chinese=chinese)
        application.given_names, application.family_name = "Xiaoming", "Wang"
        invited(application, 1, expires_in=8 * DAY, name="Prof. Zhang San")
        reviewer = UserFactory(roles=[Role.COMMITTEE], name="Thomas Krüger", language="de")
        add_review(application, reviewer=reviewer)
        db.session.commit()
        data = {
            "round": intake.id,
            "coordinator": coordinator.email,
            "secret": enrol_second_factor(app, coordinator),
            "reviewer_id": reviewer.id,
            "reference": application.reference,
        }
        db.session.remove()
    return data


def emails(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(OutboxEmail.id)))


def test_a_coordinator_reminds_now_in_german_and_chinese(app, page: Page, owing):
    sign_in_in_browser(page, app, owing["coordinator"], PASSWORD, secret=owing["secret"])
    page.goto("/dashboard")
    expect(page.locator("#todo-statements")).to_contain_text(owing["reference"])
    save_screenshots(page, "remind-dashboard-de")
    page.locator("#todo-statements").get_by_role("link", name="Zur Liste: Intake 2027").click()
    page.wait_for_url(f"**/review/rounds/{owing['round']}/reminders")
    expect(page.locator("h1")).to_have_text("Erinnerungen für Intake 2027")
    expect(page.get_by_role("button", name="Alle Überfälligen erinnern (4 Personen)")).to_be_visible()
    stale_tab = page.context.new_page()  # the same page, opened before the reminder goes out
    stale_tab.goto(page.url)
    reviewer_button = page.get_by_role("button", name=REMIND_KRUEGER)
    reviewer_button.click()
    expect(page.locator(".alert-success")).to_contain_text("Thomas Krüger wurde erinnert.")
    expect(page.get_by_role("listitem", name="Thomas Krüger")).to_contain_text("Vor weniger als 24 Stunden erinnert.")
    save_screenshots(page, "remind-now-de")
    assert emails(app) == 1
    # The same reminder clicked again, from the tab opened before: a clear message, and nothing is sent.
    stale_tab.get_by_role("button", name=REMIND_KRUEGER).click()
    expect(stale_tab.locator(".alert-warning")).to_contain_text(
        "Thomas Krüger wurde nicht erinnert: Vor weniger als 24 Stunden erinnert. Es wurde nichts gesendet."
    )
    stale_tab.close()
    assert emails(app) == 1
    # In Chinese: everyone else overdue at once.
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator("h1")).to_have_text("Intake 2027 的提醒")
    page.get_by_role("button", name="提醒所有逾期者（3 人）").click()
    expect(page.locator(".alert-success")).to_contain_text("已提醒 3 人。")
    expect(page.get_by_role("button", name="提醒所有逾期者（0 人）")).to_be_disabled()
    save_screenshots(page, "remind-now-zh")
    assert emails(app) == 4  # the referee, both supervisors
