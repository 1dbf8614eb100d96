"""In a real browser: a coordinator finds an application by its Chinese name through the search box in the
navigation and opens its record; creates a personal access token (shown once), reads the API with it, revokes it;
the API documentation page loads nothing from other sites. Screenshots at 1280 and 390 pixels go to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal import db
from portal.core.roles import Role
from tests.conftest import enrol_second_factor, sign_in_in_browser
from tests.factories import PASSWORD, IntakeRoundFactory, UserFactory, light_application
from tests.fixtures_browser import save_screenshots

pytestmark = pytest.mark.browser
EMAIL = "coordinator.search@example.org"


@pytest.fixture
def coordinator_signed_in(app, page: Page):
    with app.app_context():
        user = UserFactory(email=EMAIL, name="Julia Hoffmann", roles=[Role.COORDINATOR])
        intake = IntakeRoundFactory(name="Intake 2027")
        light_application(intake, family="Zhang", given="Wei", native="张伟", email="zhang.wei@example.cn")
        light_application(intake, family="Zhao", given="Lei", native="赵磊")
        db.session.commit()
        db.session.remove()
    secret = enrol_second_factor(app, user)
    sign_in_in_browser(page, app, EMAIL, PASSWORD, secret=secret)


def test_the_coordinator_searches_by_chinese_name_and_opens_the_record(page: Page, coordinator_signed_in):
    page.locator("header form[role=search] input[name=q]").fill("张伟")
    page.locator("header form[role=search] button[type=submit]").click()
    page.wait_for_url("**/coordination/search/**")
    hits = page.locator("#hits-application .search-hit")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("Wei ZHANG")
    save_screenshots(page, "search-results")
    hits.first.get_by_role("link").click()
    page.wait_for_url("**/staff/applications/*")
    expect(page.locator("main")).to_contain_text("张伟")


def test_the_coordinator_creates_uses_and_revokes_a_token(page: Page, coordinator_signed_in):
    page.goto("/account/settings")
    page.get_by_role("link", name="Personal access tokens").click()
    page.locator("main input[name=name]").fill("Doctoral office import")
    page.locator("main select[name=scopes]").select_option(["applications:read", "rounds:read"])
    page.locator("main").get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token-value").input_value()
    assert secret.startswith("pat_")
    save_screenshots(page, "api-token-created")
    answer = page.request.get("/api/v1/rounds", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()["items"][0]["name"] == "Intake 2027"
    page.goto("/account/tokens")  # the secret is shown once only
    expect(page.locator("#new-token-value")).to_have_count(0)
    page.locator("main").get_by_role("button", name="Revoke").click()
    expect(page.locator("main")).to_contain_text("has been revoked")
    refused = page.request.get("/api/v1/rounds", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401 and refused.headers["content-type"] == "application/problem+json"


def test_the_api_documentation_page_is_served_by_the_portal(page: Page, coordinator_signed_in):
    page.goto("/api/v1/docs")
    expect(page.locator("main")).to_contain_text("/api/v1/rounds/{round_id}/applications")
    save_screenshots(page, "api-docs")
