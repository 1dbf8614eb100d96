"""The account journey in a real browser: register, confirm from the outbox, sign in, switch language, sign out and
in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal import db
from portal.core.outbox import OutboxEmail

pytestmark = pytest.mark.browser

PASSWORD = "Kolleg-Winter-Semester-2027"


def latest_link(app, kind: str) -> str:
    with app.app_context():
        body = db.session.scalars(select(OutboxEmail.body).order_by(OutboxEmail.id.desc())).first()
    assert body is not None
    match = re.search(r"(https?://\S+/account/" + kind + r"/\S+)", body)
    assert match, body
    return match.group(1)


def test_register_confirm_switch_language_sign_out_and_in(app, page):
    page.goto("/")
    page.get_by_role("link", name="Apply: create an account").click()
    page.get_by_label("Email address").fill("Chen.Jing@example.org")
    page.get_by_label("Full name").fill("Chen Jing")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat the password").fill("short")
    page.get_by_role("button", name="Create account").click()
    # The server refuses the weak password and keeps what was typed.
    assert "at least 12 characters" in page.content()
    assert page.get_by_label("Full name").input_value() == "Chen Jing"

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # The same page whether or not the address already had an account: the email tells the difference.
    page.wait_for_url("**/account/register/sent")
    assert "We have sent an email to the address you entered." in page.content()

    page.goto(latest_link(app, "confirm"))
    page.get_by_role("button", name="Confirm my email address").click()
    page.wait_for_url("**/account/login")
    assert "your email address is confirmed" in page.content()
    page.locator("input[name=email]").fill("chen.jing@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/dashboard")

    page.get_by_role("button", name="Deutsch").click()
    assert page.locator("html").get_attribute("lang") == "de"

    page.locator("form[action='/account/logout'] button").click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto("/account/login")
    page.locator("input[name=email]").fill("chen.jing@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/dashboard")
    assert page.locator("html").get_attribute("lang") == "de"
