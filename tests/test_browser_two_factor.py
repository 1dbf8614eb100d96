"""In a real browser, in German and Chinese: a coordinator enrols in two-factor sign-in on first sign-in (the key read
from the page, as a person would type it into an app) and signs in with a code; a person signs another of their
sessions out from the sessions page. Screenshots at 1280 and 390 pixels go to tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from portal import db
from portal.core.roles import Role
from tests.conftest import enrol_second_factor, second_factor_code, sign_in_in_browser
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
TEXTS = {
    "de": {
        "start": "Authenticator-App einrichten",
        "confirm": "Bestätigen und einschalten",
        "continue": "Ich habe sie gespeichert: weiter",
        "sign_in": "Anmelden",
        "sign_out": "Abmelden",
        "this_device": "Dieses Gerät",
        "sign_out_one": "Diese Sitzung abmelden",
        "coordination": "Koordination",
    },
    "zh": {
        "start": "设置身份验证器应用",
        "confirm": "确认并启用",
        "continue": "我已保存，继续",
        "sign_in": "登录",
        "sign_out": "退出登录",
        "this_device": "当前设备",
        "sign_out_one": "退出此会话",
        "coordination": "项目协调",
    },
}


def screenshots(page: Page, name: str) -> None:
    """Full-page screenshots at a desktop's and a phone's width."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def choose_language(page: Page, language: str) -> None:
    page.locator(f"form[aria-label] button[name=language][value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def sign_in_with_password(page: Page, email: str, words: dict[str, str]) -> None:
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name=words["sign_in"], exact=True).click()


@pytest.mark.parametrize("language", ["de", "zh"])
def test_a_coordinator_enrols_in_two_factor_sign_in_and_signs_in_with_a_code(app, page, language):
    words = TEXTS[language]
    email = f"coordinator.{language}@example.org"
    with app.app_context():
        UserFactory(email=email, name="Julia Hoffmann", roles=[Role.COORDINATOR], language=language)
        db.session.commit()
        db.session.remove()

    page.goto("/account/login")
    choose_language(page, language)
    sign_in_with_password(page, email, words)
    # The role requires a second factor: the enrolment comes first, and staff pages wait for it.
    page.wait_for_url("**/account/two-factor")
    screenshots(page, f"two-factor-required-{language}")
    page.goto("/coordination/")
    page.wait_for_url("**/account/two-factor")

    page.get_by_role("button", name=words["start"]).click()
    page.wait_for_url("**/account/two-factor/setup")
    qr = page.locator("img.qr-code")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")  # drawn here, not by another site
    assert qr.evaluate("image => image.naturalWidth") > 100  # the browser could draw it
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    shown = page.locator("#totp-secret").inner_text()
    assert shown.replace(" ", "") == secret and len(secret) == 32
    screenshots(page, f"two-factor-setup-{language}")

    # The person types the code their app shows for that key.
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name=words["confirm"]).click()
    codes = page.locator("ul.recovery-codes li")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", text) for text in codes.all_inner_texts())
    screenshots(page, f"two-factor-recovery-codes-{language}")
    page.get_by_role("link", name=words["continue"]).click()
    page.wait_for_url("**/dashboard")
    page.goto("/coordination/")
    expect(page.locator("h1")).to_be_visible()
    assert page.url.endswith("/coordination/")

    # Signing in again: the password, then a code of the app.
    page.locator("header").get_by_role("button", name=words["sign_out"]).click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto("/account/login")
    sign_in_with_password(page, email, words)
    page.wait_for_url("**/account/login/code")
    screenshots(page, f"two-factor-code-{language}")
    page.locator("input[name=code]").fill("000000")
    page.locator("main").get_by_role("button", name=words["sign_in"], exact=True).click()
    expect(page.locator("#code-error")).to_be_visible()
    page.locator("input[name=code]").fill(second_factor_code(app, email, secret))
    page.locator("main").get_by_role("button", name=words["sign_in"], exact=True).click()
    page.wait_for_url("**/dashboard")
    expect(page.locator("nav").get_by_role("link", name=words["coordination"])).to_be_visible()


@pytest.mark.parametrize("language", ["de", "zh"])
def test_signing_out_another_session_from_the_sessions_page(app, page, browser, live_server, language):
    words = TEXTS[language]
    email = f"li.{language}@example.org"
    with app.app_context():
        UserFactory(email=email, name="Li Wei", language=language)
        db.session.commit()
        db.session.remove()

    phone_context = browser.new_context(
        base_url=live_server.url, user_agent=IPHONE, viewport={"width": 390, "height": 844}, locale="zh-CN"
    )
    try:
        phone = phone_context.new_page()
        phone.goto("/account/login")
        choose_language(phone, language)
        sign_in_with_password(phone, email, words)
        phone.wait_for_url("**/dashboard")

        page.goto("/account/login")
        choose_language(page, language)
        sign_in_with_password(page, email, words)
        page.wait_for_url("**/dashboard")
        page.goto("/account/sessions")
        sessions = page.locator("ul.session-list > li")
        expect(sessions).to_have_count(2)
        here = sessions.filter(has_text=words["this_device"])
        expect(here).to_have_count(1)
        other = sessions.filter(has_text="(iPhone)")
        expect(other).to_contain_text("Mobile Safari 17")
        expect(other).to_contain_text("127.0.0.1")
        screenshots(page, f"sessions-{language}")

        other.get_by_role("button", name=words["sign_out_one"]).click()
        expect(page.locator("ul.session-list > li")).to_have_count(1)
        expect(page.get_by_role("status")).to_contain_text("iPhone")
        screenshots(page, f"sessions-after-{language}")

        # The phone is signed out on its next request; this browser is not.
        phone.goto("/dashboard")
        phone.wait_for_url("**/account/login**")
        page.goto("/dashboard")
        assert page.url.endswith("/dashboard")
    finally:
        phone_context.close()


def test_the_browser_helper_signs_an_enrolled_administrator_in(app, page):
    with app.app_context():
        admin = UserFactory(email="admin.helper@example.org", roles=[Role.ADMIN])
        db.session.commit()
        secret = enrol_second_factor(app, admin)
        db.session.remove()
    sign_in_in_browser(page, app, "admin.helper@example.org", PASSWORD, secret=secret)
    page.goto("/admin/audit")
    assert page.url.endswith("/admin/audit")
    expect(page.locator("h1")).to_be_visible()
