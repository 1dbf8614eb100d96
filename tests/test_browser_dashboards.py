"""In a real browser, the demo's applicant and supervisor dashboards in German, English and Chinese (issue 11): the
applicant's timeline and tasks, the supervisor's statements due and where each application stands; no sideways
scrolling at 390 or 1280 px; screenshots go to tests/artifacts/ to be looked at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.fixtures_browser import save_screenshots, sign_in_to_demo, speak

pytestmark = pytest.mark.browser

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_applicants_dashboard_shows_where_the_application_stands(app, page):
    email = "applicant@example.org"
    sign_in_to_demo(app, page, email)
    for language, heading in (
        ("de", "Wo Ihre Bewerbung steht"),
        ("en", "Where your application stands"),
        ("zh", "您的申请进展"),
    ):
        speak(app, email, language)
        page.goto("/dashboard")
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.locator("#applicant-timeline li")).not_to_have_count(0)
        expect(page.locator("#applicant-timeline [aria-current=step]")).to_have_count(1)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 800})
            assert page.evaluate(OVERFLOW) <= 0, (language, width)
        save_screenshots(page, f"dashboard-applicant-{language}")


def test_the_supervisors_dashboard_lists_statements_due_and_standings(app, page):
    email = "supervisor.de@example.org"
    sign_in_to_demo(app, page, email)
    for language in ("de", "en", "zh"):
        speak(app, email, language)
        page.goto("/dashboard")
        expect(page.locator("#supervisor-standings li")).not_to_have_count(0)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 800})
            assert page.evaluate(OVERFLOW) <= 0, (language, width)
        save_screenshots(page, f"dashboard-supervisor-{language}")


def test_a_draft_applicants_dashboard_lists_the_steps_to_complete(app, page):
    from portal import db
    from portal.core.roles import Role
    from tests.conftest import sign_in_in_browser
    from tests.factories import PASSWORD, ApplicationFactory, IntakeRoundFactory, UserFactory

    with app.app_context():
        person = UserFactory(roles=[Role.APPLICANT], email="draft@example.org", name="Chen Jing", language="de")
        ApplicationFactory(applicant=person, intake_round=IntakeRoundFactory(name="Intake 2028"), family_name="Chen")
        db.session.commit()
        db.session.remove()
    sign_in_in_browser(page, app, "draft@example.org", PASSWORD)
    page.goto("/dashboard")
    tasks = page.locator("#applicant-tasks li")
    expect(tasks).to_have_count(7)
    tasks.first.get_by_role("link").click()
    page.wait_for_url("**/personal")
    page.goto("/dashboard")
    save_screenshots(page, "dashboard-applicant-draft-de")
